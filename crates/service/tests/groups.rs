//! IAM groups through `Service::iam`: CRUD, membership, group policies, and enforcement.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

use service::{Caller, Clock, Identity, MasterKey, NewAccount, RequestInfo, Sealer, Service};
use wire::iam::{
    AddUserToGroupRequest, AttachGroupPolicyRequest, CreateGroupRequest, CreateUserRequest,
    DeleteGroupPolicyRequest, DeleteGroupRequest, DetachGroupPolicyRequest, GetGroupPolicyRequest,
    GetGroupRequest, ListAttachedGroupPoliciesRequest, ListGroupPoliciesRequest,
    ListGroupsForUserRequest, ListGroupsRequest, ListUsersRequest, PutGroupPolicyRequest,
    RemoveUserFromGroupRequest, Request, Response, UpdateGroupRequest,
};

const ACCOUNT: &str = "123456789012";
const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const BILLING: &str = "arn:aws:iam::aws:policy/job-function/Billing";

struct Fixture {
    service: Service,
    root: Caller,
}

impl Fixture {
    async fn new() -> Fixture {
        let store = store::Store::open("sqlite::memory:").await.unwrap();
        let service = Service::new(
            store,
            Sealer::new(&MasterKey::generate().unwrap()),
            Clock::fixed(1_700_000_000),
        );
        let (_, (key, _)) = service
            .create_account(NewAccount {
                account_id: Some(ACCOUNT.to_owned()),
                email: "root@example.com".to_owned(),
                ..NewAccount::default()
            })
            .await
            .unwrap();
        let root = Caller {
            account_id: ACCOUNT.to_owned(),
            identity: Identity::Root,
            access_key_id: key,
            request: RequestInfo::default(),
            session: None,
        };
        Fixture { service, root }
    }

    async fn root(&self, request: Request) -> Result<Response, service::ServiceError> {
        self.service.iam(&self.root, request).await
    }

    async fn ok(&self, request: Request) -> Response {
        self.root(request).await.unwrap()
    }

    /// Creates a user and returns a caller acting as that user.
    async fn user(&self, name: &str) -> Caller {
        self.ok(Request::CreateUser(CreateUserRequest {
            path: None,
            user_name: name.to_owned(),
            permissions_boundary: None,
            tags: None,
        }))
        .await;
        let record = self.service.store().get_user(ACCOUNT, name).await.unwrap();
        Caller {
            account_id: ACCOUNT.to_owned(),
            identity: Identity::User(record),
            access_key_id: "AKIAEXAMPLEUSER00001".to_owned(),
            request: RequestInfo::default(),
            session: None,
        }
    }

    async fn group(&self, name: &str, path: Option<&str>) {
        self.ok(create_group(name, path)).await;
    }

    async fn add(&self, group: &str, user: &str) {
        self.ok(Request::AddUserToGroup(AddUserToGroupRequest {
            group_name: group.to_owned(),
            user_name: user.to_owned(),
        }))
        .await;
    }

    async fn put_policy(&self, group: &str, name: &str, document: &str) {
        self.ok(put_group_policy(group, name, document)).await;
    }
}

fn create_group(name: &str, path: Option<&str>) -> Request {
    Request::CreateGroup(CreateGroupRequest {
        path: path.map(str::to_owned),
        group_name: name.to_owned(),
    })
}

fn get_group(name: &str, marker: Option<String>, max_items: Option<i32>) -> Request {
    Request::GetGroup(GetGroupRequest {
        group_name: name.to_owned(),
        marker,
        max_items,
    })
}

fn delete_group(name: &str) -> Request {
    Request::DeleteGroup(DeleteGroupRequest {
        group_name: name.to_owned(),
    })
}

fn list_groups(prefix: Option<&str>, marker: Option<String>, max_items: Option<i32>) -> Request {
    Request::ListGroups(ListGroupsRequest {
        path_prefix: prefix.map(str::to_owned),
        marker,
        max_items,
    })
}

fn update_group(name: &str, new_name: Option<&str>, new_path: Option<&str>) -> Request {
    Request::UpdateGroup(UpdateGroupRequest {
        group_name: name.to_owned(),
        new_path: new_path.map(str::to_owned),
        new_group_name: new_name.map(str::to_owned),
    })
}

fn remove_user(group: &str, user: &str) -> Request {
    Request::RemoveUserFromGroup(RemoveUserFromGroupRequest {
        group_name: group.to_owned(),
        user_name: user.to_owned(),
    })
}

fn groups_for_user(user: &str, marker: Option<String>, max_items: Option<i32>) -> Request {
    Request::ListGroupsForUser(ListGroupsForUserRequest {
        user_name: user.to_owned(),
        marker,
        max_items,
    })
}

fn put_group_policy(group: &str, name: &str, document: &str) -> Request {
    Request::PutGroupPolicy(PutGroupPolicyRequest {
        group_name: group.to_owned(),
        policy_name: name.to_owned(),
        policy_document: document.to_owned(),
    })
}

fn attach(group: &str, arn: &str) -> Request {
    Request::AttachGroupPolicy(AttachGroupPolicyRequest {
        group_name: group.to_owned(),
        policy_arn: arn.to_owned(),
    })
}

fn detach(group: &str, arn: &str) -> Request {
    Request::DetachGroupPolicy(DetachGroupPolicyRequest {
        group_name: group.to_owned(),
        policy_arn: arn.to_owned(),
    })
}

fn list_attached(group: &str, prefix: Option<&str>) -> Request {
    Request::ListAttachedGroupPolicies(ListAttachedGroupPoliciesRequest {
        group_name: group.to_owned(),
        path_prefix: prefix.map(str::to_owned),
        marker: None,
        max_items: None,
    })
}

fn list_users() -> Request {
    Request::ListUsers(ListUsersRequest {
        path_prefix: None,
        marker: None,
        max_items: None,
    })
}

fn allow(action: &str, resources: &[&str]) -> String {
    let resources: Vec<String> = resources.iter().map(|r| format!("\"{r}\"")).collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":[{}]}}]}}"#,
        resources.join(",")
    )
}

fn code(result: Result<Response, service::ServiceError>) -> &'static str {
    match result {
        Ok(response) => panic!("expected an error, got {response:?}"),
        Err(error) => error.code(),
    }
}

fn group_names(response: &Response) -> Vec<String> {
    match response {
        Response::ListGroups(list) => list.groups.iter().map(|g| g.group_name.clone()).collect(),
        Response::ListGroupsForUser(list) => {
            list.groups.iter().map(|g| g.group_name.clone()).collect()
        }
        other => panic!("not a group list: {other:?}"),
    }
}

#[tokio::test]
async fn create_get_list_update_delete() {
    let f = Fixture::new().await;
    let Response::CreateGroup(created) = f.ok(create_group("devs", Some("/eng/"))).await else {
        panic!("wrong response");
    };
    let group = created.group;
    assert_eq!(group.group_name, "devs");
    assert_eq!(group.path, "/eng/");
    assert_eq!(group.arn, format!("arn:aws:iam::{ACCOUNT}:group/eng/devs"));
    assert!(group.group_id.starts_with("AGPA"));
    assert_eq!(group.group_id.len(), 21);
    assert_eq!(
        group.create_date,
        wire::Timestamp::from_unix_seconds(1_700_000_000)
    );

    // Names are unique case-insensitively.
    let duplicate = f.root(create_group("DEVS", None)).await.unwrap_err();
    assert_eq!(duplicate.code(), "EntityAlreadyExists");
    assert_eq!(duplicate.message(), "Group with name DEVS already exists.");
    assert_eq!(
        code(f.root(create_group("bad", Some("eng"))).await),
        "ValidationError"
    );

    let Response::GetGroup(got) = f.ok(get_group("Devs", None, None)).await else {
        panic!("wrong response");
    };
    assert_eq!(got.group, group);
    assert!(got.users.is_empty());
    assert_eq!(got.is_truncated, Some(false));

    f.group("ops", None).await;
    f.group("admins", Some("/eng/admin/")).await;
    let all = f.ok(list_groups(None, None, None)).await;
    assert_eq!(group_names(&all), ["admins", "devs", "ops"]);
    let eng = f.ok(list_groups(Some("/eng/"), None, None)).await;
    assert_eq!(group_names(&eng), ["admins", "devs"]);
    // Marker and MaxItems page through the list.
    let Response::ListGroups(first) = f.ok(list_groups(None, None, Some(2))).await else {
        panic!("wrong response");
    };
    assert_eq!(first.is_truncated, Some(true));
    let second = f.ok(list_groups(None, first.marker, Some(2))).await;
    assert_eq!(group_names(&second), ["ops"]);

    // Rename and move; the old name is gone.
    f.ok(update_group("devs", Some("developers"), Some("/dev/")))
        .await;
    let Response::GetGroup(moved) = f.ok(get_group("developers", None, None)).await else {
        panic!("wrong response");
    };
    assert_eq!(moved.group.path, "/dev/");
    assert_eq!(moved.group.group_id, group.group_id);
    assert_eq!(
        moved.group.arn,
        format!("arn:aws:iam::{ACCOUNT}:group/dev/developers")
    );
    let gone = f.root(get_group("devs", None, None)).await.unwrap_err();
    assert_eq!(gone.code(), "NoSuchEntity");
    assert_eq!(gone.message(), "The group with name devs cannot be found.");
    assert_eq!(
        code(f.root(update_group("ops", Some("ADMINS"), None)).await),
        "EntityAlreadyExists"
    );
    assert_eq!(
        code(f.root(update_group("ops", None, Some("nope"))).await),
        "ValidationError"
    );
    assert_eq!(
        code(f.root(update_group("nobody", Some("x"), None)).await),
        "NoSuchEntity"
    );

    f.ok(delete_group("developers")).await;
    assert_eq!(
        code(f.root(delete_group("developers")).await),
        "NoSuchEntity"
    );
    let rest = f.ok(list_groups(None, None, None)).await;
    assert_eq!(group_names(&rest), ["admins", "ops"]);
}

#[tokio::test]
async fn membership() {
    let f = Fixture::new().await;
    f.group("devs", None).await;
    f.group("ops", None).await;
    for name in ["carol", "alice", "bob"] {
        f.user(name).await;
        f.add("devs", name).await;
    }
    f.add("ops", "alice").await;
    // Adding a member again is not an error.
    f.add("ops", "alice").await;

    let Response::GetGroup(page) = f.ok(get_group("devs", None, Some(2))).await else {
        panic!("wrong response");
    };
    let names: Vec<_> = page.users.iter().map(|u| u.user_name.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(
        page.users[0].arn,
        format!("arn:aws:iam::{ACCOUNT}:user/alice")
    );
    assert_eq!(page.is_truncated, Some(true));
    let Response::GetGroup(rest) = f.ok(get_group("devs", page.marker, Some(2))).await else {
        panic!("wrong response");
    };
    let names: Vec<_> = rest.users.iter().map(|u| u.user_name.as_str()).collect();
    assert_eq!(names, ["carol"]);
    assert_eq!(rest.is_truncated, Some(false));

    let alice = f.ok(groups_for_user("alice", None, None)).await;
    assert_eq!(group_names(&alice), ["devs", "ops"]);
    let Response::ListGroupsForUser(first) = f.ok(groups_for_user("alice", None, Some(1))).await
    else {
        panic!("wrong response");
    };
    assert_eq!(first.is_truncated, Some(true));
    let second = f.ok(groups_for_user("alice", first.marker, Some(1))).await;
    assert_eq!(group_names(&second), ["ops"]);
    assert_eq!(
        code(f.root(groups_for_user("nobody", None, None)).await),
        "NoSuchEntity"
    );

    let unknown_user = f
        .root(Request::AddUserToGroup(AddUserToGroupRequest {
            group_name: "devs".to_owned(),
            user_name: "nobody".to_owned(),
        }))
        .await
        .unwrap_err();
    assert_eq!(unknown_user.code(), "NoSuchEntity");
    assert_eq!(
        unknown_user.message(),
        "The user with name nobody cannot be found."
    );
    let unknown_group = f
        .root(Request::AddUserToGroup(AddUserToGroupRequest {
            group_name: "nogroup".to_owned(),
            user_name: "alice".to_owned(),
        }))
        .await
        .unwrap_err();
    assert_eq!(unknown_group.code(), "NoSuchEntity");
    assert_eq!(
        unknown_group.message(),
        "The group with name nogroup cannot be found."
    );

    // A group with members cannot be deleted.
    let conflict = f.root(delete_group("devs")).await.unwrap_err();
    assert_eq!(conflict.code(), "DeleteConflict");
    assert_eq!(
        conflict.message(),
        "Cannot delete entity, must remove users from group first."
    );

    f.ok(remove_user("ops", "alice")).await;
    assert_eq!(
        code(f.root(remove_user("ops", "alice")).await),
        "NoSuchEntity"
    );
    assert_eq!(
        code(f.root(remove_user("ops", "nobody")).await),
        "NoSuchEntity"
    );
    let alice = f.ok(groups_for_user("alice", None, None)).await;
    assert_eq!(group_names(&alice), ["devs"]);
    f.ok(delete_group("ops")).await;
    for name in ["alice", "bob", "carol"] {
        f.ok(remove_user("devs", name)).await;
    }
    f.ok(delete_group("devs")).await;
}

#[tokio::test]
async fn group_quota_per_user() {
    let f = Fixture::new().await;
    f.user("alice").await;
    for i in 0..10 {
        let name = format!("g{i}");
        f.group(&name, None).await;
        f.add(&name, "alice").await;
    }
    f.group("eleventh", None).await;
    let error = f
        .root(Request::AddUserToGroup(AddUserToGroupRequest {
            group_name: "eleventh".to_owned(),
            user_name: "alice".to_owned(),
        }))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "LimitExceeded");
}

#[tokio::test]
async fn inline_policies() {
    let f = Fixture::new().await;
    f.group("devs", None).await;
    let document = allow("iam:ListUsers", &["*"]);
    f.put_policy("devs", "list", &document).await;
    f.put_policy("devs", "get", &allow("iam:GetUser", &["*"]))
        .await;

    let Response::GetGroupPolicy(got) = f
        .ok(Request::GetGroupPolicy(GetGroupPolicyRequest {
            group_name: "devs".to_owned(),
            policy_name: "list".to_owned(),
        }))
        .await
    else {
        panic!("wrong response");
    };
    assert_eq!(got.group_name, "devs");
    assert_eq!(got.policy_name, "list");
    assert!(
        got.policy_document
            .starts_with("%7B%22Version%22%3A%222012-10-17%22")
    );
    assert!(!got.policy_document.contains('{'));

    let Response::ListGroupPolicies(names) = f
        .ok(Request::ListGroupPolicies(ListGroupPoliciesRequest {
            group_name: "devs".to_owned(),
            marker: None,
            max_items: Some(1),
        }))
        .await
    else {
        panic!("wrong response");
    };
    assert_eq!(names.policy_names, ["get"]);
    assert_eq!(names.is_truncated, Some(true));
    let Response::ListGroupPolicies(rest) = f
        .ok(Request::ListGroupPolicies(ListGroupPoliciesRequest {
            group_name: "devs".to_owned(),
            marker: names.marker,
            max_items: Some(1),
        }))
        .await
    else {
        panic!("wrong response");
    };
    assert_eq!(rest.policy_names, ["list"]);
    assert_eq!(rest.is_truncated, Some(false));

    let missing = f
        .root(Request::GetGroupPolicy(GetGroupPolicyRequest {
            group_name: "devs".to_owned(),
            policy_name: "nope".to_owned(),
        }))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), "NoSuchEntity");
    assert_eq!(
        missing.message(),
        "The group policy with name nope cannot be found."
    );
    assert_eq!(
        code(f.root(put_group_policy("nogroup", "p", &document)).await),
        "NoSuchEntity"
    );

    // Documents are validated as identity policies.
    assert_eq!(
        code(f.root(put_group_policy("devs", "bad", "{not json")).await),
        "MalformedPolicyDocument"
    );
    let with_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#;
    let error = f
        .root(put_group_policy("devs", "bad", with_principal))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "MalformedPolicyDocument");
    assert_eq!(
        error.message(),
        "Policy document should not specify a principal."
    );

    // A group may hold 5,120 non-white-space characters of inline policy in all.
    let used = document.len() + allow("iam:GetUser", &["*"]).len();
    let padding = |size: usize| {
        allow(
            "s3:GetObject",
            &[&format!("arn:aws:s3:::{}", "x".repeat(size))],
        )
    };
    let base = padding(0).len();
    let exact = padding(5_120 - used - base);
    assert_eq!(used + exact.len(), 5_120);
    f.put_policy("devs", "big", &exact).await;
    let error = f
        .root(put_group_policy("devs", "bigger", &allow("s3:*", &["*"])))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "LimitExceeded");
    assert_eq!(
        error.message(),
        "Maximum policy size of 5120 bytes exceeded for group devs"
    );
    // Replacing a policy counts only its new size, not the old one as well.
    f.put_policy("devs", "big", &exact).await;
    let over = padding(5_120 - used - base + 1);
    assert_eq!(
        code(f.root(put_group_policy("devs", "big", &over)).await),
        "LimitExceeded"
    );
    f.put_policy("devs", "big", &padding(10)).await;
    // White space does not count.
    let spaced = format!("{}{}", " \n\t".repeat(3_000), allow("s3:*", &["*"]));
    f.put_policy("devs", "spaced", &spaced).await;

    // A group with inline policies cannot be deleted.
    let conflict = f.root(delete_group("devs")).await.unwrap_err();
    assert_eq!(conflict.code(), "DeleteConflict");
    assert_eq!(
        conflict.message(),
        "Cannot delete entity, must delete policies first."
    );
    for name in ["list", "get", "big", "spaced"] {
        f.ok(Request::DeleteGroupPolicy(DeleteGroupPolicyRequest {
            group_name: "devs".to_owned(),
            policy_name: name.to_owned(),
        }))
        .await;
    }
    assert_eq!(
        code(
            f.root(Request::DeleteGroupPolicy(DeleteGroupPolicyRequest {
                group_name: "devs".to_owned(),
                policy_name: "list".to_owned(),
            }))
            .await
        ),
        "NoSuchEntity"
    );
    f.ok(delete_group("devs")).await;
}

#[tokio::test]
async fn attached_policies() {
    let f = Fixture::new().await;
    f.group("devs", None).await;
    f.ok(attach("devs", READ_ONLY)).await;
    f.ok(attach("devs", BILLING)).await;
    // Attaching again is not an error.
    f.ok(attach("devs", READ_ONLY)).await;

    let Response::ListAttachedGroupPolicies(all) = f.ok(list_attached("devs", None)).await else {
        panic!("wrong response");
    };
    let all = all.attached_policies.unwrap();
    assert_eq!(all.len(), 2);
    assert!(
        all.iter()
            .any(|p| p.policy_name.as_deref() == Some("ReadOnlyAccess")
                && p.policy_arn.as_deref() == Some(READ_ONLY))
    );
    let Response::ListAttachedGroupPolicies(jobs) =
        f.ok(list_attached("devs", Some("/job-function/"))).await
    else {
        panic!("wrong response");
    };
    let jobs = jobs.attached_policies.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].policy_name.as_deref(), Some("Billing"));

    let missing = f
        .root(attach("devs", "arn:aws:iam::aws:policy/NoSuchPolicy"))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), "NoSuchEntity");
    assert_eq!(
        missing.message(),
        "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable."
    );
    assert_eq!(
        code(
            f.root(attach(
                "devs",
                &format!("arn:aws:iam::{ACCOUNT}:policy/mine")
            ))
            .await
        ),
        "NoSuchEntity"
    );
    assert_eq!(
        code(f.root(attach("nogroup", READ_ONLY)).await),
        "NoSuchEntity"
    );

    let conflict = f.root(delete_group("devs")).await.unwrap_err();
    assert_eq!(conflict.code(), "DeleteConflict");
    assert_eq!(
        conflict.message(),
        "Cannot delete entity, must detach all policies first."
    );
    f.ok(detach("devs", READ_ONLY)).await;
    assert_eq!(
        code(f.root(detach("devs", READ_ONLY)).await),
        "NoSuchEntity"
    );
    f.ok(detach("devs", BILLING)).await;
    let Response::ListAttachedGroupPolicies(none) = f.ok(list_attached("devs", None)).await else {
        panic!("wrong response");
    };
    assert_eq!(none.attached_policies, Some(Vec::new()));
    f.ok(delete_group("devs")).await;
}

#[tokio::test]
async fn user_without_policy_is_denied_and_learns_nothing() {
    let f = Fixture::new().await;
    let alice = f.user("alice").await;
    f.group("devs", None).await;

    let denied = f
        .service
        .iam(&alice, create_group("mine", None))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), "AccessDenied");
    assert!(
        denied.message().contains("iam:CreateGroup"),
        "{}",
        denied.message()
    );
    assert!(
        denied
            .message()
            .contains(&format!("arn:aws:iam::{ACCOUNT}:group/mine")),
        "{}",
        denied.message()
    );
    // Unknown and existing groups answer alike to a caller without permission.
    for name in ["devs", "nogroup"] {
        for request in [
            get_group(name, None, None),
            delete_group(name),
            attach(name, READ_ONLY),
            put_group_policy(name, "p", &allow("s3:*", &["*"])),
        ] {
            let error = f.service.iam(&alice, request).await.unwrap_err();
            assert_eq!(error.code(), "AccessDenied", "{name}: {}", error.message());
        }
    }
    assert_eq!(
        code(f.service.iam(&alice, list_groups(None, None, None)).await),
        "AccessDenied"
    );
}

#[tokio::test]
async fn group_policies_grant_their_members() {
    let f = Fixture::new().await;
    let alice = f.user("alice").await;
    f.group("readers", None).await;
    f.put_policy("readers", "list-users", &allow("iam:ListUsers", &["*"]))
        .await;
    assert_eq!(
        code(f.service.iam(&alice, list_users()).await),
        "AccessDenied"
    );

    f.add("readers", "alice").await;
    let Response::ListUsers(users) = f.service.iam(&alice, list_users()).await.unwrap() else {
        panic!("wrong response");
    };
    assert_eq!(users.users.len(), 1);
    // Only what the group's policy allows.
    assert_eq!(
        code(f.service.iam(&alice, list_groups(None, None, None)).await),
        "AccessDenied"
    );

    // Attached managed policies of the group count too.
    f.ok(attach("readers", READ_ONLY)).await;
    f.service
        .iam(&alice, list_groups(None, None, None))
        .await
        .unwrap();

    // Leaving the group takes the permissions away at once.
    f.ok(remove_user("readers", "alice")).await;
    assert_eq!(
        code(f.service.iam(&alice, list_users()).await),
        "AccessDenied"
    );
}

#[tokio::test]
async fn update_group_needs_permission_on_both_names() {
    let f = Fixture::new().await;
    let alice = f.user("alice").await;
    f.group("admins", None).await;
    f.group("old", None).await;
    f.add("admins", "alice").await;
    let old = format!("arn:aws:iam::{ACCOUNT}:group/old");
    let new = format!("arn:aws:iam::{ACCOUNT}:group/new");
    f.put_policy("admins", "update", &allow("iam:UpdateGroup", &[&old]))
        .await;

    let denied = f
        .service
        .iam(&alice, update_group("old", Some("new"), None))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), "AccessDenied");
    assert!(denied.message().contains(&new), "{}", denied.message());

    f.put_policy("admins", "update", &allow("iam:UpdateGroup", &[&old, &new]))
        .await;
    f.service
        .iam(&alice, update_group("old", Some("new"), None))
        .await
        .unwrap();
    f.ok(get_group("new", None, None)).await;
}

#[tokio::test]
async fn attach_is_authorized_with_the_policy_arn() {
    let f = Fixture::new().await;
    let alice = f.user("alice").await;
    f.group("admins", None).await;
    f.group("devs", None).await;
    f.add("admins", "alice").await;
    let only_read_only = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["iam:AttachGroupPolicy","iam:DetachGroupPolicy"],"Resource":"*","Condition":{{"ArnEquals":{{"iam:PolicyARN":"{READ_ONLY}"}}}}}}]}}"#
    );
    f.put_policy("admins", "attach", &only_read_only).await;

    f.service
        .iam(&alice, attach("devs", READ_ONLY))
        .await
        .unwrap();
    assert_eq!(
        code(f.service.iam(&alice, attach("devs", BILLING)).await),
        "AccessDenied"
    );
    f.service
        .iam(&alice, detach("devs", READ_ONLY))
        .await
        .unwrap();
}

#[tokio::test]
async fn membership_is_authorized_on_the_group() {
    let f = Fixture::new().await;
    let alice = f.user("alice").await;
    f.user("bob").await;
    f.group("admins", None).await;
    f.group("devs", None).await;
    f.group("ops", None).await;
    f.add("admins", "alice").await;
    let devs = format!("arn:aws:iam::{ACCOUNT}:group/devs");
    f.put_policy(
        "admins",
        "members",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["iam:AddUserToGroup","iam:RemoveUserFromGroup"],"Resource":"{devs}"}}]}}"#
        ),
    )
    .await;
    let add = |group: &str| {
        Request::AddUserToGroup(AddUserToGroupRequest {
            group_name: group.to_owned(),
            user_name: "bob".to_owned(),
        })
    };
    f.service.iam(&alice, add("devs")).await.unwrap();
    assert_eq!(
        code(f.service.iam(&alice, add("ops")).await),
        "AccessDenied"
    );
    f.service
        .iam(&alice, remove_user("devs", "bob"))
        .await
        .unwrap();
    assert_eq!(
        code(f.service.iam(&alice, remove_user("ops", "bob")).await),
        "AccessDenied"
    );
}

#[tokio::test]
async fn customer_managed_policies_attach_and_grant() {
    let f = Fixture::new().await;
    let alice = f.user("alice").await;
    f.group("devs", None).await;
    f.add("devs", "alice").await;
    // CreatePolicy belongs to another module; the store makes the policy directly.
    let record = f
        .service
        .store()
        .create_policy(&store::NewPolicy {
            account_id: ACCOUNT.to_owned(),
            policy_id: "ANPAEXAMPLEPOLICY0001".to_owned(),
            name: "list-groups".to_owned(),
            path: "/team/".to_owned(),
            description: None,
            document: policy::Policy::parse(
                &allow("iam:ListGroups", &["*"]),
                policy::PolicyKind::Identity,
            )
            .unwrap(),
            created_at: 1_700_000_000,
            tags: Vec::new(),
        })
        .await
        .unwrap();
    // Written to the store directly, as another node would: catch up as its refresh would.
    f.service.refresh_caches().await.unwrap();
    let arn = format!("arn:aws:iam::{ACCOUNT}:policy/team/list-groups");
    assert_eq!(record.arn, arn);
    assert_eq!(
        code(f.service.iam(&alice, list_groups(None, None, None)).await),
        "AccessDenied"
    );
    f.ok(attach("devs", &arn)).await;
    f.service
        .iam(&alice, list_groups(None, None, None))
        .await
        .unwrap();
    let Response::ListAttachedGroupPolicies(team) =
        f.ok(list_attached("devs", Some("/team/"))).await
    else {
        panic!("wrong response");
    };
    let team = team.attached_policies.unwrap();
    assert_eq!(team.len(), 1);
    assert_eq!(team[0].policy_name.as_deref(), Some("list-groups"));
    // Another account's policy is not attachable.
    assert_eq!(
        code(
            f.root(attach(
                "devs",
                "arn:aws:iam::210987654321:policy/team/list-groups"
            ))
            .await
        ),
        "NoSuchEntity"
    );
}
