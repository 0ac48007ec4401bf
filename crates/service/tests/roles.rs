//! IAM roles through `Service::iam`: CRUD, trust policies, role policies, boundaries, tags,
//! instance profiles, service-linked roles, and enforcement.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

use service::{
    Caller, Clock, Identity, MasterKey, NewAccount, RequestInfo, Sealer, Service, ServiceError,
};
use wire::iam::{
    AddRoleToInstanceProfileRequest, AttachRolePolicyRequest, CreateInstanceProfileRequest,
    CreatePolicyRequest, CreateRoleRequest, CreateServiceLinkedRoleRequest, CreateUserRequest,
    DeleteInstanceProfileRequest, DeleteRolePermissionsBoundaryRequest, DeleteRolePolicyRequest,
    DeleteRoleRequest, DeleteServiceLinkedRoleRequest, DeletionTaskStatusType,
    DetachRolePolicyRequest, GetInstanceProfileRequest, GetRolePolicyRequest, GetRoleRequest,
    GetServiceLinkedRoleDeletionStatusRequest, ListAttachedRolePoliciesRequest,
    ListInstanceProfileTagsRequest, ListInstanceProfilesForRoleRequest,
    ListInstanceProfilesRequest, ListRolePoliciesRequest, ListRoleTagsRequest, ListRolesRequest,
    PutRolePermissionsBoundaryRequest, PutRolePolicyRequest, PutUserPolicyRequest,
    RemoveRoleFromInstanceProfileRequest, Request, Response, Role, Tag, TagInstanceProfileRequest,
    TagRoleRequest, UntagInstanceProfileRequest, UntagRoleRequest, UpdateAssumeRolePolicyRequest,
    UpdateRoleDescriptionRequest, UpdateRoleRequest,
};

const ACCOUNT: &str = "123456789012";
const T0: i64 = 1_700_000_000;
const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const BILLING: &str = "arn:aws:iam::aws:policy/job-function/Billing";
const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

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
            Clock::fixed(T0),
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

    async fn root(&self, request: Request) -> Result<Response, ServiceError> {
        self.service.iam(&self.root, request).await
    }

    async fn ok(&self, request: Request) -> Response {
        self.root(request).await.unwrap()
    }

    async fn err(&self, request: Request) -> ServiceError {
        self.root(request).await.unwrap_err()
    }

    /// Creates a user with an inline policy and returns a caller acting as that user.
    async fn user(&self, name: &str, policy: Option<&str>) -> Caller {
        self.ok(Request::CreateUser(CreateUserRequest {
            path: None,
            user_name: name.to_owned(),
            permissions_boundary: None,
            tags: None,
        }))
        .await;
        if let Some(document) = policy {
            self.ok(Request::PutUserPolicy(PutUserPolicyRequest {
                user_name: name.to_owned(),
                policy_name: "p".to_owned(),
                policy_document: document.to_owned(),
            }))
            .await;
        }
        let record = self.service.store().get_user(ACCOUNT, name).await.unwrap();
        Caller {
            account_id: ACCOUNT.to_owned(),
            identity: Identity::User(record),
            access_key_id: "AKIAEXAMPLEUSER00001".to_owned(),
            request: RequestInfo::default(),
            session: None,
        }
    }

    async fn role(&self, name: &str, path: Option<&str>) -> Role {
        match self.ok(create_role(name, path, EC2_TRUST)).await {
            Response::CreateRole(r) => r.role,
            other => panic!("{other:?}"),
        }
    }

    async fn get_role(&self, name: &str) -> Role {
        match self.ok(get_role(name)).await {
            Response::GetRole(r) => r.role,
            other => panic!("{other:?}"),
        }
    }

    /// The ARNs attached to a role, in ARN order.
    async fn attached_arns(&self, name: &str) -> Vec<String> {
        let request = Request::ListAttachedRolePolicies(ListAttachedRolePoliciesRequest {
            role_name: name.to_owned(),
            path_prefix: None,
            marker: None,
            max_items: None,
        });
        match self.ok(request).await {
            Response::ListAttachedRolePolicies(r) => r
                .attached_policies
                .unwrap()
                .into_iter()
                .map(|p| p.policy_arn.unwrap())
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    async fn profile(&self, name: &str, path: Option<&str>) {
        self.ok(create_profile(name, path, None)).await;
    }

    async fn get_profile(&self, name: &str) -> wire::iam::InstanceProfile {
        match self
            .ok(Request::GetInstanceProfile(GetInstanceProfileRequest {
                instance_profile_name: name.to_owned(),
            }))
            .await
        {
            Response::GetInstanceProfile(r) => r.instance_profile,
            other => panic!("{other:?}"),
        }
    }
}

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.to_owned(),
        value: value.to_owned(),
    }
}

fn create_role(name: &str, path: Option<&str>, trust: &str) -> Request {
    Request::CreateRole(CreateRoleRequest {
        path: path.map(str::to_owned),
        role_name: name.to_owned(),
        assume_role_policy_document: trust.to_owned(),
        description: None,
        max_session_duration: None,
        permissions_boundary: None,
        tags: None,
    })
}

fn get_role(name: &str) -> Request {
    Request::GetRole(GetRoleRequest {
        role_name: name.to_owned(),
    })
}

fn delete_role(name: &str) -> Request {
    Request::DeleteRole(DeleteRoleRequest {
        role_name: name.to_owned(),
    })
}

fn list_roles(prefix: Option<&str>, marker: Option<String>, max_items: Option<i32>) -> Request {
    Request::ListRoles(ListRolesRequest {
        path_prefix: prefix.map(str::to_owned),
        marker,
        max_items,
    })
}

fn update_trust(name: &str, document: &str) -> Request {
    Request::UpdateAssumeRolePolicy(UpdateAssumeRolePolicyRequest {
        role_name: name.to_owned(),
        policy_document: document.to_owned(),
    })
}

fn put_role_policy(role: &str, name: &str, document: &str) -> Request {
    Request::PutRolePolicy(PutRolePolicyRequest {
        role_name: role.to_owned(),
        policy_name: name.to_owned(),
        policy_document: document.to_owned(),
    })
}

fn attach(role: &str, arn: &str) -> Request {
    Request::AttachRolePolicy(AttachRolePolicyRequest {
        role_name: role.to_owned(),
        policy_arn: arn.to_owned(),
    })
}

fn detach(role: &str, arn: &str) -> Request {
    Request::DetachRolePolicy(DetachRolePolicyRequest {
        role_name: role.to_owned(),
        policy_arn: arn.to_owned(),
    })
}

fn create_profile(name: &str, path: Option<&str>, tags: Option<Vec<Tag>>) -> Request {
    Request::CreateInstanceProfile(CreateInstanceProfileRequest {
        instance_profile_name: name.to_owned(),
        path: path.map(str::to_owned),
        tags,
    })
}

fn add_role(profile: &str, role: &str) -> Request {
    Request::AddRoleToInstanceProfile(AddRoleToInstanceProfileRequest {
        instance_profile_name: profile.to_owned(),
        role_name: role.to_owned(),
    })
}

fn remove_role(profile: &str, role: &str) -> Request {
    Request::RemoveRoleFromInstanceProfile(RemoveRoleFromInstanceProfileRequest {
        instance_profile_name: profile.to_owned(),
        role_name: role.to_owned(),
    })
}

fn delete_profile(name: &str) -> Request {
    Request::DeleteInstanceProfile(DeleteInstanceProfileRequest {
        instance_profile_name: name.to_owned(),
    })
}

fn trust_for(principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

fn allow_policy(actions: &str, resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":{actions},"Resource":"{resource}"}}]}}"#
    )
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn assert_error(error: &ServiceError, code: &str, message: &str) {
    assert_eq!((error.code(), error.message().as_str()), (code, message));
}

#[tokio::test]
async fn create_get_list_update_delete() {
    let f = Fixture::new().await;
    let created = match f
        .ok(Request::CreateRole(CreateRoleRequest {
            path: Some("/app/".to_owned()),
            role_name: "Deploy".to_owned(),
            assume_role_policy_document: EC2_TRUST.to_owned(),
            description: Some("deploys things".to_owned()),
            max_session_duration: Some(7200),
            permissions_boundary: None,
            tags: Some(vec![tag("team", "ops")]),
        }))
        .await
    {
        Response::CreateRole(r) => r.role,
        other => panic!("{other:?}"),
    };
    assert!(created.role_id.starts_with("AROA") && created.role_id.len() == 21);
    assert_eq!(created.arn, "arn:aws:iam::123456789012:role/app/Deploy");
    assert_eq!(created.path, "/app/");
    // AWS's CreateRole response omits MaxSessionDuration; GetRole shows it (below).
    assert_eq!(created.max_session_duration, None);
    assert_eq!(created.description.as_deref(), Some("deploys things"));
    assert_eq!(created.tags, Some(vec![tag("team", "ops")]));
    assert_eq!(created.role_last_used, None);
    let encoded = created.assume_role_policy_document.clone().unwrap();
    assert!(encoded.starts_with("%7B%22Version%22"));
    assert_eq!(decode(&encoded), EC2_TRUST);

    let got = f.get_role("deploy").await;
    assert_eq!(got.role_id, created.role_id);
    assert_eq!(got.max_session_duration, Some(7200));
    assert_eq!(got.create_date, wire::Timestamp::from_unix_seconds(T0));
    assert_eq!(got.tags, Some(vec![tag("team", "ops")]));
    let last = got.role_last_used.unwrap();
    assert_eq!((last.last_used_date, last.region), (None, None));

    // RoleLastUsed comes from the store, where STS records it (here as another node would;
    // this node reads such stamps at its next refresh).
    f.service
        .store()
        .record_role_use(&created.role_id, T0 + 90, "eu-west-1")
        .await
        .unwrap();
    f.service.refresh_caches().await.unwrap();
    let last = f.get_role("Deploy").await.role_last_used.unwrap();
    assert_eq!(
        (last.last_used_date, last.region.as_deref()),
        (
            Some(wire::Timestamp::from_unix_seconds(T0 + 90)),
            Some("eu-west-1")
        )
    );

    assert_error(
        &f.err(create_role("DEPLOY", None, EC2_TRUST)).await,
        "EntityAlreadyExists",
        "Role with name DEPLOY already exists.",
    );
    assert_error(
        &f.err(get_role("ghost")).await,
        "NoSuchEntity",
        "The role with name ghost cannot be found.",
    );
    assert_eq!(
        f.err(create_role("Bad", Some("app"), EC2_TRUST))
            .await
            .code(),
        "ValidationError"
    );
    assert_eq!(
        f.err(create_role("Bad", Some("/aws-service-role/x/"), EC2_TRUST))
            .await
            .code(),
        "InvalidInput"
    );

    // UpdateRole: description and duration, within AWS's bounds.
    f.ok(Request::UpdateRole(UpdateRoleRequest {
        role_name: "Deploy".to_owned(),
        description: Some("new".to_owned()),
        max_session_duration: Some(43_200),
    }))
    .await;
    let got = f.get_role("Deploy").await;
    assert_eq!(
        (got.description.as_deref(), got.max_session_duration),
        (Some("new"), Some(43_200))
    );
    for (bad, message) in [
        (
            3599,
            "1 validation error detected: Value at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600",
        ),
        (
            43_201,
            "1 validation error detected: Value at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200",
        ),
    ] {
        let error = f
            .err(Request::UpdateRole(UpdateRoleRequest {
                role_name: "Deploy".to_owned(),
                description: None,
                max_session_duration: Some(bad),
            }))
            .await;
        assert_error(&error, "ValidationError", message);
        let mut create = create_role("Other", None, EC2_TRUST);
        if let Request::CreateRole(input) = &mut create {
            input.max_session_duration = Some(bad);
        }
        assert_error(&f.err(create).await, "ValidationError", message);
    }
    let described = match f
        .ok(Request::UpdateRoleDescription(
            UpdateRoleDescriptionRequest {
                role_name: "deploy".to_owned(),
                description: "described".to_owned(),
            },
        ))
        .await
    {
        Response::UpdateRoleDescription(r) => r.role.unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(described.description.as_deref(), Some("described"));
    // AWS answers the described role without MaxSessionDuration (recorded); GetRole has it.
    assert_eq!(described.max_session_duration, None);
    assert_eq!(
        f.get_role("deploy").await.max_session_duration,
        Some(43_200)
    );
    assert_eq!(
        f.err(Request::UpdateRole(UpdateRoleRequest {
            role_name: "ghost".to_owned(),
            description: None,
            max_session_duration: None,
        }))
        .await
        .code(),
        "NoSuchEntity"
    );

    // ListRoles: name order, path prefix, pages; no tags or RoleLastUsed.
    f.role("alpha", None).await;
    f.role("Zulu", Some("/app/x/")).await;
    let page = |r: Response| match r {
        Response::ListRoles(l) => (
            l.roles.into_iter().map(|r| r.role_name).collect::<Vec<_>>(),
            l.is_truncated,
            l.marker,
        ),
        other => panic!("{other:?}"),
    };
    let (names, truncated, _) = page(f.ok(list_roles(None, None, None)).await);
    assert_eq!(names, ["alpha", "Deploy", "Zulu"]);
    assert_eq!(truncated, Some(false));
    let (names, _, _) = page(f.ok(list_roles(Some("/app/"), None, None)).await);
    assert_eq!(names, ["Deploy", "Zulu"]);
    let (names, truncated, marker) = page(f.ok(list_roles(None, None, Some(2))).await);
    assert_eq!((names.len(), truncated), (2, Some(true)));
    let (names, truncated, _) = page(f.ok(list_roles(None, marker, Some(2))).await);
    assert_eq!((names, truncated), (vec!["Zulu".to_owned()], Some(false)));
    if let Response::ListRoles(l) = f.ok(list_roles(None, None, None)).await {
        assert!(
            l.roles
                .iter()
                .all(|r| r.tags.is_none() && r.role_last_used.is_none())
        );
    }

    f.ok(delete_role("Deploy")).await;
    assert_eq!(f.err(get_role("Deploy")).await.code(), "NoSuchEntity");
    assert_eq!(f.err(delete_role("Deploy")).await.code(), "NoSuchEntity");
}

#[tokio::test]
async fn trust_policies_are_validated() {
    let f = Fixture::new().await;
    f.user("alice", None).await;
    f.ok(Request::CreateUser(CreateUserRequest {
        path: Some("/staff/".to_owned()),
        user_name: "bob".to_owned(),
        permissions_boundary: None,
        tags: None,
    }))
    .await;
    f.role("Target", Some("/svc/")).await;

    for principal in [
        "arn:aws:iam::123456789012:user/alice",
        "arn:aws:iam::123456789012:user/staff/bob",
        "arn:aws:iam::123456789012:role/svc/Target",
        "arn:aws:iam::123456789012:root",
        "arn:aws:iam::999988887777:root",
        "999988887777",
        "*",
    ] {
        f.ok(create_role("R", None, &trust_for(principal))).await;
        f.ok(delete_role("R")).await;
    }
    for principal in [
        "arn:aws:iam::123456789012:user/ghost",
        "arn:aws:iam::123456789012:user/bob",
        "arn:aws:iam::123456789012:role/Target",
        "arn:aws:iam::123456789012:role/svc/Nobody",
        "arn:aws:iam::999988887777:user/alice",
        "arn:aws:iam::123456789012:group/admins",
    ] {
        assert_error(
            &f.err(create_role("R", None, &trust_for(principal))).await,
            "MalformedPolicyDocument",
            &format!("Invalid principal in policy: \"AWS\":\"{principal}\""),
        );
    }
    // A list of principals: one unknown spoils it.
    let mixed = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:user/alice","arn:aws:iam::123456789012:user/ghost"]},"Action":"sts:AssumeRole"}]}"#;
    assert_error(
        &f.err(create_role("R", None, mixed)).await,
        "MalformedPolicyDocument",
        "Invalid principal in policy: \"AWS\":\"arn:aws:iam::123456789012:user/ghost\"",
    );
    assert_error(
        &f.err(create_role("R", None, "not json")).await,
        "MalformedPolicyDocument",
        "This policy contains invalid Json",
    );
    let with_resource = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}"#;
    assert_error(
        &f.err(create_role("R", None, with_resource)).await,
        "MalformedPolicyDocument",
        "Has prohibited field Resource",
    );
    let wrong_action = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"s3:GetObject"}]}"#;
    assert_error(
        &f.err(create_role("R", None, wrong_action)).await,
        "MalformedPolicyDocument",
        "AssumeRole policy may only specify STS AssumeRole actions.",
    );
    let padding = "x".repeat(2_100);
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{padding}","Effect":"Allow","Principal":{{"Service":"ec2.amazonaws.com"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    assert_error(
        &f.err(create_role("R", None, &big)).await,
        "LimitExceeded",
        "Cannot exceed quota for ACLSizePerRole: 2048",
    );
    assert_eq!(f.err(get_role("R")).await.code(), "NoSuchEntity");

    // UpdateAssumeRolePolicy validates the same way and stores the new document.
    assert_error(
        &f.err(update_trust(
            "Target",
            &trust_for("arn:aws:iam::123456789012:user/ghost"),
        ))
        .await,
        "MalformedPolicyDocument",
        "Invalid principal in policy: \"AWS\":\"arn:aws:iam::123456789012:user/ghost\"",
    );
    assert_eq!(
        f.err(update_trust("Target", "{")).await.message(),
        "This policy contains invalid Json"
    );
    let alice = trust_for("arn:aws:iam::123456789012:user/alice");
    f.ok(update_trust("target", &alice)).await;
    let got = f.get_role("Target").await;
    assert_eq!(decode(&got.assume_role_policy_document.unwrap()), alice);
    assert_eq!(
        f.err(update_trust("ghost", &alice)).await.code(),
        "NoSuchEntity"
    );
}

#[tokio::test]
async fn role_policies_and_boundaries() {
    let f = Fixture::new().await;
    f.role("Deploy", None).await;
    let doc = allow_policy(r#""s3:GetObject""#, "*");
    f.ok(put_role_policy("Deploy", "read", &doc)).await;
    f.ok(put_role_policy("deploy", "more", &doc)).await;
    match f
        .ok(Request::GetRolePolicy(GetRolePolicyRequest {
            role_name: "deploy".to_owned(),
            policy_name: "read".to_owned(),
        }))
        .await
    {
        Response::GetRolePolicy(r) => {
            assert_eq!(r.role_name, "Deploy");
            assert_eq!(decode(&r.policy_document), doc);
        }
        other => panic!("{other:?}"),
    }
    match f
        .ok(Request::ListRolePolicies(ListRolePoliciesRequest {
            role_name: "Deploy".to_owned(),
            marker: None,
            max_items: None,
        }))
        .await
    {
        Response::ListRolePolicies(r) => assert_eq!(r.policy_names, ["more", "read"]),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        f.err(put_role_policy("Deploy", "bad", r#"{"Statement":[]}"#))
            .await
            .code(),
        "MalformedPolicyDocument"
    );
    // The role's inline policies total at most 10,240 characters without white space.
    let big = allow_policy(&format!(r#"["s3:{}"]"#, "A".repeat(5_000)), "*");
    f.ok(put_role_policy("Deploy", "big1", &big)).await;
    assert_error(
        &f.err(put_role_policy("Deploy", "big2", &big)).await,
        "LimitExceeded",
        "Maximum policy size of 10240 bytes exceeded for role Deploy",
    );
    // Replacing a policy counts only its new text.
    f.ok(put_role_policy("Deploy", "big1", &big)).await;

    assert_error(
        &f.err(delete_role("Deploy")).await,
        "DeleteConflict",
        "Cannot delete entity, must delete policies first.",
    );
    for name in ["read", "more", "big1"] {
        f.ok(Request::DeleteRolePolicy(DeleteRolePolicyRequest {
            role_name: "Deploy".to_owned(),
            policy_name: name.to_owned(),
        }))
        .await;
    }
    assert_error(
        &f.err(Request::DeleteRolePolicy(DeleteRolePolicyRequest {
            role_name: "Deploy".to_owned(),
            policy_name: "read".to_owned(),
        }))
        .await,
        "NoSuchEntity",
        "The role policy with name read cannot be found.",
    );

    // Managed policies: AWS's and the account's own.
    f.ok(attach("Deploy", READ_ONLY)).await;
    f.ok(Request::CreatePolicy(CreatePolicyRequest {
        policy_name: "Mine".to_owned(),
        path: Some("/team/".to_owned()),
        policy_document: doc.clone(),
        description: None,
        tags: None,
    }))
    .await;
    let mine = "arn:aws:iam::123456789012:policy/team/Mine";
    f.ok(attach("Deploy", mine)).await;
    assert_error(
        &f.err(attach("Deploy", "arn:aws:iam::aws:policy/Nope"))
            .await,
        "NoSuchEntity",
        "Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable.",
    );
    let attached = |r: Response| match r {
        Response::ListAttachedRolePolicies(l) => l
            .attached_policies
            .unwrap()
            .into_iter()
            .map(|p| (p.policy_name.unwrap(), p.policy_arn.unwrap()))
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    let list = |prefix: Option<&str>| {
        Request::ListAttachedRolePolicies(ListAttachedRolePoliciesRequest {
            role_name: "Deploy".to_owned(),
            path_prefix: prefix.map(str::to_owned),
            marker: None,
            max_items: None,
        })
    };
    let all = attached(f.ok(list(None)).await);
    assert_eq!(all.len(), 2);
    assert!(all.contains(&("ReadOnlyAccess".to_owned(), READ_ONLY.to_owned())));
    assert_eq!(
        attached(f.ok(list(Some("/team/"))).await),
        [("Mine".to_owned(), mine.to_owned())]
    );
    assert_error(
        &f.err(delete_role("Deploy")).await,
        "DeleteConflict",
        "Cannot delete entity, must detach all policies first.",
    );
    f.ok(detach("Deploy", READ_ONLY)).await;
    f.ok(detach("Deploy", mine)).await;
    assert_eq!(f.err(detach("Deploy", mine)).await.code(), "NoSuchEntity");

    // Permissions boundary.
    f.ok(Request::PutRolePermissionsBoundary(
        PutRolePermissionsBoundaryRequest {
            role_name: "Deploy".to_owned(),
            permissions_boundary: BILLING.to_owned(),
        },
    ))
    .await;
    let boundary = f.get_role("Deploy").await.permissions_boundary.unwrap();
    assert_eq!(boundary.permissions_boundary_arn.as_deref(), Some(BILLING));
    assert_eq!(
        f.err(Request::PutRolePermissionsBoundary(
            PutRolePermissionsBoundaryRequest {
                role_name: "Deploy".to_owned(),
                permissions_boundary: "arn:aws:iam::aws:policy/Nope".to_owned(),
            },
        ))
        .await
        .code(),
        "NoSuchEntity"
    );
    f.ok(Request::DeleteRolePermissionsBoundary(
        DeleteRolePermissionsBoundaryRequest {
            role_name: "Deploy".to_owned(),
        },
    ))
    .await;
    assert!(f.get_role("Deploy").await.permissions_boundary.is_none());
    f.ok(delete_role("Deploy")).await;
}

#[tokio::test]
async fn role_tags() {
    let f = Fixture::new().await;
    f.role("Deploy", None).await;
    f.ok(Request::TagRole(TagRoleRequest {
        role_name: "Deploy".to_owned(),
        tags: vec![tag("b", "2"), tag("a", "1")],
    }))
    .await;
    let tags = |r: Response| match r {
        Response::ListRoleTags(l) => l.tags,
        other => panic!("{other:?}"),
    };
    let list = || {
        Request::ListRoleTags(ListRoleTagsRequest {
            role_name: "Deploy".to_owned(),
            marker: None,
            max_items: None,
        })
    };
    assert_eq!(tags(f.ok(list()).await), [tag("a", "1"), tag("b", "2")]);
    assert_error(
        &f.err(Request::TagRole(TagRoleRequest {
            role_name: "Deploy".to_owned(),
            tags: vec![tag("k", "1"), tag("K", "2")],
        }))
        .await,
        "InvalidInput",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    );
    f.ok(Request::UntagRole(UntagRoleRequest {
        role_name: "Deploy".to_owned(),
        tag_keys: vec!["A".to_owned()],
    }))
    .await;
    assert_eq!(tags(f.ok(list()).await), [tag("b", "2")]);
    assert_eq!(f.get_role("Deploy").await.tags, Some(vec![tag("b", "2")]));
    let many: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
    assert_error(
        &f.err(Request::TagRole(TagRoleRequest {
            role_name: "Deploy".to_owned(),
            tags: many,
        }))
        .await,
        "LimitExceeded",
        "Cannot exceed quota for TagsPerEntity: 50",
    );
    assert_eq!(
        f.err(Request::ListRoleTags(ListRoleTagsRequest {
            role_name: "ghost".to_owned(),
            marker: None,
            max_items: None,
        }))
        .await
        .code(),
        "NoSuchEntity"
    );
}

#[tokio::test]
async fn instance_profiles() {
    let f = Fixture::new().await;
    let created = match f
        .ok(create_profile(
            "Web",
            Some("/app/"),
            Some(vec![tag("env", "prod")]),
        ))
        .await
    {
        Response::CreateInstanceProfile(r) => r.instance_profile,
        other => panic!("{other:?}"),
    };
    assert!(created.instance_profile_id.starts_with("AIPA"));
    assert_eq!(created.instance_profile_id.len(), 21);
    assert_eq!(
        created.arn,
        "arn:aws:iam::123456789012:instance-profile/app/Web"
    );
    assert!(created.roles.is_empty());
    assert_eq!(created.tags, Some(vec![tag("env", "prod")]));
    assert_error(
        &f.err(create_profile("web", None, None)).await,
        "EntityAlreadyExists",
        "Instance Profile web already exists.",
    );
    assert_error(
        &f.err(Request::GetInstanceProfile(GetInstanceProfileRequest {
            instance_profile_name: "ghost".to_owned(),
        }))
        .await,
        "NoSuchEntity",
        "Instance Profile ghost cannot be found.",
    );

    let role = f.role("Deploy", None).await;
    f.role("Audit", None).await;
    f.ok(add_role("web", "deploy")).await;
    assert_error(
        &f.err(add_role("Web", "Audit")).await,
        "LimitExceeded",
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
    );
    assert_error(
        &f.err(add_role("Web", "ghost")).await,
        "NoSuchEntity",
        "The role with name ghost cannot be found.",
    );
    assert_error(
        &f.err(add_role("ghost", "Deploy")).await,
        "NoSuchEntity",
        "Instance Profile ghost cannot be found.",
    );
    let got = f.get_profile("Web").await;
    assert_eq!(got.roles.len(), 1);
    assert_eq!(got.roles[0].role_id, role.role_id);
    assert_eq!(got.roles[0].arn, "arn:aws:iam::123456789012:role/Deploy");
    assert_eq!(
        decode(got.roles[0].assume_role_policy_document.as_deref().unwrap()),
        EC2_TRUST
    );
    assert_eq!(got.tags, Some(vec![tag("env", "prod")]));

    f.profile("Batch", None).await;
    f.profile("Cron", Some("/app/")).await;
    f.ok(add_role("Cron", "Deploy")).await;
    let names = |r: Response| match r {
        Response::ListInstanceProfiles(l) => (
            l.instance_profiles
                .into_iter()
                .map(|p| p.instance_profile_name)
                .collect::<Vec<_>>(),
            l.is_truncated,
            l.marker,
        ),
        Response::ListInstanceProfilesForRole(l) => (
            l.instance_profiles
                .into_iter()
                .map(|p| p.instance_profile_name)
                .collect::<Vec<_>>(),
            l.is_truncated,
            l.marker,
        ),
        other => panic!("{other:?}"),
    };
    let list = |prefix: Option<&str>, marker: Option<String>, max: Option<i32>| {
        Request::ListInstanceProfiles(ListInstanceProfilesRequest {
            path_prefix: prefix.map(str::to_owned),
            marker,
            max_items: max,
        })
    };
    assert_eq!(
        names(f.ok(list(None, None, None)).await).0,
        ["Batch", "Cron", "Web"]
    );
    assert_eq!(
        names(f.ok(list(Some("/app/"), None, None)).await).0,
        ["Cron", "Web"]
    );
    let (first, truncated, marker) = names(f.ok(list(None, None, Some(2))).await);
    assert_eq!((first.len(), truncated), (2, Some(true)));
    assert_eq!(names(f.ok(list(None, marker, Some(2))).await).0, ["Web"]);
    let for_role = |role: &str| {
        Request::ListInstanceProfilesForRole(ListInstanceProfilesForRoleRequest {
            role_name: role.to_owned(),
            marker: None,
            max_items: None,
        })
    };
    assert_eq!(names(f.ok(for_role("Deploy")).await).0, ["Cron", "Web"]);
    assert!(names(f.ok(for_role("Audit")).await).0.is_empty());
    assert_eq!(f.err(for_role("ghost")).await.code(), "NoSuchEntity");

    // Profiles and roles that hold each other cannot be deleted.
    let conflict = "Cannot delete entity, must remove roles from instance profile first.";
    assert_error(
        &f.err(delete_profile("Web")).await,
        "DeleteConflict",
        conflict,
    );
    assert_error(
        &f.err(delete_role("Deploy")).await,
        "DeleteConflict",
        conflict,
    );
    assert_error(
        &f.err(remove_role("Web", "Audit")).await,
        "NoSuchEntity",
        "The role with name Audit cannot be found.",
    );
    f.ok(remove_role("Web", "Deploy")).await;
    f.ok(remove_role("Cron", "Deploy")).await;
    assert!(f.get_profile("Web").await.roles.is_empty());
    f.ok(delete_role("Deploy")).await;

    // Tags.
    f.ok(Request::TagInstanceProfile(TagInstanceProfileRequest {
        instance_profile_name: "Web".to_owned(),
        tags: vec![tag("team", "a")],
    }))
    .await;
    let tags = |r: Response| match r {
        Response::ListInstanceProfileTags(l) => l.tags,
        other => panic!("{other:?}"),
    };
    let list_tags = |name: &str| {
        Request::ListInstanceProfileTags(ListInstanceProfileTagsRequest {
            instance_profile_name: name.to_owned(),
            marker: None,
            max_items: None,
        })
    };
    assert_eq!(
        tags(f.ok(list_tags("web")).await),
        [tag("env", "prod"), tag("team", "a")]
    );
    f.ok(Request::UntagInstanceProfile(UntagInstanceProfileRequest {
        instance_profile_name: "Web".to_owned(),
        tag_keys: vec!["ENV".to_owned()],
    }))
    .await;
    assert_eq!(tags(f.ok(list_tags("Web")).await), [tag("team", "a")]);
    assert_eq!(
        f.err(Request::TagInstanceProfile(TagInstanceProfileRequest {
            instance_profile_name: "Web".to_owned(),
            tags: vec![tag("x", "1"), tag("X", "2")],
        }))
        .await
        .code(),
        "InvalidInput"
    );
    assert_eq!(f.err(list_tags("ghost")).await.code(), "NoSuchEntity");

    f.ok(delete_profile("web")).await;
    assert_eq!(f.err(delete_profile("Web")).await.code(), "NoSuchEntity");
}

#[tokio::test]
async fn service_linked_roles() {
    let f = Fixture::new().await;
    let create = |service: &str, suffix: Option<&str>| {
        Request::CreateServiceLinkedRole(CreateServiceLinkedRoleRequest {
            aws_service_name: service.to_owned(),
            description: Some("made for the service".to_owned()),
            custom_suffix: suffix.map(str::to_owned),
        })
    };
    let role = match f.ok(create("elasticbeanstalk.amazonaws.com", None)).await {
        Response::CreateServiceLinkedRole(r) => r.role.unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(role.role_name, "AWSServiceRoleForElasticBeanstalk");
    assert_eq!(
        role.path,
        "/aws-service-role/elasticbeanstalk.amazonaws.com/"
    );
    assert_eq!(
        role.arn,
        "arn:aws:iam::123456789012:role/aws-service-role/elasticbeanstalk.amazonaws.com/AWSServiceRoleForElasticBeanstalk"
    );
    assert_eq!(role.description.as_deref(), Some("made for the service"));
    let trust = decode(role.assume_role_policy_document.as_deref().unwrap());
    assert_eq!(
        trust,
        r#"{"Version":"2012-10-17","Statement":[{"Action":["sts:AssumeRole"],"Effect":"Allow","Principal":{"Service":["elasticbeanstalk.amazonaws.com"]}}]}"#
    );
    // As CreateRole, the answer has no MaxSessionDuration; GetRole has AWS's default.
    assert_eq!(role.max_session_duration, None);
    assert_eq!(
        f.get_role("AWSServiceRoleForElasticBeanstalk")
            .await
            .max_session_duration,
        Some(3600)
    );

    for (service, name) in [
        ("autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling"),
        ("ecs.amazonaws.com", "AWSServiceRoleForECS"),
        ("spot.amazonaws.com", "AWSServiceRoleForEC2Spot"),
        (
            "ecs.application-autoscaling.amazonaws.com",
            "AWSServiceRoleForApplicationAutoScaling_ECSService",
        ),
        ("my-thing.amazonaws.com", "AWSServiceRoleForMyThing"),
    ] {
        match f.ok(create(service, None)).await {
            Response::CreateServiceLinkedRole(r) => assert_eq!(r.role.unwrap().role_name, name),
            other => panic!("{other:?}"),
        }
    }
    // Elastic Beanstalk takes no suffix; Auto Scaling does.
    assert_error(
        &f.err(create("elasticbeanstalk.amazonaws.com", Some("blue")))
            .await,
        "InvalidInput",
        "Custom suffix is not allowed for elasticbeanstalk.amazonaws.com",
    );
    match f
        .ok(create("autoscaling.amazonaws.com", Some("blue")))
        .await
    {
        Response::CreateServiceLinkedRole(r) => assert_eq!(
            r.role.unwrap().role_name,
            "AWSServiceRoleForAutoScaling_blue"
        ),
        other => panic!("{other:?}"),
    }
    assert_error(
        &f.err(create("elasticbeanstalk.amazonaws.com", None)).await,
        "InvalidInput",
        "Service role name AWSServiceRoleForElasticBeanstalk has been taken in this account, please try a different suffix.",
    );
    assert_eq!(
        f.err(create("example.com", None)).await.code(),
        "InvalidInput"
    );

    // The role belongs to its service.
    let name = "AWSServiceRoleForElasticBeanstalk";
    let protected = format!(
        "Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"
    );
    for request in [
        update_trust(name, EC2_TRUST),
        delete_role(name),
        attach(name, READ_ONLY),
        put_role_policy(name, "p", &allow_policy(r#""s3:*""#, "*")),
    ] {
        assert_error(&f.err(request).await, "UnmodifiableEntity", &protected);
    }
    // Its description may change.
    f.ok(Request::UpdateRoleDescription(
        UpdateRoleDescriptionRequest {
            role_name: name.to_owned(),
            description: "mine".to_owned(),
        },
    ))
    .await;

    let task = match f
        .ok(Request::DeleteServiceLinkedRole(
            DeleteServiceLinkedRoleRequest {
                role_name: name.to_owned(),
            },
        ))
        .await
    {
        Response::DeleteServiceLinkedRole(r) => r.deletion_task_id,
        other => panic!("{other:?}"),
    };
    let prefix = format!("task/aws-service-role/elasticbeanstalk.amazonaws.com/{name}/");
    assert!(task.starts_with(&prefix), "{task}");
    let uuid = &task[prefix.len()..];
    assert_eq!(uuid.len(), 36);
    assert_eq!(uuid.matches('-').count(), 4);
    assert_eq!(f.err(get_role(name)).await.code(), "NoSuchEntity");
    let status = |id: &str| {
        Request::GetServiceLinkedRoleDeletionStatus(GetServiceLinkedRoleDeletionStatusRequest {
            deletion_task_id: id.to_owned(),
        })
    };
    match f.ok(status(&task)).await {
        Response::GetServiceLinkedRoleDeletionStatus(r) => {
            assert_eq!(r.status, DeletionTaskStatusType::Succeeded);
            assert!(r.reason.is_none());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(f.err(status("task/bogus")).await.code(), "NoSuchEntity");
    // A task for a role that still exists was not run by this server.
    let live = "task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/0f8fad5b-d9cb-469f-a165-70867728950e";
    assert_eq!(f.err(status(live)).await.code(), "NoSuchEntity");

    // DeleteServiceLinkedRole is for service-linked roles only.
    f.role("Plain", None).await;
    assert_eq!(
        f.err(Request::DeleteServiceLinkedRole(
            DeleteServiceLinkedRoleRequest {
                role_name: "Plain".to_owned(),
            },
        ))
        .await
        .code(),
        "InvalidInput"
    );
    assert_eq!(
        f.err(Request::DeleteServiceLinkedRole(
            DeleteServiceLinkedRoleRequest {
                role_name: "ghost".to_owned(),
            },
        ))
        .await
        .code(),
        "NoSuchEntity"
    );
}

/// The whole shipped table of service-linked roles, replayed: every service's role is made
/// with AWS's name, path, trust policy and attached policies; a suffix is taken only where
/// AWS takes one, and a refused suffix writes nothing.
#[tokio::test]
async fn service_linked_roles_replay_the_table() {
    let table: serde_json::Value =
        serde_json::from_str(include_str!("../../../data/aws-service-linked-roles.json")).unwrap();
    let rows = table["roles"].as_array().unwrap();
    assert_eq!(rows.len(), 72);
    let f = Fixture::new().await;
    let create = |service: &str, suffix: Option<&str>| {
        Request::CreateServiceLinkedRole(CreateServiceLinkedRoleRequest {
            aws_service_name: service.to_owned(),
            description: None,
            custom_suffix: suffix.map(str::to_owned),
        })
    };
    let (mut refused, mut taken) = (0, 0);
    for row in rows {
        let service = row["service"].as_str().unwrap();
        let name = row["role_name"].as_str().unwrap();
        let path = row["path"].as_str().unwrap();
        let mut policies: Vec<String> = row["attached_policies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_owned())
            .collect();
        policies.sort();

        let role = match f.ok(create(service, None)).await {
            Response::CreateServiceLinkedRole(r) => r.role.unwrap(),
            other => panic!("{other:?}"),
        };
        assert_eq!((role.role_name.as_str(), role.path.as_str()), (name, path));
        assert_eq!(role.arn, format!("arn:aws:iam::{ACCOUNT}:role{path}{name}"));
        assert_eq!(
            decode(role.assume_role_policy_document.as_deref().unwrap()),
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Action":["sts:AssumeRole"],"Effect":"Allow","Principal":{{"Service":["{service}"]}}}}]}}"#
            )
        );
        assert_eq!(f.attached_arns(name).await, policies, "{service}");

        let suffixed = format!("{name}_x");
        if row["custom_suffix_allowed"].as_bool().unwrap() {
            taken += 1;
            match f.ok(create(service, Some("x"))).await {
                Response::CreateServiceLinkedRole(r) => {
                    let role = r.role.unwrap();
                    assert_eq!(
                        (role.role_name.as_str(), role.path.as_str()),
                        (suffixed.as_str(), path)
                    );
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(f.attached_arns(&suffixed).await, policies, "{service}");
        } else {
            refused += 1;
            assert_error(
                &f.err(create(service, Some("x"))).await,
                "InvalidInput",
                &format!("Custom suffix is not allowed for {service}"),
            );
            assert_eq!(f.err(get_role(&suffixed)).await.code(), "NoSuchEntity");
        }
        assert_error(
            &f.err(create(service, None)).await,
            "InvalidInput",
            &format!(
                "Service role name {name} has been taken in this account, please try a different suffix."
            ),
        );
    }
    assert_eq!((refused, taken), (69, 3));
}

/// What a service attached stays attached: customers may not detach it, add to it or bound
/// it; DeleteServiceLinkedRole removes the role and its attachments.
#[tokio::test]
async fn service_linked_role_policies_belong_to_the_service() {
    let f = Fixture::new().await;
    f.ok(Request::CreateServiceLinkedRole(
        CreateServiceLinkedRoleRequest {
            aws_service_name: "ecs.amazonaws.com".to_owned(),
            description: None,
            custom_suffix: None,
        },
    ))
    .await;
    let name = "AWSServiceRoleForECS";
    let own = "arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy";
    let protected = format!(
        "Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"
    );
    for request in [
        detach(name, own),
        attach(name, READ_ONLY),
        Request::PutRolePermissionsBoundary(PutRolePermissionsBoundaryRequest {
            role_name: name.to_owned(),
            permissions_boundary: READ_ONLY.to_owned(),
        }),
        Request::DeleteRolePermissionsBoundary(DeleteRolePermissionsBoundaryRequest {
            role_name: name.to_owned(),
        }),
    ] {
        assert_error(&f.err(request).await, "UnmodifiableEntity", &protected);
    }
    let store = f.service.store();
    let roles_of = |arn: &'static str| async move {
        store
            .list_entities_for_policy(ACCOUNT, arn)
            .await
            .unwrap()
            .into_iter()
            .map(|entity| entity.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(roles_of(own).await, [name]);
    f.ok(Request::DeleteServiceLinkedRole(
        DeleteServiceLinkedRoleRequest {
            role_name: name.to_owned(),
        },
    ))
    .await;
    assert_eq!(f.err(get_role(name)).await.code(), "NoSuchEntity");
    assert!(roles_of(own).await.is_empty());
}

#[tokio::test]
async fn enforcement() {
    let f = Fixture::new().await;
    f.role("Existing", None).await;
    f.profile("Web", None).await;
    let nobody = f.user("nobody", None).await;
    for request in [
        create_role("New", None, EC2_TRUST),
        get_role("Existing"),
        // An unknown role is not revealed to a caller who may not look.
        get_role("ghost"),
        list_roles(None, None, None),
        delete_role("Existing"),
        update_trust("Existing", EC2_TRUST),
        put_role_policy("Existing", "p", &allow_policy(r#""s3:*""#, "*")),
        attach("Existing", READ_ONLY),
        create_profile("Other", None, None),
        add_role("Web", "Existing"),
        Request::GetInstanceProfile(GetInstanceProfileRequest {
            instance_profile_name: "ghost".to_owned(),
        }),
        Request::CreateServiceLinkedRole(CreateServiceLinkedRoleRequest {
            aws_service_name: "ecs.amazonaws.com".to_owned(),
            description: None,
            custom_suffix: None,
        }),
    ] {
        let error = f.service.iam(&nobody, request).await.unwrap_err();
        assert_eq!(error.code(), "AccessDenied", "{}", error.message());
    }
    let denied = f
        .service
        .iam(&nobody, get_role("Existing"))
        .await
        .unwrap_err();
    assert!(
        denied
            .message()
            .contains("arn:aws:iam::123456789012:user/nobody")
            && denied.message().contains("iam:GetRole"),
        "{}",
        denied.message()
    );

    // Allowed on a path only.
    let creator = f
        .user(
            "creator",
            Some(&allow_policy(
                r#"["iam:CreateRole","iam:GetRole"]"#,
                "arn:aws:iam::123456789012:role/app/*",
            )),
        )
        .await;
    f.service
        .iam(&creator, create_role("Mine", Some("/app/"), EC2_TRUST))
        .await
        .unwrap();
    assert_eq!(
        f.service
            .iam(&creator, create_role("Elsewhere", None, EC2_TRUST))
            .await
            .unwrap_err()
            .code(),
        "AccessDenied"
    );
    f.service.iam(&creator, get_role("Mine")).await.unwrap();

    // AddRoleToInstanceProfile also needs iam:PassRole on the role, for EC2.
    let adder = f
        .user(
            "adder",
            Some(&allow_policy(r#""iam:AddRoleToInstanceProfile""#, "*")),
        )
        .await;
    let error = f
        .service
        .iam(&adder, add_role("Web", "Existing"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "AccessDenied");
    assert!(
        error.message().contains("iam:PassRole"),
        "{}",
        error.message()
    );
    let passer_policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"iam:AddRoleToInstanceProfile","Resource":"*"},
        {"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/*",
         "Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}}]}"#;
    let passer = f.user("passer", Some(passer_policy)).await;
    f.service
        .iam(&passer, add_role("Web", "Existing"))
        .await
        .unwrap();
    assert_eq!(f.get_profile("Web").await.roles.len(), 1);
    let lambda_only = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"iam:AddRoleToInstanceProfile","Resource":"*"},
        {"Effect":"Allow","Action":"iam:PassRole","Resource":"*",
         "Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}]}"#;
    let lambda = f.user("lambda", Some(lambda_only)).await;
    f.ok(remove_role("Web", "Existing")).await;
    assert_eq!(
        f.service
            .iam(&lambda, add_role("Web", "Existing"))
            .await
            .unwrap_err()
            .code(),
        "AccessDenied"
    );

    // Tagging on create needs iam:TagRole too.
    let no_tags = f
        .user("notags", Some(&allow_policy(r#""iam:CreateRole""#, "*")))
        .await;
    let mut tagged = create_role("Tagged", None, EC2_TRUST);
    if let Request::CreateRole(input) = &mut tagged {
        input.tags = Some(vec![tag("a", "b")]);
    }
    let error = f.service.iam(&no_tags, tagged).await.unwrap_err();
    assert_eq!(error.code(), "AccessDenied");
    assert!(
        error.message().contains("iam:TagRole"),
        "{}",
        error.message()
    );
}

/// CreateRole keeps the service-linked path to CreateServiceLinkedRole, in AWS's words (as
/// real CreateRole calls show them).
#[tokio::test]
async fn create_role_refuses_the_service_linked_path() {
    let f = Fixture::new().await;
    let answer = f
        .err(create_role(
            "AWSServiceRoleForECS",
            Some("/aws-service-role/ecs.amazonaws.com/"),
            EC2_TRUST,
        ))
        .await;
    assert_eq!(
        (answer.code(), answer.message()),
        (
            "InvalidInput",
            "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles"
                .to_owned()
        )
    );
}
