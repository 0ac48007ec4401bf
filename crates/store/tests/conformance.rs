//! The one conformance suite of the store: every case runs on SQLite and on PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

#[macro_use]
mod support;

use std::collections::HashSet;

use store::{
    AccessKeyStatus, BoundPrincipal, EntityKind, InstanceProfileRecord, ListOptions, NewAccessKey,
    NewAccount, NewGroup, NewInstanceProfile, NewPolicy, NewRole, NewServerCertificate, NewUser,
    Page, PasswordPolicy, Principal, PrincipalKind, RoleUpdate, Store, StoreError, Tag, TagTarget,
};
use store::{Assignment, LoadScope, Loaded, MfaOwner, NewMfaDevice};
use store::{ConsoleSessionRecord, Enabling, SigningKeyRecord};
use store::{CredentialKind, UserCredentialRecord};
use store::{
    NewOidcProvider, NewSamlProvider, OidcProviderRecord, SamlPrivateKeyRecord, SamlProviderRecord,
    SamlProviderUpdate,
};
use store::{ServiceAccess, StoredReport};
use support::Fixture;

conformance!(
    users_crud,
    names_unique_case_insensitively,
    pagination_and_path_prefix,
    groups_and_membership,
    roles_crud,
    policies_and_versions,
    attachments_and_inline_policies,
    delete_conflicts,
    access_keys,
    login_profiles_and_password_policy,
    tags,
    accounts,
    revision_and_change_log,
    reset_empties_everything,
    persists_across_reopen,
    concurrent_create_access_key,
    concurrent_create_user,
    instance_profiles,
    instance_profile_tags_and_conflicts,
    finding_6_trust_principals_bound_to_unique_ids,
    tagged_creation_is_one_write,
    user_credentials,
    account_settings,
    role_created_with_policies_is_one_write,
    server_certificates,
    server_certificate_tags_quota_and_deletion,
    outbound_federation,
    mfa_devices,
    console_sessions,
    oidc_providers,
    oidc_provider_quota,
    saml_providers,
    state_loads_every_kind_without_secrets,
    reports,
    service_access,
);

const ACCOUNT: &str = "111122223333";
const OTHER: &str = "444455556666";
const T0: i64 = 1_700_000_000;

fn new_account(id: &str, email: &str) -> NewAccount {
    NewAccount {
        account_id: id.into(),
        email: email.into(),
        alias: None,
        created_at: T0,
        root_key: None,
    }
}

async fn account(store: &Store, id: &str) {
    store
        .create_account(&new_account(id, &format!("root@{id}.example")))
        .await
        .unwrap();
}

fn new_user(n: usize, name: &str, path: &str) -> NewUser {
    NewUser {
        account_id: ACCOUNT.into(),
        user_id: format!("AIDA{n:017}"),
        name: name.into(),
        path: path.into(),
        permissions_boundary_arn: None,
        created_at: T0,
        tags: Vec::new(),
    }
}

fn new_group(n: usize, name: &str, path: &str) -> NewGroup {
    NewGroup {
        account_id: ACCOUNT.into(),
        group_id: format!("AGPA{n:017}"),
        name: name.into(),
        path: path.into(),
        created_at: T0,
    }
}

/// The text of a valid identity policy that `sid` tells apart from others.
fn identity_text(sid: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Sid":"{sid}","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}}}"#
    )
}

/// A validated identity policy, as the store takes them.
fn identity(sid: &str) -> policy::Policy {
    policy::Policy::parse(&identity_text(sid), policy::PolicyKind::Identity).unwrap()
}

/// The text of a valid trust policy that `sid` tells apart from others.
fn trust_text(sid: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Sid":"{sid}","Effect":"Allow","Principal":{{"Service":"ec2.amazonaws.com"}},"Action":"sts:AssumeRole"}}}}"#
    )
}

/// A validated trust policy.
fn trust(sid: &str) -> policy::Policy {
    policy::Policy::parse(&trust_text(sid), policy::PolicyKind::Trust).unwrap()
}

fn new_role(n: usize, name: &str) -> NewRole {
    NewRole {
        account_id: ACCOUNT.into(),
        role_id: format!("AROA{n:017}"),
        name: name.into(),
        path: "/".into(),
        trust_policy: trust("Initial"),
        trust_principals: Vec::new(),
        description: Some("test role".into()),
        max_session_duration: 3600,
        permissions_boundary_arn: None,
        created_at: T0,
        tags: Vec::new(),
    }
}

fn names<T>(page: &Page<T>, name: impl Fn(&T) -> &str) -> Vec<String> {
    page.items
        .iter()
        .map(|item| name(item).to_owned())
        .collect()
}

fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>, kind: EntityKind) {
    match result {
        Err(StoreError::NoSuchEntity { kind: k, .. }) if k == kind => {}
        other => panic!("expected NoSuchEntity {kind}, got {other:?}"),
    }
}

fn assert_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, expected_reason: &str) {
    match result {
        Err(StoreError::DeleteConflict { reason, .. }) => assert_eq!(reason, expected_reason),
        other => panic!("expected DeleteConflict `{expected_reason}`, got {other:?}"),
    }
}

fn assert_limit<T: std::fmt::Debug>(result: Result<T, StoreError>, expected: &str) {
    match result {
        Err(error @ StoreError::LimitExceeded { .. }) => assert_eq!(error.to_string(), expected),
        other => panic!("expected LimitExceeded `{expected}`, got {other:?}"),
    }
}

async fn users_crud(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    let alice = store
        .create_user(&new_user(1, "alice", "/eng/"))
        .await
        .unwrap();
    assert_eq!(store.get_user(ACCOUNT, "alice").await.unwrap(), alice);
    assert_eq!(store.get_user(ACCOUNT, "ALICE").await.unwrap(), alice);
    assert_eq!(store.get_user_by_id(&alice.user_id).await.unwrap(), alice);

    let error = store.get_user(ACCOUNT, "bob").await.unwrap_err();
    assert_eq!(error.to_string(), "The user with name bob cannot be found.");
    assert_not_found(store.get_user(OTHER, "alice").await, EntityKind::User);
    assert_not_found(
        store
            .create_user(&NewUser {
                account_id: OTHER.into(),
                ..new_user(9, "x", "/")
            })
            .await,
        EntityKind::Account,
    );

    let renamed = store
        .update_user(ACCOUNT, "alice", Some("Alicia"), Some("/ops/"))
        .await
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.path.as_str()),
        ("Alicia", "/ops/")
    );
    assert_eq!(renamed.user_id, alice.user_id);
    assert_not_found(store.get_user(ACCOUNT, "alice").await, EntityKind::User);

    store
        .set_user_permissions_boundary(
            ACCOUNT,
            "alicia",
            Some("arn:aws:iam::aws:policy/PowerUserAccess"),
        )
        .await
        .unwrap();
    store
        .record_password_use(&alice.user_id, T0 + 5)
        .await
        .unwrap();
    let got = store.get_user(ACCOUNT, "alicia").await.unwrap();
    assert_eq!(
        got.permissions_boundary_arn.as_deref(),
        Some("arn:aws:iam::aws:policy/PowerUserAccess")
    );
    assert_eq!(got.password_last_used, Some(T0 + 5));
    store
        .set_user_permissions_boundary(ACCOUNT, "alicia", None)
        .await
        .unwrap();
    assert_eq!(
        store
            .get_user(ACCOUNT, "alicia")
            .await
            .unwrap()
            .permissions_boundary_arn,
        None
    );

    store.delete_user(ACCOUNT, "ALICIA").await.unwrap();
    assert_not_found(store.get_user(ACCOUNT, "alicia").await, EntityKind::User);
    assert_not_found(store.delete_user(ACCOUNT, "alicia").await, EntityKind::User);
}

async fn names_unique_case_insensitively(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    account(store, OTHER).await;
    store.create_user(&new_user(1, "Alice", "/")).await.unwrap();
    let error = store
        .create_user(&new_user(2, "alice", "/"))
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        StoreError::EntityAlreadyExists {
            kind: EntityKind::User,
            ..
        }
    ));
    assert_eq!(error.to_string(), "User with name alice already exists.");
    // Another account may use the name.
    store
        .create_user(&NewUser {
            account_id: OTHER.into(),
            ..new_user(3, "alice", "/")
        })
        .await
        .unwrap();
    // A rename onto a taken name fails and changes nothing.
    store.create_user(&new_user(4, "bob", "/")).await.unwrap();
    let error = store
        .update_user(ACCOUNT, "bob", Some("ALICE"), None)
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::EntityAlreadyExists { .. }));
    store.get_user(ACCOUNT, "bob").await.unwrap();

    store
        .create_group(&new_group(1, "Admins", "/"))
        .await
        .unwrap();
    let error = store
        .create_group(&new_group(2, "ADMINS", "/"))
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "Group with name ADMINS already exists.");
    store.create_role(&new_role(1, "Deploy")).await.unwrap();
    let error = store.create_role(&new_role(2, "deploy")).await.unwrap_err();
    assert_eq!(error.to_string(), "Role with name deploy already exists.");
}

async fn pagination_and_path_prefix(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    for (i, (name, path)) in [
        ("dave", "/eng/"),
        ("Carol", "/eng/backend/"),
        ("bob", "/sales/"),
        ("alice", "/"),
        ("Eve", "/eng/"),
        ("frank", "/eng_x/"),
    ]
    .into_iter()
    .enumerate()
    {
        store.create_user(&new_user(i, name, path)).await.unwrap();
    }
    let all = store
        .list_users(ACCOUNT, &ListOptions::default())
        .await
        .unwrap();
    assert_eq!(
        names(&all, |u| &u.name),
        ["alice", "bob", "Carol", "dave", "Eve", "frank"]
    );
    assert_eq!(all.next_marker, None);

    let eng = ListOptions {
        path_prefix: Some("/eng/".into()),
        ..ListOptions::default()
    };
    let page = store.list_users(ACCOUNT, &eng).await.unwrap();
    assert_eq!(names(&page, |u| &u.name), ["Carol", "dave", "Eve"]);

    // Walk in pages of two; the marker is opaque but must resume exactly after the last item.
    let mut seen = Vec::new();
    let mut options = ListOptions {
        max_items: 2,
        ..ListOptions::default()
    };
    loop {
        let page = store.list_users(ACCOUNT, &options).await.unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(names(&page, |u| &u.name));
        match page.next_marker {
            Some(marker) => options.marker = Some(marker),
            None => break,
        }
    }
    assert_eq!(seen, ["alice", "bob", "Carol", "dave", "Eve", "frank"]);

    // A prefix with LIKE metacharacters is matched literally.
    let odd = ListOptions {
        path_prefix: Some("/eng_".into()),
        ..ListOptions::default()
    };
    assert_eq!(
        names(&store.list_users(ACCOUNT, &odd).await.unwrap(), |u| &u.name),
        ["frank"]
    );

    assert!(
        store
            .list_users(OTHER, &ListOptions::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

async fn groups_and_membership(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    let admins = store
        .create_group(&new_group(1, "admins", "/ops/"))
        .await
        .unwrap();
    assert_eq!(store.get_group(ACCOUNT, "ADMINS").await.unwrap(), admins);
    store
        .create_group(&new_group(2, "devs", "/eng/"))
        .await
        .unwrap();
    let listed = store
        .list_groups(
            ACCOUNT,
            &ListOptions {
                path_prefix: Some("/eng/".into()),
                ..ListOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(names(&listed, |g| &g.name), ["devs"]);

    store.create_user(&new_user(1, "alice", "/")).await.unwrap();
    store.create_user(&new_user(2, "bob", "/")).await.unwrap();
    store
        .add_user_to_group(ACCOUNT, "admins", "alice")
        .await
        .unwrap();
    store
        .add_user_to_group(ACCOUNT, "admins", "alice")
        .await
        .unwrap(); // idempotent
    store
        .add_user_to_group(ACCOUNT, "admins", "BOB")
        .await
        .unwrap();
    store
        .add_user_to_group(ACCOUNT, "devs", "alice")
        .await
        .unwrap();
    let members = store
        .list_users_in_group(ACCOUNT, "admins", &ListOptions::default())
        .await
        .unwrap();
    assert_eq!(names(&members, |u| &u.name), ["alice", "bob"]);
    let groups = store
        .list_groups_for_user(ACCOUNT, "alice", &ListOptions::default())
        .await
        .unwrap();
    assert_eq!(names(&groups, |g| &g.name), ["admins", "devs"]);

    assert_conflict(
        store.delete_group(ACCOUNT, "admins").await,
        "Cannot delete entity, must remove users from group first.",
    );
    assert_conflict(
        store.delete_user(ACCOUNT, "bob").await,
        "Cannot delete entity, must remove user from all groups first.",
    );
    store
        .remove_user_from_group(ACCOUNT, "admins", "bob")
        .await
        .unwrap();
    assert_not_found(
        store.remove_user_from_group(ACCOUNT, "admins", "bob").await,
        EntityKind::User,
    );
    store.delete_user(ACCOUNT, "bob").await.unwrap();

    let renamed = store
        .update_group(ACCOUNT, "admins", Some("Operators"), Some("/"))
        .await
        .unwrap();
    assert_eq!(renamed.group_id, admins.group_id);
    let groups = store
        .list_groups_for_user(ACCOUNT, "alice", &ListOptions::default())
        .await
        .unwrap();
    assert_eq!(names(&groups, |g| &g.name), ["devs", "Operators"]);

    // Quota: ten groups per user.
    for i in 3..11 {
        store
            .create_group(&new_group(i, &format!("g{i:02}"), "/"))
            .await
            .unwrap();
        store
            .add_user_to_group(ACCOUNT, &format!("g{i:02}"), "alice")
            .await
            .unwrap();
    }
    store
        .create_group(&new_group(11, "g11", "/"))
        .await
        .unwrap();
    assert_limit(
        store.add_user_to_group(ACCOUNT, "g11", "alice").await,
        "Cannot exceed quota for GroupsPerUser: 10",
    );
    let all: HashSet<String> = names(
        &store
            .list_groups_for_user(ACCOUNT, "alice", &ListOptions::default())
            .await
            .unwrap(),
        |g| &g.name,
    )
    .into_iter()
    .collect();
    assert_eq!(all.len(), 10);

    store
        .remove_user_from_group(ACCOUNT, "g11", "alice")
        .await
        .unwrap_err();
    store.delete_group(ACCOUNT, "g11").await.unwrap();
    assert_not_found(store.get_group(ACCOUNT, "g11").await, EntityKind::Group);
}

async fn roles_crud(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    let role = store.create_role(&new_role(1, "Deploy")).await.unwrap();
    assert_eq!(store.get_role(ACCOUNT, "deploy").await.unwrap(), role);
    assert_eq!(store.get_role_by_id(&role.role_id).await.unwrap(), role);
    let updated = store
        .update_role(
            ACCOUNT,
            "deploy",
            &RoleUpdate {
                description: Some(String::new()),
                max_session_duration: Some(7200),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (updated.description, updated.max_session_duration),
        (None, 7200)
    );
    store
        .update_role_trust_policy(ACCOUNT, "DEPLOY", &trust("Updated"), &[])
        .await
        .unwrap();
    // A document validated as another kind never reaches a slot: nothing is written.
    let wrong = store
        .update_role_trust_policy(ACCOUNT, "Deploy", &identity("NotTrust"), &[])
        .await;
    assert!(matches!(wrong, Err(StoreError::Backend(_))), "{wrong:?}");
    let wrong = store
        .put_inline_policy(&Principal::role(&role.role_id), "t", &trust("NotIdentity"))
        .await;
    assert!(matches!(wrong, Err(StoreError::Backend(_))), "{wrong:?}");
    let mut mistaken = new_policy(90, "Mistaken", "/");
    mistaken.document = trust("NotIdentity");
    let wrong = store.create_policy(&mistaken).await;
    assert!(matches!(wrong, Err(StoreError::Backend(_))), "{wrong:?}");
    assert!(
        store
            .list_inline_policies(&Principal::role(&role.role_id))
            .await
            .unwrap()
            .is_empty()
    );
    store
        .set_role_permissions_boundary(
            ACCOUNT,
            "Deploy",
            Some("arn:aws:iam::aws:policy/ReadOnlyAccess"),
        )
        .await
        .unwrap();
    store
        .record_role_use(&role.role_id, T0 + 60, "eu-west-1")
        .await
        .unwrap();
    let got = store.get_role(ACCOUNT, "Deploy").await.unwrap();
    assert_eq!(got.trust_policy, trust_text("Updated"));
    assert_eq!(
        got.permissions_boundary_arn.as_deref(),
        Some("arn:aws:iam::aws:policy/ReadOnlyAccess")
    );
    assert_eq!(
        (got.last_used_at, got.last_used_region.as_deref()),
        (Some(T0 + 60), Some("eu-west-1"))
    );
    assert_eq!(
        store.role_uses_since(T0 + 60).await.unwrap(),
        vec![(role.role_id.clone(), T0 + 60, "eu-west-1".to_owned())]
    );
    assert!(store.role_uses_since(T0 + 61).await.unwrap().is_empty());
    let error = store.get_role(ACCOUNT, "nope").await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "The role with name nope cannot be found."
    );
    store.create_role(&new_role(2, "Audit")).await.unwrap();
    assert_eq!(
        names(
            &store
                .list_roles(ACCOUNT, &ListOptions::default())
                .await
                .unwrap(),
            |r| &r.name
        ),
        ["Audit", "Deploy"]
    );
    store.delete_role(ACCOUNT, "deploy").await.unwrap();
    assert_not_found(store.get_role(ACCOUNT, "Deploy").await, EntityKind::Role);
}

fn new_policy(n: usize, name: &str, path: &str) -> NewPolicy {
    NewPolicy {
        account_id: ACCOUNT.into(),
        policy_id: format!("ANPA{n:017}"),
        name: name.into(),
        path: path.into(),
        description: None,
        document: identity(&format!(
            "{}V1",
            name.replace(|c: char| !c.is_ascii_alphanumeric(), "")
        )),
        created_at: T0,
        tags: Vec::new(),
    }
}

fn new_key(n: usize, user_id: Option<&str>) -> NewAccessKey {
    NewAccessKey {
        access_key_id: format!("AKIA{n:016}"),
        account_id: ACCOUNT.into(),
        user_id: user_id.map(str::to_owned),
        secret_ciphertext: vec![0, 1, 2, 255, u8::try_from(n % 256).unwrap()],
        created_at: T0 + i64::try_from(n).unwrap(),
    }
}

async fn policies_and_versions(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    let policy = store
        .create_policy(&new_policy(1, "ReadAll", "/team/"))
        .await
        .unwrap();
    assert_eq!(policy.arn, "arn:aws:iam::111122223333:policy/team/ReadAll");
    assert_eq!(policy.default_version_id, "v1");
    assert_eq!(store.get_policy(&policy.arn).await.unwrap(), policy);
    let error = store
        .create_policy(&new_policy(2, "readall", "/other/"))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "A policy called readall already exists. Duplicate names are not allowed."
    );
    store
        .create_policy(&new_policy(3, "Billing", "/"))
        .await
        .unwrap();
    let listed = store
        .list_policies(ACCOUNT, false, &ListOptions::default())
        .await
        .unwrap();
    assert_eq!(names(&listed, |p| &p.name), ["Billing", "ReadAll"]);
    let team = ListOptions {
        path_prefix: Some("/team/".into()),
        ..ListOptions::default()
    };
    assert_eq!(
        names(
            &store.list_policies(ACCOUNT, false, &team).await.unwrap(),
            |p| &p.name
        ),
        ["ReadAll"]
    );

    // Versions: v2..v5, then the quota; ids are never reused after a delete.
    for n in 2..=5 {
        let v = store
            .create_policy_version(&policy.arn, &identity(&format!("doc{n}")), n == 3, T0 + n)
            .await
            .unwrap();
        assert_eq!(v.version_id, format!("v{n}"));
    }
    assert_eq!(
        store
            .get_policy(&policy.arn)
            .await
            .unwrap()
            .default_version_id,
        "v3"
    );
    assert_limit(
        store
            .create_policy_version(&policy.arn, &identity("doc6"), false, T0)
            .await,
        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
    );
    assert_conflict(
        store.delete_policy_version(&policy.arn, "v3").await,
        "Cannot delete the default version of a policy.",
    );
    store
        .delete_policy_version(&policy.arn, "v5")
        .await
        .unwrap();
    assert_not_found(
        store.get_policy_version(&policy.arn, "v5").await,
        EntityKind::PolicyVersion,
    );
    let v6 = store
        .create_policy_version(&policy.arn, &identity("doc6"), true, T0 + 6)
        .await
        .unwrap();
    assert_eq!(v6.version_id, "v6");
    let versions = store.list_policy_versions(&policy.arn).await.unwrap();
    let ids: Vec<(&str, bool)> = versions
        .iter()
        .map(|v| (v.version_id.as_str(), v.is_default))
        .collect();
    assert_eq!(
        ids,
        [
            ("v6", true),
            ("v4", false),
            ("v3", false),
            ("v2", false),
            ("v1", false)
        ]
    );
    store
        .set_default_policy_version(&policy.arn, "v2", T0 + 7)
        .await
        .unwrap();
    let v2 = store.get_policy_version(&policy.arn, "v2").await.unwrap();
    assert!(v2.is_default);
    assert_eq!(v2.document, identity_text("doc2"));
    let got = store.get_policy(&policy.arn).await.unwrap();
    assert_eq!(
        (got.default_version_id.as_str(), got.updated_at),
        ("v2", T0 + 7)
    );
    assert_not_found(
        store
            .set_default_policy_version(&policy.arn, "v9", T0)
            .await,
        EntityKind::PolicyVersion,
    );
    assert_not_found(
        store.get_policy_version(&policy.arn, "bogus").await,
        EntityKind::PolicyVersion,
    );

    assert_conflict(
        store.delete_policy(&policy.arn).await,
        "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
    );
    for v in ["v1", "v3", "v4", "v6"] {
        store.delete_policy_version(&policy.arn, v).await.unwrap();
    }
    store.delete_policy(&policy.arn).await.unwrap();
    let error = store.get_policy(&policy.arn).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "Policy arn:aws:iam::111122223333:policy/team/ReadAll does not exist or is not attachable."
    );
}

async fn attachments_and_inline_policies(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    let alice = store.create_user(&new_user(1, "alice", "/")).await.unwrap();
    let group = store
        .create_group(&new_group(1, "devs", "/"))
        .await
        .unwrap();
    let role = store.create_role(&new_role(1, "deploy")).await.unwrap();
    let policy = store
        .create_policy(&new_policy(1, "Custom", "/"))
        .await
        .unwrap();
    let aws = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let (u, g, r) = (
        Principal::user(&alice.user_id),
        Principal::group(&group.group_id),
        Principal::role(&role.role_id),
    );

    store.attach_policy(&u, &policy.arn).await.unwrap();
    store.attach_policy(&u, &policy.arn).await.unwrap(); // idempotent
    store.attach_policy(&u, aws).await.unwrap();
    store.attach_policy(&g, aws).await.unwrap();
    store.attach_policy(&r, &policy.arn).await.unwrap();
    assert_eq!(
        store.list_attached_policies(&u).await.unwrap(),
        [policy.arn.clone(), aws.to_owned()]
    );
    assert_eq!(
        store
            .get_policy(&policy.arn)
            .await
            .unwrap()
            .attachment_count,
        2
    );
    assert_eq!(
        store.policy_attachment_counts(ACCOUNT).await.unwrap(),
        [(policy.arn.clone(), 2), (aws.to_owned(), 2)]
    );
    let entities = store.list_entities_for_policy(ACCOUNT, aws).await.unwrap();
    let entities: Vec<(PrincipalKind, &str)> =
        entities.iter().map(|e| (e.kind, e.name.as_str())).collect();
    assert_eq!(
        entities,
        [
            (PrincipalKind::Group, "devs"),
            (PrincipalKind::User, "alice")
        ]
    );
    let attached_only = store
        .list_policies(ACCOUNT, true, &ListOptions::default())
        .await
        .unwrap();
    assert_eq!(names(&attached_only, |p| &p.name), ["Custom"]);
    store
        .create_policy(&new_policy(2, "Unused", "/"))
        .await
        .unwrap();
    assert_eq!(
        store
            .list_policies(ACCOUNT, true, &ListOptions::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert_eq!(
        store
            .list_policies(ACCOUNT, false, &ListOptions::default())
            .await
            .unwrap()
            .items
            .len(),
        2
    );

    store.detach_policy(&u, aws).await.unwrap();
    assert_not_found(store.detach_policy(&u, aws).await, EntityKind::Policy);
    assert_not_found(
        store
            .attach_policy(&Principal::user("AIDANOSUCHUSER"), aws)
            .await,
        EntityKind::User,
    );

    // Quota: ten managed policies per principal.
    for i in 0..9 {
        store
            .attach_policy(&u, &format!("arn:aws:iam::aws:policy/P{i}"))
            .await
            .unwrap();
    }
    assert_limit(
        store.attach_policy(&u, "arn:aws:iam::aws:policy/P9").await,
        "Cannot exceed quota for PoliciesPerUser: 10",
    );
    assert_eq!(store.list_attached_policies(&u).await.unwrap().len(), 10);

    // Inline policies: upsert, exact names, per principal.
    store
        .put_inline_policy(&r, "s3", &identity("docA"))
        .await
        .unwrap();
    store
        .put_inline_policy(&r, "s3", &identity("docB"))
        .await
        .unwrap();
    store
        .put_inline_policy(&r, "ec2", &identity("docC"))
        .await
        .unwrap();
    assert_eq!(
        store.get_inline_policy(&r, "s3").await.unwrap(),
        identity_text("docB")
    );
    assert_eq!(
        store.list_inline_policies(&r).await.unwrap(),
        [
            ("ec2".to_owned(), identity_text("docC")),
            ("s3".to_owned(), identity_text("docB"))
        ]
    );
    let error = store.get_inline_policy(&u, "s3").await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "The user policy with name s3 cannot be found."
    );
    store.delete_inline_policy(&r, "s3").await.unwrap();
    assert_not_found(
        store.delete_inline_policy(&r, "s3").await,
        EntityKind::RolePolicy,
    );
}

async fn delete_conflicts(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    let alice = store.create_user(&new_user(1, "alice", "/")).await.unwrap();
    let u = Principal::user(&alice.user_id);
    let aws = "arn:aws:iam::aws:policy/ReadOnlyAccess";

    // Each dependent blocks the delete, atomically: the user is still whole afterwards.
    store
        .create_login_profile(
            ACCOUNT,
            "alice",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
            false,
            T0,
        )
        .await
        .unwrap();
    assert_conflict(
        store.delete_user(ACCOUNT, "alice").await,
        "Cannot delete entity, must delete login profile first.",
    );
    store.delete_login_profile(ACCOUNT, "alice").await.unwrap();
    store
        .create_access_key(&new_key(1, Some(&alice.user_id)))
        .await
        .unwrap();
    assert_conflict(
        store.delete_user(ACCOUNT, "alice").await,
        "Cannot delete entity, must delete access keys first.",
    );
    store
        .delete_access_key(ACCOUNT, &new_key(1, None).access_key_id)
        .await
        .unwrap();
    store
        .put_inline_policy(&u, "p", &identity("P"))
        .await
        .unwrap();
    assert_conflict(
        store.delete_user(ACCOUNT, "alice").await,
        "Cannot delete entity, must delete policies first.",
    );
    store.delete_inline_policy(&u, "p").await.unwrap();
    store.attach_policy(&u, aws).await.unwrap();
    assert_conflict(
        store.delete_user(ACCOUNT, "alice").await,
        "Cannot delete entity, must detach all policies first.",
    );
    store.detach_policy(&u, aws).await.unwrap();
    store
        .tag_resource(
            &TagTarget::User(alice.user_id.clone()),
            &[Tag::new("team", "x")],
        )
        .await
        .unwrap();
    assert_eq!(store.get_user(ACCOUNT, "alice").await.unwrap(), alice);
    store.delete_user(ACCOUNT, "alice").await.unwrap();
    // Tags went with the user; a new user of the same name starts clean.
    let again = store.create_user(&new_user(2, "alice", "/")).await.unwrap();
    assert!(
        store
            .list_tags(&TagTarget::User(again.user_id))
            .await
            .unwrap()
            .is_empty()
    );

    let group = store.create_group(&new_group(1, "g", "/")).await.unwrap();
    let g = Principal::group(&group.group_id);
    store
        .put_inline_policy(&g, "p", &identity("P"))
        .await
        .unwrap();
    assert_conflict(
        store.delete_group(ACCOUNT, "g").await,
        "Cannot delete entity, must delete policies first.",
    );
    store.delete_inline_policy(&g, "p").await.unwrap();
    store.attach_policy(&g, aws).await.unwrap();
    assert_conflict(
        store.delete_group(ACCOUNT, "g").await,
        "Cannot delete entity, must detach all policies first.",
    );
    store.detach_policy(&g, aws).await.unwrap();
    store.delete_group(ACCOUNT, "g").await.unwrap();

    let role = store.create_role(&new_role(1, "r")).await.unwrap();
    let r = Principal::role(&role.role_id);
    store
        .put_inline_policy(&r, "p", &identity("P"))
        .await
        .unwrap();
    assert_conflict(
        store.delete_role(ACCOUNT, "r").await,
        "Cannot delete entity, must delete policies first.",
    );
    store.delete_inline_policy(&r, "p").await.unwrap();
    let policy = store
        .create_policy(&new_policy(1, "Custom", "/"))
        .await
        .unwrap();
    store.attach_policy(&r, &policy.arn).await.unwrap();
    assert_conflict(
        store.delete_role(ACCOUNT, "r").await,
        "Cannot delete entity, must detach all policies first.",
    );
    assert_conflict(
        store.delete_policy(&policy.arn).await,
        "Cannot delete a policy attached to entities.",
    );
    store.detach_policy(&r, &policy.arn).await.unwrap();
    store.delete_role(ACCOUNT, "r").await.unwrap();
    store.delete_policy(&policy.arn).await.unwrap();
}

async fn access_keys(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    let alice = store.create_user(&new_user(1, "alice", "/")).await.unwrap();
    let k1 = store
        .create_access_key(&new_key(1, Some(&alice.user_id)))
        .await
        .unwrap();
    store
        .create_access_key(&new_key(2, Some(&alice.user_id)))
        .await
        .unwrap();
    assert_limit(
        store
            .create_access_key(&new_key(3, Some(&alice.user_id)))
            .await,
        "Cannot exceed quota for AccessKeysPerUser: 2",
    );
    // The root has its own two.
    store.create_access_key(&new_key(4, None)).await.unwrap();
    store.create_access_key(&new_key(5, None)).await.unwrap();
    assert_limit(
        store.create_access_key(&new_key(6, None)).await,
        "Cannot exceed quota for AccessKeysPerUser: 2",
    );

    let got = store.get_access_key(&k1.access_key_id).await.unwrap();
    assert_eq!(got, k1);
    assert_eq!(got.secret_ciphertext, [0, 1, 2, 255, 1]);
    assert!(
        !format!("{got:?}").contains("255"),
        "Debug must not print the ciphertext"
    );
    let ids = |keys: Vec<store::AccessKeyRecord>| {
        keys.into_iter()
            .map(|k| k.access_key_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store
            .list_access_keys(ACCOUNT, Some(&alice.user_id))
            .await
            .unwrap()),
        [
            new_key(1, None).access_key_id,
            new_key(2, None).access_key_id
        ]
    );
    assert_eq!(
        ids(store.list_access_keys(ACCOUNT, None).await.unwrap()),
        [
            new_key(4, None).access_key_id,
            new_key(5, None).access_key_id
        ]
    );

    store
        .update_access_key_status(ACCOUNT, &k1.access_key_id, AccessKeyStatus::Inactive)
        .await
        .unwrap();
    store
        .record_access_key_use(&k1.access_key_id, T0 + 9, "iam", "us-east-1")
        .await
        .unwrap();
    let got = store.get_access_key(&k1.access_key_id).await.unwrap();
    assert_eq!(got.status, AccessKeyStatus::Inactive);
    assert_eq!(
        (
            got.last_used_at,
            got.last_used_service.as_deref(),
            got.last_used_region.as_deref()
        ),
        (Some(T0 + 9), Some("iam"), Some("us-east-1"))
    );
    // What other nodes read each second: the uses at or after a time, stamps moving no
    // revision.
    let uses = store.access_key_uses_since(T0 + 9).await.unwrap();
    assert_eq!(
        uses,
        vec![(
            k1.access_key_id.clone(),
            T0 + 9,
            "iam".to_owned(),
            "us-east-1".to_owned()
        )]
    );
    assert!(
        store
            .access_key_uses_since(T0 + 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_not_found(
        store
            .update_access_key_status(OTHER, &k1.access_key_id, AccessKeyStatus::Active)
            .await,
        EntityKind::AccessKey,
    );

    store
        .delete_access_key(ACCOUNT, &k1.access_key_id)
        .await
        .unwrap();
    let error = store.get_access_key(&k1.access_key_id).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "The Access Key with id {} cannot be found.",
            k1.access_key_id
        )
    );
    store
        .create_access_key(&new_key(7, Some(&alice.user_id)))
        .await
        .unwrap();
    assert_not_found(
        store
            .create_access_key(&new_key(8, Some("AIDANOSUCH")))
            .await,
        EntityKind::User,
    );
}

async fn login_profiles_and_password_policy(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    let alice = store.create_user(&new_user(1, "alice", "/")).await.unwrap();
    let profile = store
        .create_login_profile(ACCOUNT, "alice", "$argon2id$h1", true, T0)
        .await
        .unwrap();
    assert_eq!(
        store.get_login_profile(ACCOUNT, "ALICE").await.unwrap(),
        profile
    );
    let error = store
        .create_login_profile(ACCOUNT, "alice", "$argon2id$h1", true, T0)
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        StoreError::EntityAlreadyExists {
            kind: EntityKind::LoginProfile,
            ..
        }
    ));
    for i in 2..=30 {
        store
            .update_login_profile(
                ACCOUNT,
                "alice",
                Some(&format!("$argon2id$h{i}")),
                Some(false),
                T0 + i,
            )
            .await
            .unwrap();
    }
    let got = store.get_login_profile(ACCOUNT, "alice").await.unwrap();
    assert_eq!(
        (
            got.password_hash.as_str(),
            got.password_reset_required,
            got.password_set_at
        ),
        ("$argon2id$h30", false, T0 + 30)
    );
    assert_eq!(
        store
            .recent_password_hashes(&alice.user_id, 3)
            .await
            .unwrap(),
        ["$argon2id$h30", "$argon2id$h29", "$argon2id$h28"]
    );
    assert_eq!(
        store
            .recent_password_hashes(&alice.user_id, 100)
            .await
            .unwrap()
            .len(),
        24
    );
    store.delete_login_profile(ACCOUNT, "alice").await.unwrap();
    let error = store.get_login_profile(ACCOUNT, "alice").await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "Login Profile for User alice cannot be found."
    );
    assert_not_found(
        store
            .update_login_profile(ACCOUNT, "alice", None, Some(true), T0)
            .await,
        EntityKind::LoginProfile,
    );

    assert_eq!(store.get_password_policy(ACCOUNT).await.unwrap(), None);
    let mut policy = PasswordPolicy {
        minimum_password_length: 14,
        require_symbols: true,
        require_numbers: false,
        require_uppercase_characters: true,
        require_lowercase_characters: false,
        allow_users_to_change_password: true,
        max_password_age: Some(90),
        password_reuse_prevention: Some(24),
        hard_expiry: false,
    };
    store.put_password_policy(ACCOUNT, &policy).await.unwrap();
    assert_eq!(
        store.get_password_policy(ACCOUNT).await.unwrap().as_ref(),
        Some(&policy)
    );
    policy.max_password_age = None;
    policy.hard_expiry = true;
    store.put_password_policy(ACCOUNT, &policy).await.unwrap();
    assert_eq!(
        store.get_password_policy(ACCOUNT).await.unwrap(),
        Some(policy)
    );
    store.delete_password_policy(ACCOUNT).await.unwrap();
    assert_not_found(
        store.delete_password_policy(ACCOUNT).await,
        EntityKind::PasswordPolicy,
    );
}

async fn tags(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    let role = store.create_role(&new_role(1, "r")).await.unwrap();
    let target = TagTarget::Role(role.role_id.clone());
    store
        .tag_resource(&target, &[Tag::new("Team", "a"), Tag::new("env", "")])
        .await
        .unwrap();
    // Same key in another case replaces the tag.
    store
        .tag_resource(&target, &[Tag::new("team", "b")])
        .await
        .unwrap();
    assert_eq!(
        store.list_tags(&target).await.unwrap(),
        [Tag::new("env", ""), Tag::new("team", "b")]
    );
    store
        .untag_resource(&target, &["ENV".to_owned(), "absent".to_owned()])
        .await
        .unwrap();
    assert_eq!(
        store.list_tags(&target).await.unwrap(),
        [Tag::new("team", "b")]
    );

    let many: Vec<Tag> = (0..49).map(|i| Tag::new(format!("k{i:02}"), "v")).collect();
    store.tag_resource(&target, &many).await.unwrap();
    assert_eq!(store.list_tags(&target).await.unwrap().len(), 50);
    // Replacing keeps the count; one more is refused, all or nothing.
    store
        .tag_resource(&target, &[Tag::new("K00", "w")])
        .await
        .unwrap();
    assert_limit(
        store
            .tag_resource(&target, &[Tag::new("k00", "z"), Tag::new("new", "v")])
            .await,
        "Cannot exceed quota for TagsPerEntity: 50",
    );
    let tags = store.list_tags(&target).await.unwrap();
    assert_eq!(tags.len(), 50);
    assert!(tags.contains(&Tag::new("K00", "w")));

    let policy = store.create_policy(&new_policy(1, "P", "/")).await.unwrap();
    store
        .tag_resource(
            &TagTarget::Policy(policy.policy_id.clone()),
            &[Tag::new("a", "1")],
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .list_tags(&TagTarget::Policy(policy.policy_id.clone()))
            .await
            .unwrap(),
        [Tag::new("a", "1")]
    );
    // A policy keeps keys apart by case (recorded on AWS), listed in byte order on both
    // backends, and untags them as written.
    let policy_tags = TagTarget::Policy(policy.policy_id.clone());
    store
        .tag_resource(&policy_tags, &[Tag::new("A", "2"), Tag::new("b", "3")])
        .await
        .unwrap();
    assert_eq!(
        store.list_tags(&policy_tags).await.unwrap(),
        [Tag::new("A", "2"), Tag::new("a", "1"), Tag::new("b", "3")]
    );
    store
        .untag_resource(&policy_tags, &["a".to_owned(), "B".to_owned()])
        .await
        .unwrap();
    assert_eq!(
        store.list_tags(&policy_tags).await.unwrap(),
        [Tag::new("A", "2"), Tag::new("b", "3")]
    );
    assert_not_found(
        store.list_tags(&TagTarget::User("AIDANOSUCH".into())).await,
        EntityKind::User,
    );
}

async fn accounts(f: &Fixture) {
    let store = &f.store;
    let a = store
        .create_account(&new_account(ACCOUNT, "Root@Example.com"))
        .await
        .unwrap();
    assert_eq!(store.get_account(ACCOUNT).await.unwrap(), a);
    assert_eq!(
        store
            .get_account_by_email("root@example.COM")
            .await
            .unwrap(),
        a
    );
    assert!(matches!(
        store.create_account(&new_account(ACCOUNT, "x@y")).await,
        Err(StoreError::EntityAlreadyExists { .. })
    ));
    assert!(matches!(
        store
            .create_account(&new_account(OTHER, "ROOT@example.com"))
            .await,
        Err(StoreError::EntityAlreadyExists { .. })
    ));
    // Account, alias and root key are one write: a conflict on any leaves nothing behind
    // (issue 9, finding 8: a first start never keeps an account whose root secret was lost).
    let mut taken_key = new_account("777788889999", "new@example.com");
    store
        .create_account(&new_account(OTHER, "other@example.com"))
        .await
        .unwrap();
    let mut root_key = new_key(1, None);
    root_key.account_id = OTHER.into();
    store.create_access_key(&root_key).await.unwrap();
    taken_key.root_key = Some(NewAccessKey {
        account_id: "777788889999".into(),
        ..root_key
    });
    assert!(matches!(
        store.create_account(&taken_key).await,
        Err(StoreError::EntityAlreadyExists { .. })
    ));
    assert!(matches!(
        store.get_account("777788889999").await,
        Err(StoreError::NoSuchEntity { .. })
    ));
    store
        .set_account_alias(ACCOUNT, Some("acme"))
        .await
        .unwrap();
    assert_eq!(
        store.get_account_by_alias("acme").await.unwrap().account_id,
        ACCOUNT
    );
    assert!(matches!(
        store.set_account_alias(OTHER, Some("acme")).await,
        Err(StoreError::EntityAlreadyExists { .. })
    ));
    store.set_account_alias(ACCOUNT, None).await.unwrap();
    assert_not_found(
        store.get_account_by_alias("acme").await,
        EntityKind::Account,
    );
    assert_eq!(store.list_accounts().await.unwrap().len(), 2);

    store.create_user(&new_user(1, "u", "/")).await.unwrap();
    assert_conflict(
        store.delete_account(ACCOUNT).await,
        "Cannot delete entity, must delete users first.",
    );
    store.delete_user(ACCOUNT, "u").await.unwrap();
    store.delete_account(ACCOUNT).await.unwrap();
    assert_not_found(store.get_account(ACCOUNT).await, EntityKind::Account);
}

async fn revision_and_change_log(f: &Fixture) {
    let store = &f.store;
    let start = store.current_revision().await.unwrap();
    account(store, ACCOUNT).await;
    let alice = store.create_user(&new_user(1, "alice", "/")).await.unwrap();
    let group = store.create_group(&new_group(1, "g", "/")).await.unwrap();
    let after_creates = store.current_revision().await.unwrap();
    assert_eq!(after_creates, start + 3);

    // A failed write changes nothing, revision included.
    store
        .create_user(&new_user(2, "ALICE", "/"))
        .await
        .unwrap_err();
    assert_eq!(store.current_revision().await.unwrap(), after_creates);
    // Usage stamps are not authorization data: no revision.
    store.record_password_use(&alice.user_id, T0).await.unwrap();
    assert_eq!(store.current_revision().await.unwrap(), after_creates);

    store
        .add_user_to_group(ACCOUNT, "g", "alice")
        .await
        .unwrap();
    let changes = store.changes_since(start, 100).await.unwrap();
    assert!(changes.complete);
    assert_eq!(changes.revision, after_creates + 1);
    let seen: Vec<(i64, EntityKind, &str)> = changes
        .entries
        .iter()
        .map(|c| (c.revision - start, c.kind, c.entity_id.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (1, EntityKind::Account, ACCOUNT),
            (2, EntityKind::User, alice.user_id.as_str()),
            (3, EntityKind::Group, group.group_id.as_str()),
            (4, EntityKind::Group, group.group_id.as_str()),
            (4, EntityKind::User, alice.user_id.as_str()),
        ]
    );
    assert!(changes.entries.iter().all(|c| c.account_id == ACCOUNT));

    // Paging never splits a transaction.
    let first = store.changes_since(start, 4).await.unwrap();
    assert_eq!(first.entries.len(), 3);
    assert_eq!(first.revision, start + 3);
    let rest = store.changes_since(first.revision, 4).await.unwrap();
    assert_eq!(rest.entries.len(), 2);
    assert_eq!(rest.revision, after_creates + 1);

    assert!(
        store
            .changes_since(changes.revision, 100)
            .await
            .unwrap()
            .entries
            .is_empty()
    );
    store.prune_changes(start + 2).await.unwrap();
    assert!(!store.changes_since(start, 100).await.unwrap().complete);
    let tail = store.changes_since(start + 2, 100).await.unwrap();
    assert!(tail.complete);
    assert_eq!(tail.entries.len(), 3);
}

async fn reset_empties_everything(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    let alice = store.create_user(&new_user(1, "alice", "/")).await.unwrap();
    store
        .create_access_key(&new_key(1, Some(&alice.user_id)))
        .await
        .unwrap();
    store
        .attach_policy(
            &Principal::user(&alice.user_id),
            "arn:aws:iam::aws:policy/X",
        )
        .await
        .unwrap();
    let before = store.current_revision().await.unwrap();
    store.reset().await.unwrap();
    assert!(store.current_revision().await.unwrap() > before);
    assert!(store.list_accounts().await.unwrap().is_empty());
    assert!(!store.changes_since(before, 10).await.unwrap().complete);
    account(store, ACCOUNT).await;
    store.create_user(&new_user(1, "alice", "/")).await.unwrap();
}

async fn persists_across_reopen(f: &Fixture) {
    account(&f.store, ACCOUNT).await;
    let alice = f
        .store
        .create_user(&new_user(1, "alice", "/"))
        .await
        .unwrap();
    let key = f
        .store
        .create_access_key(&new_key(1, Some(&alice.user_id)))
        .await
        .unwrap();
    let revision = f.store.current_revision().await.unwrap();
    f.store.close().await;

    let reopened = Store::open(&f.url).await.unwrap();
    assert_eq!(reopened.get_user(ACCOUNT, "alice").await.unwrap(), alice);
    assert_eq!(
        reopened.get_access_key(&key.access_key_id).await.unwrap(),
        key
    );
    assert_eq!(reopened.current_revision().await.unwrap(), revision);
    // Migrations are not applied twice, and the quota still counts the stored keys.
    reopened
        .create_access_key(&new_key(2, Some(&alice.user_id)))
        .await
        .unwrap();
    assert_limit(
        reopened
            .create_access_key(&new_key(3, Some(&alice.user_id)))
            .await,
        "Cannot exceed quota for AccessKeysPerUser: 2",
    );
}

async fn concurrent_create_access_key(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    let alice = store.create_user(&new_user(1, "alice", "/")).await.unwrap();
    // Two handles, as two server nodes on one database would have.
    let second = Store::open(&f.url).await.unwrap();
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let store = if i % 2 == 0 {
                store.clone()
            } else {
                second.clone()
            };
            let key = new_key(100 + i, Some(&alice.user_id));
            tokio::spawn(async move { store.create_access_key(&key).await })
        })
        .collect();
    let (mut ok, mut limited) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::LimitExceeded {
                what: "AccessKeysPerUser",
                limit: 2,
            }) => limited += 1,
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!((ok, limited), (2, 98));
    assert_eq!(
        store
            .list_access_keys(ACCOUNT, Some(&alice.user_id))
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn concurrent_create_user(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    let second = Store::open(&f.url).await.unwrap();
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let store = if i % 2 == 0 {
                store.clone()
            } else {
                second.clone()
            };
            // Same name, differently cased, distinct ids.
            let name = if i % 3 == 0 { "Carol" } else { "carol" };
            let user = new_user(i, name, "/");
            tokio::spawn(async move { store.create_user(&user).await })
        })
        .collect();
    let (mut ok, mut exists) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::EntityAlreadyExists {
                kind: EntityKind::User,
                ..
            }) => exists += 1,
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!((ok, exists), (1, 99));
    assert_eq!(
        store
            .list_users(ACCOUNT, &ListOptions::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

/// The ephemeral mode: every handle and task sees the one in-memory database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_store_is_shared_and_serialises_writers() {
    let store = Store::open("sqlite::memory:").await.unwrap();
    account(&store, ACCOUNT).await;
    let alice = store.create_user(&new_user(1, "alice", "/")).await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            let key = new_key(i, Some(&alice.user_id));
            tokio::spawn(async move { store.create_access_key(&key).await.is_ok() })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        ok += usize::from(task.await.unwrap());
    }
    assert_eq!(ok, 2);
    assert_eq!(store.get_user(ACCOUNT, "alice").await.unwrap(), alice);
    // A second in-memory store is a different, empty database.
    let other = Store::open("sqlite::memory:").await.unwrap();
    assert!(other.list_accounts().await.unwrap().is_empty());
}

/// Issue 9, finding 0: requests cancelled mid-query (their futures dropped, as when a client
/// disconnects) never cost the ephemeral database its state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_0_in_memory_store_survives_cancelled_queries() {
    let store = Store::open("sqlite::memory:").await.unwrap();
    account(&store, ACCOUNT).await;
    let alice = store.create_user(&new_user(1, "alice", "/")).await.unwrap();
    for round in 0..20_u64 {
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    if i % 2 == 0 {
                        let _ = store.list_users(ACCOUNT, &ListOptions::default()).await;
                    } else {
                        let _ = store.create_access_key(&new_key(i, None)).await;
                    }
                })
            })
            .collect();
        // Let some start, then cancel every one wherever it is.
        tokio::time::sleep(std::time::Duration::from_micros(200 * (round % 5))).await;
        for task in &tasks {
            task.abort();
        }
        for task in tasks {
            let _ = task.await;
        }
    }
    assert_eq!(store.get_user(ACCOUNT, "alice").await.unwrap(), alice);
    assert_eq!(store.list_accounts().await.unwrap().len(), 1);
}

/// The store's futures must be `Send`, or the service could not run them on a multi-threaded
/// runtime (axum handlers): checked at compile time.
#[allow(dead_code, reason = "compile-time check only")]
fn futures_are_send(store: &Store) {
    fn send<T: Send>(_: T) {}
    send(store.create_access_key(&new_key(1, None)));
    send(store.list_users(ACCOUNT, &ListOptions::default()));
    send(store.changes_since(0, 1));
}

fn new_profile(n: usize, name: &str, path: &str, tags: Vec<Tag>) -> NewInstanceProfile {
    NewInstanceProfile {
        account_id: ACCOUNT.into(),
        instance_profile_id: format!("AIPA{n:017}"),
        name: name.into(),
        path: path.into(),
        tags,
        created_at: T0,
    }
}

/// Where the tags of the `n`th test profile (`new_profile(n, ..)`) live.
fn profile_tags(n: usize) -> TagTarget {
    TagTarget::InstanceProfile(format!("AIPA{n:017}"))
}

fn role_names(profile: &InstanceProfileRecord) -> Vec<String> {
    profile.roles.iter().map(|r| r.name.clone()).collect()
}

async fn instance_profiles(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    account(store, OTHER).await;
    let web = store
        .create_instance_profile(&new_profile(1, "Web", "/app/", Vec::new()))
        .await
        .unwrap();
    assert_eq!(web.instance_profile_id, format!("AIPA{:017}", 1));
    assert!(web.roles.is_empty());
    assert_eq!(
        store.get_instance_profile(ACCOUNT, "WEB").await.unwrap(),
        web
    );
    match store
        .create_instance_profile(&new_profile(2, "web", "/", Vec::new()))
        .await
    {
        Err(error @ StoreError::EntityAlreadyExists { .. }) => {
            assert_eq!(error.to_string(), "Instance Profile web already exists.");
        }
        other => panic!("expected EntityAlreadyExists, got {other:?}"),
    }
    let error = store.get_instance_profile(OTHER, "Web").await.unwrap_err();
    assert_eq!(error.to_string(), "Instance Profile Web cannot be found.");
    assert_not_found(
        store.get_instance_profile(ACCOUNT, "nope").await,
        EntityKind::InstanceProfile,
    );
    assert_not_found(
        store
            .create_instance_profile(&NewInstanceProfile {
                account_id: "999999999999".into(),
                ..new_profile(3, "Orphan", "/", Vec::new())
            })
            .await,
        EntityKind::Account,
    );

    // One role per profile; a role may sit in several profiles.
    store.create_role(&new_role(1, "Deploy")).await.unwrap();
    store.create_role(&new_role(2, "Audit")).await.unwrap();
    store
        .add_role_to_instance_profile(ACCOUNT, "web", "deploy")
        .await
        .unwrap();
    assert_limit(
        store
            .add_role_to_instance_profile(ACCOUNT, "Web", "Audit")
            .await,
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
    );
    assert_limit(
        store
            .add_role_to_instance_profile(ACCOUNT, "Web", "Deploy")
            .await,
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
    );
    assert_not_found(
        store
            .add_role_to_instance_profile(ACCOUNT, "Web", "Ghost")
            .await,
        EntityKind::Role,
    );
    assert_not_found(
        store
            .add_role_to_instance_profile(ACCOUNT, "Ghost", "Deploy")
            .await,
        EntityKind::InstanceProfile,
    );
    let got = store.get_instance_profile(ACCOUNT, "Web").await.unwrap();
    assert_eq!(role_names(&got), ["Deploy"]);
    assert_eq!(got.roles[0].role_id, format!("AROA{:017}", 1));
    for (n, name, path) in [(4, "Batch", "/"), (5, "api", "/app/"), (6, "Cron", "/ops/")] {
        store
            .create_instance_profile(&new_profile(n, name, path, Vec::new()))
            .await
            .unwrap();
    }
    store
        .add_role_to_instance_profile(ACCOUNT, "Cron", "Deploy")
        .await
        .unwrap();
    store
        .add_role_to_instance_profile(ACCOUNT, "api", "Audit")
        .await
        .unwrap();

    // Listing: name order, path prefix, pages.
    let all = store
        .list_instance_profiles(ACCOUNT, &ListOptions::default())
        .await
        .unwrap();
    assert_eq!(names(&all, |p| &p.name), ["api", "Batch", "Cron", "Web"]);
    assert_eq!(role_names(&all.items[0]), ["Audit"]);
    assert!(all.items[1].roles.is_empty());
    let app = store
        .list_instance_profiles(
            ACCOUNT,
            &ListOptions {
                path_prefix: Some("/app/".into()),
                ..ListOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(names(&app, |p| &p.name), ["api", "Web"]);
    let first = store
        .list_instance_profiles(
            ACCOUNT,
            &ListOptions {
                max_items: 3,
                ..ListOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(names(&first, |p| &p.name), ["api", "Batch", "Cron"]);
    let rest = store
        .list_instance_profiles(
            ACCOUNT,
            &ListOptions {
                marker: first.next_marker.clone(),
                max_items: 3,
                ..ListOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(names(&rest, |p| &p.name), ["Web"]);
    assert_eq!(rest.next_marker, None);
    assert!(
        store
            .list_instance_profiles(OTHER, &ListOptions::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );

    let for_deploy = store
        .list_instance_profiles_for_role(ACCOUNT, "DEPLOY", &ListOptions::default())
        .await
        .unwrap();
    assert_eq!(names(&for_deploy, |p| &p.name), ["Cron", "Web"]);
    let one = store
        .list_instance_profiles_for_role(
            ACCOUNT,
            "Deploy",
            &ListOptions {
                max_items: 1,
                ..ListOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(names(&one, |p| &p.name), ["Cron"]);
    assert!(one.next_marker.is_some());
    assert_not_found(
        store
            .list_instance_profiles_for_role(ACCOUNT, "Ghost", &ListOptions::default())
            .await,
        EntityKind::Role,
    );

    // Removing: only a role that is in the profile.
    assert_not_found(
        store
            .remove_role_from_instance_profile(ACCOUNT, "Web", "Audit")
            .await,
        EntityKind::Role,
    );
    store
        .remove_role_from_instance_profile(ACCOUNT, "web", "deploy")
        .await
        .unwrap();
    assert!(
        store
            .get_instance_profile(ACCOUNT, "Web")
            .await
            .unwrap()
            .roles
            .is_empty()
    );
    store
        .add_role_to_instance_profile(ACCOUNT, "Web", "Audit")
        .await
        .unwrap();
    assert_eq!(
        role_names(&store.get_instance_profile(ACCOUNT, "Web").await.unwrap()),
        ["Audit"]
    );
    // A role renamed or updated is seen through the profile (it is held by id).
    store
        .update_role(
            ACCOUNT,
            "Audit",
            &RoleUpdate {
                description: Some("new".into()),
                max_session_duration: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .get_instance_profile(ACCOUNT, "Web")
            .await
            .unwrap()
            .roles[0]
            .description
            .as_deref(),
        Some("new")
    );
}

async fn instance_profile_tags_and_conflicts(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    let start = store.current_revision().await.unwrap();
    let created = store
        .create_instance_profile(&new_profile(
            1,
            "Web",
            "/",
            vec![Tag::new("Team", "a"), Tag::new("env", "prod")],
        ))
        .await
        .unwrap();
    let changes = store.changes_since(start, 10).await.unwrap();
    assert!(changes.entries.iter().any(
        |c| c.kind == EntityKind::InstanceProfile && c.entity_id == created.instance_profile_id
    ));
    assert_eq!(
        store.list_tags(&profile_tags(1)).await.unwrap(),
        [Tag::new("env", "prod"), Tag::new("Team", "a")]
    );
    store
        .tag_resource(
            &profile_tags(1),
            &[Tag::new("TEAM", "b"), Tag::new("x", "")],
        )
        .await
        .unwrap();
    assert_eq!(
        store.list_tags(&profile_tags(1)).await.unwrap(),
        [
            Tag::new("env", "prod"),
            Tag::new("TEAM", "b"),
            Tag::new("x", "")
        ]
    );
    store
        .untag_resource(&profile_tags(1), &["team".into(), "absent".into()])
        .await
        .unwrap();
    assert_eq!(
        store.list_tags(&profile_tags(1)).await.unwrap(),
        [Tag::new("env", "prod"), Tag::new("x", "")]
    );
    // Fifty tags at most, all or nothing.
    let many: Vec<Tag> = (0..49).map(|i| Tag::new(format!("k{i}"), "v")).collect();
    assert_limit(
        store.tag_resource(&profile_tags(1), &many).await,
        "Cannot exceed quota for TagsPerEntity: 50",
    );
    assert_eq!(store.list_tags(&profile_tags(1)).await.unwrap().len(), 2);
    assert_limit(
        store
            .create_instance_profile(&new_profile(
                2,
                "Big",
                "/",
                (0..51).map(|i| Tag::new(format!("k{i}"), "v")).collect(),
            ))
            .await,
        "Cannot exceed quota for TagsPerEntity: 50",
    );
    assert_not_found(
        store.get_instance_profile(ACCOUNT, "Big").await,
        EntityKind::InstanceProfile,
    );
    assert_not_found(
        store.tag_resource(&profile_tags(9), &[]).await,
        EntityKind::InstanceProfile,
    );
    assert_not_found(
        store.list_tags(&profile_tags(9)).await,
        EntityKind::InstanceProfile,
    );

    // A profile holding a role and a role held by a profile cannot be deleted.
    store.create_role(&new_role(1, "Deploy")).await.unwrap();
    store
        .add_role_to_instance_profile(ACCOUNT, "Web", "Deploy")
        .await
        .unwrap();
    let reason = "Cannot delete entity, must remove roles from instance profile first.";
    assert_conflict(store.delete_instance_profile(ACCOUNT, "Web").await, reason);
    assert_conflict(store.delete_role(ACCOUNT, "Deploy").await, reason);
    assert_conflict(
        store.delete_account(ACCOUNT).await,
        "Cannot delete entity, must delete roles first.",
    );
    store
        .remove_role_from_instance_profile(ACCOUNT, "Web", "Deploy")
        .await
        .unwrap();
    store.delete_role(ACCOUNT, "Deploy").await.unwrap();
    assert_conflict(
        store.delete_account(ACCOUNT).await,
        "Cannot delete entity, must delete instance profiles first.",
    );
    store.delete_instance_profile(ACCOUNT, "web").await.unwrap();
    assert_not_found(
        store.get_instance_profile(ACCOUNT, "Web").await,
        EntityKind::InstanceProfile,
    );
    assert_not_found(
        store.delete_instance_profile(ACCOUNT, "Web").await,
        EntityKind::InstanceProfile,
    );
    // Its tags went with it: a profile reusing its very id (ids never repeat in practice)
    // finds no tag rows left behind.
    store
        .create_instance_profile(&new_profile(1, "Again", "/", Vec::new()))
        .await
        .unwrap();
    assert!(store.list_tags(&profile_tags(1)).await.unwrap().is_empty());
    store
        .delete_instance_profile(ACCOUNT, "Again")
        .await
        .unwrap();
    // A namesake starts bare.
    store
        .create_instance_profile(&new_profile(3, "Web", "/", Vec::new()))
        .await
        .unwrap();
    assert!(store.list_tags(&profile_tags(3)).await.unwrap().is_empty());
    // Reset empties the new tables too.
    store.create_role(&new_role(2, "Audit")).await.unwrap();
    store
        .add_role_to_instance_profile(ACCOUNT, "Web", "Audit")
        .await
        .unwrap();
    store
        .tag_resource(&profile_tags(3), &[Tag::new("a", "b")])
        .await
        .unwrap();
    store.reset().await.unwrap();
    account(store, ACCOUNT).await;
    assert!(
        store
            .list_instance_profiles(ACCOUNT, &ListOptions::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

/// Issue 9, finding 6: the principals a trust policy names are kept with their unique ids,
/// written with the role and replaced with its trust policy.
async fn finding_6_trust_principals_bound_to_unique_ids(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    let carol = BoundPrincipal {
        arn: format!("arn:aws:iam::{ACCOUNT}:user/carol"),
        unique_id: "AIDA00000000000000001".into(),
    };
    let ops = BoundPrincipal {
        arn: format!("arn:aws:iam::{ACCOUNT}:role/ops/Ops"),
        unique_id: "AROA00000000000000002".into(),
    };
    let mut new = new_role(1, "Deploy");
    new.trust_principals = vec![carol.clone(), ops.clone()];
    let created = store.create_role(&new).await.unwrap();
    assert_eq!(
        created.trust_principals,
        Some(vec![carol.clone(), ops.clone()])
    );
    let got = store.get_role(ACCOUNT, "deploy").await.unwrap();
    assert_eq!(got.trust_principals, Some(vec![carol.clone(), ops]));
    assert!(store.roles_with_unbound_trust(10).await.unwrap().is_empty());
    store
        .update_role_trust_policy(
            ACCOUNT,
            "Deploy",
            &trust("Carol"),
            std::slice::from_ref(&carol),
        )
        .await
        .unwrap();
    let got = store.get_role_by_id(&created.role_id).await.unwrap();
    assert_eq!(got.trust_principals, Some(vec![carol]));
    store
        .update_role_trust_policy(ACCOUNT, "Deploy", &trust("Nobody"), &[])
        .await
        .unwrap();
    let listed = store
        .list_roles(ACCOUNT, &ListOptions::default())
        .await
        .unwrap();
    assert_eq!(listed.items[0].trust_principals, Some(Vec::new()));
}

/// Issue 9's crash rounds: a user, role or policy created with tags is one write, so no crash
/// (nor a tag quota failure) leaves it without them.
async fn tagged_creation_is_one_write(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    let tags = |n: usize| -> Vec<Tag> {
        (0..n)
            .map(|i| Tag::new(format!("k{i}"), format!("v{i}")))
            .collect()
    };
    let mut user = new_user(1, "tagged", "/");
    user.tags = tags(2);
    let user = store.create_user(&user).await.unwrap();
    assert_eq!(
        store
            .list_tags(&TagTarget::User(user.user_id.clone()))
            .await
            .unwrap(),
        tags(2)
    );
    let mut role = new_role(1, "tagged");
    role.tags = tags(3);
    let role = store.create_role(&role).await.unwrap();
    assert_eq!(
        store
            .list_tags(&TagTarget::Role(role.role_id))
            .await
            .unwrap(),
        tags(3)
    );
    let mut policy = new_policy(1, "tagged", "/");
    policy.tags = tags(1);
    let policy = store.create_policy(&policy).await.unwrap();
    assert_eq!(
        store
            .list_tags(&TagTarget::Policy(policy.policy_id))
            .await
            .unwrap(),
        tags(1)
    );
    // Past the quota nothing is created.
    let mut over = new_user(2, "over", "/");
    over.tags = tags(51);
    assert_limit(
        store.create_user(&over).await,
        "Cannot exceed quota for TagsPerEntity: 50",
    );
    assert_not_found(store.get_user(ACCOUNT, "over").await, EntityKind::User);
    let mut over = new_role(2, "over");
    over.tags = tags(51);
    assert_limit(
        store.create_role(&over).await,
        "Cannot exceed quota for TagsPerEntity: 50",
    );
    assert_not_found(store.get_role(ACCOUNT, "over").await, EntityKind::Role);
}

/// A role created with its managed policies (a service-linked role) has them from its first
/// read; past the per-role quota neither the role nor any attachment is written.
async fn role_created_with_policies_is_one_write(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    let arns: Vec<String> = [
        "ReadOnlyAccess",
        "aws-service-role/AWSSupportServiceRolePolicy",
    ]
    .iter()
    .map(|name| format!("arn:aws:iam::aws:policy/{name}"))
    .collect();
    let role = store
        .create_role_with_policies(&new_role(1, "linked"), &arns)
        .await
        .unwrap();
    let principal = Principal::role(&role.role_id);
    assert_eq!(
        store.list_attached_policies(&principal).await.unwrap(),
        arns
    );
    assert_eq!(
        store
            .list_entities_for_policy(ACCOUNT, &arns[0])
            .await
            .unwrap()
            .len(),
        1
    );
    let eleven: Vec<String> = (0..11)
        .map(|i| format!("arn:aws:iam::aws:policy/P{i}"))
        .collect();
    assert_limit(
        store
            .create_role_with_policies(&new_role(2, "over"), &eleven)
            .await,
        "Cannot exceed quota for PoliciesPerRole: 10",
    );
    assert_not_found(store.get_role(ACCOUNT, "over").await, EntityKind::Role);
    // A taken name leaves no attachment behind either.
    assert!(matches!(
        store
            .create_role_with_policies(&new_role(3, "LINKED"), &arns)
            .await,
        Err(StoreError::EntityAlreadyExists { .. })
    ));
    assert!(
        store
            .list_attached_policies(&Principal::role(&new_role(3, "x").role_id))
            .await
            .unwrap()
            .is_empty()
    );
}

/// Migration 4 on a database written before it: instance profiles' tags move from their own
/// table into the one tags table with their account, other tags stay, the old table goes.
/// Run on both backends from the migrations' own SQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_4_moves_instance_profile_tags_into_the_tags_table() {
    use sqlx::Connection as _;
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    let backends: [(&str, [&str; 4]); 2] = [
        (
            &sqlite,
            [
                include_str!("../migrations/sqlite/0001_initial.sql"),
                include_str!("../migrations/sqlite/0002_instance_profiles.sql"),
                include_str!("../migrations/sqlite/0003_trust_principals.sql"),
                include_str!("../migrations/sqlite/0004_one_tags_table.sql"),
            ],
        ),
        (
            &support::empty_postgres_database().await,
            [
                include_str!("../migrations/postgres/0001_initial.sql"),
                include_str!("../migrations/postgres/0002_instance_profiles.sql"),
                include_str!("../migrations/postgres/0003_trust_principals.sql"),
                include_str!("../migrations/postgres/0004_one_tags_table.sql"),
            ],
        ),
    ];
    sqlx::any::install_default_drivers();
    for (url, [first, second, third, fourth]) in backends {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        for sql in [first, second, third] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "INSERT INTO accounts (account_id, email, email_lower, created_at) \
                 VALUES ('{ACCOUNT}', 'a@example.com', 'a@example.com', {T0}); \
             INSERT INTO instance_profiles (instance_profile_id, account_id, name, name_lower, \
                 path, created_at) VALUES ('AIPA1', '{ACCOUNT}', 'Web', 'web', '/', {T0}); \
             INSERT INTO instance_profile_tags (instance_profile_id, tag_key, key_lower, \
                 tag_value) VALUES ('AIPA1', 'Team', 'team', 'blue'); \
             INSERT INTO tags (account_id, resource_kind, resource_id, tag_key, key_lower, \
                 tag_value) VALUES ('{ACCOUNT}', 'user', 'AIDA1', 'env', 'env', 'prod');"
        )))
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(fourth))
            .execute(&mut conn)
            .await
            .unwrap();
        let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT account_id, resource_kind, resource_id, tag_key, tag_value FROM tags \
             ORDER BY resource_kind",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let expected = |kind: &str, id: &str, key: &str, value: &str| {
            (
                ACCOUNT.to_owned(),
                kind.to_owned(),
                id.to_owned(),
                key.to_owned(),
                value.to_owned(),
            )
        };
        assert_eq!(
            rows,
            [
                expected("instance-profile", "AIPA1", "Team", "blue"),
                expected("user", "AIDA1", "env", "prod"),
            ],
            "{url}"
        );
        let old_table = sqlx::query("SELECT 1 FROM instance_profile_tags")
            .fetch_all(&mut conn)
            .await;
        assert!(old_table.is_err(), "{url}: the old table is gone");
        conn.close().await.unwrap();
    }
}

fn new_credential(
    n: usize,
    user_id: Option<&str>,
    kind: CredentialKind,
    fingerprint: &str,
    service: Option<&str>,
) -> UserCredentialRecord {
    UserCredentialRecord {
        credential_id: format!("CRED{n:017}"),
        account_id: ACCOUNT.into(),
        user_id: user_id.map(str::to_owned),
        kind,
        status: AccessKeyStatus::Active,
        body: format!("body {n}"),
        fingerprint: Some(fingerprint.to_owned()),
        service_name: service.map(str::to_owned),
        service_user_name: service.map(|_| "alice-at-111122223333".to_owned()),
        secret_ciphertext: service.map(|_| vec![0, 255, u8::try_from(n % 256).unwrap()]),
        created_at: T0 + i64::try_from(n).unwrap(),
        expires_at: None,
    }
}

async fn user_credentials(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    let alice = store.create_user(&new_user(1, "alice", "/")).await.unwrap();
    let bob = store.create_user(&new_user(2, "bob", "/")).await.unwrap();
    let (a, b) = (Some(alice.user_id.as_str()), Some(bob.user_id.as_str()));
    let ssh = CredentialKind::SshPublicKey;
    let cert = CredentialKind::SigningCertificate;
    let service = CredentialKind::ServiceSpecific;

    // SSH keys: five per user; the same key twice for one user is a duplicate, not for two.
    for n in 1..=5 {
        let fingerprint = format!("fp{n}");
        store
            .create_user_credential(&new_credential(n, a, ssh, &fingerprint, None))
            .await
            .unwrap();
    }
    let duplicate = store
        .create_user_credential(&new_credential(6, a, ssh, "fp1", None))
        .await;
    assert!(matches!(
        duplicate,
        Err(StoreError::EntityAlreadyExists {
            kind: EntityKind::SshPublicKey,
            ..
        })
    ));
    assert_limit(
        store
            .create_user_credential(&new_credential(7, a, ssh, "fp7", None))
            .await,
        "Cannot exceed quota for SSHPublicKeysPerUser: 5",
    );
    store
        .create_user_credential(&new_credential(8, b, ssh, "fp1", None))
        .await
        .unwrap();

    // Signing certificates: the same certificate is a duplicate across users, and the
    // root's (no user) count apart from the users'.
    store
        .create_user_credential(&new_credential(10, a, cert, "c1", None))
        .await
        .unwrap();
    let taken = store
        .create_user_credential(&new_credential(11, b, cert, "c1", None))
        .await;
    assert!(matches!(
        taken,
        Err(StoreError::EntityAlreadyExists {
            kind: EntityKind::SigningCertificate,
            ..
        })
    ));
    for n in [12, 13] {
        let fingerprint = format!("c{n}");
        store
            .create_user_credential(&new_credential(n, None, cert, &fingerprint, None))
            .await
            .unwrap();
    }
    assert_limit(
        store
            .create_user_credential(&new_credential(14, None, cert, "c14", None))
            .await,
        "Cannot exceed quota for CertificatesPerUser: 2",
    );
    let root_certs = store
        .list_user_credentials(ACCOUNT, None, cert)
        .await
        .unwrap();
    assert_eq!(root_certs.len(), 2);

    // Service-specific credentials: two per user and service.
    let codecommit = Some("codecommit.amazonaws.com");
    for n in [20, 21] {
        store
            .create_user_credential(&new_credential(n, a, service, &format!("s{n}"), codecommit))
            .await
            .unwrap();
    }
    assert_limit(
        store
            .create_user_credential(&new_credential(22, a, service, "s22", codecommit))
            .await,
        "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2",
    );
    let keyspaces = Some("cassandra.amazonaws.com");
    store
        .create_user_credential(&new_credential(23, a, service, "s23", keyspaces))
        .await
        .unwrap();

    // Reads, status, secret reset, deletion.
    let listed = store.list_user_credentials(ACCOUNT, a, ssh).await.unwrap();
    assert_eq!(listed.len(), 5);
    assert_eq!(listed[0], new_credential(1, a, ssh, "fp1", None));
    let id = listed[0].credential_id.clone();
    store
        .update_user_credential_status(ACCOUNT, ssh, &id, AccessKeyStatus::Inactive)
        .await
        .unwrap();
    let got = store.get_user_credential(ACCOUNT, ssh, &id).await.unwrap();
    assert_eq!(got.status, AccessKeyStatus::Inactive);
    // The id of one kind is not found as another.
    assert_not_found(
        store.get_user_credential(ACCOUNT, cert, &id).await,
        EntityKind::SigningCertificate,
    );
    let secret_id = new_credential(20, a, service, "", None).credential_id;
    store
        .reset_user_credential_secret(ACCOUNT, &secret_id, &[9, 9, 9])
        .await
        .unwrap();
    let reset = store
        .get_user_credential(ACCOUNT, service, &secret_id)
        .await
        .unwrap();
    assert_eq!(reset.secret_ciphertext, Some(vec![9, 9, 9]));
    assert_eq!(
        store
            .list_account_credentials(ACCOUNT, service)
            .await
            .unwrap()
            .len(),
        3
    );

    // DeleteUser waits for every kind to go.
    assert_conflict(
        store.delete_user(ACCOUNT, "bob").await,
        "Cannot delete entity, must delete SSH public keys first.",
    );
    let bobs = store.list_user_credentials(ACCOUNT, b, ssh).await.unwrap();
    store
        .delete_user_credential(ACCOUNT, ssh, &bobs[0].credential_id)
        .await
        .unwrap();
    assert_not_found(
        store
            .delete_user_credential(ACCOUNT, ssh, &bobs[0].credential_id)
            .await,
        EntityKind::SshPublicKey,
    );
    store.delete_user(ACCOUNT, "bob").await.unwrap();
    assert_conflict(
        store.delete_user(ACCOUNT, "alice").await,
        "Cannot delete entity, must delete signing certificates first.",
    );
}

async fn account_settings(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    account(store, OTHER).await;
    assert_eq!(
        store
            .get_account(ACCOUNT)
            .await
            .unwrap()
            .global_endpoint_token_version,
        1
    );
    store
        .set_global_endpoint_token_version(ACCOUNT, 2)
        .await
        .unwrap();
    let accounts = store.list_accounts().await.unwrap();
    let versions: Vec<i32> = accounts
        .iter()
        .map(|a| a.global_endpoint_token_version)
        .collect();
    assert_eq!(versions, [2, 1]);
    assert_not_found(
        store
            .set_global_endpoint_token_version("999999999999", 2)
            .await,
        EntityKind::Account,
    );

    assert!(
        store
            .list_account_properties(ACCOUNT)
            .await
            .unwrap()
            .is_empty()
    );
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    store
        .put_account_properties(ACCOUNT, &[pair("Ns/B", "1"), pair("Ns/A", "true")])
        .await
        .unwrap();
    store
        .put_account_properties(ACCOUNT, &[pair("Ns/B", "2")])
        .await
        .unwrap();
    assert_eq!(
        store.list_account_properties(ACCOUNT).await.unwrap(),
        [pair("Ns/A", "true"), pair("Ns/B", "2")]
    );
    assert!(
        store
            .list_account_properties(OTHER)
            .await
            .unwrap()
            .is_empty()
    );
    store.reset().await.unwrap();
    assert_not_found(store.get_account(ACCOUNT).await, EntityKind::Account);
}

fn new_certificate(n: usize, name: &str, path: &str, tags: Vec<Tag>) -> NewServerCertificate {
    NewServerCertificate {
        account_id: ACCOUNT.into(),
        server_certificate_id: format!("ASCA{n:017}"),
        name: name.into(),
        path: path.into(),
        certificate_body: format!(
            "-----BEGIN CERTIFICATE-----\nbody {n}\n-----END CERTIFICATE-----"
        ),
        certificate_chain: n.is_multiple_of(2).then(|| format!("chain {n}")),
        private_key_ciphertext: vec![1, 2, 3, u8::try_from(n % 256).unwrap()],
        uploaded_at: T0,
        expires_at: T0 + 86_400,
        tags,
    }
}

/// Where the tags of the `n`th test certificate (`new_certificate(n, ..)`) live.
fn certificate_tags(n: usize) -> TagTarget {
    TagTarget::ServerCertificate(format!("ASCA{n:017}"))
}

async fn server_certificates(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    account(store, OTHER).await;
    let start = store.current_revision().await.unwrap();
    let web = store
        .create_server_certificate(&new_certificate(1, "Web", "/cloudfront/", Vec::new()))
        .await
        .unwrap();
    let changes = store.changes_since(start, 10).await.unwrap();
    assert!(changes.entries.iter().any(|c| {
        c.kind == EntityKind::ServerCertificate && c.entity_id == web.server_certificate_id
    }));
    let got = store.get_server_certificate(ACCOUNT, "WEB").await.unwrap();
    assert_eq!(got, web);
    assert_eq!(got.certificate_chain, None);
    assert_eq!(got.expires_at, T0 + 86_400);
    match store
        .create_server_certificate(&new_certificate(2, "web", "/", Vec::new()))
        .await
    {
        Err(error @ StoreError::EntityAlreadyExists { .. }) => assert_eq!(
            error.to_string(),
            "The Server Certificate with name web already exists."
        ),
        other => panic!("expected EntityAlreadyExists, got {other:?}"),
    }
    let missing = store
        .get_server_certificate(OTHER, "Web")
        .await
        .unwrap_err();
    assert_eq!(
        missing.to_string(),
        "The Server Certificate with name Web cannot be found."
    );
    for (n, name, path) in [(3, "api", "/cloudfront/prod/"), (4, "Batch", "/")] {
        store
            .create_server_certificate(&new_certificate(n, name, path, Vec::new()))
            .await
            .unwrap();
    }
    let listed = |account: &'static str, path_prefix: Option<&str>, marker, max_items| {
        let options = ListOptions {
            path_prefix: path_prefix.map(str::to_owned),
            marker,
            max_items,
        };
        async move {
            let page = store
                .list_server_certificates(account, &options)
                .await
                .unwrap();
            (names(&page, |c| &c.name), page)
        }
    };
    let (all, page) = listed(ACCOUNT, None, None, 100).await;
    assert_eq!(all, ["api", "Batch", "Web"]);
    assert_eq!(page.items[1].certificate_chain.as_deref(), Some("chain 4"));
    let (cloudfront, _) = listed(ACCOUNT, Some("/cloudfront/"), None, 100).await;
    assert_eq!(cloudfront, ["api", "Web"]);
    let (first, page) = listed(ACCOUNT, None, None, 2).await;
    assert_eq!(first, ["api", "Batch"]);
    let (rest, page) = listed(ACCOUNT, None, page.next_marker, 2).await;
    assert_eq!((rest, page.next_marker), (vec!["Web".to_owned()], None));
    assert!(listed(OTHER, None, None, 100).await.0.is_empty());

    // Rename and move: the id stays; a taken name is refused and nothing changes.
    let moved = store
        .update_server_certificate(ACCOUNT, "web", Some("Site"), Some("/edge/"))
        .await
        .unwrap();
    assert_eq!(moved.server_certificate_id, web.server_certificate_id);
    assert_eq!(
        (moved.name.as_str(), moved.path.as_str()),
        ("Site", "/edge/")
    );
    assert_eq!(
        store.get_server_certificate(ACCOUNT, "site").await.unwrap(),
        moved
    );
    assert_not_found(
        store.get_server_certificate(ACCOUNT, "Web").await,
        EntityKind::ServerCertificate,
    );
    match store
        .update_server_certificate(ACCOUNT, "Site", Some("API"), None)
        .await
    {
        Err(StoreError::EntityAlreadyExists { .. }) => {}
        other => panic!("expected EntityAlreadyExists, got {other:?}"),
    }
    assert_eq!(
        store.get_server_certificate(ACCOUNT, "Site").await.unwrap(),
        moved
    );
    assert_not_found(
        store
            .update_server_certificate(ACCOUNT, "Ghost", None, Some("/"))
            .await,
        EntityKind::ServerCertificate,
    );
}

async fn server_certificate_tags_quota_and_deletion(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    store
        .create_server_certificate(&new_certificate(
            1,
            "Web",
            "/",
            vec![Tag::new("Team", "a"), Tag::new("env", "prod")],
        ))
        .await
        .unwrap();
    assert_eq!(
        store.list_tags(&certificate_tags(1)).await.unwrap(),
        [Tag::new("env", "prod"), Tag::new("Team", "a")]
    );
    store
        .tag_resource(&certificate_tags(1), &[Tag::new("TEAM", "b")])
        .await
        .unwrap();
    store
        .untag_resource(&certificate_tags(1), &["env".into(), "absent".into()])
        .await
        .unwrap();
    assert_eq!(
        store.list_tags(&certificate_tags(1)).await.unwrap(),
        [Tag::new("TEAM", "b")]
    );
    // Past fifty tags nothing is created.
    assert_limit(
        store
            .create_server_certificate(&new_certificate(
                2,
                "Big",
                "/",
                (0..51).map(|i| Tag::new(format!("k{i}"), "v")).collect(),
            ))
            .await,
        "Cannot exceed quota for TagsPerEntity: 50",
    );
    assert_not_found(
        store.get_server_certificate(ACCOUNT, "Big").await,
        EntityKind::ServerCertificate,
    );
    assert_not_found(
        store.list_tags(&certificate_tags(2)).await,
        EntityKind::ServerCertificate,
    );

    // Twenty per account: the twenty-first is refused whole; another account has its own.
    for n in 3..=21 {
        store
            .create_server_certificate(&new_certificate(n, &format!("c{n}"), "/", Vec::new()))
            .await
            .unwrap();
    }
    let over = new_certificate(22, "c22", "/", vec![Tag::new("k", "v")]);
    assert_limit(
        store.create_server_certificate(&over).await,
        "Cannot exceed quota for ServerCertificatesPerAccount: 20",
    );
    assert_not_found(
        store.get_server_certificate(ACCOUNT, "c22").await,
        EntityKind::ServerCertificate,
    );
    account(store, OTHER).await;
    store
        .create_server_certificate(&NewServerCertificate {
            account_id: OTHER.into(),
            ..new_certificate(23, "c22", "/", Vec::new())
        })
        .await
        .unwrap();

    // A deleted certificate goes with its tags and frees its place in the quota.
    store
        .delete_server_certificate(ACCOUNT, "web")
        .await
        .unwrap();
    assert_not_found(
        store.delete_server_certificate(ACCOUNT, "Web").await,
        EntityKind::ServerCertificate,
    );
    store.create_server_certificate(&over).await.unwrap();
    for n in 3..=22 {
        store
            .delete_server_certificate(ACCOUNT, &format!("c{n}"))
            .await
            .unwrap();
    }
    // No tag rows were left behind: a certificate reusing the first one's id has none.
    store
        .create_server_certificate(&new_certificate(1, "Again", "/", Vec::new()))
        .await
        .unwrap();
    assert!(
        store
            .list_tags(&certificate_tags(1))
            .await
            .unwrap()
            .is_empty()
    );
    assert_conflict(
        store.delete_account(ACCOUNT).await,
        "Cannot delete entity, must delete server certificates first.",
    );
    store
        .delete_server_certificate(ACCOUNT, "Again")
        .await
        .unwrap();
    store.delete_account(ACCOUNT).await.unwrap();
    // Reset empties the table too.
    store.reset().await.unwrap();
    account(store, OTHER).await;
    assert!(
        store
            .list_server_certificates(OTHER, &ListOptions::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

fn signing_key(key_id: &str, account_id: &str) -> SigningKeyRecord {
    SigningKeyRecord {
        key_id: key_id.into(),
        account_id: account_id.into(),
        algorithm: "ES384".into(),
        private_key_ciphertext: vec![1, 2, 3],
        public_jwk: format!(r#"{{"kid":"{key_id}"}}"#),
        created_at: T0,
    }
}

async fn outbound_federation(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    account(store, OTHER).await;
    assert_eq!(store.get_outbound_federation(ACCOUNT).await.unwrap(), None);
    assert!(!store.disable_outbound_federation(ACCOUNT).await.unwrap());

    let keys = [signing_key("k1", ACCOUNT)];
    let Enabling::Enabled(first) = store
        .enable_outbound_federation(ACCOUNT, "issuer-1", &keys, T0)
        .await
        .unwrap()
    else {
        panic!("first enable must enable");
    };
    assert!(first.enabled);
    assert_eq!(first.issuer_id, "issuer-1");
    // Enabling again changes nothing and says so.
    let again = store
        .enable_outbound_federation(ACCOUNT, "issuer-2", &[signing_key("k2", ACCOUNT)], T0 + 1)
        .await
        .unwrap();
    assert_eq!(again, Enabling::AlreadyEnabled(first.clone()));
    assert_eq!(
        store.list_outbound_signing_keys(ACCOUNT).await.unwrap(),
        keys
    );

    // Disabled: the issuer and keys stay; enabling again brings them back unchanged.
    assert!(store.disable_outbound_federation(ACCOUNT).await.unwrap());
    assert!(!store.disable_outbound_federation(ACCOUNT).await.unwrap());
    let disabled = store
        .get_outbound_federation(ACCOUNT)
        .await
        .unwrap()
        .unwrap();
    assert!(!disabled.enabled);
    let back = store
        .enable_outbound_federation(ACCOUNT, "issuer-3", &[signing_key("k3", ACCOUNT)], T0 + 2)
        .await
        .unwrap();
    assert_eq!(back, Enabling::Enabled(first.clone()));
    assert_eq!(
        store.list_outbound_signing_keys(ACCOUNT).await.unwrap(),
        keys
    );
    assert_eq!(
        store
            .outbound_federation_by_issuer("issuer-1")
            .await
            .unwrap(),
        Some(first)
    );
    assert_eq!(
        store
            .outbound_federation_by_issuer("issuer-3")
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.get_outbound_federation(OTHER).await.unwrap(), None);
    assert_not_found(
        store
            .enable_outbound_federation("999999999999", "issuer-9", &[], T0)
            .await,
        EntityKind::Account,
    );

    // An issuer id is one account's only.
    assert!(
        store
            .enable_outbound_federation(OTHER, "issuer-1", &[signing_key("k4", OTHER)], T0)
            .await
            .is_err()
    );
    assert_eq!(store.get_outbound_federation(OTHER).await.unwrap(), None);

    store.delete_account(ACCOUNT).await.unwrap();
    assert_eq!(
        store
            .outbound_federation_by_issuer("issuer-1")
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .list_outbound_signing_keys(ACCOUNT)
            .await
            .unwrap()
            .is_empty()
    );
    store
        .enable_outbound_federation(OTHER, "issuer-5", &[signing_key("k5", OTHER)], T0)
        .await
        .unwrap();
    store.reset().await.unwrap();
    assert_eq!(
        store
            .outbound_federation_by_issuer("issuer-5")
            .await
            .unwrap(),
        None
    );
}

fn new_mfa(name: &str) -> NewMfaDevice {
    NewMfaDevice {
        serial_number: format!("arn:aws:iam::{ACCOUNT}:mfa/{name}"),
        account_id: ACCOUNT.to_owned(),
        seed_ciphertext: vec![7; 24],
        created_at: T0,
        tags: vec![Tag {
            key: "k".into(),
            value: "v".into(),
        }],
    }
}

async fn mfa_devices(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    let alice = store.create_user(&new_user(1, "alice", "/")).await.unwrap();
    let one = store.create_mfa_device(&new_mfa("one")).await.unwrap();
    let serial = one.serial_number.clone();
    assert_eq!(store.get_mfa_device(ACCOUNT, &serial).await.unwrap(), one);
    let taken = store.create_mfa_device(&new_mfa("ONE")).await.unwrap_err();
    assert!(
        matches!(taken, StoreError::EntityAlreadyExists { .. }),
        "{taken:?}"
    );
    let target = TagTarget::MfaDevice(serial.clone());
    assert_eq!(store.list_tags(&target).await.unwrap().len(), 1);
    for n in 2..=9 {
        store
            .create_mfa_device(&new_mfa(&format!("d{n}")))
            .await
            .unwrap();
    }
    let me = MfaOwner::User(alice.user_id.clone());
    for n in 2..=9 {
        let device = format!("arn:aws:iam::{ACCOUNT}:mfa/d{n}");
        store
            .enable_mfa_device(ACCOUNT, &device, &me, (T0, n))
            .await
            .unwrap();
    }
    let quota = store
        .enable_mfa_device(ACCOUNT, &serial, &me, (T0, 1))
        .await
        .unwrap_err();
    assert!(
        matches!(quota, StoreError::LimitExceeded { limit: 8, .. }),
        "{quota:?}"
    );
    store
        .enable_mfa_device(ACCOUNT, &serial, &MfaOwner::Root, (T0, 10))
        .await
        .unwrap();
    let again = store
        .enable_mfa_device(ACCOUNT, &serial, &MfaOwner::Root, (T0, 10))
        .await
        .unwrap_err();
    assert!(
        matches!(again, StoreError::EntityAlreadyExists { .. }),
        "{again:?}"
    );
    assert_eq!(
        store.list_mfa_devices_of(ACCOUNT, &me).await.unwrap().len(),
        8
    );
    assert_eq!(
        store
            .list_mfa_devices_of(ACCOUNT, &MfaOwner::Root)
            .await
            .unwrap()[0]
            .serial_number,
        serial
    );
    let counts = store.mfa_counts(ACCOUNT).await.unwrap();
    assert_eq!(
        (counts.devices, counts.in_use, counts.root_enabled),
        (9, 9, true)
    );
    store
        .resync_mfa_device(ACCOUNT, &serial, (10, -2))
        .await
        .unwrap();
    let resynced = store.get_mfa_device(ACCOUNT, &serial).await.unwrap();
    assert_eq!(
        (resynced.last_used_step, resynced.drift_steps),
        (Some(10), -2)
    );
    // Steps only move forwards.
    assert!(!store.spend_mfa_step(&serial, 10).await.unwrap());
    assert!(store.spend_mfa_step(&serial, 11).await.unwrap());
    assert!(!store.spend_mfa_step(&serial, 11).await.unwrap());
    // Lists, by assignment and in pages.
    let all = ListOptions {
        max_items: 4,
        ..ListOptions::default()
    };
    let page = store
        .list_virtual_mfa_devices(ACCOUNT, Assignment::Any, &all)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 4);
    let rest = store
        .list_virtual_mfa_devices(
            ACCOUNT,
            Assignment::Any,
            &ListOptions {
                marker: page.next_marker.clone(),
                max_items: 100,
                ..ListOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 5);
    let unassigned = store
        .list_virtual_mfa_devices(ACCOUNT, Assignment::Unassigned, &ListOptions::default())
        .await
        .unwrap();
    assert!(unassigned.items.is_empty());
    // Deleting waits for deactivation; the user waits for its devices.
    let conflict = store.delete_mfa_device(ACCOUNT, &serial).await.unwrap_err();
    assert!(
        matches!(conflict, StoreError::DeleteConflict { .. }),
        "{conflict:?}"
    );
    let user_conflict = store.delete_user(ACCOUNT, "alice").await.unwrap_err();
    assert_eq!(
        user_conflict.to_string(),
        "Cannot delete entity, must delete MFA device first."
    );
    let not_mine = store
        .deactivate_mfa_device(ACCOUNT, &serial, &me)
        .await
        .unwrap_err();
    assert!(
        matches!(not_mine, StoreError::NoSuchEntity { .. }),
        "{not_mine:?}"
    );
    store
        .deactivate_mfa_device(ACCOUNT, &serial, &MfaOwner::Root)
        .await
        .unwrap();
    let deactivated = store.get_mfa_device(ACCOUNT, &serial).await.unwrap();
    assert_eq!(
        (deactivated.owner, deactivated.last_used_step),
        (None, Some(11))
    );
    store.delete_mfa_device(ACCOUNT, &serial).await.unwrap();
    let gone = store.get_mfa_device(ACCOUNT, &serial).await.unwrap_err();
    assert_eq!(
        gone.to_string(),
        format!("VirtualMFADevice with serial number {serial} doesn't exist.")
    );
    // Its tags went with it: a device of the same serial number starts bare.
    let mut bare = new_mfa("one");
    bare.tags.clear();
    store.create_mfa_device(&bare).await.unwrap();
    assert!(store.list_tags(&target).await.unwrap().is_empty());
}

/// Console sessions: stored and read whole (a federated one with its sealed role session),
/// touched, ended, and swept once past their end.
async fn console_sessions(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    let user = ConsoleSessionRecord {
        id_hash: "a".repeat(64),
        account_id: ACCOUNT.to_owned(),
        user_id: Some("AIDAEXAMPLE000000001".to_owned()),
        mfa: true,
        password_change: false,
        created_at: T0,
        last_seen_at: T0,
        expires_at: T0 + 100,
        role_session: None,
    };
    let federated = ConsoleSessionRecord {
        id_hash: "b".repeat(64),
        user_id: None,
        mfa: false,
        role_session: Some("c2VhbGVkIHJvbGUgc2Vzc2lvbg==".to_owned()),
        expires_at: T0 + 3_600,
        ..user.clone()
    };
    store.create_console_session(&user).await.unwrap();
    store.create_console_session(&federated).await.unwrap();
    for session in [&user, &federated] {
        let read = store.get_console_session(&session.id_hash).await.unwrap();
        assert_eq!(read.as_ref(), Some(session));
    }
    store
        .touch_console_session(&user.id_hash, T0 + 50)
        .await
        .unwrap();
    let touched = store.get_console_session(&user.id_hash).await.unwrap();
    assert_eq!(touched.map(|s| s.last_seen_at), Some(T0 + 50));
    store
        .delete_console_session(&federated.id_hash)
        .await
        .unwrap();
    assert_eq!(
        store.get_console_session(&federated.id_hash).await.unwrap(),
        None
    );
    // A new session sweeps those past their end.
    let later = ConsoleSessionRecord {
        id_hash: "d".repeat(64),
        created_at: T0 + 200,
        last_seen_at: T0 + 200,
        expires_at: T0 + 300,
        ..user.clone()
    };
    store.create_console_session(&later).await.unwrap();
    assert_eq!(
        store.get_console_session(&user.id_hash).await.unwrap(),
        None
    );
}

fn new_oidc(
    account_id: &str,
    resource: &str,
    client_ids: &[&str],
    tags: Vec<Tag>,
) -> NewOidcProvider {
    NewOidcProvider {
        provider: OidcProviderRecord {
            account_id: account_id.into(),
            resource: resource.into(),
            url: format!("https://{resource}"),
            client_ids: client_ids.iter().map(|&c| c.to_owned()).collect(),
            thumbprints: vec!["a".repeat(40), "b".repeat(40), "a".repeat(40)],
            created_at: T0,
        },
        tags,
    }
}

async fn oidc_providers(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    account(store, OTHER).await;
    let start = store.current_revision().await.unwrap();
    let tags = vec![Tag::new("team", "id")];
    let created = store
        .create_oidc_provider(&new_oidc(
            ACCOUNT,
            "idp.example.com/r",
            &["b", "a", "b"],
            tags,
        ))
        .await
        .unwrap();
    let arn = format!("arn:aws:iam::{ACCOUNT}:oidc-provider/idp.example.com/r");
    assert_eq!(created.arn(), arn);
    // Order kept, duplicates once.
    assert_eq!(created.client_ids, ["b", "a"]);
    assert_eq!(created.thumbprints, ["a".repeat(40), "b".repeat(40)]);
    let changes = store.changes_since(start, 10).await.unwrap();
    assert!(
        changes
            .entries
            .iter()
            .any(|c| c.kind == EntityKind::OidcProvider && c.entity_id == arn)
    );
    assert_eq!(
        store
            .get_oidc_provider(ACCOUNT, "idp.example.com/r")
            .await
            .unwrap(),
        created
    );
    let target = TagTarget::OidcProvider(arn.clone());
    assert_eq!(
        store.list_tags(&target).await.unwrap(),
        [Tag::new("team", "id")]
    );
    // The resource is the key: another account may hold the same one, this one may not.
    match store
        .create_oidc_provider(&new_oidc(ACCOUNT, "idp.example.com/r", &[], Vec::new()))
        .await
    {
        Err(error @ StoreError::EntityAlreadyExists { .. }) => assert_eq!(
            error.to_string(),
            "Provider with url https://idp.example.com/r already exists."
        ),
        other => panic!("expected EntityAlreadyExists, got {other:?}"),
    }
    store
        .create_oidc_provider(&new_oidc(OTHER, "idp.example.com/r", &[], Vec::new()))
        .await
        .unwrap();
    let missing = store
        .get_oidc_provider(ACCOUNT, "idp.example.com")
        .await
        .unwrap_err();
    assert_eq!(
        missing.to_string(),
        format!(
            "OpenIDConnect Provider not found for arn arn:aws:iam::{ACCOUNT}:oidc-provider/idp.example.com"
        )
    );
    store
        .create_oidc_provider(&new_oidc(ACCOUNT, "a.example.com", &["x"], Vec::new()))
        .await
        .unwrap();
    let listed = store.list_oidc_providers(ACCOUNT).await.unwrap();
    let resources: Vec<_> = listed.iter().map(|p| p.resource.as_str()).collect();
    assert_eq!(resources, ["a.example.com", "idp.example.com/r"]);

    // Client ids: adding one present changes nothing, removing one absent neither.
    let added = store
        .add_oidc_client_id(ACCOUNT, "idp.example.com/r", "c")
        .await
        .unwrap();
    assert_eq!(added.client_ids, ["b", "a", "c"]);
    let again = store
        .add_oidc_client_id(ACCOUNT, "idp.example.com/r", "a")
        .await
        .unwrap();
    assert_eq!(again.client_ids, ["b", "a", "c"]);
    let removed = store
        .remove_oidc_client_id(ACCOUNT, "idp.example.com/r", "a")
        .await
        .unwrap();
    assert_eq!(removed.client_ids, ["b", "c"]);
    let same = store
        .remove_oidc_client_id(ACCOUNT, "idp.example.com/r", "zz")
        .await
        .unwrap();
    assert_eq!(same.client_ids, ["b", "c"]);
    // After a removal the next one still goes last.
    let last = store
        .add_oidc_client_id(ACCOUNT, "idp.example.com/r", "a")
        .await
        .unwrap();
    assert_eq!(last.client_ids, ["b", "c", "a"]);
    let thumbs = vec!["c".repeat(40)];
    let updated = store
        .update_oidc_thumbprints(ACCOUNT, "idp.example.com/r", &thumbs)
        .await
        .unwrap();
    assert_eq!(updated.thumbprints, thumbs);
    let cleared = store
        .update_oidc_thumbprints(ACCOUNT, "idp.example.com/r", &[])
        .await
        .unwrap();
    assert!(cleared.thumbprints.is_empty());

    // A hundred client ids at most, refused whole.
    for n in 3..100 {
        store
            .add_oidc_client_id(ACCOUNT, "idp.example.com/r", &format!("id-{n}"))
            .await
            .unwrap();
    }
    match store
        .add_oidc_client_id(ACCOUNT, "idp.example.com/r", "one-too-many")
        .await
    {
        Err(StoreError::LimitExceeded { limit: 100, .. }) => {}
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
    let full = store
        .get_oidc_provider(ACCOUNT, "idp.example.com/r")
        .await
        .unwrap();
    assert_eq!(full.client_ids.len(), 100);
    let many: Vec<String> = (0..101).map(|n| format!("c{n}")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    match store
        .create_oidc_provider(&new_oidc(ACCOUNT, "many.example.com", &refs, Vec::new()))
        .await
    {
        Err(StoreError::LimitExceeded { limit: 100, .. }) => {}
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
    assert_not_found(
        store.get_oidc_provider(ACCOUNT, "many.example.com").await,
        EntityKind::OidcProvider,
    );

    // Deleting takes the lists and the tags along; the other account's stays.
    store
        .delete_oidc_provider(ACCOUNT, "idp.example.com/r")
        .await
        .unwrap();
    assert_not_found(
        store.get_oidc_provider(ACCOUNT, "idp.example.com/r").await,
        EntityKind::OidcProvider,
    );
    assert_not_found(store.list_tags(&target).await, EntityKind::OidcProvider);
    assert_not_found(
        store
            .delete_oidc_provider(ACCOUNT, "idp.example.com/r")
            .await,
        EntityKind::OidcProvider,
    );
    let recreated = store
        .create_oidc_provider(&new_oidc(ACCOUNT, "idp.example.com/r", &["n"], Vec::new()))
        .await
        .unwrap();
    assert_eq!(recreated.client_ids, ["n"]);
    assert!(store.list_tags(&target).await.unwrap().is_empty());
    assert_eq!(store.list_oidc_providers(OTHER).await.unwrap().len(), 1);
}

async fn oidc_provider_quota(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    for n in 0..100 {
        store
            .create_oidc_provider(&new_oidc(
                ACCOUNT,
                &format!("p{n}.example.com"),
                &[],
                Vec::new(),
            ))
            .await
            .unwrap();
    }
    match store
        .create_oidc_provider(&new_oidc(ACCOUNT, "last.example.com", &[], Vec::new()))
        .await
    {
        Err(error @ StoreError::LimitExceeded { .. }) => assert_eq!(
            error.to_string(),
            "Cannot exceed quota for OpenIdConnectProvidersPerAccount: 100"
        ),
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
    assert_eq!(store.list_oidc_providers(ACCOUNT).await.unwrap().len(), 100);
}

fn private_key(id: &str, at: i64) -> SamlPrivateKeyRecord {
    SamlPrivateKeyRecord {
        key_id: id.into(),
        private_key_ciphertext: id.as_bytes().to_vec(),
        added_at: at,
    }
}

fn new_saml(
    name: &str,
    uuid: &str,
    keys: Vec<SamlPrivateKeyRecord>,
    tags: Vec<Tag>,
) -> NewSamlProvider {
    NewSamlProvider {
        provider: SamlProviderRecord {
            account_id: ACCOUNT.into(),
            name: name.into(),
            saml_provider_uuid: uuid.into(),
            metadata_document: format!("<md:EntityDescriptor entityID=\"{name}\"/>"),
            created_at: T0,
            valid_until: T0 + 100,
            assertion_encryption_mode: None,
            private_keys: keys,
        },
        tags,
    }
}

async fn saml_providers(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    account(store, OTHER).await;
    let start = store.current_revision().await.unwrap();
    let created = store
        .create_saml_provider(&new_saml(
            "Okta",
            "uuid-1",
            vec![private_key("k1", T0)],
            vec![Tag::new("a", "1")],
        ))
        .await
        .unwrap();
    assert_eq!(
        created.arn(),
        format!("arn:aws:iam::{ACCOUNT}:saml-provider/Okta")
    );
    assert_eq!(created.private_keys, [private_key("k1", T0)]);
    let changes = store.changes_since(start, 10).await.unwrap();
    assert!(
        changes
            .entries
            .iter()
            .any(|c| c.kind == EntityKind::SamlProvider && c.entity_id == "uuid-1")
    );
    assert_eq!(
        store.get_saml_provider(ACCOUNT, "OKTA").await.unwrap(),
        created
    );
    // By its unique id, in any account (the console's /saml/acs/<id>), keys included.
    assert_eq!(
        store.find_saml_provider_by_uuid("uuid-1").await.unwrap(),
        Some(created.clone())
    );
    assert_eq!(
        store.find_saml_provider_by_uuid("uuid-404").await.unwrap(),
        None
    );
    let target = TagTarget::SamlProvider("uuid-1".into());
    assert_eq!(
        store.list_tags(&target).await.unwrap(),
        [Tag::new("a", "1")]
    );
    match store
        .create_saml_provider(&new_saml("okta", "uuid-2", Vec::new(), Vec::new()))
        .await
    {
        Err(error @ StoreError::EntityAlreadyExists { .. }) => {
            assert_eq!(error.to_string(), "Provider with name okta already exists.");
        }
        other => panic!("expected EntityAlreadyExists, got {other:?}"),
    }
    let missing = store.get_saml_provider(OTHER, "Okta").await.unwrap_err();
    assert_eq!(
        missing.to_string(),
        format!("SAMLProvider not found for arn arn:aws:iam::{OTHER}:saml-provider/Okta")
    );
    store
        .create_saml_provider(&new_saml("Adfs", "uuid-3", Vec::new(), Vec::new()))
        .await
        .unwrap();
    let names: Vec<_> = store
        .list_saml_providers(ACCOUNT)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.name, p.private_keys.len()))
        .collect();
    assert_eq!(names, [("Adfs".to_owned(), 0), ("Okta".to_owned(), 1)]);

    // Updates: metadata with its expiry, the mode, a key added and one removed in one call.
    let update = SamlProviderUpdate {
        metadata: Some(("<new/>".into(), T0 + 500)),
        assertion_encryption_mode: Some("Required".into()),
        add_private_key: Some(private_key("k2", T0 + 1)),
        remove_private_key: None,
    };
    let updated = store
        .update_saml_provider(ACCOUNT, "okta", &update)
        .await
        .unwrap();
    assert_eq!(updated.metadata_document, "<new/>");
    assert_eq!(updated.valid_until, T0 + 500);
    assert_eq!(
        updated.assertion_encryption_mode.as_deref(),
        Some("Required")
    );
    assert_eq!(
        updated.private_keys,
        [private_key("k1", T0), private_key("k2", T0 + 1)]
    );
    // A third key is refused and nothing of that call is applied.
    let third = SamlProviderUpdate {
        metadata: Some(("<lost/>".into(), T0)),
        add_private_key: Some(private_key("k3", T0 + 2)),
        ..SamlProviderUpdate::default()
    };
    match store.update_saml_provider(ACCOUNT, "Okta", &third).await {
        Err(StoreError::LimitExceeded { limit: 2, .. }) => {}
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
    assert_eq!(
        store.get_saml_provider(ACCOUNT, "Okta").await.unwrap(),
        updated
    );
    // Rotation: removing and adding in one call stays within two.
    let rotate = SamlProviderUpdate {
        add_private_key: Some(private_key("k3", T0 + 2)),
        remove_private_key: Some("k1".into()),
        ..SamlProviderUpdate::default()
    };
    let rotated = store
        .update_saml_provider(ACCOUNT, "Okta", &rotate)
        .await
        .unwrap();
    assert_eq!(
        rotated.private_keys,
        [private_key("k2", T0 + 1), private_key("k3", T0 + 2)]
    );
    assert_eq!(rotated.metadata_document, "<new/>");
    assert_not_found(
        store.update_saml_provider(OTHER, "Okta", &rotate).await,
        EntityKind::SamlProvider,
    );

    store.delete_saml_provider(ACCOUNT, "OKTA").await.unwrap();
    assert_not_found(
        store.get_saml_provider(ACCOUNT, "Okta").await,
        EntityKind::SamlProvider,
    );
    assert_eq!(
        store.find_saml_provider_by_uuid("uuid-1").await.unwrap(),
        None
    );
    assert_not_found(store.list_tags(&target).await, EntityKind::SamlProvider);
    // The keys went too: the same uuid starts with none.
    let again = store
        .create_saml_provider(&new_saml("Okta", "uuid-1", Vec::new(), Vec::new()))
        .await
        .unwrap();
    assert!(again.private_keys.is_empty());
    assert!(store.list_tags(&target).await.unwrap().is_empty());
    store.reset().await.unwrap();
    assert_not_found(
        store.get_saml_provider(ACCOUNT, "Okta").await,
        EntityKind::SamlProvider,
    );
}

/// What `Store::load` reads for the service's in-memory state: every kind, by whole store, by
/// account and by each entity's own scope, each entity with its tags, and no secret (no
/// hash, seed, sealed secret or key is selected).
async fn state_loads_every_kind_without_secrets(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    account(store, OTHER).await;
    let tag = || vec![Tag::new("team", "a")];
    let alice = store.create_user(&new_user(1, "alice", "/")).await.unwrap();
    store
        .create_login_profile(ACCOUNT, "alice", "$argon2id$SECRET", true, T0)
        .await
        .unwrap();
    let device = new_mfa("dev");
    store.create_mfa_device(&device).await.unwrap();
    store
        .enable_mfa_device(
            ACCOUNT,
            &device.serial_number,
            &MfaOwner::User(alice.user_id.clone()),
            (T0, 5),
        )
        .await
        .unwrap();
    let service = CredentialKind::ServiceSpecific;
    let credential = new_credential(1, Some(&alice.user_id), service, "fp", Some("svc"));
    store.create_user_credential(&credential).await.unwrap();
    store
        .create_server_certificate(&new_certificate(1, "web", "/", tag()))
        .await
        .unwrap();
    store
        .create_oidc_provider(&new_oidc(ACCOUNT, "idp.example", &["b", "a"], tag()))
        .await
        .unwrap();
    store
        .create_saml_provider(&new_saml(
            "Corp",
            "uuid-1",
            vec![private_key("k1", T0)],
            tag(),
        ))
        .await
        .unwrap();
    store
        .put_account_properties(ACCOUNT, &[("ns/p".into(), "v".into())])
        .await
        .unwrap();
    store
        .create_instance_profile(&new_profile(1, "ip", "/", tag()))
        .await
        .unwrap();

    let check = |loaded: &Loaded| {
        assert_eq!(loaded.login_profiles.len(), 1);
        let profile = &loaded.login_profiles[0];
        assert_eq!(
            (profile.user_id.as_str(), profile.password_reset_required),
            (alice.user_id.as_str(), true)
        );
        assert_eq!(loaded.mfa_devices.len(), 1);
        assert_eq!(
            loaded.mfa_devices[0].owner,
            Some(MfaOwner::User(alice.user_id.clone()))
        );
        assert_eq!(loaded.credentials.len(), 1);
        let mut expected = credential.clone();
        expected.secret_ciphertext = None;
        assert_eq!(loaded.credentials[0], expected);
        assert_eq!(loaded.server_certificates.len(), 1);
        assert_eq!(loaded.oidc_providers.len(), 1);
        let oidc = &loaded.oidc_providers[0];
        assert_eq!(oidc.client_ids, ["b", "a"]);
        assert_eq!(oidc.thumbprints, ["a".repeat(40), "b".repeat(40)]);
        assert_eq!(loaded.saml_providers.len(), 1);
        let keys: Vec<_> = loaded.saml_providers[0]
            .private_keys
            .iter()
            .map(|k| (k.key_id.as_str(), k.added_at))
            .collect();
        assert_eq!(keys, [("k1", T0)]);
        assert_eq!(
            loaded.account_properties,
            [(ACCOUNT.to_owned(), "ns/p".to_owned(), "v".to_owned())]
        );
        // Tags of every kind that has them here: MFA device, certificate, both providers,
        // instance profile.
        let mut tagged: Vec<&str> = loaded.tags.iter().map(|(t, _)| t.id()).collect();
        tagged.sort_unstable();
        assert_eq!(
            tagged,
            [
                "AIPA00000000000000001",
                "ASCA00000000000000001",
                device.serial_number.as_str(),
                "arn:aws:iam::111122223333:oidc-provider/idp.example",
                "uuid-1",
            ]
        );
        let dump = format!("{loaded:?}");
        assert!(!dump.contains("SECRET"), "a password hash was loaded");
    };
    let everything = store.load(&LoadScope::Everything).await.unwrap();
    check(&everything);
    check(
        &store
            .load(&LoadScope::Account(ACCOUNT.into()))
            .await
            .unwrap(),
    );
    let other = store.load(&LoadScope::Account(OTHER.into())).await.unwrap();
    assert!(other.mfa_devices.is_empty() && other.tags.is_empty());
    assert!(other.login_profiles.is_empty() && other.saml_providers.is_empty());

    // Each entity's own scope reads it alone, with its tags.
    let one = |scope: LoadScope| async move { store.load(&scope).await.unwrap() };
    let loaded = one(LoadScope::User(alice.user_id.clone())).await;
    assert_eq!(loaded.login_profiles.len(), 1);
    assert!(loaded.mfa_devices.is_empty() && loaded.credentials.is_empty());
    let loaded = one(LoadScope::MfaDevice(device.serial_number.clone())).await;
    assert_eq!((loaded.mfa_devices.len(), loaded.tags.len()), (1, 1));
    let loaded = one(LoadScope::Credential(credential.credential_id.clone())).await;
    assert_eq!(loaded.credentials.len(), 1);
    assert!(loaded.credentials[0].secret_ciphertext.is_none());
    let loaded = one(LoadScope::ServerCertificate("ASCA00000000000000001".into())).await;
    assert_eq!(
        (loaded.server_certificates.len(), loaded.tags.len()),
        (1, 1)
    );
    let arn = "arn:aws:iam::111122223333:oidc-provider/idp.example";
    let loaded = one(LoadScope::OidcProvider(arn.into())).await;
    assert_eq!((loaded.oidc_providers.len(), loaded.tags.len()), (1, 1));
    assert_eq!(loaded.oidc_providers[0].client_ids, ["b", "a"]);
    let loaded = one(LoadScope::SamlProvider("uuid-1".into())).await;
    assert_eq!((loaded.saml_providers.len(), loaded.tags.len()), (1, 1));
    assert_eq!(loaded.saml_providers[0].private_keys.len(), 1);
    let loaded = one(LoadScope::InstanceProfile("AIPA00000000000000001".into())).await;
    assert_eq!((loaded.instance_profiles.len(), loaded.tags.len()), (1, 1));
    let loaded = one(LoadScope::AccountSettings(ACCOUNT.into())).await;
    assert_eq!(loaded.account_properties.len(), 1);
    // A scope of an entity that is gone reads nothing.
    let loaded = one(LoadScope::SamlProvider("uuid-none".into())).await;
    assert!(loaded.saml_providers.is_empty() && loaded.tags.is_empty());
}

async fn reports(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    account(store, OTHER).await;
    let revision = store.current_revision().await.unwrap();
    assert_eq!(store.get_report(ACCOUNT, "r").await.unwrap(), None);
    let first = StoredReport {
        generated_at: T0,
        content: b"user,arn\n".to_vec(),
    };
    store.put_report(ACCOUNT, "r", &first, T0).await.unwrap();
    assert_eq!(store.get_report(ACCOUNT, "r").await.unwrap(), Some(first));
    assert_eq!(store.get_report(OTHER, "r").await.unwrap(), None);
    // A new report replaces the old under the same id; a job under another id stays until
    // it is older than what the writer keeps.
    let job = StoredReport {
        generated_at: T0 + 1,
        content: vec![0, 159, 255],
    };
    store.put_report(ACCOUNT, "job", &job, T0).await.unwrap();
    let second = StoredReport {
        generated_at: T0 + 5,
        content: b"second".to_vec(),
    };
    store.put_report(ACCOUNT, "r", &second, T0).await.unwrap();
    assert_eq!(
        store.get_report(ACCOUNT, "r").await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(store.get_report(ACCOUNT, "job").await.unwrap(), Some(job));
    store
        .put_report(ACCOUNT, "r", &second, T0 + 2)
        .await
        .unwrap();
    assert_eq!(store.get_report(ACCOUNT, "job").await.unwrap(), None);
    // Reports are not state: no revision moved.
    assert_eq!(store.current_revision().await.unwrap(), revision);
    // An account's deletion takes its reports.
    store.delete_account(ACCOUNT).await.unwrap();
    assert_eq!(store.get_report(ACCOUNT, "r").await.unwrap(), None);
}

async fn service_access(f: &Fixture) {
    let store = &f.store;
    account(store, ACCOUNT).await;
    let revision = store.current_revision().await.unwrap();
    let access = |principal: &str, service: &str, action: &str, at: i64| ServiceAccess {
        principal_id: principal.to_owned(),
        service: service.to_owned(),
        action: action.to_owned(),
        last_at: at,
        region: "us-east-1".to_owned(),
    };
    store
        .record_service_access(ACCOUNT, &access("AIDA1", "iam", "GetUser", T0))
        .await
        .unwrap();
    store
        .record_service_access(ACCOUNT, &access("AIDA1", "iam", "ListUsers", T0 + 5))
        .await
        .unwrap();
    // An older time never replaces a newer one (two nodes write in any order).
    store
        .record_service_access(ACCOUNT, &access("AIDA1", "iam", "GetUser", T0 - 100))
        .await
        .unwrap();
    store
        .record_service_access(ACCOUNT, &access("AROA1", "s3", "", T0 + 1))
        .await
        .unwrap();
    let rows = store
        .service_access_of(ACCOUNT, &["AIDA1".to_owned()])
        .await
        .unwrap();
    assert_eq!(
        rows,
        vec![
            access("AIDA1", "iam", "", T0 + 5),
            access("AIDA1", "iam", "GetUser", T0),
            access("AIDA1", "iam", "ListUsers", T0 + 5),
        ]
    );
    let role = store
        .service_access_of(ACCOUNT, &["AROA1".to_owned()])
        .await
        .unwrap();
    assert_eq!(role, vec![access("AROA1", "s3", "", T0 + 1)]);
    assert_eq!(store.current_revision().await.unwrap(), revision);
}
