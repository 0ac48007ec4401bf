//! The entity model's behaviours, each run for every entity kind that has it: lookup that
//! hides existence, ARNs with paths, tags (as a target, and as `aws:ResourceTag` in the
//! decision), creation with tags that is all or nothing, inline policies with their quotas,
//! attachments with `iam:PolicyARN`, permissions boundaries with `iam:PermissionsBoundary`.
//! Requests are built from Query parameters, as clients send them.

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
use wire::QueryParams;
use wire::iam::{Operation, Request, Response, Tag};

const ACCOUNT: &str = "123456789012";
const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;

fn root() -> Caller {
    Caller {
        account_id: ACCOUNT.to_owned(),
        identity: Identity::Root,
        access_key_id: "AKIAROOT".to_owned(),
        request: RequestInfo::default(),
        session: None,
    }
}

async fn service() -> Service {
    let store = store::Store::open("sqlite::memory:").await.unwrap();
    let service = Service::new(
        store,
        Sealer::new(&MasterKey::generate().unwrap()),
        Clock::fixed(1_700_000_000),
    );
    service
        .create_account(NewAccount {
            account_id: Some(ACCOUNT.to_owned()),
            email: "root@example.com".to_owned(),
            ..NewAccount::default()
        })
        .await
        .unwrap();
    service
}

/// Runs the IAM operation `action` with Query parameters, as a client would send them.
async fn call(
    service: &Service,
    caller: &Caller,
    action: &str,
    params: &[(&str, &str)],
) -> Result<Response, ServiceError> {
    service.iam(caller, request(action, params)).await
}

/// The typed request the Query parameters decode to (the models' constraints checked).
fn request(action: &str, params: &[(&str, &str)]) -> Request {
    let operation = Operation::ALL
        .iter()
        .find(|o| o.name() == action)
        .unwrap_or_else(|| panic!("no operation {action}"));
    operation
        .decode(&QueryParams::from_pairs(params.iter().copied()))
        .unwrap_or_else(|e| panic!("{action}: {e:?}"))
}

async fn ok(service: &Service, action: &str, params: &[(&str, &str)]) -> Response {
    call(service, &root(), action, params)
        .await
        .unwrap_or_else(|e| panic!("{action} {params:?}: {} {}", e.code(), e.message()))
}

fn code(result: Result<Response, ServiceError>) -> String {
    match result {
        Ok(_) => "ok".to_owned(),
        Err(e) => e.code().to_owned(),
    }
}

/// A user of the account whose only permissions are `document`, as a caller.
async fn caller_with(service: &Service, name: &str, document: &str) -> Caller {
    ok(service, "CreateUser", &[("UserName", name)]).await;
    ok(
        service,
        "PutUserPolicy",
        &[
            ("UserName", name),
            ("PolicyName", "only"),
            ("PolicyDocument", document),
        ],
    )
    .await;
    Caller {
        identity: Identity::User(service.store().get_user(ACCOUNT, name).await.unwrap()),
        access_key_id: format!("AKIA{}", name.to_uppercase()),
        ..root()
    }
}

/// One entity kind, as the Query API names it.
struct Kind {
    /// The noun of its operations (`User`, `InstanceProfile`).
    noun: &'static str,
    /// The member naming one entity (`UserName`, `PolicyArn`).
    member: &'static str,
    /// Extra parameters its Create operation requires.
    create_extra: &'static [(&'static str, &'static str)],
    /// The resource type in its ARN (`user`, `instance-profile`).
    arn_type: &'static str,
}

const USER: Kind = Kind {
    noun: "User",
    member: "UserName",
    create_extra: &[],
    arn_type: "user",
};
const GROUP: Kind = Kind {
    noun: "Group",
    member: "GroupName",
    create_extra: &[],
    arn_type: "group",
};
const ROLE: Kind = Kind {
    noun: "Role",
    member: "RoleName",
    create_extra: &[("AssumeRolePolicyDocument", TRUST)],
    arn_type: "role",
};
const INSTANCE_PROFILE: Kind = Kind {
    noun: "InstanceProfile",
    member: "InstanceProfileName",
    create_extra: &[],
    arn_type: "instance-profile",
};
const POLICY: Kind = Kind {
    noun: "Policy",
    member: "PolicyArn",
    create_extra: &[("PolicyDocument", ALLOW_ALL)],
    arn_type: "policy",
};

const ALL_KINDS: [&Kind; 5] = [&USER, &GROUP, &ROLE, &INSTANCE_PROFILE, &POLICY];
const TAGGABLE: [&Kind; 4] = [&USER, &ROLE, &INSTANCE_PROFILE, &POLICY];
const POLICY_OWNERS: [&Kind; 3] = [&USER, &GROUP, &ROLE];
const BOUNDED: [&Kind; 2] = [&USER, &ROLE];

impl Kind {
    fn arn(&self, path: &str, name: &str) -> String {
        format!("arn:aws:iam::{ACCOUNT}:{}{path}{name}", self.arn_type)
    }

    /// What the kind's operations name an entity by: its name, or a policy's ARN.
    fn id(&self, path: &str, name: &str) -> String {
        if self.member == "PolicyArn" {
            self.arn(path, name)
        } else {
            name.to_owned()
        }
    }

    /// The Create operation's name member (`PolicyName` for policies).
    fn name_member(&self) -> &'static str {
        if self.member == "PolicyArn" {
            "PolicyName"
        } else {
            self.member
        }
    }

    async fn create(
        &self,
        service: &Service,
        path: &str,
        name: &str,
        tags: &[(&str, &str)],
    ) -> Result<Response, ServiceError> {
        let request = self.create_request(path, name, tags);
        service.iam(&root(), request).await
    }

    fn create_request(&self, path: &str, name: &str, tags: &[(&str, &str)]) -> Request {
        let mut owned: Vec<(String, String)> = vec![
            (self.name_member().to_owned(), name.to_owned()),
            ("Path".to_owned(), path.to_owned()),
        ];
        owned.extend(
            self.create_extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        for (i, (key, value)) in tags.iter().enumerate() {
            owned.push((format!("Tags.member.{}.Key", i + 1), (*key).to_owned()));
            owned.push((format!("Tags.member.{}.Value", i + 1), (*value).to_owned()));
        }
        let params: Vec<(&str, &str)> = owned
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        request(&format!("Create{}", self.noun), &params)
    }

    async fn get(
        &self,
        service: &Service,
        caller: &Caller,
        id: &str,
    ) -> Result<Response, ServiceError> {
        call(
            service,
            caller,
            &format!("Get{}", self.noun),
            &[(self.member, id)],
        )
        .await
    }
}

/// `Action` allowed on every resource, nothing else.
fn allow(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"{action}","Resource":"*"}}}}"#
    )
}

/// `Action` allowed where `key` equals `value`.
fn allow_if(action: &str, key: &str, value: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"{action}","Resource":"*","Condition":{{"StringEquals":{{"{key}":"{value}"}}}}}}}}"#
    )
}

#[tokio::test]
async fn a_lookup_never_tells_existence_to_a_caller_who_may_not_act_on_the_name() {
    for kind in ALL_KINDS {
        let service = service().await;
        kind.create(&service, "/", "present", &[]).await.unwrap();
        let outsider = caller_with(&service, "outsider", &allow("iam:ListUsers")).await;
        let present = kind
            .get(&service, &outsider, &kind.id("/", "present"))
            .await;
        let absent = kind.get(&service, &outsider, &kind.id("/", "absent")).await;
        assert_eq!(code(present), "AccessDenied", "{}", kind.noun);
        assert_eq!(code(absent), "AccessDenied", "{}", kind.noun);
        let reader =
            caller_with(&service, "reader", &allow(&format!("iam:Get{}", kind.noun))).await;
        let absent = kind
            .get(&service, &reader, &kind.id("/", "absent"))
            .await
            .unwrap_err();
        assert_eq!(absent.code(), "NoSuchEntity", "{}", kind.noun);
        assert!(absent.message().contains("absent"), "{}", absent.message());
    }
}

#[tokio::test]
async fn decisions_are_made_on_the_entitys_arn_with_its_path() {
    for kind in ALL_KINDS {
        let service = service().await;
        kind.create(&service, "/team/", "e1", &[]).await.unwrap();
        let arn = kind.arn("/team/", "e1");
        let scoped = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"iam:Get{}","Resource":"{}"}}}}"#,
            kind.noun,
            kind.arn("/team/", "*")
        );
        let reader = caller_with(&service, "reader", &scoped).await;
        let found = kind.get(&service, &reader, &kind.id("/team/", "e1")).await;
        assert_eq!(code(found), "ok", "{}", kind.noun);
        let elsewhere = caller_with(&service, "other", &allow("iam:ListUsers")).await;
        let denied = kind
            .get(&service, &elsewhere, &kind.id("/team/", "e1"))
            .await
            .unwrap_err();
        assert!(
            denied.message().contains(&format!("on resource: {arn}")),
            "{}: {}",
            kind.noun,
            denied.message()
        );
    }
}

#[tokio::test]
async fn tags_are_added_replaced_listed_and_removed_alike_for_every_kind() {
    for kind in TAGGABLE {
        let service = service().await;
        kind.create(&service, "/", "e1", &[("Team", "blue")])
            .await
            .unwrap();
        let id = kind.id("/", "e1");
        let noun = kind.noun;
        ok(
            &service,
            &format!("Tag{noun}"),
            &[
                (kind.member, &id),
                ("Tags.member.1.Key", "team"),
                ("Tags.member.1.Value", "red"),
                ("Tags.member.2.Key", "cost"),
                ("Tags.member.2.Value", "42"),
            ],
        )
        .await;
        // A managed policy keeps keys apart by case (reading 42); the others replace a key
        // whatever its case, keeping its new spelling.
        let by_case = noun == "Policy";
        let tags = list_tags(&service, kind, &id).await;
        let mut expected: Vec<(String, String)> =
            vec![("cost".into(), "42".into()), ("team".into(), "red".into())];
        if by_case {
            expected.insert(0, ("Team".into(), "blue".into()));
        }
        assert_eq!(tags, expected, "{noun}");
        ok(
            &service,
            &format!("Untag{noun}"),
            &[
                (kind.member, &id),
                ("TagKeys.member.1", if by_case { "team" } else { "TEAM" }),
            ],
        )
        .await;
        expected.retain(|(key, _)| key != "team");
        assert_eq!(list_tags(&service, kind, &id).await, expected, "{noun}");
    }
}

async fn list_tags(service: &Service, kind: &Kind, id: &str) -> Vec<(String, String)> {
    let tags = match ok(
        service,
        &format!("List{}Tags", kind.noun),
        &[(kind.member, id)],
    )
    .await
    {
        Response::ListUserTags(r) => r.tags,
        Response::ListRoleTags(r) => r.tags,
        Response::ListInstanceProfileTags(r) => r.tags,
        Response::ListPolicyTags(r) => r.tags,
        other => panic!("{other:?}"),
    };
    tags.into_iter().map(|t| (t.key, t.value)).collect()
}

#[tokio::test]
async fn the_resource_tag_of_every_taggable_kind_reaches_the_decision() {
    for kind in TAGGABLE {
        let service = service().await;
        kind.create(&service, "/", "blue", &[("team", "blue")])
            .await
            .unwrap();
        kind.create(&service, "/", "red", &[("team", "red")])
            .await
            .unwrap();
        let action = format!("iam:Get{}", kind.noun);
        let blue_team = caller_with(
            &service,
            "b",
            &allow_if(&action, "aws:ResourceTag/team", "blue"),
        )
        .await;
        let blue = kind.get(&service, &blue_team, &kind.id("/", "blue")).await;
        let red = kind.get(&service, &blue_team, &kind.id("/", "red")).await;
        assert_eq!(code(blue), "ok", "{}", kind.noun);
        assert_eq!(code(red), "AccessDenied", "{}", kind.noun);
        // The IAM-specific spelling of the key carries the same tags.
        let iam_key = caller_with(
            &service,
            "i",
            &allow_if(&action, "iam:ResourceTag/team", "red"),
        )
        .await;
        let red = kind.get(&service, &iam_key, &kind.id("/", "red")).await;
        assert_eq!(code(red), "ok", "{}", kind.noun);
    }
}

#[tokio::test]
async fn a_creation_that_fails_on_its_tags_leaves_nothing_behind() {
    let fifty: Vec<(String, String)> = (0..50).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    let fifty: Vec<(&str, &str)> = fifty
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for kind in TAGGABLE {
        let service = service().await;
        // AWS reserves the `aws:` prefix (in any case) for itself.
        let reserved = kind
            .create(&service, "/", "e1", &[("ok", "1"), ("AWS:owner", "me")])
            .await
            .unwrap_err();
        assert_eq!(reserved.code(), "InvalidInput", "{}", kind.noun);
        // A fifty-first tag (past the models' own limit, so built by hand) is refused by the
        // store inside the creation's own write.
        let mut too_many = kind.create_request("/", "e1", &fifty);
        let extra = Tag {
            key: "k50".to_owned(),
            value: "v".to_owned(),
        };
        match &mut too_many {
            Request::CreateUser(r) => r.tags.get_or_insert_default().push(extra),
            Request::CreateRole(r) => r.tags.get_or_insert_default().push(extra),
            Request::CreateInstanceProfile(r) => r.tags.get_or_insert_default().push(extra),
            Request::CreatePolicy(r) => r.tags.get_or_insert_default().push(extra),
            other => panic!("{other:?}"),
        }
        let refused = service.iam(&root(), too_many).await.unwrap_err();
        assert_eq!(refused.code(), "LimitExceeded", "{}", kind.noun);
        let gone = kind.get(&service, &root(), &kind.id("/", "e1")).await;
        assert_eq!(code(gone), "NoSuchEntity", "{}", kind.noun);
        // And the name is free: nothing half-made holds it.
        kind.create(&service, "/", "e1", &[("ok", "1")])
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn tagging_with_a_reserved_key_is_refused_for_every_kind() {
    for kind in TAGGABLE {
        let service = service().await;
        kind.create(&service, "/", "e1", &[]).await.unwrap();
        let id = kind.id("/", "e1");
        let refused = call(
            &service,
            &root(),
            &format!("Tag{}", kind.noun),
            &[
                (kind.member, &id),
                ("Tags.member.1.Key", "aws:cloudformation:stack-name"),
                ("Tags.member.1.Value", "x"),
            ],
        )
        .await;
        assert_eq!(code(refused), "InvalidInput", "{}", kind.noun);
        assert!(
            list_tags(&service, kind, &id).await.is_empty(),
            "{}",
            kind.noun
        );
    }
}

#[tokio::test]
async fn inline_policies_are_put_read_listed_and_deleted_the_same_way_for_every_owner() {
    for kind in POLICY_OWNERS {
        let service = service().await;
        kind.create(&service, "/", "e1", &[]).await.unwrap();
        let noun = kind.noun;
        let owner = [(kind.member, "e1")];
        let put = |name: &'static str| {
            [
                (kind.member, "e1"),
                ("PolicyName", name),
                ("PolicyDocument", ALLOW_ALL),
            ]
        };
        ok(&service, &format!("Put{noun}Policy"), &put("b")).await;
        ok(&service, &format!("Put{noun}Policy"), &put("a")).await;
        let names = match ok(&service, &format!("List{noun}Policies"), &owner).await {
            Response::ListUserPolicies(r) => r.policy_names,
            Response::ListGroupPolicies(r) => r.policy_names,
            Response::ListRolePolicies(r) => r.policy_names,
            other => panic!("{other:?}"),
        };
        assert_eq!(names, ["a", "b"], "{noun}");
        let document = match ok(
            &service,
            &format!("Get{noun}Policy"),
            &[(kind.member, "e1"), ("PolicyName", "a")],
        )
        .await
        {
            Response::GetUserPolicy(r) => r.policy_document,
            Response::GetGroupPolicy(r) => r.policy_document,
            Response::GetRolePolicy(r) => r.policy_document,
            other => panic!("{other:?}"),
        };
        assert!(
            document.starts_with("%7B%22Version%22"),
            "{noun}: {document}"
        );
        ok(
            &service,
            &format!("Delete{noun}Policy"),
            &[(kind.member, "e1"), ("PolicyName", "a")],
        )
        .await;
        let again = call(
            &service,
            &root(),
            &format!("Get{noun}Policy"),
            &[(kind.member, "e1"), ("PolicyName", "a")],
        )
        .await;
        assert_eq!(code(again), "NoSuchEntity", "{noun}");
        let malformed = call(
            &service,
            &root(),
            &format!("Put{noun}Policy"),
            &[
                (kind.member, "e1"),
                ("PolicyName", "m"),
                ("PolicyDocument", "{"),
            ],
        )
        .await;
        assert_eq!(code(malformed), "MalformedPolicyDocument", "{noun}");
    }
}

#[tokio::test]
async fn inline_policies_of_one_owner_share_the_kinds_quota() {
    // AWS's totals: 2,048 characters for a user, 5,120 for a group, 10,240 for a role.
    for (kind, total) in [(&USER, 2_048), (&GROUP, 5_120), (&ROLE, 10_240)] {
        let service = service().await;
        kind.create(&service, "/", "e1", &[]).await.unwrap();
        let noun = kind.noun;
        // One statement of a known size, repeated: each policy below fits on its own.
        let document = |sids: usize| {
            let statements: Vec<String> = (0..sids)
                .map(|i| format!(r#"{{"Sid":"S{i:04}","Effect":"Allow","Action":"iam:GetUser","Resource":"*"}}"#))
                .collect();
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
                statements.join(",")
            )
        };
        let one = document(1).len();
        let per_statement = document(2).len() - one;
        let fits = (total - one) / per_statement;
        let first = document(fits / 2);
        ok(
            &service,
            &format!("Put{noun}Policy"),
            &[
                (kind.member, "e1"),
                ("PolicyName", "first"),
                ("PolicyDocument", &first),
            ],
        )
        .await;
        // Replacing a policy does not count it twice.
        ok(
            &service,
            &format!("Put{noun}Policy"),
            &[
                (kind.member, "e1"),
                ("PolicyName", "first"),
                ("PolicyDocument", &first),
            ],
        )
        .await;
        let second = document(fits - fits / 2 + 2);
        let over = call(
            &service,
            &root(),
            &format!("Put{noun}Policy"),
            &[
                (kind.member, "e1"),
                ("PolicyName", "second"),
                ("PolicyDocument", &second),
            ],
        )
        .await
        .unwrap_err();
        assert_eq!(over.code(), "LimitExceeded", "{noun}");
        assert!(
            over.message().contains(&format!(
                "{total} bytes exceeded for {} e1",
                noun.to_lowercase()
            )),
            "{noun}: {}",
            over.message()
        );
    }
}

#[tokio::test]
async fn attachments_are_made_listed_and_undone_with_the_policy_arn_in_the_context() {
    let readonly = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    for kind in POLICY_OWNERS {
        let service = service().await;
        kind.create(&service, "/", "e1", &[]).await.unwrap();
        let noun = kind.noun;
        let action = format!("iam:Attach{noun}Policy");
        let attacher =
            caller_with(&service, "a", &allow_if(&action, "iam:PolicyARN", readonly)).await;
        let attach = |arn: &'static str| [(kind.member, "e1"), ("PolicyArn", arn)];
        let op = format!("Attach{noun}Policy");
        assert_eq!(
            code(call(&service, &attacher, &op, &attach(readonly)).await),
            "ok",
            "{noun}"
        );
        assert_eq!(
            code(call(&service, &attacher, &op, &attach(admin)).await),
            "AccessDenied",
            "{noun}"
        );
        let missing = "arn:aws:iam::123456789012:policy/nothing";
        let refused = call(
            &service,
            &root(),
            &op,
            &[(kind.member, "e1"), ("PolicyArn", missing)],
        )
        .await;
        assert_eq!(code(refused), "NoSuchEntity", "{noun}");
        let listed = attached(&service, kind, "e1").await;
        assert_eq!(listed, ["ReadOnlyAccess"], "{noun}");
        ok(&service, &format!("Detach{noun}Policy"), &attach(readonly)).await;
        let listed = attached(&service, kind, "e1").await;
        assert!(listed.is_empty(), "{noun}");
    }
}

#[tokio::test]
async fn boundaries_are_set_and_cleared_with_the_boundary_in_the_context() {
    let boundary = "arn:aws:iam::aws:policy/PowerUserAccess";
    let other = "arn:aws:iam::aws:policy/AdministratorAccess";
    for kind in BOUNDED {
        let service = service().await;
        kind.create(&service, "/", "e1", &[]).await.unwrap();
        let noun = kind.noun;
        let action = format!("iam:Put{noun}PermissionsBoundary");
        let setter = caller_with(
            &service,
            "s",
            &allow_if(&action, "iam:PermissionsBoundary", boundary),
        )
        .await;
        let op = format!("Put{noun}PermissionsBoundary");
        let put = |arn: &'static str| [(kind.member, "e1"), ("PermissionsBoundary", arn)];
        assert_eq!(
            code(call(&service, &setter, &op, &put(other)).await),
            "AccessDenied",
            "{noun}"
        );
        assert_eq!(
            code(call(&service, &setter, &op, &put(boundary)).await),
            "ok",
            "{noun}"
        );
        let shown = |response: Response| match response {
            Response::GetUser(r) => r.user.permissions_boundary,
            Response::GetRole(r) => r.role.permissions_boundary,
            other => panic!("{other:?}"),
        };
        let set = shown(kind.get(&service, &root(), "e1").await.unwrap()).unwrap();
        assert_eq!(
            set.permissions_boundary_arn.as_deref(),
            Some(boundary),
            "{noun}"
        );
        ok(
            &service,
            &format!("Delete{noun}PermissionsBoundary"),
            &[(kind.member, "e1")],
        )
        .await;
        assert!(
            shown(kind.get(&service, &root(), "e1").await.unwrap()).is_none(),
            "{noun}"
        );
    }
}

#[tokio::test]
async fn created_entities_show_their_tags_and_others_omit_them() {
    for kind in TAGGABLE {
        let service = service().await;
        kind.create(&service, "/", "tagged", &[("team", "blue")])
            .await
            .unwrap();
        kind.create(&service, "/", "plain", &[]).await.unwrap();
        let tags_of = |response: Response| match response {
            Response::GetUser(r) => r.user.tags,
            Response::GetRole(r) => r.role.tags,
            Response::GetInstanceProfile(r) => r.instance_profile.tags,
            Response::GetPolicy(r) => r.policy.and_then(|p| p.tags),
            other => panic!("{other:?}"),
        };
        let tagged = tags_of(
            kind.get(&service, &root(), &kind.id("/", "tagged"))
                .await
                .unwrap(),
        );
        assert_eq!(tagged.map(|t| t.len()), Some(1), "{}", kind.noun);
        let plain = tags_of(
            kind.get(&service, &root(), &kind.id("/", "plain"))
                .await
                .unwrap(),
        );
        // AWS omits an empty tag list, except GetPolicy's (recorded on AWS).
        let expected = (kind.noun == "Policy").then(Vec::new);
        assert_eq!(plain, expected, "{}", kind.noun);
    }
}

/// The names of the managed policies attached to `name`.
async fn attached(service: &Service, kind: &Kind, name: &str) -> Vec<String> {
    let action = format!("ListAttached{}Policies", kind.noun);
    let attached = match ok(service, &action, &[(kind.member, name)]).await {
        Response::ListAttachedUserPolicies(r) => r.attached_policies,
        Response::ListAttachedGroupPolicies(r) => r.attached_policies,
        Response::ListAttachedRolePolicies(r) => r.attached_policies,
        other => panic!("{other:?}"),
    };
    attached
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.policy_name)
        .collect()
}
