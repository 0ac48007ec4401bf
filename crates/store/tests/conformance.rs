//! The one conformance suite of the store: every case runs on SQLite and on PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

mod support;

use std::collections::HashSet;

use store::{
    EntityKind, ListOptions, NewGroup, NewRole, NewUser, Page, RoleUpdate, Store, StoreError,
};
use support::Fixture;

/// Generates `sqlite::<case>` and `postgres::<case>` tests from each `async fn case(&Fixture)`.
macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let fixture = crate::support::sqlite().await;
                    crate::$case(&fixture).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let fixture = crate::support::postgres().await;
                    crate::$case(&fixture).await;
                }
            )*
        }
    };
}

conformance!(
    users_crud,
    names_unique_case_insensitively,
    pagination_and_path_prefix,
    groups_and_membership,
    roles_crud,
);

const ACCOUNT: &str = "111122223333";
const OTHER: &str = "444455556666";
const T0: i64 = 1_700_000_000;

async fn account(store: &Store, id: &str) {
    store
        .create_account(id, &format!("root@{id}.example"), T0)
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

fn new_role(n: usize, name: &str) -> NewRole {
    NewRole {
        account_id: ACCOUNT.into(),
        role_id: format!("AROA{n:017}"),
        name: name.into(),
        path: "/".into(),
        trust_policy: r#"{"Version":"2012-10-17","Statement":[]}"#.into(),
        description: Some("test role".into()),
        max_session_duration: 3600,
        permissions_boundary_arn: None,
        created_at: T0,
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
        .update_role_trust_policy(ACCOUNT, "DEPLOY", "{\"Statement\":[]}")
        .await
        .unwrap();
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
    assert_eq!(got.trust_policy, "{\"Statement\":[]}");
    assert_eq!(
        got.permissions_boundary_arn.as_deref(),
        Some("arn:aws:iam::aws:policy/ReadOnlyAccess")
    );
    assert_eq!(
        (got.last_used_at, got.last_used_region.as_deref()),
        (Some(T0 + 60), Some("eu-west-1"))
    );
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
