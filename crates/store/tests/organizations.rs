//! The store's Organizations tables (issue 15), on SQLite and on PostgreSQL: the tree, the
//! refusals checked inside each write, policy types with their AWS managed policies,
//! attachments, CreateAccount as one write, an existing account joining (fixtures), and tags.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

#[macro_use]
mod support;

use store::{
    CreateAccountStatusRecord, NewAccount, NewMemberAccount, NewOrgPolicy, NewOrgUnit,
    NewOrganization, NewRole, OrgPolicyRecord, OrgPolicyUpdate, OrgRefusal, Store, StoreError, Tag,
};
use support::Fixture;

conformance!(
    organization_lifecycle,
    units_and_moves,
    policy_types_and_attachments,
    member_account_is_one_write,
    an_existing_account_joins,
    tags_and_reset,
);

const MGMT: &str = "111122223333";
const ORG: &str = "o-abcdefghij";
const ROOT: &str = "r-abcd";
const T0: i64 = 1_700_000_000;

fn refused<T: std::fmt::Debug>(result: Result<T, StoreError>, expected: OrgRefusal) {
    match result {
        Err(StoreError::Organizations(why)) => assert_eq!(why, expected),
        other => panic!("expected {expected:?}, got {other:?}"),
    }
}

async fn with_org(store: &Store) {
    store
        .create_account(&NewAccount {
            account_id: MGMT.into(),
            email: "mgmt@example.com".into(),
            alias: None,
            created_at: T0,
            root_key: None,
        })
        .await
        .unwrap();
    let org = store
        .create_organization(&NewOrganization {
            org_id: ORG.into(),
            root_id: ROOT.into(),
            management_account_id: MGMT.into(),
            management_name: "mgmt".into(),
            management_email: "mgmt@example.com".into(),
            feature_set: "ALL".into(),
            created_at: T0,
        })
        .await
        .unwrap();
    assert_eq!(org.management_email, "mgmt@example.com");
}

/// The fixtures' way in: an account made on its own joins under the root, with the enabled
/// types' AWS managed policies, once.
async fn an_existing_account_joins(f: &Fixture) {
    let store = &f.store;
    with_org(store).await;
    store
        .enable_org_policy_type(ORG, ROOT, "SERVICE_CONTROL_POLICY")
        .await
        .unwrap();
    let joining = "444455556666";
    store
        .create_account(&NewAccount {
            account_id: joining.into(),
            email: "joins@example.com".into(),
            alias: None,
            created_at: T0,
            root_key: None,
        })
        .await
        .unwrap();
    let joined = store
        .join_organization(ORG, joining, "joins", T0 + 1)
        .await
        .unwrap();
    assert_eq!(joined.parent_id, ROOT);
    assert_eq!(joined.email, "joins@example.com");
    assert_eq!(joined.joined_method, "INVITED");
    assert_eq!(store.get_org_account(ORG, joining).await.unwrap(), joined);
    assert_eq!(
        store
            .list_org_policies_for_target(ORG, joining, "SERVICE_CONTROL_POLICY")
            .await
            .unwrap(),
        ["p-FullAWSAccess"]
    );
    refused(
        store.join_organization(ORG, joining, "again", T0 + 2).await,
        OrgRefusal::AlreadyInOrganization,
    );
    refused(
        store.join_organization(ORG, MGMT, "mgmt", T0 + 2).await,
        OrgRefusal::AlreadyInOrganization,
    );
    match store
        .join_organization(ORG, "999999999999", "nobody", T0)
        .await
    {
        Err(StoreError::NoSuchEntity { .. }) => {}
        other => panic!("expected NoSuchEntity, got {other:?}"),
    }
}

fn member(n: u32, email: &str) -> NewMemberAccount {
    let account_id = format!("{:012}", 200_000_000_000_u64 + u64::from(n));
    let trust = policy::Policy::parse(
        &format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{MGMT}:root"}},"Action":"sts:AssumeRole"}}}}"#
        ),
        policy::PolicyKind::Trust,
    )
    .unwrap();
    NewMemberAccount {
        org_id: ORG.into(),
        account: NewAccount {
            account_id: account_id.clone(),
            email: email.into(),
            alias: None,
            created_at: T0,
            root_key: None,
        },
        name: format!("member{n}"),
        role: NewRole {
            account_id: account_id.clone(),
            role_id: format!("AROA{n:017}"),
            name: "OrganizationAccountAccessRole".into(),
            path: "/".into(),
            trust_policy: trust,
            trust_principals: Vec::new(),
            description: None,
            max_session_duration: 3600,
            permissions_boundary_arn: None,
            created_at: T0,
            tags: Vec::new(),
        },
        role_policies: vec!["arn:aws:iam::aws:policy/AdministratorAccess".into()],
        tags: vec![Tag {
            key: "team".into(),
            value: "a".into(),
        }],
        status: CreateAccountStatusRecord {
            request_id: format!("car-{n:08}"),
            org_id: ORG.into(),
            account_name: format!("member{n}"),
            state: "SUCCEEDED".into(),
            requested_at: T0,
            completed_at: Some(T0),
            account_id: Some(account_id),
            failure_reason: None,
        },
    }
}

fn scp(id: &str, name: &str) -> NewOrgPolicy {
    NewOrgPolicy {
        policy: OrgPolicyRecord {
            policy_id: id.into(),
            org_id: ORG.into(),
            policy_type: "SERVICE_CONTROL_POLICY".into(),
            name: name.into(),
            description: String::new(),
            content: r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}}"#.into(),
        },
        tags: Vec::new(),
    }
}

async fn organization_lifecycle(f: &Fixture) {
    let store = &f.store;
    with_org(store).await;
    let org = store.organization_of(MGMT).await.unwrap().unwrap();
    assert_eq!((org.org_id.as_str(), org.root_id.as_str()), (ORG, ROOT));
    assert!(org.policy_types.is_empty());
    refused(
        store
            .create_organization(&NewOrganization {
                org_id: "o-zzzzzzzzzz".into(),
                root_id: "r-zzzz".into(),
                management_account_id: MGMT.into(),
                management_name: "again".into(),
                management_email: "mgmt@example.com".into(),
                feature_set: "ALL".into(),
                created_at: T0,
            })
            .await,
        OrgRefusal::AlreadyInOrganization,
    );
    let accounts = store.list_org_accounts(ORG).await.unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].parent_id, ROOT);
    store
        .create_member_account(&member(1, "m1@example.com"))
        .await
        .unwrap();
    refused(
        store.delete_organization(ORG).await,
        OrgRefusal::OrganizationNotEmpty,
    );
    refused(
        store.remove_org_account(ORG, MGMT).await,
        OrgRefusal::ManagementAccount,
    );
    refused(
        store.close_org_account(ORG, MGMT).await,
        OrgRefusal::ManagementAccount,
    );
    let m1 = "200000000001";
    store.close_org_account(ORG, m1).await.unwrap();
    assert_eq!(
        store.get_org_account(ORG, m1).await.unwrap().status,
        "SUSPENDED"
    );
    refused(
        store.close_org_account(ORG, m1).await,
        OrgRefusal::AccountAlreadyClosed,
    );
    store.remove_org_account(ORG, m1).await.unwrap();
    refused(
        store.get_org_account(ORG, m1).await,
        OrgRefusal::AccountNotFound,
    );
    // The account itself stays a Castellan account.
    store.get_account(m1).await.unwrap();
    assert!(store.organization_of(m1).await.unwrap().is_none());
    store.delete_organization(ORG).await.unwrap();
    assert!(store.organization_of(MGMT).await.unwrap().is_none());
}

async fn units_and_moves(f: &Fixture) {
    let store = &f.store;
    with_org(store).await;
    let unit = |id: &str, parent: &str, name: &str| NewOrgUnit {
        ou_id: id.into(),
        org_id: ORG.into(),
        parent_id: parent.into(),
        name: name.into(),
        tags: Vec::new(),
        created_at: T0,
    };
    store
        .create_org_unit(&unit("ou-abcd-00000001", ROOT, "dev"))
        .await
        .unwrap();
    refused(
        store
            .create_org_unit(&unit("ou-abcd-00000002", ROOT, "dev"))
            .await,
        OrgRefusal::DuplicateOrganizationalUnit,
    );
    refused(
        store
            .create_org_unit(&unit("ou-abcd-00000002", "ou-abcd-99999999", "x"))
            .await,
        OrgRefusal::ParentNotFound,
    );
    // Five levels below the root, and no sixth.
    let mut parent = "ou-abcd-00000001".to_owned();
    for level in 2..=5 {
        let id = format!("ou-abcd-0000001{level}");
        store
            .create_org_unit(&unit(&id, &parent, "level"))
            .await
            .unwrap();
        parent = id;
    }
    refused(
        store
            .create_org_unit(&unit("ou-abcd-00000099", &parent, "six"))
            .await,
        OrgRefusal::OuDepthLimitExceeded,
    );
    let renamed = store
        .rename_org_unit(ORG, "ou-abcd-00000001", "prod")
        .await
        .unwrap();
    assert_eq!(renamed.name, "prod");
    store
        .create_member_account(&member(1, "m1@example.com"))
        .await
        .unwrap();
    let m1 = "200000000001";
    refused(
        store
            .move_org_account(ORG, m1, "ou-abcd-00000001", ROOT)
            .await,
        OrgRefusal::DuplicateAccount,
    );
    refused(
        store
            .move_org_account(ORG, m1, "ou-abcd-99999999", ROOT)
            .await,
        OrgRefusal::SourceParentNotFound,
    );
    refused(
        store
            .move_org_account(ORG, m1, ROOT, "ou-abcd-99999999")
            .await,
        OrgRefusal::DestinationParentNotFound,
    );
    store
        .move_org_account(ORG, m1, ROOT, "ou-abcd-00000001")
        .await
        .unwrap();
    assert_eq!(
        store.get_org_account(ORG, m1).await.unwrap().parent_id,
        "ou-abcd-00000001"
    );
    refused(
        store.move_org_account(ORG, m1, ROOT, &parent).await,
        OrgRefusal::AccountNotUnderSource,
    );
    refused(
        store.delete_org_unit(ORG, "ou-abcd-00000001").await,
        OrgRefusal::OrganizationalUnitNotEmpty,
    );
    store.delete_org_unit(ORG, &parent).await.unwrap();
    refused(
        store.get_org_unit(ORG, &parent).await,
        OrgRefusal::OrganizationalUnitNotFound,
    );
    assert_eq!(store.list_org_units(ORG).await.unwrap().len(), 4);
    // Another store on the same database sees the tree.
    let again = Store::open(&f.url).await.unwrap();
    assert_eq!(again.list_org_units(ORG).await.unwrap().len(), 4);
    assert_eq!(
        again.get_org_account(ORG, m1).await.unwrap().parent_id,
        "ou-abcd-00000001"
    );
}

async fn policy_types_and_attachments(f: &Fixture) {
    let store = &f.store;
    with_org(store).await;
    store
        .create_org_unit(&NewOrgUnit {
            ou_id: "ou-abcd-00000001".into(),
            org_id: ORG.into(),
            parent_id: ROOT.into(),
            name: "dev".into(),
            tags: Vec::new(),
            created_at: T0,
        })
        .await
        .unwrap();
    store
        .create_org_policy(&scp("p-00000001", "deny"))
        .await
        .unwrap();
    refused(
        store.create_org_policy(&scp("p-00000002", "deny")).await,
        OrgRefusal::DuplicatePolicy,
    );
    refused(
        store
            .attach_org_policy(ORG, "p-00000001", "ou-abcd-00000001")
            .await,
        OrgRefusal::PolicyTypeNotEnabled,
    );
    refused(
        store
            .enable_org_policy_type(ORG, "r-zzzz", "SERVICE_CONTROL_POLICY")
            .await,
        OrgRefusal::RootNotFound,
    );
    let org = store
        .enable_org_policy_type(ORG, ROOT, "SERVICE_CONTROL_POLICY")
        .await
        .unwrap();
    assert_eq!(org.policy_types, ["SERVICE_CONTROL_POLICY"]);
    refused(
        store
            .enable_org_policy_type(ORG, ROOT, "SERVICE_CONTROL_POLICY")
            .await,
        OrgRefusal::PolicyTypeAlreadyEnabled,
    );
    // FullAWSAccess went onto the root, the unit and the management account.
    let mut targets = store
        .list_org_targets_for_policy(ORG, "p-FullAWSAccess")
        .await
        .unwrap();
    targets.sort();
    assert_eq!(targets, [MGMT, "ou-abcd-00000001", ROOT]);
    // An account created now gets it too.
    store
        .create_member_account(&member(1, "m1@example.com"))
        .await
        .unwrap();
    assert_eq!(
        store
            .list_org_policies_for_target(ORG, "200000000001", "SERVICE_CONTROL_POLICY")
            .await
            .unwrap(),
        ["p-FullAWSAccess"]
    );
    store
        .attach_org_policy(ORG, "p-00000001", "ou-abcd-00000001")
        .await
        .unwrap();
    refused(
        store
            .attach_org_policy(ORG, "p-00000001", "ou-abcd-00000001")
            .await,
        OrgRefusal::DuplicatePolicyAttachment,
    );
    refused(
        store
            .attach_org_policy(ORG, "p-00000001", "ou-abcd-99999999")
            .await,
        OrgRefusal::TargetNotFound,
    );
    refused(
        store.attach_org_policy(ORG, "p-99999999", ROOT).await,
        OrgRefusal::PolicyNotFound,
    );
    refused(
        store.delete_org_policy(ORG, "p-00000001").await,
        OrgRefusal::PolicyInUse,
    );
    refused(
        store.detach_org_policy(ORG, "p-00000001", ROOT).await,
        OrgRefusal::PolicyNotAttached,
    );
    // The root's only SCP cannot go.
    refused(
        store.detach_org_policy(ORG, "p-FullAWSAccess", ROOT).await,
        OrgRefusal::MinPolicyTypeAttachment,
    );
    assert_eq!(
        store
            .list_org_policies_for_target(ORG, ROOT, "SERVICE_CONTROL_POLICY")
            .await
            .unwrap(),
        ["p-FullAWSAccess"]
    );
    store
        .detach_org_policy(ORG, "p-00000001", "ou-abcd-00000001")
        .await
        .unwrap();
    let updated = store
        .update_org_policy(
            ORG,
            "p-00000001",
            &OrgPolicyUpdate {
                name: Some("renamed".into()),
                ..OrgPolicyUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.name, "renamed");
    refused(
        store
            .update_org_policy(ORG, "p-FullAWSAccess", &OrgPolicyUpdate::default())
            .await,
        OrgRefusal::AwsManagedPolicy,
    );
    assert_eq!(
        store
            .list_org_policies(ORG, "SERVICE_CONTROL_POLICY")
            .await
            .unwrap()
            .len(),
        1
    );
    store.delete_org_policy(ORG, "p-00000001").await.unwrap();
    refused(
        store.get_org_policy(ORG, "p-00000001").await,
        OrgRefusal::PolicyNotFound,
    );
    let org = store
        .disable_org_policy_type(ORG, ROOT, "SERVICE_CONTROL_POLICY")
        .await
        .unwrap();
    assert!(org.policy_types.is_empty());
    assert!(
        store
            .list_org_targets_for_policy(ORG, "p-FullAWSAccess")
            .await
            .unwrap()
            .is_empty()
    );
    refused(
        store
            .disable_org_policy_type(ORG, ROOT, "SERVICE_CONTROL_POLICY")
            .await,
        OrgRefusal::PolicyTypeNotEnabled,
    );
}

async fn member_account_is_one_write(f: &Fixture) {
    let store = &f.store;
    with_org(store).await;
    let made = store
        .create_member_account(&member(1, "m1@example.com"))
        .await
        .unwrap();
    assert_eq!(
        (made.joined_method.as_str(), made.parent_id.as_str()),
        ("CREATED", ROOT)
    );
    let role = store
        .get_role("200000000001", "OrganizationAccountAccessRole")
        .await
        .unwrap();
    assert_eq!(
        store
            .list_attached_policies(&store::Principal::role(&role.role_id))
            .await
            .unwrap(),
        ["arn:aws:iam::aws:policy/AdministratorAccess"]
    );
    let status = store
        .get_create_account_status(ORG, "car-00000001")
        .await
        .unwrap();
    assert_eq!(status.account_id.as_deref(), Some("200000000001"));
    // The same email again: nothing of the second account is written.
    let mut again = member(2, "M1@example.com");
    again.status.request_id = "car-00000002".into();
    let result = store.create_member_account(&again).await;
    assert!(
        matches!(result, Err(StoreError::EntityAlreadyExists { .. })),
        "{result:?}"
    );
    assert!(store.get_account("200000000002").await.is_err());
    refused(
        store.get_create_account_status(ORG, "car-00000002").await,
        OrgRefusal::CreateAccountStatusNotFound,
    );
    let failed = CreateAccountStatusRecord {
        state: "FAILED".into(),
        account_id: None,
        failure_reason: Some("EMAIL_ALREADY_EXISTS".into()),
        ..again.status.clone()
    };
    store.record_create_account_status(&failed).await.unwrap();
    let statuses = store.list_create_account_statuses(ORG).await.unwrap();
    assert_eq!(statuses.len(), 2);
    assert_eq!(
        statuses[1].failure_reason.as_deref(),
        Some("EMAIL_ALREADY_EXISTS")
    );
}

async fn tags_and_reset(f: &Fixture) {
    let store = &f.store;
    with_org(store).await;
    store
        .create_member_account(&member(1, "m1@example.com"))
        .await
        .unwrap();
    let m1 = "200000000001";
    assert_eq!(store.list_org_tags(ORG, m1).await.unwrap().len(), 1);
    let tag = |k: &str, v: &str| Tag {
        key: k.into(),
        value: v.into(),
    };
    store
        .tag_org_resource(ORG, m1, &[tag("team", "b"), tag("env", "dev")])
        .await
        .unwrap();
    let tags = store.list_org_tags(ORG, m1).await.unwrap();
    assert_eq!(tags, [tag("env", "dev"), tag("team", "b")]);
    store
        .untag_org_resource(ORG, m1, &["env".into(), "absent".into()])
        .await
        .unwrap();
    assert_eq!(
        store.list_org_tags(ORG, m1).await.unwrap(),
        [tag("team", "b")]
    );
    store
        .tag_org_resource(ORG, ROOT, &[tag("k", "v")])
        .await
        .unwrap();
    refused(
        store
            .tag_org_resource(ORG, "ou-abcd-99999999", &[tag("k", "v")])
            .await,
        OrgRefusal::TargetNotFound,
    );
    refused(
        store
            .tag_org_resource(ORG, "p-FullAWSAccess", &[tag("k", "v")])
            .await,
        OrgRefusal::TargetNotFound,
    );
    store.reset().await.unwrap();
    assert!(store.organization_of(MGMT).await.unwrap().is_none());
    assert!(store.list_org_tags(ORG, ROOT).await.unwrap().is_empty());
}
