//! The state after any sequence of writes equals a fresh load of the store: random writes
//! of every kind the state holds, a catch-up after each, and a comparison with a new load.
//! And the state holds no secret.

use store::{
    AccessKeyStatus, CredentialKind, MfaOwner, NewAccessKey, NewAccount, NewGroup,
    NewInstanceProfile, NewMfaDevice, NewOidcProvider, NewPolicy, NewRole, NewSamlProvider,
    NewServerCertificate, NewUser, OidcProviderRecord, PasswordPolicy, Principal,
    SamlPrivateKeyRecord, SamlProviderRecord, SamlProviderUpdate, Store, Tag, TagTarget,
    UserCredentialRecord,
};

use super::{KeyUse, State, load_everything};

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
    const OPS: [usize; 60] = [
        0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 7, 8, 8, 8, 9, 10, 10, 11, 12, 13, 13, 14, 15, 16, 16, 17,
        17, 18, 19, 3, 20, 20, 21, 21, 21, 21, 10, 22, 23, 23, 24, 25, 25, 26, 26, 27, 28, 28, 29,
        30, 30, 31, 32, 32, 33, 34, 34, 35, 36, 37,
    ];
    let op = OPS[dice.below(OPS.len())];
    let outcome = match op {
        23..=37 => other_write(store, dice, op, (account, name, other), now).await,
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
        19 => {
            store
                .set_account_alias(account, Some(&format!("alias-{account}-{step}")))
                .await
        }
        20 => store
            .create_instance_profile(&NewInstanceProfile {
                account_id: account.to_owned(),
                instance_profile_id: format!("AIPA{account}{}", name.to_uppercase()),
                name: name.to_owned(),
                path: "/".to_owned(),
                tags: Vec::new(),
                created_at: now,
            })
            .await
            .map(drop),
        21 => {
            if dice.below(2) == 0 {
                store
                    .add_role_to_instance_profile(account, name, other)
                    .await
            } else {
                store
                    .remove_role_from_instance_profile(account, name, other)
                    .await
            }
        }
        _ => store.delete_instance_profile(account, name).await,
    };
    if std::env::var("STATE_TEST_TRACE").is_ok() {
        eprintln!("{step} op {op}: {:?}", outcome.err());
    }
}

/// A device's serial number.
fn serial(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:mfa/{name}")
}

/// The writes of the kinds beyond users, groups, roles, policies, keys and instance
/// profiles: login profiles, MFA devices, credentials, server certificates, identity
/// providers, account settings, and the tags of each.
async fn other_write(
    store: &Store,
    dice: &mut Dice,
    op: usize,
    (account, name, other): (&str, &str, &str),
    now: i64,
) -> Result<(), store::StoreError> {
    let user_id = |name: &str| format!("AIDA{account}{}", name.to_uppercase());
    let oidc_arn = |name: &str| format!("arn:aws:iam::{account}:oidc-provider/{name}.example");
    let saml_uuid = |name: &str| format!("{account}-{}-uuid", name.to_lowercase());
    let certificate_id = |name: &str| format!("ASCA{account}{}", name.to_uppercase());
    let credential_kind = [
        CredentialKind::SshPublicKey,
        CredentialKind::SigningCertificate,
        CredentialKind::ServiceSpecific,
    ][dice.below(3)];
    let owner = if dice.below(4) == 0 {
        MfaOwner::Root
    } else {
        MfaOwner::User(user_id(other))
    };
    let tag = |target: TagTarget| async move {
        store.tag_resource(&target, &[Tag::new("k", other)]).await
    };
    match op {
        23 => store
            .create_login_profile(account, name, "$argon2id$hash", dice.below(2) == 0, now)
            .await
            .map(drop),
        24 => {
            if dice.below(2) == 0 {
                store.delete_login_profile(account, name).await
            } else {
                store
                    .update_login_profile(account, name, Some("$argon2id$new"), Some(true), now)
                    .await
            }
        }
        25 => store
            .create_mfa_device(&NewMfaDevice {
                serial_number: serial(account, name),
                account_id: account.to_owned(),
                seed_ciphertext: vec![7; 8],
                created_at: now,
                tags: vec![Tag::new("device", name)],
            })
            .await
            .map(drop),
        26 => match dice.below(4) {
            0 => {
                store
                    .enable_mfa_device(account, &serial(account, name), &owner, (now, now))
                    .await
            }
            1 => {
                store
                    .deactivate_mfa_device(account, &serial(account, name), &owner)
                    .await
            }
            2 => {
                store
                    .delete_mfa_device(account, &serial(account, name))
                    .await
            }
            // The spent step moves no revision and is not in the state.
            _ => store
                .spend_mfa_step(&serial(account, name), now)
                .await
                .map(drop),
        },
        27 => {
            let service = (credential_kind == CredentialKind::ServiceSpecific)
                .then(|| "codecommit.amazonaws.com".to_owned());
            let owner = (credential_kind != CredentialKind::SigningCertificate
                || dice.below(3) != 0)
                .then(|| user_id(name));
            store
                .create_user_credential(&UserCredentialRecord {
                    credential_id: format!("CRED{account}{now:08}"),
                    account_id: account.to_owned(),
                    user_id: owner,
                    kind: credential_kind,
                    status: AccessKeyStatus::Active,
                    body: format!("body {now}"),
                    fingerprint: Some(format!("fp{now}")),
                    service_user_name: service.as_ref().map(|_| format!("{name}-at-{account}")),
                    service_name: service,
                    secret_ciphertext: Some(vec![9; 4]),
                    created_at: now - i64::try_from(dice.below(3)).unwrap_or(0),
                    expires_at: None,
                })
                .await
                .map(drop)
        }
        28 => {
            let owner = (dice.below(4) != 0).then(|| user_id(name));
            let found = store
                .list_user_credentials(account, owner.as_deref(), credential_kind)
                .await;
            let Some(credential) = found.ok().and_then(|c| c.into_iter().next()) else {
                return Ok(());
            };
            let id = &credential.credential_id;
            match dice.below(3) {
                0 => {
                    store
                        .update_user_credential_status(
                            account,
                            credential_kind,
                            id,
                            AccessKeyStatus::Inactive,
                        )
                        .await
                }
                1 => {
                    store
                        .reset_user_credential_secret(account, id, &[8; 4])
                        .await
                }
                _ => {
                    store
                        .delete_user_credential(account, credential_kind, id)
                        .await
                }
            }
        }
        29 => store
            .create_server_certificate(&NewServerCertificate {
                account_id: account.to_owned(),
                server_certificate_id: certificate_id(name),
                name: name.to_owned(),
                path: "/".to_owned(),
                certificate_body: format!("body of {name}"),
                certificate_chain: None,
                private_key_ciphertext: vec![5; 8],
                uploaded_at: now,
                expires_at: now + 100,
                tags: vec![Tag::new("cert", name)],
            })
            .await
            .map(drop),
        30 => match dice.below(3) {
            0 => store
                .update_server_certificate(account, name, None, Some("/moved/"))
                .await
                .map(drop),
            1 => store.delete_server_certificate(account, name).await,
            _ => tag(TagTarget::ServerCertificate(certificate_id(name))).await,
        },
        31 => store
            .create_oidc_provider(&NewOidcProvider {
                provider: OidcProviderRecord {
                    account_id: account.to_owned(),
                    resource: format!("{name}.example"),
                    url: format!("https://{name}.example"),
                    client_ids: vec!["b".to_owned(), "a".to_owned()],
                    thumbprints: vec!["1".repeat(40)],
                    created_at: now,
                },
                tags: vec![Tag::new("idp", name)],
            })
            .await
            .map(drop),
        32 => {
            let resource = format!("{name}.example");
            match dice.below(5) {
                0 => store
                    .add_oidc_client_id(account, &resource, other)
                    .await
                    .map(drop),
                1 => store
                    .remove_oidc_client_id(account, &resource, "b")
                    .await
                    .map(drop),
                2 => store
                    .update_oidc_thumbprints(account, &resource, &["2".repeat(40), "0".repeat(40)])
                    .await
                    .map(drop),
                3 => store.delete_oidc_provider(account, &resource).await,
                _ => {
                    store
                        .untag_resource(&TagTarget::OidcProvider(oidc_arn(name)), &["idp".into()])
                        .await
                }
            }
        }
        33 => store
            .create_saml_provider(&NewSamlProvider {
                provider: SamlProviderRecord {
                    account_id: account.to_owned(),
                    name: name.to_owned(),
                    saml_provider_uuid: saml_uuid(name),
                    metadata_document: format!("<md:EntityDescriptor entityID=\"{name}\"/>"),
                    created_at: now,
                    valid_until: now + 100,
                    assertion_encryption_mode: None,
                    private_keys: vec![SamlPrivateKeyRecord {
                        key_id: format!("K{now}"),
                        private_key_ciphertext: vec![3; 8],
                        added_at: now,
                    }],
                },
                tags: Vec::new(),
            })
            .await
            .map(drop),
        34 => match dice.below(3) {
            0 => store
                .update_saml_provider(
                    account,
                    name,
                    &SamlProviderUpdate {
                        metadata: Some((format!("<md:EntityDescriptor entityID=\"{now}\"/>"), now)),
                        assertion_encryption_mode: Some("Allowed".to_owned()),
                        add_private_key: Some(SamlPrivateKeyRecord {
                            key_id: format!("K{now}"),
                            private_key_ciphertext: vec![4; 8],
                            added_at: now,
                        }),
                        remove_private_key: None,
                    },
                )
                .await
                .map(drop),
            1 => store.delete_saml_provider(account, name).await,
            _ => tag(TagTarget::SamlProvider(saml_uuid(name))).await,
        },
        35 => {
            let key = format!("ns/{name}");
            store
                .put_account_properties(account, &[(key, other.to_owned())])
                .await
        }
        36 => match dice.below(3) {
            0 => tag(TagTarget::MfaDevice(serial(account, name))).await,
            1 => {
                let profile = format!("AIPA{account}{}", name.to_uppercase());
                store
                    .tag_resource(
                        &TagTarget::InstanceProfile(profile),
                        &[Tag::new("K", other)],
                    )
                    .await
            }
            _ => {
                store
                    .untag_resource(&TagTarget::MfaDevice(serial(account, name)), &["k".into()])
                    .await
            }
        },
        _ => {
            store
                .set_global_endpoint_token_version(account, 1 + i32::from(dice.below(2) == 0))
                .await
        }
    }
}

/// An in-memory store with account `ACCOUNTS[0]`.
async fn one_account() -> (Store, &'static str) {
    let store = Store::open("sqlite::memory:")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let account = ACCOUNTS[0];
    store
        .create_account(&NewAccount {
            account_id: account.to_owned(),
            email: "root@example.com".to_owned(),
            alias: None,
            created_at: 0,
            root_key: None,
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (store, account)
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
        let mut profiles_seen = false;
        let mut others_seen = [false; 7];
        for step in 0..400 {
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
            profiles_seen |= fresh.accounts.values().any(|a| {
                a.instance_profiles
                    .by_name
                    .values()
                    .any(|p| !p.role_ids.is_empty())
            });
            memberships_seen |= fresh
                .accounts
                .values()
                .any(|a| a.users.by_name.values().any(|u| !u.groups.is_empty()));
            for a in fresh.accounts.values() {
                let held = [
                    a.users.by_name.values().any(|u| u.login_profile.is_some()),
                    !a.mfa_by_owner.is_empty(),
                    !a.credentials_by_owner.is_empty(),
                    !a.server_certificates.by_name.is_empty(),
                    a.oidc_providers.values().any(|p| !p.tags.is_empty()),
                    !a.saml_providers.by_name.is_empty(),
                    !a.properties.is_empty(),
                ];
                for (seen, held) in others_seen.iter_mut().zip(held) {
                    *seen |= held;
                }
            }
        }
        assert_eq!(
            others_seen, [true; 7],
            "seed {seed}: some kind (login profiles, enabled MFA devices, credentials, server \
             certificates, OIDC providers, SAML providers, properties) was never made"
        );
        assert!(memberships_seen, "seed {seed}: no membership was ever made");
        assert!(
            profiles_seen,
            "seed {seed}: no instance profile ever held a role"
        );
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

/// A value computed for a user or role holds until something it depends on changes: its
/// own record, its groups' policies and membership, the managed policies attached to it or
/// to its groups. Changes elsewhere leave it holding.
#[tokio::test]
async fn computed_values_hold_until_what_they_depend_on_changes() {
    let (store, account) = one_account().await;
    let must = |done: Result<(), store::StoreError>| done.unwrap_or_else(|e| panic!("{e}"));
    let user = format!("AIDA{account}USER");
    let role = format!("AROA{account}ROLE");
    let arn = format!("arn:aws:iam::{account}:policy/shared");
    must(
        store
            .create_user(&NewUser {
                account_id: account.to_owned(),
                user_id: user.clone(),
                name: "user".to_owned(),
                path: "/".to_owned(),
                permissions_boundary_arn: None,
                created_at: 0,
                tags: Vec::new(),
            })
            .await
            .map(drop),
    );
    must(
        store
            .create_group(&NewGroup {
                account_id: account.to_owned(),
                group_id: format!("AGPA{account}GROUP"),
                name: "group".to_owned(),
                path: "/".to_owned(),
                created_at: 0,
            })
            .await
            .map(drop),
    );
    must(store.add_user_to_group(account, "group", "user").await);
    must(
        store
            .create_policy(&NewPolicy {
                account_id: account.to_owned(),
                policy_id: format!("ANPA{account}SHARED"),
                name: "shared".to_owned(),
                path: "/".to_owned(),
                description: None,
                document: identity_policy(1),
                created_at: 0,
                tags: Vec::new(),
            })
            .await
            .map(drop),
    );
    must(
        store
            .attach_policy(&Principal::group(format!("AGPA{account}GROUP")), &arn)
            .await,
    );
    must(
        store
            .create_role(&NewRole {
                account_id: account.to_owned(),
                role_id: role.clone(),
                name: "role".to_owned(),
                path: "/".to_owned(),
                trust_policy: trust_policy(),
                trust_principals: Vec::new(),
                description: None,
                max_session_duration: 3600,
                permissions_boundary_arn: None,
                created_at: 0,
                tags: Vec::new(),
            })
            .await
            .map(drop),
    );
    let state = State::default();
    let caught_up = || async {
        state
            .catch_up(&store)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        state.snapshot()
    };
    let at = caught_up().await.revision;
    assert!(caught_up().await.holds(&user, at) && caught_up().await.holds(&role, at));

    // A new default version of a policy attached to the user's group.
    must(
        store
            .create_policy_version(&arn, &identity_policy(2), true, 1)
            .await
            .map(drop),
    );
    let now = caught_up().await;
    assert!(!now.holds(&user, at), "the group's policy changed");
    assert!(now.holds(&role, at), "nothing of the role changed");
    assert!(!now.policies_hold(at), "sessions may name the policy");

    // The user leaves the group; the role gains the policy.
    let at = now.revision;
    must(store.remove_user_from_group(account, "group", "user").await);
    let now = caught_up().await;
    assert!(!now.holds(&user, at) && now.holds(&role, at));
    let at = now.revision;
    must(store.attach_policy(&Principal::role(&role), &arn).await);
    let now = caught_up().await;
    assert!(now.holds(&user, at) && !now.holds(&role, at));
    assert!(now.policies_hold(at), "no policy document changed");

    // A value computed before the state was loaded never holds.
    assert!(!now.holds(&user, -1));
}

/// No secret reaches the state: a load of a store holding a password hash, an MFA seed, a
/// service-specific credential's sealed secret, a server certificate's sealed key and a SAML
/// provider's sealed key holds none of them (the loads never select them; the types of
/// login profiles, devices and SAML providers in the state have no field for them).
#[tokio::test]
async fn the_state_holds_no_secret() {
    let (store, account) = one_account().await;
    let must = |done: Result<(), store::StoreError>| done.unwrap_or_else(|e| panic!("{e}"));
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2VjcmV0LXNhbHQ$SECRETHASH";
    // Byte runs no other field holds, each secret its own.
    let sealed = |first: u8| (first..first + 9).collect::<Vec<u8>>();
    let shown = |bytes: &[u8]| {
        bytes
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    must(
        store
            .create_user(&NewUser {
                account_id: account.to_owned(),
                user_id: format!("AIDA{account}ALICE"),
                name: "alice".to_owned(),
                path: "/".to_owned(),
                permissions_boundary_arn: None,
                created_at: 0,
                tags: Vec::new(),
            })
            .await
            .map(drop),
    );
    must(
        store
            .create_login_profile(account, "alice", hash, false, 1)
            .await
            .map(drop),
    );
    must(
        store
            .create_mfa_device(&NewMfaDevice {
                serial_number: serial(account, "dev"),
                account_id: account.to_owned(),
                seed_ciphertext: sealed(201),
                created_at: 1,
                tags: Vec::new(),
            })
            .await
            .map(drop),
    );
    must(
        store
            .create_user_credential(&UserCredentialRecord {
                credential_id: "ACCASECRETTEST".to_owned(),
                account_id: account.to_owned(),
                user_id: Some(format!("AIDA{account}ALICE")),
                kind: CredentialKind::ServiceSpecific,
                status: AccessKeyStatus::Active,
                body: String::new(),
                fingerprint: None,
                service_name: Some("codecommit.amazonaws.com".to_owned()),
                service_user_name: Some("alice-at-1".to_owned()),
                secret_ciphertext: Some(sealed(181)),
                created_at: 1,
                expires_at: None,
            })
            .await
            .map(drop),
    );
    must(
        store
            .create_server_certificate(&NewServerCertificate {
                account_id: account.to_owned(),
                server_certificate_id: "ASCASECRETTEST".to_owned(),
                name: "web".to_owned(),
                path: "/".to_owned(),
                certificate_body: "public body".to_owned(),
                certificate_chain: None,
                private_key_ciphertext: sealed(161),
                uploaded_at: 1,
                expires_at: 2,
                tags: Vec::new(),
            })
            .await
            .map(drop),
    );
    must(
        store
            .create_saml_provider(&NewSamlProvider {
                provider: SamlProviderRecord {
                    account_id: account.to_owned(),
                    name: "idp".to_owned(),
                    saml_provider_uuid: "secret-test-uuid".to_owned(),
                    metadata_document: "<md:EntityDescriptor/>".to_owned(),
                    created_at: 1,
                    valid_until: 2,
                    assertion_encryption_mode: None,
                    private_keys: vec![SamlPrivateKeyRecord {
                        key_id: "KSECRET".to_owned(),
                        private_key_ciphertext: sealed(141),
                        added_at: 1,
                    }],
                },
                tags: Vec::new(),
            })
            .await
            .map(drop),
    );
    let state = State::default();
    state
        .catch_up(&store)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let snapshot = state.snapshot();
    let held = snapshot
        .account(account)
        .unwrap_or_else(|| panic!("the account was not loaded"));
    // Everything arrived, only without its secret.
    assert!(
        held.users
            .by_name
            .values()
            .all(|u| u.login_profile.is_some())
    );
    assert_eq!(held.mfa_devices.by_name.len(), 1);
    assert_eq!(held.server_certificates.by_name.len(), 1);
    assert_eq!(held.credentials.len(), 1);
    assert!(
        held.credentials
            .values()
            .all(|c| c.secret_ciphertext.is_none())
    );
    let provider = snapshot
        .saml_provider_by_uuid("secret-test-uuid")
        .unwrap_or_else(|| panic!("the SAML provider was not loaded"));
    assert_eq!(provider.private_keys.len(), 1);
    let dump = format!("{snapshot:?}");
    assert!(
        !dump.contains("SECRETHASH"),
        "the password hash is in the state"
    );
    for (first, what) in [
        (201, "MFA seed"),
        (181, "service-specific secret"),
        (161, "server certificate key"),
        (141, "SAML private key"),
    ] {
        assert!(
            !dump.contains(&shown(&sealed(first))),
            "the {what} is in the state"
        );
    }
}

/// RoleLastUsed stamps follow the roles: a stamp shows on its role, and goes with it when the
/// role is deleted (by this node's catch-up, or at once when the role was already gone when
/// stamped).
#[tokio::test]
async fn role_stamps_go_with_their_roles() {
    let (store, account) = one_account().await;
    let must = |done: Result<(), store::StoreError>| done.unwrap_or_else(|e| panic!("{e}"));
    let new_role = |name: &str| NewRole {
        account_id: account.to_owned(),
        role_id: format!("AROA{account}{}", name.to_uppercase()),
        name: name.to_owned(),
        path: "/".to_owned(),
        trust_policy: trust_policy(),
        trust_principals: Vec::new(),
        description: None,
        max_session_duration: 3600,
        permissions_boundary_arn: None,
        created_at: 0,
        tags: Vec::new(),
    };
    for name in ["kept", "gone"] {
        must(store.create_role(&new_role(name)).await.map(drop));
    }
    let state = State::default();
    state
        .catch_up(&store)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let kept = format!("AROA{account}KEPT");
    let gone = format!("AROA{account}GONE");
    assert!(state.stamp_role_use(&kept, 10, "us-east-1", 60));
    assert!(state.stamp_role_use(&gone, 10, "us-east-1", 60));
    assert!(
        !state.stamp_role_use(&kept, 20, "eu-west-1", 60),
        "a second stamp within the interval is not written"
    );
    // A later use within the same second is the one shown.
    state.stamp_role_use(&kept, 20, "ap-south-1", 60);
    let role = state
        .snapshot()
        .get_role_by_id(&kept)
        .unwrap_or_else(|e| panic!("{e}"));
    let stamped = state.role_with_stamp(role);
    assert_eq!(
        (stamped.last_used_at, stamped.last_used_region.as_deref()),
        (Some(20), Some("ap-south-1"))
    );
    let held = |id: &str| state.role_stamps.uses.load().contains_key(id);
    assert!(held(&gone));

    must(store.delete_role(account, "gone").await);
    state
        .catch_up(&store)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!held(&gone), "a deleted role's stamp stays");
    assert!(held(&kept));
    // Stamped after its deletion reached the state: dropped at once.
    state.stamp_role_use(&gone, 30, "us-east-1", 60);
    assert!(!held(&gone), "a stamp of a role the state lacks stays");
    let written = state
        .role_stamps
        .writes
        .lock()
        .map(|w| w.written.contains_key(&gone))
        .unwrap_or(true);
    assert!(!written, "a deleted role's write time stays");
}

/// Access key stamps: one per key per interval (the hot path pays no map update on every
/// request), shown on the key, another node's read from the store by the refresh, and gone
/// with a deleted key.
#[tokio::test]
async fn key_stamps_go_with_their_keys() {
    let (store, account) = one_account().await;
    let must = |done: Result<(), store::StoreError>| done.unwrap_or_else(|e| panic!("{e}"));
    let alice = format!("AIDA{account}ALICE");
    must(
        store
            .create_user(&NewUser {
                account_id: account.to_owned(),
                user_id: alice.clone(),
                name: "alice".to_owned(),
                path: "/".to_owned(),
                created_at: 0,
                permissions_boundary_arn: None,
                tags: Vec::new(),
            })
            .await
            .map(drop),
    );
    for id in ["AKIAKEPT000000000000", "AKIAGONE000000000000"] {
        must(
            store
                .create_access_key(&NewAccessKey {
                    access_key_id: id.to_owned(),
                    account_id: account.to_owned(),
                    user_id: Some(alice.clone()),
                    secret_ciphertext: vec![1, 2, 3],
                    created_at: 0,
                })
                .await
                .map(drop),
        );
    }
    let (kept, gone) = ("AKIAKEPT000000000000", "AKIAGONE000000000000");
    let here = State::default();
    let there = State::default();
    for state in [&here, &there] {
        state
            .catch_up(&store)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let used = |service: &str| KeyUse {
        service: service.to_owned(),
        region: "us-east-1".to_owned(),
    };
    let shown = |state: &State, id: &str| {
        let key = state
            .snapshot()
            .get_access_key(id)
            .unwrap_or_else(|e| panic!("{e}"));
        let key = state.key_with_stamp(key);
        (key.last_used_at, key.last_used_service)
    };
    assert!(here.stamp_key_use(kept, 100, used("iam"), 60));
    assert!(
        !here.stamp_key_use(kept, 130, used("sts"), 60),
        "a second use within the interval is noted"
    );
    assert_eq!(shown(&here, kept), (Some(100), Some("iam".to_owned())));
    assert!(here.stamp_key_use(kept, 160, used("sts"), 60));
    assert_eq!(shown(&here, kept), (Some(160), Some("sts".to_owned())));

    // The other node learns of it from the store (as `note_key_use` writes it when noted).
    must(
        store
            .record_access_key_use(kept, 160, "sts", "us-east-1")
            .await,
    );
    assert_eq!(shown(&there, kept), (None, None));
    there
        .refresh_stamps(&store)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(shown(&there, kept), (Some(160), Some("sts".to_owned())));

    assert!(here.stamp_key_use(gone, 100, used("iam"), 60));
    let held = |id: &str| here.key_stamps.uses.load().contains_key(id);
    assert!(held(gone));
    must(store.delete_access_key(account, gone).await);
    here.catch_up(&store)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!held(gone), "a deleted key's stamp stays");
    assert!(held(kept));
    assert!(
        !here.stamp_key_use(gone, 200, used("iam"), 60),
        "a deleted key's use is written"
    );
    assert!(!held(gone), "a stamp of a key the state lacks stays");
}

/// Guardrails compiled at a revision hold across other writes and end with the first
/// Organizations write (each logs a change of kind `Organization`).
#[tokio::test]
async fn organization_writes_end_compiled_guardrails() {
    let (store, account) = one_account().await;
    let state = State::default();
    state
        .catch_up(&store)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let compiled_at = state.snapshot().revision;
    assert!(state.snapshot().organizations_hold(compiled_at));
    store
        .create_user(&NewUser {
            account_id: account.to_owned(),
            user_id: format!("AIDA{account}BOB"),
            name: "bob".to_owned(),
            path: "/".to_owned(),
            permissions_boundary_arn: None,
            created_at: 0,
            tags: Vec::new(),
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    state
        .catch_up(&store)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(state.snapshot().revision > compiled_at);
    assert!(
        state.snapshot().organizations_hold(compiled_at),
        "a write outside Organizations ends the guardrails"
    );
    store
        .create_organization(&store::NewOrganization {
            org_id: "o-aaaaaaaaaa".to_owned(),
            root_id: "r-aaaa".to_owned(),
            management_account_id: account.to_owned(),
            management_name: "management".to_owned(),
            management_email: "management@example.com".to_owned(),
            feature_set: "ALL".to_owned(),
            created_at: 0,
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    state
        .catch_up(&store)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let now = state.snapshot().revision;
    assert!(
        !state.snapshot().organizations_hold(compiled_at),
        "guardrails compiled before CreateOrganization hold"
    );
    assert!(state.snapshot().organizations_hold(now));
}
