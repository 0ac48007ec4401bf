//! Managed policies through `Service::iam`: CRUD, versions and their limit, the AWS managed
//! catalogue, ListPolicies paging across both sources, entities, tags, and the errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

use std::collections::HashSet;

use service::{
    Caller, Catalogue, Clock, Identity, MasterKey, NewAccount, RequestInfo, Sealer, Service,
    ServiceError,
};
use wire::iam::{
    AttachGroupPolicyRequest, AttachUserPolicyRequest, CreateGroupRequest, CreatePolicyRequest,
    CreatePolicyVersionRequest, CreateRoleRequest, CreateUserRequest, DeletePolicyRequest,
    DeletePolicyVersionRequest, DetachUserPolicyRequest, EntityType, GetPolicyRequest,
    GetPolicyVersionRequest, ListEntitiesForPolicyRequest, ListPoliciesRequest,
    ListPolicyTagsRequest, ListPolicyVersionsRequest, Policy, PolicyScopeType, PolicyUsageType,
    PolicyVersion, PutUserPermissionsBoundaryRequest, PutUserPolicyRequest, Request, Response,
    SetDefaultPolicyVersionRequest, Tag, TagPolicyRequest, TagUserRequest, UntagPolicyRequest,
};

const ACCOUNT: &str = "123456789012";
const OTHER: &str = "210987654321";
const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const NOW: i64 = 1_700_000_000;

const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
const DOC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}"#;

fn arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:policy/{name}")
}

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
            Clock::fixed(NOW),
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

    async fn create(&self, name: &str, path: Option<&str>) -> Policy {
        match self.ok(create_policy(name, path, DOC)).await {
            Response::CreatePolicy(r) => r.policy.unwrap(),
            other => panic!("{other:?}"),
        }
    }

    async fn get(&self, arn: &str) -> Result<Policy, ServiceError> {
        match self
            .root(Request::GetPolicy(GetPolicyRequest {
                policy_arn: arn.to_owned(),
            }))
            .await?
        {
            Response::GetPolicy(r) => Ok(r.policy.unwrap()),
            other => panic!("{other:?}"),
        }
    }

    async fn new_version(&self, arn: &str, default: bool) -> Result<PolicyVersion, ServiceError> {
        match self
            .root(Request::CreatePolicyVersion(CreatePolicyVersionRequest {
                policy_arn: arn.to_owned(),
                policy_document: DOC2.to_owned(),
                set_as_default: Some(default),
            }))
            .await?
        {
            Response::CreatePolicyVersion(r) => Ok(r.policy_version.unwrap()),
            other => panic!("{other:?}"),
        }
    }

    async fn version(&self, arn: &str, id: &str) -> Result<PolicyVersion, ServiceError> {
        match self
            .root(Request::GetPolicyVersion(GetPolicyVersionRequest {
                policy_arn: arn.to_owned(),
                version_id: id.to_owned(),
            }))
            .await?
        {
            Response::GetPolicyVersion(r) => Ok(r.policy_version.unwrap()),
            other => panic!("{other:?}"),
        }
    }

    async fn versions(&self, arn: &str) -> Vec<PolicyVersion> {
        match self
            .ok(Request::ListPolicyVersions(ListPolicyVersionsRequest {
                policy_arn: arn.to_owned(),
                marker: None,
                max_items: None,
            }))
            .await
        {
            Response::ListPolicyVersions(r) => r.versions.unwrap(),
            other => panic!("{other:?}"),
        }
    }

    async fn list(&self, request: ListPoliciesRequest) -> (Vec<Policy>, Option<String>) {
        match self.ok(Request::ListPolicies(request)).await {
            Response::ListPolicies(r) => {
                assert_eq!(r.is_truncated, Some(r.marker.is_some()));
                (r.policies.unwrap(), r.marker)
            }
            other => panic!("{other:?}"),
        }
    }

    /// Every page of a ListPolicies call, following the markers.
    async fn list_all(&self, request: &ListPoliciesRequest) -> (Vec<Policy>, usize) {
        let mut all = Vec::new();
        let mut marker = None;
        let mut pages = 0;
        loop {
            let (page, next) = self
                .list(ListPoliciesRequest {
                    marker: marker.clone(),
                    ..request.clone()
                })
                .await;
            pages += 1;
            all.extend(page);
            match next {
                Some(next) => marker = Some(next),
                None => return (all, pages),
            }
        }
    }

    async fn user(&self, name: &str) {
        self.ok(Request::CreateUser(CreateUserRequest {
            path: None,
            user_name: name.to_owned(),
            permissions_boundary: None,
            tags: None,
        }))
        .await;
    }

    async fn attach_user(&self, user: &str, arn: &str) {
        self.ok(Request::AttachUserPolicy(AttachUserPolicyRequest {
            user_name: user.to_owned(),
            policy_arn: arn.to_owned(),
        }))
        .await;
    }

    async fn entities(&self, request: ListEntitiesForPolicyRequest) -> Vec<(String, String)> {
        match self.ok(Request::ListEntitiesForPolicy(request)).await {
            Response::ListEntitiesForPolicy(r) => {
                let mut out = Vec::new();
                out.extend(
                    r.policy_groups
                        .unwrap()
                        .into_iter()
                        .map(|g| ("group".to_owned(), g.group_name.unwrap())),
                );
                out.extend(
                    r.policy_users
                        .unwrap()
                        .into_iter()
                        .map(|u| ("user".to_owned(), u.user_name.unwrap())),
                );
                out.extend(
                    r.policy_roles
                        .unwrap()
                        .into_iter()
                        .map(|r| ("role".to_owned(), r.role_name.unwrap())),
                );
                out
            }
            other => panic!("{other:?}"),
        }
    }

    async fn tags(&self, arn: &str) -> Result<Vec<(String, String)>, ServiceError> {
        match self
            .root(Request::ListPolicyTags(ListPolicyTagsRequest {
                policy_arn: arn.to_owned(),
                marker: None,
                max_items: None,
            }))
            .await?
        {
            Response::ListPolicyTags(r) => {
                Ok(r.tags.into_iter().map(|t| (t.key, t.value)).collect())
            }
            other => panic!("{other:?}"),
        }
    }
}

fn create_policy(name: &str, path: Option<&str>, document: &str) -> Request {
    Request::CreatePolicy(CreatePolicyRequest {
        policy_name: name.to_owned(),
        path: path.map(str::to_owned),
        policy_document: document.to_owned(),
        description: None,
        tags: None,
    })
}

fn delete_policy(arn: &str) -> Request {
    Request::DeletePolicy(DeletePolicyRequest {
        policy_arn: arn.to_owned(),
    })
}

fn delete_version(arn: &str, id: &str) -> Request {
    Request::DeletePolicyVersion(DeletePolicyVersionRequest {
        policy_arn: arn.to_owned(),
        version_id: id.to_owned(),
    })
}

fn set_default(arn: &str, id: &str) -> Request {
    Request::SetDefaultPolicyVersion(SetDefaultPolicyVersionRequest {
        policy_arn: arn.to_owned(),
        version_id: id.to_owned(),
    })
}

fn list_request(scope: Option<PolicyScopeType>) -> ListPoliciesRequest {
    ListPoliciesRequest {
        scope,
        only_attached: None,
        path_prefix: None,
        policy_usage_filter: None,
        marker: None,
        max_items: None,
    }
}

fn entities_request(arn: &str) -> ListEntitiesForPolicyRequest {
    ListEntitiesForPolicyRequest {
        policy_arn: arn.to_owned(),
        entity_filter: None,
        path_prefix: None,
        policy_usage_filter: None,
        marker: None,
        max_items: None,
    }
}

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.to_owned(),
        value: value.to_owned(),
    }
}

fn err(result: Result<impl std::fmt::Debug, ServiceError>) -> (String, String) {
    let error = result.expect_err("expected an error");
    (error.code().to_owned(), error.message())
}

fn error_of(result: Result<Response, ServiceError>) -> (String, String) {
    err(result)
}

/// Reverses `uri_encode`.
fn uri_decode(text: &str) -> String {
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

fn names(policies: &[Policy]) -> Vec<String> {
    policies
        .iter()
        .map(|p| p.policy_name.clone().unwrap())
        .collect()
}

#[tokio::test]
async fn create_get_and_delete_a_policy() {
    let f = Fixture::new().await;
    let created = match f
        .ok(Request::CreatePolicy(CreatePolicyRequest {
            policy_name: "Reader".to_owned(),
            path: Some("/team/".to_owned()),
            policy_document: DOC.to_owned(),
            description: Some("reads objects".to_owned()),
            tags: Some(vec![tag("env", "prod")]),
        }))
        .await
    {
        Response::CreatePolicy(r) => r.policy.unwrap(),
        other => panic!("{other:?}"),
    };
    let arn = format!("arn:aws:iam::{ACCOUNT}:policy/team/Reader");
    assert_eq!(created.arn.as_deref(), Some(arn.as_str()));
    assert_eq!(created.path.as_deref(), Some("/team/"));
    assert_eq!(created.default_version_id.as_deref(), Some("v1"));
    assert_eq!(created.attachment_count, Some(0));
    assert_eq!(created.permissions_boundary_usage_count, Some(0));
    assert_eq!(created.is_attachable, Some(true));
    assert!(created.policy_id.as_deref().unwrap().starts_with("ANPA"));
    assert_eq!(created.policy_id.as_deref().unwrap().len(), 21);
    assert_eq!(
        created.create_date,
        Some(wire::Timestamp::from_unix_seconds(NOW))
    );
    assert_eq!(created.description, None);
    assert_eq!(created.tags, Some(vec![tag("env", "prod")]));

    let got = f.get(&arn).await.unwrap();
    assert_eq!(got.description.as_deref(), Some("reads objects"));
    assert_eq!(got.tags, Some(vec![tag("env", "prod")]));
    assert_eq!(got.policy_id, created.policy_id);

    let v1 = f.version(&arn, "v1").await.unwrap();
    assert_eq!(uri_decode(v1.document.as_deref().unwrap()), DOC);
    assert_eq!(v1.is_default_version, Some(true));

    f.ok(delete_policy(&arn)).await;
    assert_eq!(
        err(f.get(&arn).await),
        (
            "NoSuchEntity".to_owned(),
            format!("Policy {arn} was not found.")
        )
    );
    // DeletePolicy of a policy that is not there: AWS's "was not found", as GetPolicy.
    assert_eq!(
        error_of(f.root(delete_policy(&arn)).await),
        (
            "NoSuchEntity".to_owned(),
            format!("Policy {arn} was not found.")
        )
    );
}

/// Attach, Detach and Put*PermissionsBoundary with a malformed, missing or unattached
/// policy answer AWS's codes, statuses and words, and change nothing.
#[tokio::test]
async fn attachment_and_boundary_errors_in_aws_words() {
    let f = Fixture::new().await;
    f.user("alice").await;
    f.ok(Request::CreateGroup(CreateGroupRequest {
        path: None,
        group_name: "devs".to_owned(),
    }))
    .await;
    f.ok(Request::CreateRole(wire::iam::CreateRoleRequest {
        path: None,
        role_name: "deploy".to_owned(),
        assume_role_policy_document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#.to_owned(),
        description: None,
        max_session_duration: None,
        permissions_boundary: None,
        tags: None,
    }))
    .await;
    // Attach and Detach of one policy for one kind of entity.
    let requests = |kind: &str, arn: &str| -> (Request, Request) {
        let policy_arn = arn.to_owned();
        let again = policy_arn.clone();
        match kind {
            "user" => (
                Request::AttachUserPolicy(AttachUserPolicyRequest {
                    user_name: "alice".to_owned(),
                    policy_arn,
                }),
                Request::DetachUserPolicy(DetachUserPolicyRequest {
                    user_name: "alice".to_owned(),
                    policy_arn: again,
                }),
            ),
            "group" => (
                Request::AttachGroupPolicy(AttachGroupPolicyRequest {
                    group_name: "devs".to_owned(),
                    policy_arn,
                }),
                Request::DetachGroupPolicy(wire::iam::DetachGroupPolicyRequest {
                    group_name: "devs".to_owned(),
                    policy_arn: again,
                }),
            ),
            _ => (
                Request::AttachRolePolicy(wire::iam::AttachRolePolicyRequest {
                    role_name: "deploy".to_owned(),
                    policy_arn,
                }),
                Request::DetachRolePolicy(wire::iam::DetachRolePolicyRequest {
                    role_name: "deploy".to_owned(),
                    policy_arn: again,
                }),
            ),
        }
    };
    let attach = |kind: &str, arn: &str| requests(kind, arn).0;
    let detach = |kind: &str, arn: &str| requests(kind, arn).1;
    let answer = |result: Result<Response, ServiceError>| {
        let error = result.expect_err("expected an error");
        (
            error.code().to_owned(),
            error.status(wire::Service::Iam),
            error.message(),
        )
    };
    let mine = arn("Mine");
    f.create("Mine", None).await;
    let missing = arn("Missing");
    let malformed = [
        "longpolicynamebutnoarn".to_owned(),
        format!("arn:aws:iam::{ACCOUNT}:role/deploy"),
        format!("arn:aws:iam::{ACCOUNT}:not_a_policy/invalid"),
    ];
    for kind in ["user", "group", "role"] {
        for bad in &malformed {
            let not_valid = (
                "ValidationError".to_owned(),
                400,
                format!("ARN {bad} is not valid."),
            );
            assert_eq!(answer(f.root(attach(kind, bad)).await), not_valid, "{kind}");
            assert_eq!(answer(f.root(detach(kind, bad)).await), not_valid, "{kind}");
        }
        for absent in [missing.as_str(), "arn:aws:iam::aws:policy/Nonexistent"] {
            assert_eq!(
                answer(f.root(attach(kind, absent)).await),
                (
                    "NoSuchEntity".to_owned(),
                    404,
                    format!("Policy {absent} does not exist or is not attachable.")
                ),
                "{kind}"
            );
        }
        // Not attached, whether the policy exists or not.
        for absent in [mine.as_str(), READ_ONLY, missing.as_str()] {
            assert_eq!(
                answer(f.root(detach(kind, absent)).await),
                (
                    "NoSuchEntity".to_owned(),
                    404,
                    format!("Policy {absent} was not found.")
                ),
                "{kind}"
            );
        }
        // Attached, then detached twice: the second is "was not found" too.
        f.ok(attach(kind, READ_ONLY)).await;
        f.ok(detach(kind, READ_ONLY)).await;
        assert_eq!(
            answer(f.root(detach(kind, READ_ONLY)).await).2,
            format!("Policy {READ_ONLY} was not found.")
        );
    }
    assert_eq!(f.entities(entities_request(READ_ONLY)).await, Vec::new());

    // Boundaries: a malformed ARN is InvalidInput, a missing policy AWS's "Scope ARN" words,
    // on Put*PermissionsBoundary and at creation alike.
    let put_user = |arn: &str| {
        Request::PutUserPermissionsBoundary(PutUserPermissionsBoundaryRequest {
            user_name: "alice".to_owned(),
            permissions_boundary: arn.to_owned(),
        })
    };
    let put_role = |arn: &str| {
        Request::PutRolePermissionsBoundary(wire::iam::PutRolePermissionsBoundaryRequest {
            role_name: "deploy".to_owned(),
            permissions_boundary: arn.to_owned(),
        })
    };
    let create_user = |arn: &str| {
        Request::CreateUser(CreateUserRequest {
            path: None,
            user_name: "bounded".to_owned(),
            permissions_boundary: Some(arn.to_owned()),
            tags: None,
        })
    };
    let expected = malformed
        .iter()
        .map(|bad| {
            (
                bad.clone(),
                "InvalidInput",
                400,
                format!("ARN {bad} is not valid."),
            )
        })
        .chain(
            [missing.as_str(), "arn:aws:iam::aws:policy/Nonexistent"].map(|absent| {
                let words = format!("Scope ARN: {absent} does not exist or is not attachable.");
                (absent.to_owned(), "NoSuchEntity", 404, words)
            }),
        );
    for (arn, code, status, message) in expected {
        let wanted = (code.to_owned(), status, message);
        assert_eq!(answer(f.root(put_user(&arn)).await), wanted);
        assert_eq!(answer(f.root(put_role(&arn)).await), wanted);
        assert_eq!(answer(f.root(create_user(&arn)).await), wanted);
    }
    assert_eq!(err(f.get(&missing).await).0, "NoSuchEntity");
    assert!(
        f.service
            .store()
            .get_user(ACCOUNT, "bounded")
            .await
            .is_err()
    );
    assert_eq!(
        f.service
            .store()
            .get_user(ACCOUNT, "alice")
            .await
            .unwrap()
            .permissions_boundary_arn,
        None
    );
    // The well-formed and present still work.
    f.ok(put_user(&mine)).await;
}

#[tokio::test]
async fn create_policy_errors() {
    let f = Fixture::new().await;
    assert_eq!(
        error_of(f.root(create_policy("Bad", None, "{not json")).await),
        (
            "MalformedPolicyDocument".to_owned(),
            "Syntax errors in policy.".to_owned()
        )
    );
    let resources: Vec<String> = (0..200)
        .map(|i| format!("\"arn:aws:s3:::bucket-number-{i:04}/*\""))
        .collect();
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":[{}]}}]}}"#,
        resources.join(",")
    );
    assert!(big.len() > 6_144);
    assert_eq!(
        error_of(f.root(create_policy("Big", None, &big)).await),
        (
            "LimitExceeded".to_owned(),
            "Cannot exceed quota for PolicySize: 6144".to_owned()
        )
    );
    let principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#;
    assert_eq!(
        error_of(f.root(create_policy("P", None, principal)).await).0,
        "MalformedPolicyDocument"
    );
    assert_eq!(
        error_of(f.root(create_policy("P", Some("team"), DOC)).await).0,
        "ValidationError"
    );
    f.create("Dup", None).await;
    assert_eq!(
        error_of(f.root(create_policy("dup", None, DOC)).await),
        (
            "EntityAlreadyExists".to_owned(),
            "A policy called dup already exists. Duplicate names are not allowed.".to_owned()
        )
    );
    let duplicate_tags = Request::CreatePolicy(CreatePolicyRequest {
        policy_name: "Tagged".to_owned(),
        path: None,
        policy_document: DOC.to_owned(),
        description: None,
        tags: Some(vec![tag("0", ""), tag("0", "")]),
    });
    assert_eq!(
        error_of(f.root(duplicate_tags).await),
        (
            "InvalidInput".to_owned(),
            "Duplicate tag keys found.".to_owned()
        )
    );
    // Nothing was left behind by the failures.
    let (local, _) = f.list(list_request(Some(PolicyScopeType::Local))).await;
    assert_eq!(names(&local), vec!["Dup"]);
    // Keys differing in case are two tags of a policy (recorded on AWS), answered in the
    // order given.
    let cased = f
        .ok(Request::CreatePolicy(CreatePolicyRequest {
            policy_name: "Cased".to_owned(),
            path: None,
            policy_document: DOC.to_owned(),
            description: None,
            tags: Some(vec![tag("a", "lowercase"), tag("A", "uppercase")]),
        }))
        .await;
    let Response::CreatePolicy(cased) = cased else {
        panic!("{cased:?}")
    };
    assert_eq!(
        cased.policy.unwrap().tags,
        Some(vec![tag("a", "lowercase"), tag("A", "uppercase")])
    );
}

#[tokio::test]
async fn versions_default_and_the_limit_of_five() {
    let f = Fixture::new().await;
    f.create("Versioned", None).await;
    let arn = arn("Versioned");

    let v2 = f.new_version(&arn, false).await.unwrap();
    assert_eq!(v2.version_id.as_deref(), Some("v2"));
    assert_eq!(v2.is_default_version, Some(false));
    assert_eq!(v2.document, None);
    assert_eq!(
        f.get(&arn).await.unwrap().default_version_id.as_deref(),
        Some("v1")
    );

    let v3 = f.new_version(&arn, true).await.unwrap();
    assert_eq!(v3.is_default_version, Some(true));
    assert_eq!(
        f.get(&arn).await.unwrap().default_version_id.as_deref(),
        Some("v3")
    );
    let got = f.version(&arn, "v3").await.unwrap();
    assert_eq!(uri_decode(got.document.as_deref().unwrap()), DOC2);
    assert_eq!(
        f.version(&arn, "v1").await.unwrap().is_default_version,
        Some(false)
    );

    f.new_version(&arn, false).await.unwrap();
    f.new_version(&arn, false).await.unwrap();
    assert_eq!(
        err(f.new_version(&arn, false).await),
        (
            "LimitExceeded".to_owned(),
            "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.".to_owned()
        )
    );

    let listed = f.versions(&arn).await;
    let ids: Vec<_> = listed
        .iter()
        .map(|v| v.version_id.clone().unwrap())
        .collect();
    assert_eq!(ids, vec!["v5", "v4", "v3", "v2", "v1"]);
    assert!(listed.iter().all(|v| v.document.is_none()));
    assert_eq!(
        listed
            .iter()
            .filter(|v| v.is_default_version == Some(true))
            .count(),
        1
    );

    assert_eq!(
        error_of(f.root(delete_version(&arn, "v3")).await),
        (
            "DeleteConflict".to_owned(),
            "Cannot delete the default version of a policy.".to_owned()
        )
    );
    assert_eq!(
        error_of(f.root(delete_policy(&arn)).await),
        (
            "DeleteConflict".to_owned(),
            "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.".to_owned()
        )
    );

    f.ok(set_default(&arn, "v1")).await;
    assert_eq!(
        f.get(&arn).await.unwrap().default_version_id.as_deref(),
        Some("v1")
    );
    assert_eq!(
        error_of(f.root(set_default(&arn, "v9")).await),
        (
            "NoSuchEntity".to_owned(),
            format!("Policy {arn} version v9 does not exist or is not attachable.")
        )
    );
    assert_eq!(
        err(f.version(&arn, "v9").await),
        (
            "NoSuchEntity".to_owned(),
            format!("Policy {arn} version v9 does not exist or is not attachable.")
        )
    );
    assert_eq!(
        error_of(f.root(delete_version(&arn, "v9")).await).0,
        "NoSuchEntity"
    );

    for id in ["v2", "v3", "v4", "v5"] {
        f.ok(delete_version(&arn, id)).await;
    }
    // Version ids are never reused.
    let v6 = f.new_version(&arn, false).await.unwrap();
    assert_eq!(v6.version_id.as_deref(), Some("v6"));
    f.ok(delete_version(&arn, "v6")).await;
    f.ok(delete_policy(&arn)).await;
}

#[tokio::test]
async fn attached_or_bounding_policies_cannot_be_deleted() {
    let f = Fixture::new().await;
    f.create("Used", None).await;
    let arn = arn("Used");
    f.user("alice").await;
    f.attach_user("alice", &arn).await;
    assert_eq!(f.get(&arn).await.unwrap().attachment_count, Some(1));
    let conflict = (
        "DeleteConflict".to_owned(),
        "Cannot delete a policy attached to entities.".to_owned(),
    );
    assert_eq!(error_of(f.root(delete_policy(&arn)).await), conflict);
    f.ok(Request::DetachUserPolicy(DetachUserPolicyRequest {
        user_name: "alice".to_owned(),
        policy_arn: arn.clone(),
    }))
    .await;

    f.ok(Request::PutUserPermissionsBoundary(
        PutUserPermissionsBoundaryRequest {
            user_name: "alice".to_owned(),
            permissions_boundary: arn.clone(),
        },
    ))
    .await;
    let got = f.get(&arn).await.unwrap();
    assert_eq!(got.attachment_count, Some(0));
    assert_eq!(got.permissions_boundary_usage_count, Some(1));
    assert_eq!(error_of(f.root(delete_policy(&arn)).await), conflict);
}

#[tokio::test]
async fn aws_managed_policies_come_from_the_catalogue() {
    let f = Fixture::new().await;
    let shipped = Catalogue::shipped().get(READ_ONLY).unwrap();
    let got = f.get(READ_ONLY).await.unwrap();
    assert_eq!(got.policy_name.as_deref(), Some("ReadOnlyAccess"));
    assert_eq!(got.policy_id.as_deref(), Some(shipped.id.as_str()));
    assert_eq!(got.path.as_deref(), Some("/"));
    assert_eq!(
        got.default_version_id.as_deref(),
        Some(shipped.default_version_id.as_str())
    );
    assert_eq!(got.is_attachable, Some(true));
    assert_eq!(got.attachment_count, Some(0));
    assert_eq!(
        got.create_date,
        Some(wire::Timestamp::from_unix_seconds(shipped.created_at))
    );
    assert_eq!(
        got.update_date,
        Some(wire::Timestamp::from_unix_seconds(shipped.updated_at))
    );

    f.user("bob").await;
    f.attach_user("bob", READ_ONLY).await;
    assert_eq!(f.get(READ_ONLY).await.unwrap().attachment_count, Some(1));

    let version = f
        .version(READ_ONLY, &shipped.default_version_id)
        .await
        .unwrap();
    assert_eq!(version.is_default_version, Some(true));
    let document = uri_decode(version.document.as_deref().unwrap());
    assert_eq!(document, shipped.document);
    let parsed: serde_json::Value = serde_json::from_str(&document).unwrap();
    assert_eq!(parsed["Version"], "2012-10-17");
    // Older versions, which AWS keeps but the catalogue does not ship (reading 41).
    assert_eq!(
        err(f.version(READ_ONLY, "v1").await),
        (
            "NoSuchEntity".to_owned(),
            format!("Policy {READ_ONLY} version v1 does not exist or is not attachable.")
        )
    );
    let versions = f.versions(READ_ONLY).await;
    assert_eq!(versions.len(), 1);
    assert_eq!(
        versions[0].version_id,
        Some(shipped.default_version_id.clone())
    );

    let missing = "arn:aws:iam::aws:policy/NoSuchPolicyAnywhere";
    assert_eq!(
        err(f.get(missing).await),
        (
            "NoSuchEntity".to_owned(),
            format!("Policy {missing} was not found.")
        )
    );

    // Read-only: every write fails as AWS fails it.
    let outside = (
        "AccessDenied".to_owned(),
        "Policy is outside your own account.".to_owned(),
    );
    assert_eq!(error_of(f.root(delete_policy(READ_ONLY)).await), outside);
    assert_eq!(err(f.new_version(READ_ONLY, true).await), outside);
    assert_eq!(
        error_of(f.root(delete_version(READ_ONLY, "v1")).await),
        outside
    );
    assert_eq!(
        error_of(f.root(set_default(READ_ONLY, "v1")).await),
        outside
    );
    let no_tags = (
        "InvalidInput".to_owned(),
        "Tags not supported for policies in this domain".to_owned(),
    );
    assert_eq!(
        error_of(
            f.root(Request::TagPolicy(TagPolicyRequest {
                policy_arn: READ_ONLY.to_owned(),
                tags: vec![tag("a", "b")],
            }))
            .await
        ),
        no_tags
    );
    assert_eq!(
        error_of(
            f.root(Request::UntagPolicy(UntagPolicyRequest {
                policy_arn: READ_ONLY.to_owned(),
                tag_keys: vec!["a".to_owned()],
            }))
            .await
        ),
        no_tags
    );
    assert_eq!(err(f.tags(READ_ONLY).await), no_tags);
    // Still intact.
    assert_eq!(f.get(READ_ONLY).await.unwrap().policy_id, got.policy_id);
}

#[tokio::test]
async fn arns_are_checked_and_other_accounts_are_out_of_reach() {
    let f = Fixture::new().await;
    for bad in [
        "not-an-arn-at-all-really",
        "arn:aws:iam::123456789012:user/alice",
        "arn:aws:iam::123456789012:policy/",
        "arn:aws:iam::12345:policy/Short",
        "arn:aws:iam::123456789012:policy/bad:name",
    ] {
        assert_eq!(
            err(f.get(bad).await),
            (
                "InvalidInput".to_owned(),
                format!("ARN {bad} is not valid.")
            ),
            "{bad}"
        );
    }
    // Another tenant's policy, even one that exists, is invisible here.
    let other_arn = format!("arn:aws:iam::{OTHER}:policy/Theirs");
    f.service
        .create_account(NewAccount {
            account_id: Some(OTHER.to_owned()),
            email: "other@example.com".to_owned(),
            ..NewAccount::default()
        })
        .await
        .unwrap();
    let other_root = Caller {
        account_id: OTHER.to_owned(),
        identity: Identity::Root,
        access_key_id: "AKIAEXAMPLEOTHER0001".to_owned(),
        request: RequestInfo::default(),
        session: None,
    };
    f.service
        .iam(&other_root, create_policy("Theirs", None, DOC))
        .await
        .unwrap();
    assert_eq!(err(f.get(&other_arn).await).0, "NoSuchEntity");
    assert_eq!(err(f.version(&other_arn, "v1").await).0, "NoSuchEntity");
    assert_eq!(
        error_of(f.root(delete_policy(&other_arn)).await),
        (
            "AccessDenied".to_owned(),
            "Policy is outside your own account.".to_owned()
        )
    );
    let (local, _) = f.list(list_request(Some(PolicyScopeType::Local))).await;
    assert!(local.is_empty());
}

#[tokio::test]
async fn list_policies_pages_through_the_whole_catalogue() {
    let f = Fixture::new().await;
    let total = Catalogue::shipped().len();
    assert_eq!(total, 1452);

    let aws = list_request(Some(PolicyScopeType::Aws));
    let (first, marker) = f.list(aws.clone()).await;
    assert_eq!(first.len(), 100);
    assert!(marker.is_some());

    let (all, pages) = f
        .list_all(&ListPoliciesRequest {
            max_items: Some(250),
            ..aws.clone()
        })
        .await;
    assert_eq!(all.len(), total);
    assert_eq!(pages, 6);
    let arns: HashSet<_> = all.iter().map(|p| p.arn.clone().unwrap()).collect();
    assert_eq!(arns.len(), total);
    let lowered: Vec<String> = names(&all).iter().map(|n| n.to_lowercase()).collect();
    let mut sorted = lowered.clone();
    sorted.sort();
    assert_eq!(lowered, sorted);
    assert!(
        all.iter()
            .all(|p| p.description.is_none() && p.tags.is_none())
    );

    // Customer policies interleave by name when both sources are listed.
    f.create("AAAFirstOfAll", None).await;
    f.create("zzz-last", Some("/z/")).await;
    let (mixed, _) = f
        .list_all(&ListPoliciesRequest {
            max_items: Some(1000),
            ..list_request(None)
        })
        .await;
    assert_eq!(mixed.len(), total + 2);
    assert_eq!(mixed[0].policy_name.as_deref(), Some("AAAFirstOfAll"));
    assert_eq!(mixed[total + 1].policy_name.as_deref(), Some("zzz-last"));

    let (local, marker) = f.list(list_request(Some(PolicyScopeType::Local))).await;
    assert_eq!(names(&local), vec!["AAAFirstOfAll", "zzz-last"]);
    assert_eq!(marker, None);

    // Path prefixes filter both sources.
    let (service_roles, _) = f
        .list_all(&ListPoliciesRequest {
            path_prefix: Some("/service-role/".to_owned()),
            ..list_request(None)
        })
        .await;
    let expected = Catalogue::shipped()
        .iter()
        .filter(|p| p.path.starts_with("/service-role/"))
        .count();
    assert!(expected > 0);
    assert_eq!(service_roles.len(), expected);
    let (z, _) = f
        .list(ListPoliciesRequest {
            path_prefix: Some("/z/".to_owned()),
            ..list_request(None)
        })
        .await;
    assert_eq!(names(&z), vec!["zzz-last"]);

    // A page of one at a time still gets everything local.
    let (ones, pages) = f
        .list_all(&ListPoliciesRequest {
            max_items: Some(1),
            ..list_request(Some(PolicyScopeType::Local))
        })
        .await;
    assert_eq!(names(&ones), vec!["AAAFirstOfAll", "zzz-last"]);
    assert_eq!(pages, 2);

    assert_eq!(
        error_of(
            f.root(Request::ListPolicies(ListPoliciesRequest {
                marker: Some("!!not a marker!!".to_owned()),
                ..list_request(None)
            }))
            .await
        )
        .0,
        "ValidationError"
    );
}

#[tokio::test]
async fn only_attached_and_usage_filters() {
    let f = Fixture::new().await;
    f.create("Attached", None).await;
    f.create("Boundary", None).await;
    f.create("Idle", None).await;
    f.user("carol").await;
    f.attach_user("carol", &arn("Attached")).await;
    f.attach_user("carol", READ_ONLY).await;
    f.ok(Request::PutUserPermissionsBoundary(
        PutUserPermissionsBoundaryRequest {
            user_name: "carol".to_owned(),
            permissions_boundary: arn("Boundary"),
        },
    ))
    .await;

    let attached = |filter| ListPoliciesRequest {
        only_attached: Some(true),
        policy_usage_filter: filter,
        ..list_request(None)
    };
    let (any, _) = f.list(attached(None)).await;
    assert_eq!(names(&any), vec!["Attached", "Boundary", "ReadOnlyAccess"]);
    let (permissions, _) = f
        .list(attached(Some(PolicyUsageType::PermissionsPolicy)))
        .await;
    assert_eq!(names(&permissions), vec!["Attached", "ReadOnlyAccess"]);
    assert_eq!(permissions[1].attachment_count, Some(1));
    let (boundaries, _) = f
        .list(attached(Some(PolicyUsageType::PermissionsBoundary)))
        .await;
    assert_eq!(names(&boundaries), vec!["Boundary"]);
    assert_eq!(boundaries[0].permissions_boundary_usage_count, Some(1));

    let (aws_attached, _) = f
        .list(ListPoliciesRequest {
            scope: Some(PolicyScopeType::Aws),
            ..attached(None)
        })
        .await;
    assert_eq!(names(&aws_attached), vec!["ReadOnlyAccess"]);
    let (local_attached, _) = f
        .list(ListPoliciesRequest {
            scope: Some(PolicyScopeType::Local),
            ..attached(Some(PolicyUsageType::PermissionsPolicy))
        })
        .await;
    assert_eq!(names(&local_attached), vec!["Attached"]);
}

#[tokio::test]
async fn entities_for_a_policy() {
    let f = Fixture::new().await;
    f.create("Shared", None).await;
    let arn = arn("Shared");
    f.user("dave").await;
    f.user("erin").await;
    f.ok(Request::CreateUser(CreateUserRequest {
        path: Some("/ops/".to_owned()),
        user_name: "frank".to_owned(),
        permissions_boundary: None,
        tags: None,
    }))
    .await;
    f.attach_user("dave", &arn).await;
    f.attach_user("frank", &arn).await;
    f.ok(Request::PutUserPermissionsBoundary(
        PutUserPermissionsBoundaryRequest {
            user_name: "erin".to_owned(),
            permissions_boundary: arn.clone(),
        },
    ))
    .await;
    f.ok(Request::CreateGroup(CreateGroupRequest {
        path: None,
        group_name: "admins".to_owned(),
    }))
    .await;
    f.ok(Request::AttachGroupPolicy(AttachGroupPolicyRequest {
        group_name: "admins".to_owned(),
        policy_arn: arn.clone(),
    }))
    .await;
    let store = f.service.store();
    let role = store
        .create_role(&store::NewRole {
            account_id: ACCOUNT.to_owned(),
            role_id: "AROAEXAMPLEROLE000001".to_owned(),
            name: "deployer".to_owned(),
            path: "/".to_owned(),
            trust_policy: policy::Policy::parse(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#,
                policy::PolicyKind::Trust,
            )
            .unwrap(),
            trust_principals: Vec::new(),
            description: None,
            max_session_duration: 3600,
            permissions_boundary_arn: None,
            created_at: NOW,
            tags: Vec::new(),
        })
        .await
        .unwrap();
    store
        .attach_policy(&store::Principal::role(&role.role_id), &arn)
        .await
        .unwrap();
    // Written to the store directly, as another node would: catch up as its refresh would.
    f.service.refresh_caches().await.unwrap();

    let pair = |kind: &str, name: &str| (kind.to_owned(), name.to_owned());
    assert_eq!(
        f.entities(entities_request(&arn)).await,
        vec![
            pair("group", "admins"),
            pair("user", "dave"),
            pair("user", "erin"),
            pair("user", "frank"),
            pair("role", "deployer"),
        ]
    );
    assert_eq!(
        f.entities(ListEntitiesForPolicyRequest {
            policy_usage_filter: Some(PolicyUsageType::PermissionsPolicy),
            ..entities_request(&arn)
        })
        .await,
        vec![
            pair("group", "admins"),
            pair("user", "dave"),
            pair("user", "frank"),
            pair("role", "deployer"),
        ]
    );
    assert_eq!(
        f.entities(ListEntitiesForPolicyRequest {
            policy_usage_filter: Some(PolicyUsageType::PermissionsBoundary),
            ..entities_request(&arn)
        })
        .await,
        vec![pair("user", "erin")]
    );
    assert_eq!(
        f.entities(ListEntitiesForPolicyRequest {
            entity_filter: Some(EntityType::Role),
            ..entities_request(&arn)
        })
        .await,
        vec![pair("role", "deployer")]
    );
    assert_eq!(
        f.entities(ListEntitiesForPolicyRequest {
            entity_filter: Some(EntityType::AWSManagedPolicy),
            ..entities_request(&arn)
        })
        .await,
        Vec::<(String, String)>::new()
    );
    assert_eq!(
        f.entities(ListEntitiesForPolicyRequest {
            path_prefix: Some("/ops/".to_owned()),
            ..entities_request(&arn)
        })
        .await,
        vec![pair("user", "frank")]
    );

    // Paged two at a time.
    let mut seen = Vec::new();
    let mut marker = None;
    loop {
        let response = f
            .ok(Request::ListEntitiesForPolicy(
                ListEntitiesForPolicyRequest {
                    marker: marker.clone(),
                    max_items: Some(2),
                    ..entities_request(&arn)
                },
            ))
            .await;
        let Response::ListEntitiesForPolicy(r) = response else {
            panic!("{response:?}")
        };
        seen.extend(
            r.policy_groups
                .unwrap()
                .into_iter()
                .map(|g| g.group_name.unwrap()),
        );
        seen.extend(
            r.policy_users
                .unwrap()
                .into_iter()
                .map(|u| u.user_name.unwrap()),
        );
        seen.extend(
            r.policy_roles
                .unwrap()
                .into_iter()
                .map(|r| r.role_name.unwrap()),
        );
        assert_eq!(r.is_truncated, Some(r.marker.is_some()));
        match r.marker {
            Some(next) => marker = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, vec!["admins", "dave", "erin", "frank", "deployer"]);

    // AWS managed policies have entities too; unknown ones do not exist.
    f.attach_user("dave", READ_ONLY).await;
    assert_eq!(
        f.entities(entities_request(READ_ONLY)).await,
        vec![pair("user", "dave")]
    );
    let missing = arn_missing();
    assert_eq!(
        error_of(
            f.root(Request::ListEntitiesForPolicy(entities_request(&missing)))
                .await
        ),
        (
            "NoSuchEntity".to_owned(),
            format!("Policy {missing} does not exist or is not attachable.")
        )
    );
}

fn arn_missing() -> String {
    arn("Missing")
}

#[tokio::test]
async fn policy_tags() {
    let f = Fixture::new().await;
    f.create("Tagged", None).await;
    let arn = arn("Tagged");
    f.ok(Request::TagPolicy(TagPolicyRequest {
        policy_arn: arn.clone(),
        tags: vec![tag("team", "data"), tag("env", "dev")],
    }))
    .await;
    assert_eq!(
        f.tags(&arn).await.unwrap(),
        vec![
            ("env".to_owned(), "dev".to_owned()),
            ("team".to_owned(), "data".to_owned())
        ]
    );
    // A policy's tag keys are kept apart by case, listed in byte order, untagged as written
    // (recorded on AWS: `a` and `A` are two tags, `A` listed first).
    f.ok(Request::TagPolicy(TagPolicyRequest {
        policy_arn: arn.clone(),
        tags: vec![tag("ENV", "prod")],
    }))
    .await;
    assert_eq!(
        f.tags(&arn).await.unwrap(),
        vec![
            ("ENV".to_owned(), "prod".to_owned()),
            ("env".to_owned(), "dev".to_owned()),
            ("team".to_owned(), "data".to_owned())
        ]
    );
    f.ok(Request::UntagPolicy(UntagPolicyRequest {
        policy_arn: arn.clone(),
        tag_keys: vec!["env".to_owned(), "absent".to_owned()],
    }))
    .await;
    assert_eq!(
        f.tags(&arn).await.unwrap(),
        vec![
            ("ENV".to_owned(), "prod".to_owned()),
            ("team".to_owned(), "data".to_owned())
        ]
    );
    f.ok(Request::UntagPolicy(UntagPolicyRequest {
        policy_arn: arn.clone(),
        tag_keys: vec!["ENV".to_owned()],
    }))
    .await;
    assert_eq!(
        f.tags(&arn).await.unwrap(),
        vec![("team".to_owned(), "data".to_owned())]
    );
    assert_eq!(
        f.get(&arn).await.unwrap().tags,
        Some(vec![tag("team", "data")])
    );
    // A key given twice: AWS's words for a policy, which does not mention case.
    assert_eq!(
        error_of(
            f.root(Request::TagPolicy(TagPolicyRequest {
                policy_arn: arn.clone(),
                tags: vec![tag("0", ""), tag("0", "")],
            }))
            .await
        ),
        (
            "InvalidInput".to_owned(),
            "Duplicate tag keys found.".to_owned()
        )
    );
    // A user's keys are compared case-insensitively, and the words say so.
    f.user("tagged").await;
    assert_eq!(
        error_of(
            f.root(Request::TagUser(TagUserRequest {
                user_name: "tagged".to_owned(),
                tags: vec![tag("a", ""), tag("A", "")],
            }))
            .await
        ),
        (
            "InvalidInput".to_owned(),
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.".to_owned()
        )
    );

    let fifty: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
    assert_eq!(
        error_of(
            f.root(Request::TagPolicy(TagPolicyRequest {
                policy_arn: arn.clone(),
                tags: fifty,
            }))
            .await
        ),
        (
            "LimitExceeded".to_owned(),
            "Cannot exceed quota for TagsPerEntity: 50".to_owned()
        )
    );
    assert_eq!(f.tags(&arn).await.unwrap().len(), 1);

    let page = f
        .ok(Request::ListPolicyTags(ListPolicyTagsRequest {
            policy_arn: arn.clone(),
            marker: None,
            max_items: Some(1),
        }))
        .await;
    let Response::ListPolicyTags(page) = page else {
        panic!("{page:?}")
    };
    assert_eq!(page.tags.len(), 1);
    assert_eq!(page.is_truncated, Some(false));

    let missing = arn_missing();
    assert_eq!(err(f.tags(&missing).await).0, "NoSuchEntity");
}

#[tokio::test]
async fn users_need_permission() {
    let f = Fixture::new().await;
    f.user("gina").await;
    let record = f.service.store().get_user(ACCOUNT, "gina").await.unwrap();
    let gina = Caller {
        account_id: ACCOUNT.to_owned(),
        identity: Identity::User(record),
        access_key_id: "AKIAEXAMPLEUSER00001".to_owned(),
        request: RequestInfo::default(),
        session: None,
    };
    let denied = f
        .service
        .iam(&gina, create_policy("Mine", None, DOC))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), "AccessDenied");
    assert!(
        denied.message().contains("iam:CreatePolicy"),
        "{}",
        denied.message()
    );

    let allow = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["iam:CreatePolicy","iam:GetPolicy","iam:ListPolicies"],"Resource":"arn:aws:iam::{ACCOUNT}:policy/*"}}]}}"#
    );
    f.ok(Request::PutUserPolicy(PutUserPolicyRequest {
        user_name: "gina".to_owned(),
        policy_name: "policies".to_owned(),
        policy_document: allow,
    }))
    .await;
    f.service
        .iam(&gina, create_policy("Mine", None, DOC))
        .await
        .unwrap();
    f.service
        .iam(
            &gina,
            Request::GetPolicy(GetPolicyRequest {
                policy_arn: arn("Mine"),
            }),
        )
        .await
        .unwrap();
    f.service
        .iam(
            &gina,
            Request::ListPolicies(list_request(Some(PolicyScopeType::Local))),
        )
        .await
        .unwrap();
    // Allowed on the account's policies only: AWS's are another resource.
    let aws = f
        .service
        .iam(
            &gina,
            Request::GetPolicy(GetPolicyRequest {
                policy_arn: READ_ONLY.to_owned(),
            }),
        )
        .await
        .unwrap_err();
    assert_eq!(aws.code(), "AccessDenied");
    let delete = f
        .service
        .iam(&gina, delete_policy(&arn("Mine")))
        .await
        .unwrap_err();
    assert_eq!(delete.code(), "AccessDenied");
    assert!(
        delete.message().contains("iam:DeletePolicy"),
        "{}",
        delete.message()
    );
}

#[tokio::test]
async fn markers_stay_short_for_long_names_and_paths() {
    let f = Fixture::new().await;
    let long_name = "M".repeat(128);
    let long_path = format!("/{}/", "p".repeat(500));
    f.create(&long_name, Some(&long_path)).await;
    f.create("zz", None).await;
    let (page, marker) = f
        .list(ListPoliciesRequest {
            max_items: Some(1),
            ..list_request(Some(PolicyScopeType::Local))
        })
        .await;
    assert_eq!(names(&page), vec![long_name]);
    let marker = marker.unwrap();
    // AWS's marker type allows 320 characters; the CLI sends markers back verbatim.
    assert!(marker.len() <= 320, "{}", marker.len());
    let (rest, next) = f
        .list(ListPoliciesRequest {
            max_items: Some(1),
            marker: Some(marker),
            ..list_request(Some(PolicyScopeType::Local))
        })
        .await;
    assert_eq!(names(&rest), vec!["zz"]);
    assert_eq!(next, None);
}

/// Documents AWS stores though they look odd (ARCHITECTURE.md readings 22 to 28) are stored
/// as given by CreatePolicy, PutUserPolicy and CreateRole, and decide as the readings say;
/// near them, what AWS refuses is refused with its message and leaves nothing behind.
#[tokio::test]
async fn documents_aws_accepts_are_stored_and_decide() {
    let f = Fixture::new().await;
    let odd = r#"{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Action":["s3.s:ListBucket","iam: odd "],"Resource":["arn:aws:fdsasf",null],"Condition":{"DateGreaterThan":{},"x":{},"StringEquals":{"aws:username":[]},"StringEqualsIfExists":{"foo":"x"},"DateLessThan":{"aws:CurrentTime":["01T","2016-12-13t2:00:00.5+23",1577836800]},"Bool":{"aws:SecureTransport":true},"Null":{"token.actions.githubusercontent.com:sub":true}}}]}"#;
    f.ok(create_policy("Odd", None, odd)).await;
    let v1 = f.version(&arn("Odd"), "v1").await.unwrap();
    assert_eq!(uri_decode(v1.document.as_deref().unwrap()), odd);

    // An inline policy whose grant goes through a null in its resource list, a key without
    // a vendor under IfExists, a date given as a year alone and a JSON boolean.
    f.user("gina").await;
    let grant = format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"iam:GetPolicy","Resource":[null,"arn:aws:iam::{ACCOUNT}:policy/*"],"Condition":{{"StringEqualsIfExists":{{"foo":"x"}},"DateGreaterThan":{{"aws:CurrentTime":"2020T"}},"Null":{{"aws:username":false}},"StringLike":{{"aws:username":[]}},"x":{{}}}}}}}}"#
    );
    let put = |document: String| {
        Request::PutUserPolicy(PutUserPolicyRequest {
            user_name: "gina".to_owned(),
            policy_name: "odd".to_owned(),
            policy_document: document,
        })
    };
    f.ok(put(
        grant.replace(r#","StringLike":{"aws:username":[]}"#, "")
    ))
    .await;
    let gina = Caller {
        identity: Identity::User(f.service.store().get_user(ACCOUNT, "gina").await.unwrap()),
        access_key_id: "AKIAEXAMPLEUSER00001".to_owned(),
        ..f.root.clone()
    };
    let get_policy = || {
        Request::GetPolicy(GetPolicyRequest {
            policy_arn: arn("Odd"),
        })
    };
    f.service.iam(&gina, get_policy()).await.unwrap();
    // The same grant with a positive operator given no values grants nothing.
    f.ok(put(grant)).await;
    let denied = f.service.iam(&gina, get_policy()).await.unwrap_err();
    assert_eq!(denied.code(), "AccessDenied");

    // A web-identity trust policy: its condition keys' vendors hold dots and slashes.
    let trust = r#"{"Version":"2012-10-17","Statement":{"Sid":"GitHub","Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","oidc.eks.us-east-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:default:app"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:octo/app:*"}}}}"#;
    let role = |name: &str, document: &str| {
        Request::CreateRole(CreateRoleRequest {
            path: None,
            role_name: name.to_owned(),
            assume_role_policy_document: document.to_owned(),
            description: None,
            max_session_duration: None,
            permissions_boundary: None,
            tags: None,
        })
    };
    f.ok(role("deployer", trust)).await;

    let malformed = |message: &str| ("MalformedPolicyDocument".to_owned(), message.to_owned());
    let sid = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*";
    let refused = [
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws::fdsasf"}}"#,
            malformed("The policy failed legacy parsing"),
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2016-12-13t2:00:00+1"}}}}"#,
            malformed("The policy failed legacy parsing"),
        ),
        // An Effect in another letter case (reading 40).
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"denY","Action":"s3:ListBucket","Resource":"*"}}"#,
            malformed("The policy failed legacy parsing"),
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allows","Action":"s3:ListBucket","Resource":"*"}}"#,
            malformed("Syntax errors in policy."),
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws"}}"#,
            malformed("Resource vendor must be fully qualified and cannot contain regexes."),
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":[null]}}"#,
            malformed("Policy statement must contain resources."),
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Sid":"my-sid","Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}}"#,
            malformed(sid),
        ),
    ];
    for (document, expected) in refused {
        assert_eq!(
            error_of(f.root(create_policy("Refused", None, document)).await),
            expected,
            "{document}"
        );
        let inline = PutUserPolicyRequest {
            user_name: "gina".to_owned(),
            policy_name: "refused".to_owned(),
            policy_document: document.to_owned(),
        };
        assert_eq!(
            error_of(f.root(Request::PutUserPolicy(inline)).await),
            expected,
            "{document}"
        );
    }
    assert_eq!(
        error_of(
            f.root(role("refused", &trust.replace("GitHub", "Git-Hub")))
                .await
        ),
        malformed(sid)
    );
    assert_eq!(
        error_of(
            f.root(role("refused", &trust.replace("\"Allow\"", "\"allow\"")))
                .await
        ),
        malformed("The policy failed legacy parsing")
    );
    // Nothing was left behind by the failures.
    let (local, _) = f.list(list_request(Some(PolicyScopeType::Local))).await;
    assert_eq!(names(&local), vec!["Odd"]);
    assert_eq!(err(f.get(&arn("Refused")).await).0, "NoSuchEntity");
}

/// A policy of the account that does not exist, in AWS's words as recorded on AWS: the
/// version operations name the version, the tag operations say "was not found.".
#[tokio::test]
async fn missing_policy_words_for_versions_and_tags() {
    let f = Fixture::new().await;
    let missing = arn_missing();
    let no_version = (
        "NoSuchEntity".to_owned(),
        format!("Policy {missing} version v1 does not exist or is not attachable."),
    );
    assert_eq!(err(f.version(&missing, "v1").await), no_version);
    assert_eq!(
        error_of(f.root(set_default(&missing, "v1")).await),
        no_version
    );
    assert_eq!(
        error_of(f.root(delete_version(&missing, "v1")).await),
        no_version
    );
    let not_found = (
        "NoSuchEntity".to_owned(),
        format!("Policy {missing} was not found."),
    );
    assert_eq!(
        error_of(
            f.root(Request::TagPolicy(TagPolicyRequest {
                policy_arn: missing.clone(),
                tags: vec![tag("a", "b")],
            }))
            .await
        ),
        not_found
    );
    assert_eq!(
        error_of(
            f.root(Request::UntagPolicy(UntagPolicyRequest {
                policy_arn: missing.clone(),
                tag_keys: vec!["a".to_owned()],
            }))
            .await
        ),
        not_found
    );
    assert_eq!(err(f.tags(&missing).await), not_found);
}

/// GetPolicy answers an empty `Tags` list rather than none, for customer and AWS managed
/// policies alike (recorded on AWS); CreatePolicy's answer has no `Tags` without tags.
#[tokio::test]
async fn get_policy_answers_an_empty_tag_list() {
    let f = Fixture::new().await;
    let created = f.create("plain", None).await;
    assert_eq!(created.tags, None);
    assert_eq!(
        f.get(&created.arn.unwrap()).await.unwrap().tags,
        Some(Vec::new())
    );
    assert_eq!(f.get(READ_ONLY).await.unwrap().tags, Some(Vec::new()));
}

/// Managed policies must say `"Version": "2012-10-17"` (recorded on AWS: CreatePolicy
/// refuses a document without Version, or with 2008-10-17, whatever it holds); inline
/// policies need not.
#[tokio::test]
async fn managed_policies_need_version_2012_10_17() {
    let f = Fixture::new().await;
    let statement = r#""Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}"#;
    let refused = (
        "MalformedPolicyDocument".to_owned(),
        "Policy document must be version 2012-10-17 or greater.".to_owned(),
    );
    f.user("ivy").await;
    for document in [
        format!("{{{statement}}}"),
        format!(r#"{{"Version":"2008-10-17",{statement}}}"#),
        // The version is checked before legacy parsing (recorded on AWS).
        format!("{{{}}}", statement.replace("Allow", "denY")),
    ] {
        let legacy = document.contains("denY");
        assert_eq!(
            error_of(f.root(create_policy("old", None, &document)).await),
            refused
        );
        let arn = f.create("current", None).await.arn.unwrap();
        let new_version = Request::CreatePolicyVersion(CreatePolicyVersionRequest {
            policy_arn: arn.clone(),
            policy_document: document.clone(),
            set_as_default: None,
        });
        assert_eq!(error_of(f.root(new_version).await), refused);
        f.ok(delete_policy(&arn)).await;
        // An inline policy may leave Version out.
        let inline = Request::PutUserPolicy(PutUserPolicyRequest {
            user_name: "ivy".to_owned(),
            policy_name: "inline".to_owned(),
            policy_document: document,
        });
        if legacy {
            assert_eq!(
                error_of(f.root(inline).await).1,
                "The policy failed legacy parsing"
            );
        } else {
            f.ok(inline).await;
        }
    }
}
