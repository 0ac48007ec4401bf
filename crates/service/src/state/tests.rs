//! The state after any sequence of writes equals a fresh load of the store: random writes
//! of every kind the state holds, a catch-up after each, and a comparison with a new load.

use store::{
    AccessKeyStatus, NewAccessKey, NewAccount, NewGroup, NewPolicy, NewRole, NewUser,
    PasswordPolicy, Principal, Store, Tag, TagTarget,
};

use super::{State, load_everything};

/// A small deterministic generator (xorshift64*), so a failure names its seed.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        usize::try_from(x % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }
}

const ACCOUNTS: [&str; 2] = ["111111111111", "222222222222"];
const NAMES: [&str; 4] = ["alice", "Bob", "carol", "dave"];

fn identity_policy(n: usize) -> policy::Policy {
    let text = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b{n}/*"}}]}}"#
    );
    policy::Policy::parse(&text, policy::PolicyKind::Identity).unwrap_or_else(|e| panic!("{e}"))
}

fn trust_policy() -> policy::Policy {
    let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    policy::Policy::parse(text, policy::PolicyKind::Trust).unwrap_or_else(|e| panic!("{e}"))
}

/// One random write; its outcome (many fail: names taken, entities missing) does not
/// matter, only that the state follows the store.
async fn random_write(store: &Store, dice: &mut Dice, step: usize) {
    let account = ACCOUNTS[dice.below(ACCOUNTS.len())];
    let name = NAMES[dice.below(NAMES.len())];
    let other = NAMES[dice.below(NAMES.len())];
    let user_id = |name: &str| format!("AIDA{account}{}", name.to_uppercase());
    let group_id = |name: &str| format!("AGPA{account}{}", name.to_uppercase());
    let role_id = |name: &str| format!("AROA{account}{}", name.to_uppercase());
    let policy_arn = |name: &str| format!("arn:aws:iam::{account}:policy/{name}");
    let now = i64::try_from(step).unwrap_or(0);
    // Creations weigh more, so that later writes find something to act on.
    const OPS: [usize; 30] = [
        0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 7, 8, 8, 8, 9, 10, 10, 11, 12, 13, 13, 14, 15, 16, 16, 17,
        17, 18, 19, 3,
    ];
    let op = OPS[dice.below(OPS.len())];
    let outcome = match op {
        0 => store
            .create_user(&NewUser {
                account_id: account.to_owned(),
                user_id: user_id(name),
                name: name.to_owned(),
                path: "/".to_owned(),
                permissions_boundary_arn: None,
                created_at: now,
                tags: vec![Tag::new("team", name)],
            })
            .await
            .map(drop),
        1 => store.delete_user(account, name).await,
        2 => store
            // A new case keeps the name reachable (names compare case-insensitively).
            .update_user(account, name, Some(&name.to_uppercase()), Some("/moved/"))
            .await
            .map(drop),
        3 => {
            store
                .tag_resource(&TagTarget::User(user_id(name)), &[Tag::new("k", other)])
                .await
        }
        4 => {
            store
                .attach_policy(&Principal::user(user_id(name)), &policy_arn(other))
                .await
        }
        5 => {
            store
                .detach_policy(&Principal::user(user_id(name)), &policy_arn(other))
                .await
        }
        6 => {
            store
                .put_inline_policy(
                    &Principal::user(user_id(name)),
                    other,
                    &identity_policy(step),
                )
                .await
        }
        7 => store
            .create_group(&NewGroup {
                account_id: account.to_owned(),
                group_id: group_id(name),
                name: name.to_owned(),
                path: "/".to_owned(),
                created_at: now,
            })
            .await
            .map(drop),
        8 => store.add_user_to_group(account, name, other).await,
        9 => store.remove_user_from_group(account, name, other).await,
        10 => store
            .create_role(&NewRole {
                account_id: account.to_owned(),
                role_id: role_id(name),
                name: name.to_owned(),
                path: "/".to_owned(),
                trust_policy: trust_policy(),
                trust_principals: Vec::new(),
                description: None,
                max_session_duration: 3600,
                permissions_boundary_arn: None,
                created_at: now,
                tags: Vec::new(),
            })
            .await
            .map(drop),
        11 => {
            store
                .attach_policy(&Principal::role(role_id(name)), &policy_arn(other))
                .await
        }
        12 => store.delete_role(account, name).await,
        13 => store
            .create_policy(&NewPolicy {
                account_id: account.to_owned(),
                policy_id: format!("ANPA{account}{}", name.to_uppercase()),
                name: name.to_owned(),
                path: "/".to_owned(),
                description: None,
                document: identity_policy(step),
                created_at: now,
                tags: Vec::new(),
            })
            .await
            .map(drop),
        14 => store
            .create_policy_version(&policy_arn(name), &identity_policy(step), true, now)
            .await
            .map(drop),
        15 => store.delete_policy(&policy_arn(name)).await,
        16 => store
            .create_access_key(&NewAccessKey {
                access_key_id: format!("AKIA{step:016}"),
                account_id: account.to_owned(),
                user_id: Some(user_id(name)),
                secret_ciphertext: vec![1, 2, 3],
                created_at: now,
            })
            .await
            .map(drop),
        17 => {
            let keys = store.list_access_keys(account, Some(&user_id(name))).await;
            match keys.ok().and_then(|k| k.into_iter().next()) {
                Some(key) if dice.below(2) == 0 => {
                    store
                        .update_access_key_status(
                            account,
                            &key.access_key_id,
                            AccessKeyStatus::Inactive,
                        )
                        .await
                }
                Some(key) => store.delete_access_key(account, &key.access_key_id).await,
                None => Ok(()),
            }
        }
        18 => {
            store
                .put_password_policy(
                    account,
                    &PasswordPolicy {
                        minimum_password_length: 8 + i64::try_from(dice.below(8)).unwrap_or(0),
                        require_symbols: true,
                        require_numbers: false,
                        require_uppercase_characters: false,
                        require_lowercase_characters: false,
                        allow_users_to_change_password: true,
                        max_password_age: None,
                        password_reuse_prevention: None,
                        hard_expiry: false,
                    },
                )
                .await
        }
        _ => {
            store
                .set_account_alias(account, Some(&format!("alias-{account}-{step}")))
                .await
        }
    };
    if std::env::var("STATE_TEST_TRACE").is_ok() {
        eprintln!("{step} op {op}: {:?}", outcome.err());
    }
}

#[tokio::test]
async fn the_state_equals_a_fresh_load_after_every_write() {
    for seed in 1..=4_u64 {
        let store = Store::open("sqlite::memory:")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let state = State::default();
        state
            .catch_up(&store)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for account in ACCOUNTS {
            store
                .create_account(&NewAccount {
                    account_id: account.to_owned(),
                    email: format!("root@{account}.example"),
                    alias: None,
                    created_at: 0,
                    root_key: None,
                })
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let mut dice = Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut memberships_seen = false;
        for step in 0..250 {
            random_write(&store, &mut dice, step).await;
            state
                .catch_up(&store)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let fresh = load_everything(&store)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                *state.snapshot(),
                fresh,
                "seed {seed}, step {step}: the state differs from the store"
            );
            memberships_seen |= fresh
                .accounts
                .values()
                .any(|a| a.users.by_name.values().any(|u| !u.groups.is_empty()));
        }
        assert!(memberships_seen, "seed {seed}: no membership was ever made");
        // The writes reached the state at all (the comparison is not of two empty states).
        let snapshot = state.snapshot();
        let entities: usize = snapshot
            .accounts
            .values()
            .map(|a| a.users.by_name.len() + a.roles.by_name.len() + a.policies.by_name.len())
            .sum();
        assert!(entities > 0, "seed {seed}: no write landed");
    }
}
