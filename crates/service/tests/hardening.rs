//! Regression tests of issue 9 (hardening), one or more per finding, named after it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

use service::{Caller, Clock, Identity, MasterKey, NewAccount, RequestInfo, Sealer, Service};
use wire::QueryParams;
use wire::iam::{Operation, Request, Response};

const A: &str = "111111111111";
const B: &str = "222222222222";
const START: i64 = 1_700_000_000;

struct World {
    service: Service,
    clock: Clock,
}

fn root(account: &str) -> Caller {
    Caller {
        account_id: account.to_owned(),
        identity: Identity::Root,
        access_key_id: "AKIAROOT".to_owned(),
        request: RequestInfo::default(),
        session: None,
    }
}

/// An IAM request decoded from Query parameters, as the server would decode it.
fn iam(action: &str, params: &[(&str, &str)]) -> Request {
    Operation::from_action(action)
        .unwrap()
        .decode(&QueryParams::from_pairs(params.iter().copied()))
        .unwrap()
}

/// An STS request decoded from Query parameters.
fn sts(action: &str, params: &[(&str, &str)]) -> wire::sts::Request {
    wire::sts::Operation::from_action(action)
        .unwrap()
        .decode(&QueryParams::from_pairs(params.iter().copied()))
        .unwrap()
}

fn allow_all_but(action: &str, arn: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}},{{"Effect":"Deny","Action":"{action}","Resource":"{arn}"}}]}}"#
    )
}

impl World {
    async fn new() -> World {
        World::with_clock(Clock::fixed(START)).await
    }

    async fn with_clock(clock: Clock) -> World {
        World::with_limits(clock, service::CacheLimits::default()).await
    }

    /// A world whose caches have the given limits, so tests can watch them stay bounded.
    async fn with_limits(clock: Clock, limits: service::CacheLimits) -> World {
        let store = store::Store::open("sqlite::memory:").await.unwrap();
        let service = Service::new(
            store,
            Sealer::new(&MasterKey::generate().unwrap()),
            clock.clone(),
        )
        .with_cache_limits(limits);
        for (id, email) in [(A, "a@example.com"), (B, "b@example.com")] {
            service
                .create_account(NewAccount {
                    account_id: Some(id.to_owned()),
                    email: email.to_owned(),
                    ..NewAccount::default()
                })
                .await
                .unwrap();
        }
        World { service, clock }
    }

    /// Temporary credentials of account A's root, lasting `seconds`.
    async fn root_session(&self, seconds: &str) -> wire::sts::Credentials {
        let request = sts("GetSessionToken", &[("DurationSeconds", seconds)]);
        match self.service.sts(&root(A), request).await.unwrap() {
            wire::sts::Response::GetSessionToken(response) => response.credentials.unwrap(),
            _ => panic!("not GetSessionToken"),
        }
    }

    async fn root_ok(&self, account: &str, request: Request) -> Response {
        self.service.iam(&root(account), request).await.unwrap()
    }

    /// Creates a user (with a path and an optional inline policy) and returns it as a caller.
    async fn user(&self, account: &str, path: &str, name: &str, policy: Option<&str>) -> Caller {
        self.root_ok(
            account,
            iam("CreateUser", &[("UserName", name), ("Path", path)]),
        )
        .await;
        if let Some(policy) = policy {
            self.root_ok(
                account,
                iam(
                    "PutUserPolicy",
                    &[
                        ("UserName", name),
                        ("PolicyName", "p"),
                        ("PolicyDocument", policy),
                    ],
                ),
            )
            .await;
        }
        self.caller(account, name).await
    }

    async fn caller(&self, account: &str, name: &str) -> Caller {
        Caller {
            account_id: account.to_owned(),
            identity: Identity::User(self.service.store().get_user(account, name).await.unwrap()),
            access_key_id: "AKIAUSER".to_owned(),
            request: RequestInfo::default(),
            session: None,
        }
    }
}

// Finding 1: escalation by path.

#[tokio::test]
async fn finding_1_update_user_new_path_needs_permission_on_the_new_arn() {
    let world = World::new().await;
    let policy = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:UpdateUser","Resource":"arn:aws:iam::111111111111:user/dev/*"}}"#;
    let dev = world.user(A, "/dev/", "dev", Some(policy)).await;
    let moved = world
        .service
        .iam(
            &dev,
            iam("UpdateUser", &[("UserName", "dev"), ("NewPath", "/admin/")]),
        )
        .await
        .unwrap_err();
    assert_eq!(moved.code(), "AccessDenied");
    assert!(
        moved
            .message()
            .contains("on resource: arn:aws:iam::111111111111:user/admin/dev"),
        "{}",
        moved.message()
    );
    let still = world.service.store().get_user(A, "dev").await.unwrap();
    assert_eq!(still.path, "/dev/");
    // Within the allowed paths the move is fine.
    world
        .service
        .iam(
            &dev,
            iam("UpdateUser", &[("UserName", "dev"), ("NewPath", "/dev/x/")]),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn finding_1_update_user_and_group_check_old_and_new_arn() {
    let world = World::new().await;
    world
        .root_ok(
            A,
            iam("CreateGroup", &[("GroupName", "g"), ("Path", "/a/")]),
        )
        .await;
    world.user(A, "/a/", "u", None).await;
    let cases = [
        (
            "iam:UpdateUser",
            "arn:aws:iam::111111111111:user/a/u",
            iam("UpdateUser", &[("UserName", "u"), ("NewPath", "/b/")]),
        ),
        (
            "iam:UpdateUser",
            "arn:aws:iam::111111111111:user/b/u",
            iam("UpdateUser", &[("UserName", "u"), ("NewPath", "/b/")]),
        ),
        (
            "iam:UpdateUser",
            "arn:aws:iam::111111111111:user/a/v",
            iam("UpdateUser", &[("UserName", "u"), ("NewUserName", "v")]),
        ),
        (
            "iam:UpdateGroup",
            "arn:aws:iam::111111111111:group/a/g",
            iam("UpdateGroup", &[("GroupName", "g"), ("NewPath", "/b/")]),
        ),
        (
            "iam:UpdateGroup",
            "arn:aws:iam::111111111111:group/b/g",
            iam("UpdateGroup", &[("GroupName", "g"), ("NewPath", "/b/")]),
        ),
    ];
    for (n, (action, arn, request)) in cases.into_iter().enumerate() {
        let name = format!("actor{n}");
        let actor = world
            .user(A, "/", &name, Some(&allow_all_but(action, arn)))
            .await;
        let denied = world.service.iam(&actor, request).await.unwrap_err();
        assert_eq!(denied.code(), "AccessDenied", "{action} on {arn}");
    }
}

// Finding 11: marker arithmetic.

#[tokio::test]
async fn finding_11_list_user_tags_with_a_huge_marker_is_an_invalid_marker() {
    let world = World::new().await;
    world.user(A, "/", "u", None).await;
    world
        .root_ok(
            A,
            iam(
                "TagUser",
                &[
                    ("UserName", "u"),
                    ("Tags.member.1.Key", "a"),
                    ("Tags.member.1.Value", "1"),
                    ("Tags.member.2.Key", "b"),
                    ("Tags.member.2.Value", "2"),
                ],
            ),
        )
        .await;
    let error = world
        .service
        .iam(
            &root(A),
            iam(
                "ListUserTags",
                &[("UserName", "u"), ("Marker", "18446744073709551615")],
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (error.code(), error.message().as_str()),
        ("ValidationError", "Invalid Marker.")
    );
    // The markers the server issues still page through.
    let Response::ListUserTags(first) = world
        .root_ok(
            A,
            iam("ListUserTags", &[("UserName", "u"), ("MaxItems", "1")]),
        )
        .await
    else {
        panic!("not ListUserTags")
    };
    assert_eq!(first.is_truncated, Some(true));
    let marker = first.marker.unwrap();
    let Response::ListUserTags(second) = world
        .root_ok(
            A,
            iam(
                "ListUserTags",
                &[("UserName", "u"), ("MaxItems", "1"), ("Marker", &marker)],
            ),
        )
        .await
    else {
        panic!("not ListUserTags")
    };
    assert_eq!(second.tags[0].key, "b");
    assert_eq!((second.is_truncated, second.marker), (Some(false), None));
    // A marker of one listing is not one of another, nor of another account.
    let error = world
        .service
        .iam(&root(A), iam("ListUsers", &[("Marker", &marker)]))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "ValidationError");
}

#[tokio::test]
async fn finding_11_every_paginated_operation_refuses_a_forged_marker() {
    let world = World::new().await;
    world.user(A, "/", "u", None).await;
    world
        .root_ok(A, iam("CreateGroup", &[("GroupName", "g")]))
        .await;
    let trust = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;
    world
        .root_ok(
            A,
            iam(
                "CreateRole",
                &[("RoleName", "r"), ("AssumeRolePolicyDocument", trust)],
            ),
        )
        .await;
    let policy =
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
    world
        .root_ok(
            A,
            iam(
                "CreatePolicy",
                &[("PolicyName", "p"), ("PolicyDocument", policy)],
            ),
        )
        .await;
    world
        .root_ok(
            A,
            iam("CreateInstanceProfile", &[("InstanceProfileName", "ip")]),
        )
        .await;
    let p = "arn:aws:iam::111111111111:policy/p";
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("ListUsers", &[]),
        ("ListUserTags", &[("UserName", "u")]),
        ("ListAccessKeys", &[("UserName", "u")]),
        ("ListUserPolicies", &[("UserName", "u")]),
        ("ListAttachedUserPolicies", &[("UserName", "u")]),
        ("GetGroup", &[("GroupName", "g")]),
        ("ListGroups", &[]),
        ("ListGroupsForUser", &[("UserName", "u")]),
        ("ListGroupPolicies", &[("GroupName", "g")]),
        ("ListAttachedGroupPolicies", &[("GroupName", "g")]),
        ("ListPolicies", &[]),
        ("ListPolicyVersions", &[("PolicyArn", p)]),
        ("ListPolicyTags", &[("PolicyArn", p)]),
        ("ListEntitiesForPolicy", &[("PolicyArn", p)]),
        ("ListRoles", &[]),
        ("ListRoleTags", &[("RoleName", "r")]),
        ("ListRolePolicies", &[("RoleName", "r")]),
        ("ListAttachedRolePolicies", &[("RoleName", "r")]),
        ("ListInstanceProfiles", &[]),
        ("ListInstanceProfilesForRole", &[("RoleName", "r")]),
        ("ListInstanceProfileTags", &[("InstanceProfileName", "ip")]),
        ("ListAccountAliases", &[]),
        ("GetAccountAuthorizationDetails", &[]),
    ];
    for (action, params) in cases {
        for forged in ["18446744073709551615", "1", "u", "AAAA"] {
            let mut params = params.to_vec();
            params.push(("Marker", forged));
            let error = world
                .service
                .iam(&root(A), iam(action, &params))
                .await
                .unwrap_err();
            assert_eq!(
                (error.code(), error.message().as_str()),
                ("ValidationError", "Invalid Marker."),
                "{action} with marker {forged}"
            );
        }
    }
}

// Finding 4: managed session policies over 2,048 characters.

const ALLOW_ASSUME: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}"#;

/// A policy allowing iam:ListUsers, padded with `statements` statements to grow its size.
fn big_policy(statements: usize) -> String {
    let mut list = vec![r#"{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}"#.to_owned()];
    for n in 0..statements {
        list.push(format!(
            r#"{{"Sid":"Pad{n}","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-number-{n:04}/*"}}"#
        ));
    }
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        list.join(",")
    )
}

impl World {
    /// A role in `account` trusting `account`, allowed everything by its own policy.
    async fn open_role(&self, account: &str, name: &str) -> String {
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"AWS":"{account}"}},"Action":"sts:AssumeRole"}}}}"#
        );
        self.root_ok(
            account,
            iam(
                "CreateRole",
                &[("RoleName", name), ("AssumeRolePolicyDocument", &trust)],
            ),
        )
        .await;
        self.root_ok(
            account,
            iam(
                "PutRolePolicy",
                &[
                    ("RoleName", name),
                    ("PolicyName", "all"),
                    (
                        "PolicyDocument",
                        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
                    ),
                ],
            ),
        )
        .await;
        format!("arn:aws:iam::{account}:role/{name}")
    }

    /// Deletes a role made by [`World::open_role`].
    async fn delete_open_role(&self, account: &str, name: &str) {
        self.root_ok(
            account,
            iam(
                "DeleteRolePolicy",
                &[("RoleName", name), ("PolicyName", "all")],
            ),
        )
        .await;
        self.root_ok(account, iam("DeleteRole", &[("RoleName", name)]))
            .await;
    }

    async fn assume(
        &self,
        caller: &Caller,
        params: &[(&str, &str)],
    ) -> Result<Caller, service::ServiceError> {
        let wire::sts::Response::AssumeRole(response) =
            self.service.sts(caller, sts("AssumeRole", params)).await?
        else {
            panic!("not AssumeRole")
        };
        let credentials = response.credentials.unwrap();
        let session = self
            .service
            .open_session(&credentials.access_key_id, &credentials.session_token)
            .unwrap();
        self.service
            .session_caller(session, RequestInfo::default())
            .await
    }
}

#[tokio::test]
async fn finding_4_managed_session_policy_over_2048_characters_is_accepted() {
    let world = World::new().await;
    let alice = world.user(A, "/", "alice", Some(ALLOW_ASSUME)).await;
    let role = world.open_role(A, "R").await;
    let document = big_policy(30);
    assert!(document.len() > 2_048 && document.len() < 6_144);
    world
        .root_ok(
            A,
            iam(
                "CreatePolicy",
                &[("PolicyName", "big"), ("PolicyDocument", &document)],
            ),
        )
        .await;
    let arn = "arn:aws:iam::111111111111:policy/big";
    let session = world
        .assume(
            &alice,
            &[
                ("RoleArn", &role),
                ("RoleSessionName", "s1"),
                ("PolicyArns.member.1.arn", arn),
            ],
        )
        .await
        .unwrap();
    world
        .service
        .iam(&session, iam("ListUsers", &[]))
        .await
        .unwrap();
    // The policy grows after the session began: the session goes on, never a 500.
    world
        .root_ok(
            A,
            iam(
                "CreatePolicyVersion",
                &[
                    ("PolicyArn", arn),
                    ("PolicyDocument", &big_policy(45)),
                    ("SetAsDefault", "true"),
                ],
            ),
        )
        .await;
    world
        .service
        .iam(&session, iam("ListUsers", &[]))
        .await
        .unwrap();
    // Deleted: the session keeps nothing from it (fails closed), still no 500.
    world
        .root_ok(
            A,
            iam(
                "DeletePolicyVersion",
                &[("PolicyArn", arn), ("VersionId", "v1")],
            ),
        )
        .await;
    world
        .root_ok(A, iam("DeletePolicy", &[("PolicyArn", arn)]))
        .await;
    let denied = world
        .service
        .iam(&session, iam("ListUsers", &[]))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), "AccessDenied");
}

// Finding 5: session policy ARNs of another account.

#[tokio::test]
async fn finding_5_session_policy_of_another_account_is_refused_alike_whether_it_exists() {
    let world = World::new().await;
    let alice = world.user(A, "/", "alice", Some(ALLOW_ASSUME)).await;
    let role = world.open_role(A, "R").await;
    world
        .root_ok(
            B,
            iam(
                "CreatePolicy",
                &[("PolicyName", "secret"), ("PolicyDocument", &big_policy(1))],
            ),
        )
        .await;
    let answer = |arn: &'static str| {
        let world = &world;
        let alice = &alice;
        let role = role.clone();
        async move {
            let error = world
                .assume(
                    alice,
                    &[
                        ("RoleArn", &role),
                        ("RoleSessionName", "s1"),
                        ("PolicyArns.member.1.arn", arn),
                    ],
                )
                .await
                .unwrap_err();
            (
                error.code(),
                error.status(wire::Service::Iam),
                error.message().replace(arn, "<arn>"),
            )
        }
    };
    let existing = answer("arn:aws:iam::222222222222:policy/secret").await;
    let missing = answer("arn:aws:iam::222222222222:policy/nothing").await;
    let own_missing = answer("arn:aws:iam::111111111111:policy/nothing").await;
    assert_eq!(existing.0, "MalformedPolicyDocument");
    assert_eq!(existing, missing);
    assert_eq!(existing, own_missing);
    // AWS managed policies are fine.
    world
        .assume(
            &alice,
            &[
                ("RoleArn", &role),
                ("RoleSessionName", "s1"),
                (
                    "PolicyArns.member.1.arn",
                    "arn:aws:iam::aws:policy/ReadOnlyAccess",
                ),
            ],
        )
        .await
        .unwrap();
}

// Finding 3: every cache bounded.

#[tokio::test]
async fn finding_3_session_policy_cache_stays_bounded() {
    let clock = Clock::fixed(START);
    let limits = service::CacheLimits {
        sessions: service::Bound {
            entries: 8,
            weight: 6_000,
        },
        ..service::CacheLimits::default()
    };
    let world = World::with_limits(clock, limits).await;
    let alice = world.user(A, "/", "alice", Some(ALLOW_ASSUME)).await;
    let role = world.open_role(A, "R").await;
    let inline = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}}"#;
    let mut most = (0, 0);
    for n in 0..40 {
        let name = format!("s{n}");
        let session = world
            .assume(
                &alice,
                &[
                    ("RoleArn", &role),
                    ("RoleSessionName", &name),
                    ("Policy", inline),
                ],
            )
            .await
            .unwrap();
        world
            .service
            .iam(&session, iam("ListUsers", &[]))
            .await
            .unwrap();
        let usage = world.service.cache_usage().sessions;
        most = (most.0.max(usage.0), most.1.max(usage.1));
    }
    println!("finding 3: sessions cache at most {most:?} (entries, bytes) after 40 sessions");
    assert!(most.0 <= 8 && most.0 > 0 && most.1 <= 6_000, "{most:?}");
}

// Finding 7: password checks throttled per user and per source address.

const ALLOW_CHANGE: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ChangePassword","Resource":"*"}}"#;
const PASSWORD: &str = "Str0ng!Passw0rd";

impl World {
    /// A user with a console password, allowed to change it, calling from `address`.
    async fn password_user(&self, name: &str, address: &str) -> Caller {
        let mut caller = self.user(A, "/", name, Some(ALLOW_CHANGE)).await;
        self.root_ok(
            A,
            iam(
                "CreateLoginProfile",
                &[("UserName", name), ("Password", PASSWORD)],
            ),
        )
        .await;
        caller.request.source_ip = Some(address.parse().unwrap());
        caller
    }

    async fn change(
        &self,
        caller: &Caller,
        old: &str,
        new: &str,
    ) -> Result<(), service::ServiceError> {
        self.service
            .iam(
                caller,
                iam(
                    "ChangePassword",
                    &[("OldPassword", old), ("NewPassword", new)],
                ),
            )
            .await
            .map(|_| ())
    }
}

#[tokio::test]
async fn finding_7_wrong_old_passwords_are_throttled_per_user() {
    let world = World::new().await;
    let limit = service::PASSWORD_FAILURES_PER_USER;
    let carol = world.password_user("carol", "192.0.2.1").await;
    for _ in 0..limit.failures {
        let error = world
            .change(&carol, "Wr0ng!Passw0rd", "N3w!Passw0rd")
            .await
            .unwrap_err();
        assert_eq!(error.code(), "AccessDenied");
    }
    // Even the right password is refused now, from any address, without a hint.
    let mut elsewhere = carol.clone();
    elsewhere.request.source_ip = Some("198.51.100.7".parse().unwrap());
    for caller in [&carol, &elsewhere] {
        let error = world
            .change(caller, PASSWORD, "N3w!Passw0rd")
            .await
            .unwrap_err();
        assert_eq!(
            (
                error.code(),
                error.status(wire::Service::Iam),
                error.message().as_str()
            ),
            (
                "LimitExceeded",
                409,
                "Too many failed password attempts. Try again later."
            )
        );
    }
    world.clock.set(START + limit.window_seconds - 1);
    assert_eq!(
        world
            .change(&carol, PASSWORD, "N3w!Passw0rd")
            .await
            .unwrap_err()
            .code(),
        "LimitExceeded"
    );
    world.clock.set(START + limit.window_seconds);
    world
        .change(&carol, PASSWORD, "N3w!Passw0rd")
        .await
        .unwrap();
}

#[tokio::test]
async fn finding_7_wrong_old_passwords_are_throttled_per_source_address() {
    let world = World::new().await;
    let limit = service::PASSWORD_FAILURES_PER_ADDRESS;
    let per_user = service::PASSWORD_FAILURES_PER_USER.failures - 1;
    let mut failures = 0;
    let mut n = 0;
    while failures < limit.failures {
        let user = world.password_user(&format!("u{n}"), "203.0.113.9").await;
        let mut tries = 0;
        while tries < per_user && failures < limit.failures {
            let error = world
                .change(&user, "Wr0ng!Passw0rd", "N3w!Passw0rd")
                .await
                .unwrap_err();
            assert_eq!(error.code(), "AccessDenied");
            tries += 1;
            failures += 1;
        }
        n += 1;
    }
    // A fresh user from the same address is refused; from another address it is not.
    let fresh = world.password_user("fresh", "203.0.113.9").await;
    assert_eq!(
        world
            .change(&fresh, PASSWORD, "N3w!Passw0rd")
            .await
            .unwrap_err()
            .code(),
        "LimitExceeded"
    );
    let mut other = fresh.clone();
    other.request.source_ip = Some("203.0.113.10".parse().unwrap());
    world
        .change(&other, PASSWORD, "N3w!Passw0rd")
        .await
        .unwrap();
}

// Finding 9: resets.

#[tokio::test]
async fn finding_9_parallel_resets_each_complete_whole() {
    let world = World::new().await;
    let first = NewAccount {
        account_id: Some(A.to_owned()),
        email: "a@example.com".to_owned(),
        ..NewAccount::default()
    };
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let service = world.service.clone();
        let first = first.clone();
        tasks.push(tokio::spawn(async move {
            service
                .reset_then(
                    |service| async move { service.create_account(first).await.map(|_| ()) },
                )
                .await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let plain: Vec<_> = (0..8)
        .map(|_| {
            let service = world.service.clone();
            tokio::spawn(async move { service.reset().await })
        })
        .collect();
    for task in plain {
        task.await.unwrap().unwrap();
    }
    world.service.create_account(first.clone()).await.unwrap();
    let accounts = world.service.store().list_accounts().await.unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].account_id, A);
}

#[tokio::test]
async fn finding_9_session_tokens_issued_before_a_reset_are_invalid_after_it() {
    let world = World::new().await;
    let credentials = world.root_session("3600").await;
    world
        .service
        .open_session(&credentials.access_key_id, &credentials.session_token)
        .unwrap();
    world
        .service
        .reset_then(|service| async move {
            service
                .create_account(NewAccount {
                    account_id: Some(A.to_owned()),
                    email: "a@example.com".to_owned(),
                    ..NewAccount::default()
                })
                .await
                .map(|_| ())
        })
        .await
        .unwrap();
    assert_eq!(
        world
            .service
            .open_session(&credentials.access_key_id, &credentials.session_token)
            .unwrap_err(),
        service::TokenProblem::Invalid
    );
    // Tokens issued after the reset work.
    let wire::sts::Response::GetSessionToken(after) = world
        .service
        .sts(&root(A), sts("GetSessionToken", &[]))
        .await
        .unwrap()
    else {
        panic!("not GetSessionToken")
    };
    let after = after.credentials.unwrap();
    world
        .service
        .open_session(&after.access_key_id, &after.session_token)
        .unwrap();
}

/// A token opened once is kept (its opening is a tenth of a session request's cost), but the
/// kept session answers only the very same token, in the same generation, until it expires.
#[tokio::test]
async fn opened_session_tokens_answer_only_the_same_token_until_expiry() {
    let world = World::new().await;
    let first = world.root_session("900").await;
    let second = world.root_session("900").await;
    let open = |key: &str, token: &str| world.service.open_session(key, token);
    open(&first.access_key_id, &first.session_token).unwrap();
    assert_eq!(world.service.cache_usage().tokens.0, 1);
    // Kept: the same token opens again.
    open(&first.access_key_id, &first.session_token).unwrap();
    // Another genuine token presented with the first key is still refused.
    assert_eq!(
        open(&first.access_key_id, &second.session_token).unwrap_err(),
        service::TokenProblem::Invalid
    );
    // So is the first token changed in one character.
    let mut tampered = first.session_token.clone().into_bytes();
    let at = tampered.len() / 2;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(
        open(&first.access_key_id, &tampered).unwrap_err(),
        service::TokenProblem::Invalid
    );
    // And a kept session still expires.
    world.clock.advance(901);
    assert_eq!(
        open(&first.access_key_id, &first.session_token).unwrap_err(),
        service::TokenProblem::Expired
    );
}

#[tokio::test]
async fn opened_session_tokens_stay_bounded() {
    let limits = service::CacheLimits {
        tokens: service::Bound {
            entries: 4,
            weight: usize::MAX,
        },
        ..service::CacheLimits::default()
    };
    let world = World::with_limits(Clock::fixed(START), limits).await;
    for _ in 0..10 {
        let credentials = world.root_session("3600").await;
        world
            .service
            .open_session(&credentials.access_key_id, &credentials.session_token)
            .unwrap();
    }
    assert_eq!(world.service.cache_usage().tokens.0, 4);
}

// Finding 6: trust follows identities, not names.

fn trust_of(principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}}}"#
    )
}

impl World {
    async fn trust_document(&self, role: &str) -> String {
        let Response::GetRole(got) = self.root_ok(A, iam("GetRole", &[("RoleName", role)])).await
        else {
            panic!("not GetRole")
        };
        let encoded = got.role.assume_role_policy_document.unwrap();
        // IAM sends policy documents URL-encoded.
        let mut out = Vec::new();
        let bytes = encoded.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&encoded[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }
}

#[tokio::test]
async fn finding_6_a_new_user_with_a_trusted_name_cannot_assume_the_role() {
    let world = World::new().await;
    let carol_arn = "arn:aws:iam::111111111111:user/carol";
    let carol = world.user(A, "/", "carol", None).await;
    let Identity::User(old) = &carol.identity else {
        panic!("not a user")
    };
    let old_id = old.user_id.clone();
    world
        .root_ok(
            A,
            iam(
                "CreateRole",
                &[
                    ("RoleName", "Target"),
                    ("AssumeRolePolicyDocument", &trust_of(carol_arn)),
                ],
            ),
        )
        .await;
    let role = "arn:aws:iam::111111111111:role/Target";
    // The trusted carol may (a direct grant needs no identity policy).
    world
        .assume(&carol, &[("RoleArn", role), ("RoleSessionName", "s1")])
        .await
        .unwrap();
    assert!(world.trust_document("Target").await.contains(carol_arn));

    world
        .root_ok(A, iam("DeleteUser", &[("UserName", "carol")]))
        .await;
    // Gone: GetRole shows the unique id where the principal was named.
    let shown = world.trust_document("Target").await;
    assert!(
        shown.contains(&old_id) && !shown.contains(carol_arn),
        "{shown}"
    );

    // A new carol is another identity: no grant, even allowed by her own policy.
    let new_carol = world.user(A, "/", "carol", Some(ALLOW_ASSUME)).await;
    let denied = world
        .assume(&new_carol, &[("RoleArn", role), ("RoleSessionName", "s1")])
        .await
        .unwrap_err();
    assert_eq!(denied.code(), "AccessDenied");
    // And GetRole still shows the old id, not the new carol's ARN.
    let shown = world.trust_document("Target").await;
    assert!(
        shown.contains(&old_id) && !shown.contains(carol_arn),
        "{shown}"
    );

    // Trusting the new carol again binds her.
    world
        .root_ok(
            A,
            iam(
                "UpdateAssumeRolePolicy",
                &[
                    ("RoleName", "Target"),
                    ("PolicyDocument", &trust_of(carol_arn)),
                ],
            ),
        )
        .await;
    world
        .assume(&new_carol, &[("RoleArn", role), ("RoleSessionName", "s1")])
        .await
        .unwrap();
}

#[tokio::test]
async fn finding_6_a_recreated_role_is_not_the_trusted_role() {
    let world = World::new().await;
    let alice = world.user(A, "/", "alice", Some(ALLOW_ASSUME)).await;
    let ops = world.open_role(A, "Ops").await;
    world
        .root_ok(
            A,
            iam(
                "CreateRole",
                &[
                    ("RoleName", "Target"),
                    ("AssumeRolePolicyDocument", &trust_of(&ops)),
                ],
            ),
        )
        .await;
    let target = "arn:aws:iam::111111111111:role/Target";
    let session = world
        .assume(&alice, &[("RoleArn", &ops), ("RoleSessionName", "s1")])
        .await
        .unwrap();
    world
        .assume(&session, &[("RoleArn", target), ("RoleSessionName", "s2")])
        .await
        .unwrap();

    world.delete_open_role(A, "Ops").await;
    world.open_role(A, "Ops").await;
    let session = world
        .assume(&alice, &[("RoleArn", &ops), ("RoleSessionName", "s1")])
        .await
        .unwrap();
    let denied = world
        .assume(&session, &[("RoleArn", target), ("RoleSessionName", "s2")])
        .await
        .unwrap_err();
    assert_eq!(denied.code(), "AccessDenied");
    assert!(world.trust_document("Target").await.contains("AROA"));
}

/// The server runs `reset_then` in an axum handler with a boxed `Send` hook: its future must
/// be `Send`.
#[allow(
    dead_code,
    reason = "compiled, never run: the check is the type system's"
)]
fn reset_then_is_send(service: &Service) {
    type Hook = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<(), service::ServiceError>> + Send>,
    >;
    fn send<T: Send>(_: T) {}
    send(service.reset_then(|_service| -> Hook { Box::pin(async { Ok(()) }) }));
}

#[tokio::test]
async fn finding_6_roles_stored_before_bindings_are_bound_at_start_up() {
    use sqlx::Connection;
    // A random unique id makes the file name unique.
    let unique = service::new_unique_id(service::IdKind::User).unwrap();
    let file = std::env::temp_dir().join(format!("castellan-finding-6-{unique}.db"));
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let service = Service::new(
        store::Store::open(&url).await.unwrap(),
        Sealer::new(&MasterKey::generate().unwrap()),
        Clock::fixed(START),
    );
    service
        .create_account(NewAccount {
            account_id: Some(A.to_owned()),
            email: "a@example.com".to_owned(),
            ..NewAccount::default()
        })
        .await
        .unwrap();
    let world = World {
        service,
        clock: Clock::fixed(START),
    };
    world.user(A, "/", "carol", None).await;
    for (role, principal) in [
        ("Target", "arn:aws:iam::111111111111:user/carol"),
        ("Ghostly", "arn:aws:iam::111111111111:user/ghost"),
    ] {
        world
            .service
            .store()
            .create_role(&store::NewRole {
                account_id: A.to_owned(),
                role_id: service::new_unique_id(service::IdKind::Role).unwrap(),
                name: role.to_owned(),
                path: "/".to_owned(),
                trust_policy: policy::Policy::parse(
                    &trust_of(principal),
                    policy::PolicyKind::Trust,
                )
                .unwrap(),
                trust_principals: Vec::new(),
                description: None,
                max_session_duration: 3600,
                permissions_boundary_arn: None,
                created_at: START,
                tags: Vec::new(),
            })
            .await
            .unwrap();
    }
    // As the migration leaves roles stored before it.
    let mut raw = sqlx::sqlite::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("UPDATE roles SET trust_principals = NULL")
        .execute(&mut raw)
        .await
        .unwrap();
    raw.close().await.unwrap();

    assert_eq!(
        world.service.bind_unbound_trust_policies().await.unwrap(),
        2
    );
    assert_eq!(
        world.service.bind_unbound_trust_policies().await.unwrap(),
        0
    );
    // Bound to the carol of the upgrade: a later namesake is not her.
    world
        .root_ok(A, iam("DeleteUser", &[("UserName", "carol")]))
        .await;
    for name in ["carol", "ghost"] {
        let namesake = world.user(A, "/", name, Some(ALLOW_ASSUME)).await;
        let role = if name == "carol" { "Target" } else { "Ghostly" };
        let denied = world
            .assume(
                &namesake,
                &[
                    ("RoleArn", &format!("arn:aws:iam::111111111111:role/{role}")),
                    ("RoleSessionName", "s1"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(denied.code(), "AccessDenied", "{name}");
    }
    let _ = std::fs::remove_file(&file);
}

/// A session's role is kept between its requests (`authorize::session_role`): deleting the
/// role still ends the session at once, and a role recreated under the name is not its role.
#[tokio::test]
async fn issue_14_a_used_session_ends_with_its_role() {
    let world = World::new().await;
    let alice = world.user(A, "/", "alice", Some(ALLOW_ASSUME)).await;
    let ops = world.open_role(A, "Ops").await;
    let wire::sts::Response::AssumeRole(assumed) = world
        .service
        .sts(
            &alice,
            sts(
                "AssumeRole",
                &[("RoleArn", &ops), ("RoleSessionName", "s1")],
            ),
        )
        .await
        .unwrap()
    else {
        panic!("not AssumeRole")
    };
    let credentials = assumed.credentials.unwrap();
    let session_caller = || async {
        let session = world
            .service
            .open_session(&credentials.access_key_id, &credentials.session_token)
            .unwrap();
        world
            .service
            .session_caller(session, RequestInfo::default())
            .await
    };
    for _ in 0..2 {
        let caller = session_caller().await.unwrap();
        let Identity::RoleSession { role, .. } = &caller.identity else {
            panic!("not a role session: {:?}", caller.identity)
        };
        assert_eq!(role.name, "Ops");
        world
            .service
            .iam(&caller, iam("ListUsers", &[]))
            .await
            .unwrap();
    }

    world.delete_open_role(A, "Ops").await;
    let gone = session_caller().await.unwrap_err();
    assert_eq!(gone.code(), "InvalidClientTokenId");
    world.open_role(A, "Ops").await;
    let recreated = session_caller().await.unwrap_err();
    assert_eq!(recreated.code(), "InvalidClientTokenId");
}
