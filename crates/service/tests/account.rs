//! The account operations through `Service::iam`: login profiles and passwords, the password
//! policy, aliases, the summary and the authorization details.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

use service::{
    Caller, Clock, IdKind, Identity, MasterKey, NewAccount, RequestInfo, Sealer, Service,
    ServiceError, new_unique_id, verify_password,
};
use store::{NewGroup, NewPolicy, NewRole, Principal, Store};
use wire::Timestamp;
use wire::iam::{
    AddRoleToInstanceProfileRequest, AttachUserPolicyRequest, ChangePasswordRequest,
    CreateAccountAliasRequest, CreateInstanceProfileRequest, CreateLoginProfileRequest,
    CreateUserRequest, DeleteAccountAliasRequest, DeleteLoginProfileRequest, EntityType,
    GetAccountAuthorizationDetailsRequest, GetAccountAuthorizationDetailsResponse,
    GetLoginProfileRequest, ListAccountAliasesRequest, PasswordPolicy, PutUserPolicyRequest,
    Request, Response, SummaryKeyType, Tag, UpdateAccountPasswordPolicyRequest,
    UpdateLoginProfileRequest,
};

const NOW: i64 = 1_700_000_000;
const ACCOUNT: &str = "123456789012";
const EMAIL: &str = "Root@Example.com";
const GOOD: &str = "Correct-Horse-9";

async fn service() -> Service {
    let store = Store::open("sqlite::memory:").await.unwrap();
    Service::new(
        store,
        Sealer::new(&MasterKey::generate().unwrap()),
        Clock::fixed(NOW),
    )
}

async fn account(service: &Service, id: &str, email: &str) -> Caller {
    let (account, (key_id, _)) = service
        .create_account(NewAccount {
            account_id: Some(id.to_owned()),
            email: email.to_owned(),
            ..NewAccount::default()
        })
        .await
        .unwrap();
    Caller {
        account_id: account.account_id,
        identity: Identity::Root,
        access_key_id: key_id,
        request: RequestInfo::default(),
        session: None,
    }
}

async fn setup() -> (Service, Caller) {
    let service = service().await;
    let root = account(&service, ACCOUNT, EMAIL).await;
    (service, root)
}

async fn create_user(service: &Service, root: &Caller, name: &str) {
    service
        .iam(
            root,
            Request::CreateUser(CreateUserRequest {
                path: None,
                user_name: name.to_owned(),
                permissions_boundary: None,
                tags: None,
            }),
        )
        .await
        .unwrap();
}

/// The caller signing as user `name` (created first when needed).
async fn user_caller(service: &Service, name: &str) -> Caller {
    let user = service.store().get_user(ACCOUNT, name).await.unwrap();
    Caller {
        account_id: ACCOUNT.to_owned(),
        identity: Identity::User(user),
        access_key_id: "AKIAEXAMPLEUSER00001".to_owned(),
        request: RequestInfo::default(),
        session: None,
    }
}

async fn put_user_policy(service: &Service, root: &Caller, user: &str, name: &str, doc: &str) {
    service
        .iam(
            root,
            Request::PutUserPolicy(PutUserPolicyRequest {
                user_name: user.to_owned(),
                policy_name: name.to_owned(),
                policy_document: doc.to_owned(),
            }),
        )
        .await
        .unwrap();
}

fn create_profile(user: &str, password: &str, reset: Option<bool>) -> Request {
    Request::CreateLoginProfile(CreateLoginProfileRequest {
        user_name: Some(user.to_owned()),
        password: Some(password.to_owned()),
        password_reset_required: reset,
    })
}

fn get_profile(user: Option<&str>) -> Request {
    Request::GetLoginProfile(GetLoginProfileRequest {
        user_name: user.map(str::to_owned),
    })
}

fn change(old: &str, new: &str) -> Request {
    Request::ChangePassword(ChangePasswordRequest {
        old_password: old.to_owned(),
        new_password: new.to_owned(),
    })
}

fn policy_update() -> UpdateAccountPasswordPolicyRequest {
    UpdateAccountPasswordPolicyRequest {
        minimum_password_length: None,
        require_symbols: None,
        require_numbers: None,
        require_uppercase_characters: None,
        require_lowercase_characters: None,
        allow_users_to_change_password: None,
        max_password_age: None,
        password_reuse_prevention: None,
        hard_expiry: None,
    }
}

async fn set_policy(service: &Service, root: &Caller, input: UpdateAccountPasswordPolicyRequest) {
    service
        .iam(root, Request::UpdateAccountPasswordPolicy(input))
        .await
        .unwrap();
}

async fn get_policy(service: &Service, caller: &Caller) -> Result<PasswordPolicy, ServiceError> {
    match service
        .iam(caller, Request::GetAccountPasswordPolicy)
        .await?
    {
        Response::GetAccountPasswordPolicy(r) => Ok(r.password_policy),
        other => panic!("unexpected {other:?}"),
    }
}

fn error(result: Result<Response, ServiceError>) -> ServiceError {
    match result {
        Ok(response) => panic!("expected an error, got {response:?}"),
        Err(e) => e,
    }
}

fn assert_error(result: Result<Response, ServiceError>, code: &str, message: &str) {
    let e = error(result);
    assert_eq!((e.code(), e.message().as_str()), (code, message), "{e:?}");
}

#[tokio::test]
async fn login_profile_lifecycle() {
    let (service, root) = setup().await;
    create_user(&service, &root, "alice").await;

    let created = service
        .iam(&root, create_profile("alice", GOOD, Some(true)))
        .await
        .unwrap();
    let Response::CreateLoginProfile(created) = created else {
        panic!("{created:?}")
    };
    assert_eq!(created.login_profile.user_name, "alice");
    assert_eq!(
        created.login_profile.create_date,
        Timestamp::from_unix_seconds(NOW)
    );
    assert_eq!(created.login_profile.password_reset_required, Some(true));

    assert_error(
        service
            .iam(&root, create_profile("alice", GOOD, None))
            .await,
        "EntityAlreadyExists",
        "Login Profile for user alice already exists.",
    );

    let Response::GetLoginProfile(got) = service
        .iam(&root, get_profile(Some("alice")))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(got.login_profile.user_name, "alice");
    assert_eq!(got.login_profile.password_reset_required, Some(true));
    assert_eq!(
        got.login_profile.create_date,
        Timestamp::from_unix_seconds(NOW)
    );

    // Only the flag: the password stays.
    let before = service
        .store()
        .get_login_profile(ACCOUNT, "alice")
        .await
        .unwrap();
    service.clock().set(NOW + 60);
    service
        .iam(
            &root,
            Request::UpdateLoginProfile(UpdateLoginProfileRequest {
                user_name: "alice".to_owned(),
                password: None,
                password_reset_required: Some(false),
            }),
        )
        .await
        .unwrap();
    let after = service
        .store()
        .get_login_profile(ACCOUNT, "alice")
        .await
        .unwrap();
    assert_eq!(after.password_hash, before.password_hash);
    assert!(!after.password_reset_required);

    // A new password: stored as a fresh Argon2id hash, the creation date unchanged.
    service
        .iam(
            &root,
            Request::UpdateLoginProfile(UpdateLoginProfileRequest {
                user_name: "alice".to_owned(),
                password: Some("Battery-Staple-7".to_owned()),
                password_reset_required: None,
            }),
        )
        .await
        .unwrap();
    let after = service
        .store()
        .get_login_profile(ACCOUNT, "alice")
        .await
        .unwrap();
    assert!(verify_password("Battery-Staple-7", &after.password_hash).unwrap());
    assert!(!verify_password(GOOD, &after.password_hash).unwrap());
    assert_eq!(after.created_at, NOW);
    assert_eq!(after.password_set_at, NOW + 60);

    service
        .iam(
            &root,
            Request::DeleteLoginProfile(DeleteLoginProfileRequest {
                user_name: Some("alice".to_owned()),
            }),
        )
        .await
        .unwrap();
    assert_error(
        service.iam(&root, get_profile(Some("alice"))).await,
        "NoSuchEntity",
        "Login Profile for User alice cannot be found.",
    );
    assert_error(
        service
            .iam(
                &root,
                Request::DeleteLoginProfile(DeleteLoginProfileRequest {
                    user_name: Some("alice".to_owned()),
                }),
            )
            .await,
        "NoSuchEntity",
        "Login Profile for User alice cannot be found.",
    );
    assert_error(
        service
            .iam(
                &root,
                Request::UpdateLoginProfile(UpdateLoginProfileRequest {
                    user_name: "alice".to_owned(),
                    password: Some(GOOD.to_owned()),
                    password_reset_required: None,
                }),
            )
            .await,
        "NoSuchEntity",
        "Login Profile for User alice cannot be found.",
    );
}

#[tokio::test]
async fn password_is_stored_only_as_argon2id() {
    let (service, root) = setup().await;
    create_user(&service, &root, "alice").await;
    service
        .iam(&root, create_profile("alice", GOOD, None))
        .await
        .unwrap();
    let profile = service
        .store()
        .get_login_profile(ACCOUNT, "alice")
        .await
        .unwrap();
    assert!(profile.password_hash.starts_with("$argon2id$"));
    assert!(!profile.password_hash.contains(GOOD));
    assert!(verify_password(GOOD, &profile.password_hash).unwrap());
    assert!(!format!("{profile:?}").contains(&profile.password_hash));
    assert!(!profile.password_reset_required);
}

#[tokio::test]
async fn login_profile_errors() {
    let (service, root) = setup().await;
    assert_error(
        service.iam(&root, create_profile("bob", GOOD, None)).await,
        "NoSuchEntity",
        "The user with name bob cannot be found.",
    );
    assert_error(
        service.iam(&root, get_profile(Some("bob"))).await,
        "NoSuchEntity",
        "The user with name bob cannot be found.",
    );
    create_user(&service, &root, "alice").await;
    assert_error(
        service.iam(&root, get_profile(Some("alice"))).await,
        "NoSuchEntity",
        "Login Profile for User alice cannot be found.",
    );
    assert_error(
        service
            .iam(
                &root,
                Request::CreateLoginProfile(CreateLoginProfileRequest {
                    user_name: Some("alice".to_owned()),
                    password: None,
                    password_reset_required: None,
                }),
            )
            .await,
        "ValidationError",
        "1 validation error detected: Value at 'password' failed to satisfy constraint: Member must not be null",
    );
    // Root must name the user (no AssumeRoot sessions here).
    assert_error(
        service
            .iam(
                &root,
                Request::CreateLoginProfile(CreateLoginProfileRequest {
                    user_name: None,
                    password: Some(GOOD.to_owned()),
                    password_reset_required: None,
                }),
            )
            .await,
        "ValidationError",
        "1 validation error detected: Value at 'userName' failed to satisfy constraint: Member must not be null",
    );
    assert_eq!(
        error(service.iam(&root, get_profile(None)).await).code(),
        "ValidationError"
    );
}

#[tokio::test]
async fn user_without_permission_is_denied_and_learns_nothing() {
    let (service, root) = setup().await;
    create_user(&service, &root, "mallory").await;
    let mallory = user_caller(&service, "mallory").await;
    let denied = error(
        service
            .iam(&mallory, create_profile("ghost", GOOD, None))
            .await,
    );
    assert_eq!(denied.code(), "AccessDenied");
    assert_eq!(denied.status(wire::Service::Iam), 403);
    assert!(
        denied.message().contains("iam:CreateLoginProfile"),
        "{denied:?}"
    );
    assert!(
        denied
            .message()
            .contains("arn:aws:iam::123456789012:user/ghost")
    );
    for request in [
        Request::GetAccountSummary,
        Request::GetAccountPasswordPolicy,
        Request::DeleteAccountPasswordPolicy,
        Request::UpdateAccountPasswordPolicy(policy_update()),
        Request::CreateAccountAlias(CreateAccountAliasRequest {
            account_alias: "evil".to_owned(),
        }),
        Request::ListAccountAliases(ListAccountAliasesRequest {
            marker: None,
            max_items: None,
        }),
        Request::GetAccountAuthorizationDetails(GetAccountAuthorizationDetailsRequest {
            filter: None,
            max_items: None,
            marker: None,
        }),
    ] {
        let e = error(service.iam(&mallory, request).await);
        assert_eq!(e.code(), "AccessDenied", "{e:?}");
        assert!(e.message().contains("on resource: *"), "{e:?}");
    }

    // The user's own profile, without a name, with permission on itself.
    put_user_policy(
        &service,
        &root,
        "mallory",
        "own",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*LoginProfile","Resource":"arn:aws:iam::123456789012:user/${aws:username}"}]}"#,
    )
    .await;
    service
        .iam(
            &mallory,
            Request::CreateLoginProfile(CreateLoginProfileRequest {
                user_name: None,
                password: Some(GOOD.to_owned()),
                password_reset_required: None,
            }),
        )
        .await
        .unwrap();
    let Response::GetLoginProfile(got) = service.iam(&mallory, get_profile(None)).await.unwrap()
    else {
        panic!()
    };
    assert_eq!(got.login_profile.user_name, "mallory");
}

#[tokio::test]
async fn default_password_policy_applies_without_a_custom_one() {
    let (service, root) = setup().await;
    create_user(&service, &root, "alice").await;
    for (password, message) in [
        ("Ab1-xyz", "Password should have a minimum length of 8"),
        (
            "alllowercase-",
            "Password should have at least three of the following: uppercase letters, lowercase letters, numbers and symbols",
        ),
        (
            "ALLUPPER123",
            "Password should have at least three of the following: uppercase letters, lowercase letters, numbers and symbols",
        ),
        (
            "root@example.COM",
            "Password should not be identical to the account name or email address",
        ),
    ] {
        let e = error(
            service
                .iam(&root, create_profile("alice", password, None))
                .await,
        );
        assert_eq!(
            (e.code(), e.status(wire::Service::Iam), e.message().as_str()),
            ("PasswordPolicyViolation", 400, message)
        );
        assert!(!e.message().contains(password));
    }
    // Three kinds out of four are enough.
    service
        .iam(&root, create_profile("alice", "lower-UPPER", None))
        .await
        .unwrap();
}

#[tokio::test]
async fn custom_password_policy_violations() {
    let (service, root) = setup().await;
    create_user(&service, &root, "alice").await;
    set_policy(
        &service,
        &root,
        UpdateAccountPasswordPolicyRequest {
            minimum_password_length: Some(10),
            require_symbols: Some(true),
            require_numbers: Some(true),
            require_uppercase_characters: Some(true),
            require_lowercase_characters: Some(true),
            ..policy_update()
        },
    )
    .await;
    for (password, message) in [
        ("Aa1!", "Password should have a minimum length of 10"),
        (
            "aaaaaaaaaaa1!",
            "Password should have at least one uppercase letter",
        ),
        (
            "AAAAAAAAAAA1!",
            "Password should have at least one lowercase letter",
        ),
        ("AAAAAaaaaaa!", "Password should have at least one number"),
        ("AAAAAaaaaaa1", "Password should have at least one symbol"),
    ] {
        let e = error(
            service
                .iam(&root, create_profile("alice", password, None))
                .await,
        );
        assert_eq!(
            (e.code(), e.status(wire::Service::Iam), e.message().as_str()),
            ("PasswordPolicyViolation", 400, message)
        );
    }
    // A character outside the listed symbols does not count as one.
    assert_error(
        service
            .iam(&root, create_profile("alice", "AAAAAaaaaa1.", None))
            .await,
        "PasswordPolicyViolation",
        "Password should have at least one symbol",
    );
    service
        .iam(&root, create_profile("alice", "AAAAAaaaaa1'", None))
        .await
        .unwrap();
    // UpdateLoginProfile is held to the same policy.
    assert_error(
        service
            .iam(
                &root,
                Request::UpdateLoginProfile(UpdateLoginProfileRequest {
                    user_name: "alice".to_owned(),
                    password: Some("short".to_owned()),
                    password_reset_required: None,
                }),
            )
            .await,
        "PasswordPolicyViolation",
        "Password should have a minimum length of 10",
    );
    // A weak custom policy replaces the default one: six characters of one kind pass.
    set_policy(&service, &root, policy_update()).await;
    service
        .iam(
            &root,
            Request::UpdateLoginProfile(UpdateLoginProfileRequest {
                user_name: "alice".to_owned(),
                password: Some("aaaaaa".to_owned()),
                password_reset_required: None,
            }),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn password_policy_get_update_delete() {
    let (service, root) = setup().await;
    assert_error(
        service.iam(&root, Request::GetAccountPasswordPolicy).await,
        "NoSuchEntity",
        "The Password Policy with domain name 123456789012 cannot be found.",
    );
    assert_error(
        service
            .iam(&root, Request::DeleteAccountPasswordPolicy)
            .await,
        "NoSuchEntity",
        "The Password Policy with domain name 123456789012 cannot be found.",
    );

    // Every omitted parameter takes its default.
    set_policy(&service, &root, policy_update()).await;
    assert_eq!(
        get_policy(&service, &root).await.unwrap(),
        PasswordPolicy {
            minimum_password_length: Some(6),
            require_symbols: Some(false),
            require_numbers: Some(false),
            require_uppercase_characters: Some(false),
            require_lowercase_characters: Some(false),
            allow_users_to_change_password: Some(false),
            expire_passwords: Some(false),
            max_password_age: None,
            password_reuse_prevention: None,
            hard_expiry: None,
        }
    );

    set_policy(
        &service,
        &root,
        UpdateAccountPasswordPolicyRequest {
            minimum_password_length: Some(14),
            require_symbols: Some(true),
            require_numbers: Some(true),
            require_uppercase_characters: Some(true),
            require_lowercase_characters: Some(true),
            allow_users_to_change_password: Some(true),
            max_password_age: Some(90),
            password_reuse_prevention: Some(24),
            hard_expiry: Some(false),
        },
    )
    .await;
    assert_eq!(
        get_policy(&service, &root).await.unwrap(),
        PasswordPolicy {
            minimum_password_length: Some(14),
            require_symbols: Some(true),
            require_numbers: Some(true),
            require_uppercase_characters: Some(true),
            require_lowercase_characters: Some(true),
            allow_users_to_change_password: Some(true),
            expire_passwords: Some(true),
            max_password_age: Some(90),
            password_reuse_prevention: Some(24),
            hard_expiry: Some(false),
        }
    );

    // No partial updates: a second call replaces the whole policy.
    set_policy(
        &service,
        &root,
        UpdateAccountPasswordPolicyRequest {
            require_numbers: Some(true),
            ..policy_update()
        },
    )
    .await;
    let policy = get_policy(&service, &root).await.unwrap();
    assert_eq!(policy.minimum_password_length, Some(6));
    assert_eq!(policy.require_numbers, Some(true));
    assert_eq!(policy.require_symbols, Some(false));
    assert_eq!(policy.max_password_age, None);
    assert_eq!(policy.password_reuse_prevention, None);

    service
        .iam(&root, Request::DeleteAccountPasswordPolicy)
        .await
        .unwrap();
    assert_eq!(
        get_policy(&service, &root).await.unwrap_err().code(),
        "NoSuchEntity"
    );

    // Another account's policy is its own.
    let other = account(&service, "210987654321", "other@example.com").await;
    set_policy(&service, &other, policy_update()).await;
    assert_eq!(
        get_policy(&service, &root).await.unwrap_err().code(),
        "NoSuchEntity"
    );
}

#[tokio::test]
async fn change_password_by_the_user_itself() {
    let (service, root) = setup().await;
    create_user(&service, &root, "alice").await;
    service
        .iam(&root, create_profile("alice", GOOD, Some(true)))
        .await
        .unwrap();
    let alice = user_caller(&service, "alice").await;

    // No permission and no AllowUsersToChangePassword.
    let e = error(service.iam(&alice, change(GOOD, "New-Password-1")).await);
    assert_eq!(e.code(), "AccessDenied");
    assert!(
        e.message()
            .contains("iam:ChangePassword on resource: arn:aws:iam::123456789012:user/alice"),
        "{e:?}"
    );

    put_user_policy(
        &service,
        &root,
        "alice",
        "own-password",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ChangePassword","Resource":"arn:aws:iam::123456789012:user/${aws:username}"}]}"#,
    )
    .await;
    assert_error(
        service
            .iam(&alice, change("wrong-Password-1", "New-Password-1"))
            .await,
        "AccessDenied",
        "The old password was incorrect.",
    );
    assert_error(
        service.iam(&alice, change(GOOD, "weak")).await,
        "PasswordPolicyViolation",
        "Password should have a minimum length of 8",
    );
    service
        .iam(&alice, change(GOOD, "New-Password-1"))
        .await
        .unwrap();
    let profile = service
        .store()
        .get_login_profile(ACCOUNT, "alice")
        .await
        .unwrap();
    assert!(verify_password("New-Password-1", &profile.password_hash).unwrap());
    assert!(!profile.password_reset_required, "the reset is satisfied");

    // The old password no longer works.
    assert_error(
        service
            .iam(&alice, change(GOOD, "Another-Password-2"))
            .await,
        "AccessDenied",
        "The old password was incorrect.",
    );
}

#[tokio::test]
async fn change_password_errors() {
    let (service, root) = setup().await;
    assert_error(
        service.iam(&root, change(GOOD, "New-Password-1")).await,
        "InvalidUserType",
        "Only IAM Users can change their own password.",
    );
    assert_eq!(
        error(service.iam(&root, change(GOOD, "New-Password-1")).await).status(wire::Service::Iam),
        400
    );
    create_user(&service, &root, "alice").await;
    set_policy(
        &service,
        &root,
        UpdateAccountPasswordPolicyRequest {
            allow_users_to_change_password: Some(true),
            ..policy_update()
        },
    )
    .await;
    let alice = user_caller(&service, "alice").await;
    assert_error(
        service.iam(&alice, change(GOOD, "New-Password-1")).await,
        "NoSuchEntity",
        "Login Profile for User alice cannot be found.",
    );
}

#[tokio::test]
async fn allow_users_to_change_password_grants_self_service() {
    let (service, root) = setup().await;
    create_user(&service, &root, "alice").await;
    service
        .iam(&root, create_profile("alice", GOOD, None))
        .await
        .unwrap();
    let alice = user_caller(&service, "alice").await;
    set_policy(&service, &root, policy_update()).await;
    assert_eq!(
        get_policy(&service, &alice).await.unwrap_err().code(),
        "AccessDenied"
    );

    set_policy(
        &service,
        &root,
        UpdateAccountPasswordPolicyRequest {
            allow_users_to_change_password: Some(true),
            ..policy_update()
        },
    )
    .await;
    // Both ChangePassword on itself and GetAccountPasswordPolicy, with no policy at all.
    assert_eq!(
        get_policy(&service, &alice)
            .await
            .unwrap()
            .allow_users_to_change_password,
        Some(true)
    );
    service
        .iam(&alice, change(GOOD, "New-Password-1"))
        .await
        .unwrap();
    // Nothing else.
    assert_eq!(
        error(service.iam(&alice, get_profile(None)).await).code(),
        "AccessDenied"
    );

    // An explicit deny still wins.
    put_user_policy(
        &service,
        &root,
        "alice",
        "deny",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:ChangePassword","Resource":"*"}]}"#,
    )
    .await;
    let e = error(
        service
            .iam(&alice, change("New-Password-1", "New-Password-2"))
            .await,
    );
    assert_eq!(e.code(), "AccessDenied");
    assert!(e.message().contains("explicit deny"), "{e:?}");
}

/// The engine's decision reaches callers typed (issue 10): self-service used to tell an
/// explicit deny from an implicit one by searching the message text.
#[tokio::test]
async fn issue_10_denials_carry_the_engines_decision() {
    let (service, root) = setup().await;
    create_user(&service, &root, "alice").await;
    let alice = user_caller(&service, "alice").await;
    let list = || {
        Request::ListUsers(wire::iam::ListUsersRequest {
            path_prefix: None,
            marker: None,
            max_items: None,
        })
    };
    let implicit = error(service.iam(&alice, list()).await);
    let ServiceError::Denied(denial) = &implicit else {
        panic!("not an engine denial: {implicit:?}");
    };
    assert!(!denial.explicit, "{denial:?}");
    assert_eq!(denial.encoded, None);
    assert_eq!(
        (implicit.code(), implicit.status(wire::Service::Iam)),
        ("AccessDenied", 403)
    );
    put_user_policy(
        &service,
        &root,
        "alice",
        "deny",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:ListUsers","Resource":"*"}]}"#,
    )
    .await;
    let explicit = error(service.iam(&alice, list()).await);
    let ServiceError::Denied(denial) = &explicit else {
        panic!("not an engine denial: {explicit:?}");
    };
    assert!(denial.explicit, "{denial:?}");
    assert_eq!(explicit.message(), denial.message);
}

#[tokio::test]
async fn password_reuse_prevention() {
    let (service, root) = setup().await;
    create_user(&service, &root, "alice").await;
    set_policy(
        &service,
        &root,
        UpdateAccountPasswordPolicyRequest {
            allow_users_to_change_password: Some(true),
            password_reuse_prevention: Some(2),
            ..policy_update()
        },
    )
    .await;
    service
        .iam(&root, create_profile("alice", "password-a", None))
        .await
        .unwrap();
    let alice = user_caller(&service, "alice").await;
    let reuse =
        "Policy constraint violation with password reuse prevention during password change.";

    // The current password is one of the remembered ones.
    assert_error(
        service
            .iam(&alice, change("password-a", "password-a"))
            .await,
        "PasswordPolicyViolation",
        reuse,
    );
    service
        .iam(&alice, change("password-a", "password-b"))
        .await
        .unwrap();
    // a and b are the last two.
    assert_error(
        service
            .iam(&alice, change("password-b", "password-a"))
            .await,
        "PasswordPolicyViolation",
        reuse,
    );
    service
        .iam(&alice, change("password-b", "password-c"))
        .await
        .unwrap();
    // Now b and c: a may come back.
    service
        .iam(&alice, change("password-c", "password-a"))
        .await
        .unwrap();

    // Without reuse prevention the current password may be set again.
    set_policy(
        &service,
        &root,
        UpdateAccountPasswordPolicyRequest {
            allow_users_to_change_password: Some(true),
            ..policy_update()
        },
    )
    .await;
    service
        .iam(&alice, change("password-a", "password-a"))
        .await
        .unwrap();
}

#[tokio::test]
async fn account_aliases() {
    let (service, root) = setup().await;
    let list = async |caller: &Caller| match service
        .iam(
            caller,
            Request::ListAccountAliases(ListAccountAliasesRequest {
                marker: None,
                max_items: None,
            }),
        )
        .await
        .unwrap()
    {
        Response::ListAccountAliases(r) => {
            assert_eq!(r.is_truncated, Some(false));
            r.account_aliases
        }
        other => panic!("{other:?}"),
    };
    let create = |alias: &str| {
        Request::CreateAccountAlias(CreateAccountAliasRequest {
            account_alias: alias.to_owned(),
        })
    };
    let delete = |alias: &str| {
        Request::DeleteAccountAlias(DeleteAccountAliasRequest {
            account_alias: alias.to_owned(),
        })
    };

    assert!(list(&root).await.is_empty());
    service.iam(&root, create("example-corp")).await.unwrap();
    assert_eq!(list(&root).await, vec!["example-corp".to_owned()]);
    // Idempotent for the same account.
    service.iam(&root, create("example-corp")).await.unwrap();

    // Unique across the server.
    let other = account(&service, "210987654321", "other@example.com").await;
    let e = error(service.iam(&other, create("example-corp")).await);
    assert_eq!(
        (e.code(), e.status(wire::Service::Iam), e.message().as_str()),
        (
            "EntityAlreadyExists",
            409,
            "The account alias example-corp already exists."
        )
    );
    assert!(list(&other).await.is_empty());

    // One alias per account: a new one replaces the old, which becomes free.
    service.iam(&root, create("example-two")).await.unwrap();
    assert_eq!(list(&root).await, vec!["example-two".to_owned()]);
    service.iam(&other, create("example-corp")).await.unwrap();

    assert_error(
        service.iam(&root, delete("example-corp")).await,
        "NoSuchEntity",
        "The account alias example-corp cannot be found.",
    );
    service.iam(&root, delete("example-two")).await.unwrap();
    assert!(list(&root).await.is_empty());
    assert_eq!(
        error(service.iam(&root, delete("example-two")).await).code(),
        "NoSuchEntity"
    );
}

const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

/// Two users (one in a group, with inline and attached policies, tags and a boundary), one
/// group with an inline policy, one role, one customer managed policy with two versions.
async fn populate(service: &Service, root: &Caller) -> String {
    let store = service.store();
    let policy = store
        .create_policy(&NewPolicy {
            account_id: ACCOUNT.to_owned(),
            policy_id: new_unique_id(IdKind::Policy).unwrap(),
            name: "Local".to_owned(),
            path: "/team/".to_owned(),
            description: Some("ours".to_owned()),
            document: identity(DOC),
            created_at: NOW,
            tags: Vec::new(),
        })
        .await
        .unwrap();
    store
        .create_policy_version(&policy.arn, &identity(DOC), true, NOW + 10)
        .await
        .unwrap();
    // Written to the store directly, as another node would: catch up as its refresh would.
    service.refresh_caches().await.unwrap();
    service
        .iam(
            root,
            Request::CreateUser(CreateUserRequest {
                path: Some("/staff/".to_owned()),
                user_name: "alice".to_owned(),
                permissions_boundary: Some(policy.arn.clone()),
                tags: Some(vec![Tag {
                    key: "team".to_owned(),
                    value: "blue".to_owned(),
                }]),
            }),
        )
        .await
        .unwrap();
    create_user(service, root, "bob").await;
    put_user_policy(service, root, "alice", "inline", DOC).await;
    service
        .iam(
            root,
            Request::AttachUserPolicy(AttachUserPolicyRequest {
                user_name: "alice".to_owned(),
                policy_arn: READ_ONLY.to_owned(),
            }),
        )
        .await
        .unwrap();
    let group = store
        .create_group(&NewGroup {
            account_id: ACCOUNT.to_owned(),
            group_id: new_unique_id(IdKind::Group).unwrap(),
            name: "admins".to_owned(),
            path: "/".to_owned(),
            created_at: NOW,
        })
        .await
        .unwrap();
    store
        .add_user_to_group(ACCOUNT, "admins", "alice")
        .await
        .unwrap();
    store
        .put_inline_policy(
            &Principal::group(&group.group_id),
            "group-inline",
            &identity(DOC),
        )
        .await
        .unwrap();
    store
        .attach_policy(&Principal::group(&group.group_id), &policy.arn)
        .await
        .unwrap();
    let role = store
        .create_role(&NewRole {
            account_id: ACCOUNT.to_owned(),
            role_id: new_unique_id(IdKind::Role).unwrap(),
            name: "worker".to_owned(),
            path: "/".to_owned(),
            trust_policy: policy::Policy::parse(TRUST, policy::PolicyKind::Trust).unwrap(),
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
        .attach_policy(&Principal::role(&role.role_id), READ_ONLY)
        .await
        .unwrap();
    store
        .put_inline_policy(
            &Principal::role(&role.role_id),
            "role-inline",
            &identity(DOC),
        )
        .await
        .unwrap();
    // Written to the store directly, as another node would: catch up as its refresh would.
    service.refresh_caches().await.unwrap();
    policy.arn
}

fn details(response: Response) -> GetAccountAuthorizationDetailsResponse {
    match response {
        Response::GetAccountAuthorizationDetails(r) => r,
        other => panic!("{other:?}"),
    }
}

fn details_request(
    filter: Option<Vec<EntityType>>,
    max_items: Option<i32>,
    marker: Option<String>,
) -> Request {
    Request::GetAccountAuthorizationDetails(GetAccountAuthorizationDetailsRequest {
        filter,
        max_items,
        marker,
    })
}

#[tokio::test]
async fn account_summary_counts() {
    let (service, root) = setup().await;
    let summary = async || match service
        .iam(&root, Request::GetAccountSummary)
        .await
        .unwrap()
    {
        Response::GetAccountSummary(r) => r.summary_map.unwrap(),
        other => panic!("{other:?}"),
    };
    let empty = summary().await;
    assert_eq!(empty[&SummaryKeyType::Users], 0);
    assert_eq!(empty[&SummaryKeyType::Policies], 0);
    assert_eq!(empty[&SummaryKeyType::PolicyVersionsInUse], 0);
    // The root's own access key.
    assert_eq!(empty[&SummaryKeyType::AccountAccessKeysPresent], 1);

    populate(&service, &root).await;
    let full = summary().await;
    for (key, value) in [
        (SummaryKeyType::Users, 2),
        (SummaryKeyType::Groups, 1),
        (SummaryKeyType::Roles, 1),
        (SummaryKeyType::Policies, 1),
        // Two versions of Local, plus ReadOnlyAccess in use.
        (SummaryKeyType::PolicyVersionsInUse, 3),
        (SummaryKeyType::UsersQuota, 5000),
        (SummaryKeyType::GroupsQuota, 300),
        (SummaryKeyType::RolesQuota, 1000),
        (SummaryKeyType::PoliciesQuota, 1500),
        (SummaryKeyType::AttachedPoliciesPerUserQuota, 10),
        (SummaryKeyType::AccessKeysPerUserQuota, 2),
        (SummaryKeyType::ServerCertificates, 0),
        (SummaryKeyType::MFADevices, 0),
        (SummaryKeyType::AccountMFAEnabled, 0),
        (SummaryKeyType::AccountSigningCertificatesPresent, 0),
        (SummaryKeyType::VersionsPerPolicyQuota, 5),
        (SummaryKeyType::PolicySizeQuota, 6144),
        (SummaryKeyType::UserPolicySizeQuota, 2048),
        (SummaryKeyType::GroupPolicySizeQuota, 5120),
        (SummaryKeyType::RolePolicySizeQuota, 10240),
    ] {
        assert_eq!(full.get(&key), Some(&value), "{key:?}");
    }

    // Another account's entities are not counted.
    let other = account(&service, "210987654321", "other@example.com").await;
    let Response::GetAccountSummary(r) = service
        .iam(&other, Request::GetAccountSummary)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(r.summary_map.unwrap()[&SummaryKeyType::Users], 0);
}

#[tokio::test]
async fn authorization_details_everything() {
    let (service, root) = setup().await;
    let local_arn = populate(&service, &root).await;
    let all = details(
        service
            .iam(&root, details_request(None, None, None))
            .await
            .unwrap(),
    );
    assert_eq!(all.is_truncated, Some(false));
    assert_eq!(all.marker, None);

    let users = all.user_detail_list.unwrap();
    assert_eq!(users.len(), 2);
    let alice = &users[0];
    assert_eq!(alice.user_name.as_deref(), Some("alice"));
    assert_eq!(alice.path.as_deref(), Some("/staff/"));
    assert_eq!(
        alice.arn.as_deref(),
        Some("arn:aws:iam::123456789012:user/staff/alice")
    );
    assert_eq!(alice.group_list, Some(vec!["admins".to_owned()]));
    let inline = alice.user_policy_list.as_ref().unwrap();
    assert_eq!(inline[0].policy_name.as_deref(), Some("inline"));
    let encoded = inline[0].policy_document.as_deref().unwrap();
    assert!(
        encoded.starts_with("%7B%22Version%22%3A%222012-10-17%22"),
        "{encoded}"
    );
    let attached = alice.attached_managed_policies.as_ref().unwrap();
    assert_eq!(attached[0].policy_arn.as_deref(), Some(READ_ONLY));
    assert_eq!(attached[0].policy_name.as_deref(), Some("ReadOnlyAccess"));
    assert_eq!(
        alice
            .permissions_boundary
            .as_ref()
            .unwrap()
            .permissions_boundary_arn
            .as_deref(),
        Some(local_arn.as_str())
    );
    assert_eq!(alice.tags.as_ref().unwrap()[0].key, "team");
    let bob = &users[1];
    assert_eq!(bob.user_name.as_deref(), Some("bob"));
    assert_eq!(bob.user_policy_list, None);
    assert_eq!(bob.group_list, Some(Vec::new()));
    assert_eq!(bob.attached_managed_policies, Some(Vec::new()));
    assert_eq!(bob.tags, None);
    assert_eq!(bob.permissions_boundary, None);

    let groups = all.group_detail_list.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].group_name.as_deref(), Some("admins"));
    assert_eq!(
        groups[0].arn.as_deref(),
        Some("arn:aws:iam::123456789012:group/admins")
    );
    let group_inline = groups[0].group_policy_list.as_ref().unwrap();
    assert_eq!(group_inline[0].policy_name.as_deref(), Some("group-inline"));
    assert_eq!(
        groups[0].attached_managed_policies.as_ref().unwrap()[0]
            .policy_arn
            .as_deref(),
        Some(local_arn.as_str())
    );

    let roles = all.role_detail_list.unwrap();
    assert_eq!(roles.len(), 1);
    let role = &roles[0];
    assert_eq!(role.role_name.as_deref(), Some("worker"));
    assert_eq!(
        role.arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/worker")
    );
    assert!(
        role.assume_role_policy_document
            .as_deref()
            .unwrap()
            .contains("sts%3AAssumeRole")
    );
    assert_eq!(
        role.role_policy_list.as_ref().unwrap()[0]
            .policy_name
            .as_deref(),
        Some("role-inline")
    );
    assert_eq!(
        role.attached_managed_policies.as_ref().unwrap()[0]
            .policy_arn
            .as_deref(),
        Some(READ_ONLY)
    );
    assert_eq!(role.instance_profile_list, Some(Vec::new()));

    let policies = all.policies.unwrap();
    assert_eq!(policies.len(), 2, "the local policy and ReadOnlyAccess");
    let local = &policies[0];
    assert_eq!(local.arn.as_deref(), Some(local_arn.as_str()));
    assert_eq!(local.path.as_deref(), Some("/team/"));
    assert_eq!(local.default_version_id.as_deref(), Some("v2"));
    assert_eq!(local.attachment_count, Some(1));
    assert_eq!(local.permissions_boundary_usage_count, Some(1));
    assert_eq!(local.is_attachable, Some(true));
    let versions = local.policy_version_list.as_ref().unwrap();
    assert_eq!(versions.len(), 2);
    assert!(
        versions
            .iter()
            .any(|v| v.version_id.as_deref() == Some("v2") && v.is_default_version == Some(true))
    );
    assert!(
        versions
            .iter()
            .any(|v| v.version_id.as_deref() == Some("v1") && v.is_default_version == Some(false))
    );
    let aws = &policies[1];
    assert_eq!(aws.arn.as_deref(), Some(READ_ONLY));
    assert_eq!(aws.policy_name.as_deref(), Some("ReadOnlyAccess"));
    assert_eq!(aws.attachment_count, Some(2));
    assert_eq!(aws.permissions_boundary_usage_count, Some(0));
    let aws_versions = aws.policy_version_list.as_ref().unwrap();
    assert_eq!(aws_versions.len(), 1);
    assert_eq!(aws_versions[0].is_default_version, Some(true));
    assert_eq!(aws_versions[0].version_id, aws.default_version_id);
    assert!(
        aws_versions[0]
            .document
            .as_deref()
            .unwrap()
            .starts_with("%7B")
    );
}

/// GetAccountAuthorizationDetails answered an empty InstanceProfileList for every role (issue
/// 10): each role now lists the profiles that hold it, with the role inside each, as AWS does.
#[tokio::test]
async fn issue_10_authorization_details_list_a_roles_instance_profiles() {
    let (service, root) = setup().await;
    populate(&service, &root).await;
    for (profile, path) in [("web", "/"), ("batch", "/jobs/"), ("empty", "/")] {
        service
            .iam(
                &root,
                Request::CreateInstanceProfile(CreateInstanceProfileRequest {
                    instance_profile_name: profile.to_owned(),
                    path: Some(path.to_owned()),
                    tags: None,
                }),
            )
            .await
            .unwrap();
    }
    for profile in ["web", "batch"] {
        service
            .iam(
                &root,
                Request::AddRoleToInstanceProfile(AddRoleToInstanceProfileRequest {
                    instance_profile_name: profile.to_owned(),
                    role_name: "worker".to_owned(),
                }),
            )
            .await
            .unwrap();
    }
    let all = details(
        service
            .iam(&root, details_request(None, None, None))
            .await
            .unwrap(),
    );
    let roles = all.role_detail_list.unwrap();
    let role = &roles[0];
    let mut profiles = role.instance_profile_list.clone().unwrap();
    profiles.sort_by(|a, b| a.instance_profile_name.cmp(&b.instance_profile_name));
    let names: Vec<(&str, &str, &str)> = profiles
        .iter()
        .map(|p| {
            (
                p.instance_profile_name.as_str(),
                p.path.as_str(),
                p.arn.as_str(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            (
                "batch",
                "/jobs/",
                "arn:aws:iam::123456789012:instance-profile/jobs/batch"
            ),
            ("web", "/", "arn:aws:iam::123456789012:instance-profile/web"),
        ]
    );
    for profile in &profiles {
        assert!(
            profile.instance_profile_id.starts_with("AIPA"),
            "{profile:?}"
        );
        assert_eq!(profile.roles.len(), 1, "{profile:?}");
        assert_eq!(profile.roles[0].role_name, "worker");
        assert_eq!(
            profile.roles[0].arn,
            "arn:aws:iam::123456789012:role/worker"
        );
        assert!(
            profile.roles[0]
                .assume_role_policy_document
                .as_deref()
                .is_some_and(|d| d.contains("sts%3AAssumeRole")),
            "{profile:?}"
        );
    }
}

#[tokio::test]
async fn authorization_details_filter() {
    let (service, root) = setup().await;
    populate(&service, &root).await;
    let only = async |filter: Vec<EntityType>| {
        details(
            service
                .iam(&root, details_request(Some(filter), None, None))
                .await
                .unwrap(),
        )
    };
    let users = only(vec![EntityType::User]).await;
    assert_eq!(users.user_detail_list.unwrap().len(), 2);
    assert_eq!(users.group_detail_list, Some(Vec::new()));
    assert_eq!(users.role_detail_list, Some(Vec::new()));
    assert_eq!(users.policies, Some(Vec::new()));

    let roles_and_groups = only(vec![EntityType::Role, EntityType::Group]).await;
    assert!(roles_and_groups.user_detail_list.unwrap().is_empty());
    assert_eq!(roles_and_groups.group_detail_list.unwrap().len(), 1);
    assert_eq!(roles_and_groups.role_detail_list.unwrap().len(), 1);

    let local = only(vec![EntityType::LocalManagedPolicy])
        .await
        .policies
        .unwrap();
    assert_eq!(local.len(), 1);
    assert!(
        local[0]
            .arn
            .as_deref()
            .unwrap()
            .starts_with("arn:aws:iam::123456789012:policy/")
    );

    let aws = only(vec![EntityType::AWSManagedPolicy])
        .await
        .policies
        .unwrap();
    assert_eq!(aws.len(), 1);
    assert_eq!(aws[0].arn.as_deref(), Some(READ_ONLY));
}

#[tokio::test]
async fn authorization_details_pagination() {
    let (service, root) = setup().await;
    populate(&service, &root).await;
    // 2 users + 1 group + 1 role + 2 policies, two at a time.
    let mut marker = None;
    let mut pages = Vec::new();
    loop {
        let page = details(
            service
                .iam(&root, details_request(None, Some(2), marker.clone()))
                .await
                .unwrap(),
        );
        let size = page.user_detail_list.as_ref().unwrap().len()
            + page.group_detail_list.as_ref().unwrap().len()
            + page.role_detail_list.as_ref().unwrap().len()
            + page.policies.as_ref().unwrap().len();
        pages.push(size);
        assert_eq!(page.is_truncated, Some(page.marker.is_some()));
        match page.marker {
            Some(next) => marker = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, vec![2, 2, 2]);

    let first = details(
        service
            .iam(&root, details_request(None, Some(2), None))
            .await
            .unwrap(),
    );
    let second = details(
        service
            .iam(&root, details_request(None, Some(2), first.marker))
            .await
            .unwrap(),
    );
    assert_eq!(second.group_detail_list.unwrap().len(), 1);
    assert_eq!(second.role_detail_list.unwrap().len(), 1);
}

/// The server needs `Service::iam`'s future to be `Send` for any lifetime (axum handlers);
/// an async closure in an operation once broke that while every test here still passed.
fn iam_is_send<'a>(
    service: &'a Service,
    caller: &'a Caller,
    request: Request,
) -> impl std::future::Future<Output = Result<Response, ServiceError>> + Send + 'a {
    service.iam(caller, request)
}

#[tokio::test]
async fn iam_future_is_send() {
    let (service, root) = setup().await;
    let response = iam_is_send(&service, &root, Request::GetAccountSummary).await;
    assert!(response.is_ok());
}

/// A document validated as an identity policy, as the store takes them.
fn identity(text: &str) -> policy::Policy {
    policy::Policy::parse(text, policy::PolicyKind::Identity).unwrap()
}
