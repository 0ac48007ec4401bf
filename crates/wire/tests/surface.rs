//! The generated operation surface: every operation's IAM action, access level and resource
//! shape (checked against AWS's Service Authorization Reference where it is spot-checked), and
//! the per-service traits with their `dispatch`, driven by a test implementation.
#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test helpers: an unreadable model or a wrong answer fails the test"
)]

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use wire::access::{AccessLevel, ConditionKey, Resource, ResourceType};
use wire::{QueryParams, iam, sts};

/// Runs a future that never waits on anything outside itself (the test handlers answer at
/// once), polling a bounded number of times.
fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..100 {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
    panic!("the future did not finish");
}

fn assert_send<T: Send>(_: &T) {}

// ---------------------------------------------------------------------------------------
// Every operation has its facts.

#[test]
fn every_operation_has_an_action_access_level_and_resource_shape() {
    for &op in iam::Operation::ALL {
        let action = op.action();
        // AcquireRole has no action of its own (AWS authorizes it as CreateRole).
        if op != iam::Operation::AcquireRole {
            assert_eq!(action, format!("iam:{}", op.name()), "{op:?}");
        }
        assert!(AccessLevel::ALL.contains(&op.access_level()), "{op:?}");
        assert_eq!(op.reads_only(), op.access_level().reads_only());
        for r in op.resources() {
            assert!(ResourceType::ALL.contains(&r.kind), "{op:?}");
            assert!(!r.caller_default || r.kind == ResourceType::User, "{op:?}");
            assert!(!(r.caller_default && r.member_required), "{op:?}");
        }
    }
    for &op in sts::Operation::ALL {
        assert_eq!(op.action(), format!("sts:{}", op.name()), "{op:?}");
        assert!(AccessLevel::ALL.contains(&op.access_level()), "{op:?}");
    }
}

fn counts<I: IntoIterator<Item = AccessLevel>>(levels: I) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for level in levels {
        *counts.entry(level.as_str()).or_default() += 1;
    }
    counts
}

#[test]
fn operations_per_access_level() {
    let iam = counts(iam::Operation::ALL.iter().map(|op| op.access_level()));
    assert_eq!(
        iam,
        BTreeMap::from([
            ("List", 38),
            ("Permissions management", 23),
            ("Read", 34),
            ("Tagging", 16),
            ("Write", 69),
        ])
    );
    let sts = counts(sts::Operation::ALL.iter().map(|op| op.access_level()));
    assert_eq!(sts, BTreeMap::from([("Read", 5), ("Write", 6)]));
    // Operations newer than the copy of the reference we worked from carry our reading.
    let unverified: Vec<_> = iam::Operation::ALL
        .iter()
        .filter(|op| !op.documented())
        .map(|op| op.name())
        .collect();
    assert_eq!(unverified.len(), 16, "{unverified:?}");
    let unverified: Vec<_> = sts::Operation::ALL
        .iter()
        .filter(|op| !op.documented())
        .map(|op| op.name())
        .collect();
    assert_eq!(
        unverified,
        [
            "AssumeRoot",
            "GetDelegatedAccessToken",
            "GetWebIdentityToken"
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Spot checks against the Service Authorization Reference.

fn resource(
    kind: ResourceType,
    required: bool,
    member: Option<&'static str>,
    member_required: bool,
    caller_default: bool,
) -> Resource {
    Resource {
        kind,
        required,
        member,
        member_required,
        caller_default,
    }
}

fn key(key: &'static str, member: Option<&'static str>) -> ConditionKey {
    ConditionKey { key, member }
}

#[test]
fn create_user_is_write_on_the_named_user_with_boundary_and_tag_keys() {
    let op = iam::Operation::CreateUser;
    assert_eq!(op.action(), "iam:CreateUser");
    assert_eq!(op.access_level(), AccessLevel::Write);
    assert!(!op.reads_only());
    assert_eq!(
        op.resources(),
        [resource(
            ResourceType::User,
            true,
            Some("UserName"),
            true,
            false
        )]
    );
    assert_eq!(
        op.condition_keys(),
        [
            key("iam:PermissionsBoundary", Some("PermissionsBoundary")),
            key("aws:TagKeys", Some("Tags")),
            key("aws:RequestTag/${TagKey}", Some("Tags")),
        ]
    );
}

#[test]
fn list_users_and_get_account_summary_are_list_on_no_resource() {
    for op in [
        iam::Operation::ListUsers,
        iam::Operation::GetAccountSummary,
        iam::Operation::ListRoles,
        iam::Operation::ListPolicies,
    ] {
        assert_eq!(op.access_level(), AccessLevel::List, "{op:?}");
        assert!(op.resources().is_empty(), "{op:?}");
        assert!(op.reads_only());
    }
}

#[test]
fn tagging_operations_are_tagging() {
    assert_eq!(iam::Operation::TagUser.access_level(), AccessLevel::Tagging);
    assert_eq!(
        iam::Operation::TagUser.condition_keys(),
        [
            key("aws:TagKeys", Some("Tags")),
            key("aws:RequestTag/${TagKey}", Some("Tags")),
        ]
    );
    assert_eq!(
        iam::Operation::UntagRole.condition_keys(),
        [key("aws:TagKeys", Some("TagKeys"))]
    );
    let tagging: Vec<_> = iam::Operation::ALL
        .iter()
        .filter(|op| op.access_level() == AccessLevel::Tagging)
        .map(|op| op.name())
        .collect();
    assert!(
        tagging
            .iter()
            .all(|n| n.starts_with("Tag") || n.starts_with("Untag")),
        "{tagging:?}"
    );
}

#[test]
fn attach_user_policy_is_permissions_management_with_the_policy_arn_condition() {
    let op = iam::Operation::AttachUserPolicy;
    assert_eq!(op.access_level(), AccessLevel::PermissionsManagement);
    assert_eq!(op.access_level().as_str(), "Permissions management");
    assert_eq!(
        op.resources(),
        [resource(
            ResourceType::User,
            true,
            Some("UserName"),
            true,
            false
        )]
    );
    // iam:PolicyARN is the policy being attached; iam:PermissionsBoundary is the user's own.
    assert_eq!(
        op.condition_keys(),
        [
            key("iam:PolicyARN", Some("PolicyArn")),
            key("iam:PermissionsBoundary", None),
        ]
    );
    assert_eq!(
        iam::Operation::AttachGroupPolicy.condition_keys(),
        [key("iam:PolicyARN", Some("PolicyArn"))]
    );
}

#[test]
fn an_omitted_user_name_is_the_caller() {
    assert_eq!(
        iam::Operation::GetUser.resources(),
        [resource(
            ResourceType::User,
            true,
            Some("UserName"),
            false,
            true
        )]
    );
    assert_eq!(
        iam::Operation::CreateAccessKey.resources(),
        [resource(
            ResourceType::User,
            true,
            Some("UserName"),
            false,
            true
        )]
    );
    // ChangePassword names no user: it is always the caller's own password.
    assert_eq!(
        iam::Operation::ChangePassword.resources(),
        [resource(ResourceType::User, true, None, false, true)]
    );
    // The key names its user.
    assert_eq!(
        iam::Operation::GetAccessKeyLastUsed.resources(),
        [resource(
            ResourceType::User,
            true,
            Some("AccessKeyId"),
            true,
            false
        )]
    );
}

#[test]
fn readings_that_surprise() {
    // GetLoginProfile is classified List, not Read; UpdateAccountPasswordPolicy is Write while
    // DeleteAccountPasswordPolicy is Permissions management.
    assert_eq!(
        iam::Operation::GetLoginProfile.access_level(),
        AccessLevel::List
    );
    assert_eq!(
        iam::Operation::UpdateAccountPasswordPolicy.access_level(),
        AccessLevel::Write
    );
    assert_eq!(
        iam::Operation::DeleteAccountPasswordPolicy.access_level(),
        AccessLevel::PermissionsManagement
    );
    // DeleteVirtualMFADevice: either MFA type, neither required.
    let kinds: Vec<_> = iam::Operation::DeleteVirtualMFADevice
        .resources()
        .iter()
        .map(|r| (r.kind, r.required))
        .collect();
    assert_eq!(
        kinds,
        [(ResourceType::Mfa, false), (ResourceType::SmsMfa, false)]
    );
    assert_eq!(
        iam::Operation::ListMFADevices.resources(),
        [resource(
            ResourceType::User,
            false,
            Some("UserName"),
            false,
            true
        )]
    );
}

#[test]
fn sts_actions() {
    let op = sts::Operation::AssumeRole;
    assert_eq!(op.action(), "sts:AssumeRole");
    assert_eq!(op.access_level(), AccessLevel::Write);
    assert_eq!(
        op.resources(),
        [resource(
            ResourceType::Role,
            true,
            Some("RoleArn"),
            true,
            false
        )]
    );
    assert!(
        op.condition_keys()
            .contains(&key("sts:ExternalId", Some("ExternalId")))
    );
    for op in [
        sts::Operation::GetCallerIdentity,
        sts::Operation::GetSessionToken,
        sts::Operation::GetAccessKeyInfo,
    ] {
        assert_eq!(op.access_level(), AccessLevel::Read, "{op:?}");
        assert!(op.resources().is_empty(), "{op:?}");
    }
    assert_eq!(
        sts::Operation::DecodeAuthorizationMessage.access_level(),
        AccessLevel::Write
    );
    assert_eq!(
        sts::Operation::GetFederationToken.resources(),
        [resource(ResourceType::User, false, None, false, true)]
    );
}

#[test]
fn resource_types_carry_their_arn_format() {
    assert_eq!(ResourceType::InstanceProfile.name(), "instance-profile");
    assert_eq!(
        ResourceType::User.arn_format(),
        "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}"
    );
    assert_eq!(
        ResourceType::Role.condition_keys(),
        ["aws:ResourceTag/${TagKey}", "iam:ResourceTag/${TagKey}"]
    );
    assert!(ResourceType::Group.condition_keys().is_empty());
}

/// The service decided by name (`Get*` or `List*`) which operations only read. The reference
/// differs exactly for the operations below: they read (generate a report, simulate, look up
/// context keys) without a `Get`/`List` name.
#[test]
fn finding_reads_only_replaces_the_get_list_heuristic() {
    let differ: Vec<_> = iam::Operation::ALL
        .iter()
        .filter(|op| {
            let name = op.name();
            op.reads_only() != (name.starts_with("Get") || name.starts_with("List"))
        })
        .map(|op| op.name())
        .collect();
    assert_eq!(
        differ,
        [
            "GenerateCredentialReport",
            "GenerateOrganizationsAccessReport",
            "GenerateServiceLastAccessedDetails",
            "SimulateCustomPolicy",
            "SimulatePrincipalPolicy",
        ]
    );
}

#[test]
fn request_resource_name() {
    let params = QueryParams::from_pairs([("UserName", "alice")]);
    let request = iam::Operation::GetUser.decode(&params).unwrap();
    assert_eq!(request.resource_name(), Some("alice"));
    let request = iam::Operation::GetUser
        .decode(&QueryParams::from_pairs::<_, &str, &str>([]))
        .unwrap();
    assert_eq!(request.resource_name(), None);
    let params = QueryParams::from_pairs([
        ("UserName", "bob"),
        ("PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
    ]);
    let request = iam::Operation::AttachUserPolicy.decode(&params).unwrap();
    assert_eq!(request.resource_name(), Some("bob"));
    let params = QueryParams::from_pairs([
        ("PolicyArn", "arn:aws:iam::123456789012:policy/p"),
        ("VersionId", "v1"),
    ]);
    let request = iam::Operation::GetPolicyVersion.decode(&params).unwrap();
    assert_eq!(
        request.resource_name(),
        Some("arn:aws:iam::123456789012:policy/p")
    );
    let request = iam::Operation::ListUsers
        .decode(&QueryParams::from_pairs::<_, &str, &str>([]))
        .unwrap();
    assert_eq!(request.resource_name(), None);
}

// ---------------------------------------------------------------------------------------
// A request for every operation, from the models: each required member gets a value that
// satisfies its constraints, found by trying candidates against the decoder.

const CANDIDATES: &[&str] = &[
    "alice",
    "v1",
    "arn:aws:iam::123456789012:role/r",
    "AKIAIOSFODNN7EXAMPLE",
    "/",
    "123456",
    "0123456789abcdef0123456789abcdef01234567",
    "https://example.com",
    "abcdefghijklmnopqrstu",
    "{\"Version\":\"2012-10-17\",\"Statement\":[]}",
    "o-a1b2c3d4e5/r-ab12",
];

struct Model {
    shapes: serde_json::Map<String, serde_json::Value>,
    operations: serde_json::Map<String, serde_json::Value>,
}

#[expect(
    clippy::unwrap_used,
    reason = "test helper: an unreadable model fails the test"
)]
fn model(file: &str) -> Model {
    let path = format!(
        "{}/../../data/aws-models/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    Model {
        shapes: model["shapes"].as_object().unwrap().clone(),
        operations: model["operations"].as_object().unwrap().clone(),
    }
}

impl Model {
    fn required(&self, shape: &str) -> Vec<(String, String)> {
        let s = &self.shapes[shape];
        s.get("required")
            .and_then(|r| r.as_array())
            .map(|r| {
                r.iter()
                    .map(|m| {
                        let m = m.as_str().unwrap().to_owned();
                        let target = s["members"][&m]["shape"].as_str().unwrap().to_owned();
                        (m, target)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Query pairs giving `shape` at `key`, its strings taken from `CANDIDATES[pick]`.
    fn fill(&self, shape: &str, key: &str, pick: usize, out: &mut Vec<(String, String)>) {
        let s = &self.shapes[shape];
        match s["type"].as_str().unwrap() {
            "structure" => {
                let mut members = self.required(shape);
                // A structure must be present: with nothing required, give its first member.
                if members.is_empty()
                    && let Some((m, v)) = s["members"].as_object().unwrap().iter().next()
                {
                    members.push((m.clone(), v["shape"].as_str().unwrap().to_owned()));
                }
                for (m, target) in members {
                    self.fill(&target, &format!("{key}.{m}"), pick, out);
                }
            }
            "list" => {
                let item = s["member"]["shape"].as_str().unwrap();
                self.fill(item, &format!("{key}.member.1"), pick, out);
            }
            "map" => {
                let k = s["key"]["shape"].as_str().unwrap();
                let v = s["value"]["shape"].as_str().unwrap();
                self.fill(k, &format!("{key}.entry.1.key"), pick, out);
                self.fill(v, &format!("{key}.entry.1.value"), pick, out);
            }
            "integer" | "long" => {
                let min = s.get("min").and_then(|m| m.as_i64()).unwrap_or(1);
                out.push((key.to_owned(), min.to_string()));
            }
            "boolean" => out.push((key.to_owned(), "true".to_owned())),
            "timestamp" => out.push((key.to_owned(), "2026-01-01T00:00:00Z".to_owned())),
            _ => {
                let value = match s.get("enum").and_then(|e| e.as_array()) {
                    Some(values) => values[0].as_str().unwrap().to_owned(),
                    None => {
                        let min = s.get("min").and_then(|m| m.as_u64()).unwrap_or(0);
                        let candidate = CANDIDATES[pick];
                        if (candidate.len() as u64) < min {
                            "x".repeat(usize::try_from(min).unwrap())
                        } else {
                            candidate.to_owned()
                        }
                    }
                };
                out.push((key.to_owned(), value));
            }
        }
    }

    /// Query parameters that decode as `operation`'s input.
    fn params(
        &self,
        operation: &str,
        decodes: impl Fn(&QueryParams) -> Result<(), wire::ValidationErrors>,
    ) -> QueryParams {
        let Some(input) = self.operations[operation]
            .get("input")
            .map(|i| i["shape"].as_str().unwrap().to_owned())
        else {
            return QueryParams::from_pairs::<_, &str, &str>([]);
        };
        let members = self.required(&input);
        let mut pick = vec![0usize; members.len()];
        let mut last = String::new();
        for _ in 0..CANDIDATES.len() {
            let mut pairs = Vec::new();
            for ((m, target), p) in members.iter().zip(&pick) {
                self.fill(target, m, *p, &mut pairs);
            }
            let params = QueryParams::from_pairs(pairs);
            let Err(errors) = decodes(&params) else {
                return params;
            };
            last = errors.to_string();
            for ((m, _), p) in members.iter().zip(pick.iter_mut()) {
                let m = m.to_lowercase();
                if errors
                    .errors()
                    .iter()
                    .any(|e| e.path().to_lowercase().starts_with(&m))
                {
                    *p = (*p + 1).min(CANDIDATES.len() - 1);
                }
            }
        }
        panic!("no candidate satisfies {operation}: {last}");
    }
}

fn every_iam_request() -> Vec<iam::Request> {
    let model = model("iam-2010-05-08.service.json");
    iam::Operation::ALL
        .iter()
        .map(|&op| {
            let params = model.params(op.name(), |p| op.decode(p).map(|_| ()));
            op.decode(&params).unwrap()
        })
        .collect()
}

fn every_sts_request() -> Vec<sts::Request> {
    let model = model("sts-2011-06-15.service.json");
    sts::Operation::ALL
        .iter()
        .map(|&op| {
            let params = model.params(op.name(), |p| op.decode(p).map(|_| ()));
            op.decode(&params).unwrap()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Dispatch through a test implementation.

/// The caller, as a service would pass it.
struct Caller {
    name: &'static str,
}

#[derive(Debug, PartialEq)]
enum TestError {
    NotImplemented(&'static str),
}

/// Offers two IAM operations (one with an output, one without) and one STS operation.
struct TwoOperations;

impl iam::IamOperations for TwoOperations {
    type Context = Caller;
    type Error = TestError;

    fn not_implemented(&self, operation: iam::Operation) -> TestError {
        TestError::NotImplemented(operation.name())
    }

    async fn get_user(
        &self,
        caller: &Caller,
        input: iam::GetUserRequest,
    ) -> Result<iam::GetUserResponse, TestError> {
        let name = input.user_name.unwrap_or_else(|| caller.name.to_owned());
        Ok(iam::GetUserResponse {
            user: iam::User {
                path: "/".to_owned(),
                user_name: name.clone(),
                user_id: "AIDAEXAMPLE".to_owned(),
                arn: format!("arn:aws:iam::123456789012:user/{name}"),
                create_date: wire::Timestamp::from_unix_seconds(0),
                password_last_used: None,
                permissions_boundary: None,
                tags: None,
            },
        })
    }

    async fn delete_user(
        &self,
        _caller: &Caller,
        _input: iam::DeleteUserRequest,
    ) -> Result<(), TestError> {
        Ok(())
    }
}

impl sts::StsOperations for TwoOperations {
    type Context = Caller;
    type Error = TestError;

    fn not_implemented(&self, operation: sts::Operation) -> TestError {
        TestError::NotImplemented(operation.name())
    }

    async fn get_caller_identity(
        &self,
        caller: &Caller,
        _input: sts::GetCallerIdentityRequest,
    ) -> Result<sts::GetCallerIdentityResponse, TestError> {
        Ok(sts::GetCallerIdentityResponse {
            user_id: Some("AIDAEXAMPLE".to_owned()),
            account: Some("123456789012".to_owned()),
            arn: Some(format!("arn:aws:iam::123456789012:user/{}", caller.name)),
        })
    }
}

#[test]
fn dispatch_reaches_the_overridden_methods() {
    let caller = Caller { name: "alice" };
    let request = iam::Operation::GetUser
        .decode(&QueryParams::from_pairs::<_, &str, &str>([]))
        .unwrap();
    let future = iam::dispatch(&TwoOperations, &caller, request);
    assert_send(&future);
    match run(future) {
        Ok(iam::Response::GetUser(out)) => assert_eq!(out.user.user_name, "alice"),
        other => panic!("{other:?}"),
    }
    let request = iam::Operation::DeleteUser
        .decode(&QueryParams::from_pairs([("UserName", "bob")]))
        .unwrap();
    assert_eq!(
        run(iam::dispatch(&TwoOperations, &caller, request)),
        Ok(iam::Response::DeleteUser)
    );
    let request = sts::Operation::GetCallerIdentity
        .decode(&QueryParams::from_pairs::<_, &str, &str>([]))
        .unwrap();
    let future = sts::dispatch(&TwoOperations, &caller, request);
    assert_send(&future);
    match run(future) {
        Ok(sts::Response::GetCallerIdentity(out)) => assert_eq!(
            out.arn.as_deref(),
            Some("arn:aws:iam::123456789012:user/alice")
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_other_operation_answers_not_implemented() {
    let caller = Caller { name: "alice" };
    let requests = every_iam_request();
    assert_eq!(requests.len(), iam::Operation::ALL.len());
    for request in requests {
        let op = request.operation();
        let answer = run(iam::dispatch(&TwoOperations, &caller, request));
        match op {
            iam::Operation::GetUser => assert!(matches!(answer, Ok(iam::Response::GetUser(_)))),
            iam::Operation::DeleteUser => assert_eq!(answer, Ok(iam::Response::DeleteUser)),
            _ => assert_eq!(answer, Err(TestError::NotImplemented(op.name()))),
        }
    }
    let requests = every_sts_request();
    assert_eq!(requests.len(), sts::Operation::ALL.len());
    for request in requests {
        let op = request.operation();
        let answer = run(sts::dispatch(&TwoOperations, &caller, request));
        if op == sts::Operation::GetCallerIdentity {
            assert!(matches!(answer, Ok(sts::Response::GetCallerIdentity(_))));
        } else {
            assert_eq!(answer, Err(TestError::NotImplemented(op.name())));
        }
    }
}
