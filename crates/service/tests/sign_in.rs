//! Console sign-in and sessions (issue 12): who may sign in with what, the one refusal,
//! throttling, reset and expiry, `PasswordLastUsed`, and the callers console sessions give.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

use service::{
    CONSOLE_IDLE_SECONDS, CONSOLE_SESSION_SECONDS, Caller, Clock, Identity, MasterKey, NewAccount,
    RequestInfo, Sealer, Secret, Service, SignIn, SignInRequest,
};
use store::Store;
use wire::iam::{
    CreateAccountAliasRequest, CreateLoginProfileRequest, CreateUserRequest,
    DeleteLoginProfileRequest, DeleteUserRequest, GetUserRequest, ListUsersRequest,
    PutUserPolicyRequest, Request, Response, UpdateAccountPasswordPolicyRequest,
};

const NOW: i64 = 1_700_000_000;
const ACCOUNT: &str = "123456789012";
const EMAIL: &str = "Root@Example.com";
const GOOD: &str = "Correct-Horse-9";
const ROOT_PASSWORD: &str = "Root-Password-42";

async fn setup() -> (Service, Caller, Clock) {
    let clock = Clock::fixed(NOW);
    let store = Store::open("sqlite::memory:").await.unwrap();
    let service = Service::new(
        store,
        Sealer::new(&MasterKey::generate().unwrap()),
        clock.clone(),
    );
    let (account, (key_id, _)) = service
        .create_account(NewAccount {
            account_id: Some(ACCOUNT.to_owned()),
            email: EMAIL.to_owned(),
            ..NewAccount::default()
        })
        .await
        .unwrap();
    service
        .set_root_password(&account.account_id, &Secret::new(ROOT_PASSWORD.to_owned()))
        .await
        .unwrap();
    let root = Caller {
        account_id: account.account_id,
        identity: Identity::Root,
        access_key_id: key_id,
        request: RequestInfo::default(),
        session: None,
    };
    (service, root, clock)
}

async fn iam(service: &Service, caller: &Caller, request: Request) -> Response {
    service.iam(caller, request).await.unwrap()
}

/// Creates user `name` (no console password).
async fn create_user(service: &Service, root: &Caller, name: &str) {
    iam(
        service,
        root,
        Request::CreateUser(CreateUserRequest {
            path: None,
            user_name: name.to_owned(),
            permissions_boundary: None,
            tags: None,
        }),
    )
    .await;
}

/// The account's password policy with these settings (the others unset).
fn password_policy(
    max_password_age: Option<i32>,
    password_reuse_prevention: Option<i32>,
    hard_expiry: Option<bool>,
) -> Request {
    Request::UpdateAccountPasswordPolicy(UpdateAccountPasswordPolicyRequest {
        minimum_password_length: None,
        require_symbols: None,
        require_numbers: None,
        require_uppercase_characters: None,
        require_lowercase_characters: None,
        allow_users_to_change_password: Some(true),
        max_password_age,
        password_reuse_prevention,
        hard_expiry,
    })
}

/// Creates user `name` with console password GOOD.
async fn person(service: &Service, root: &Caller, name: &str, reset_required: bool) {
    create_user(service, root, name).await;
    iam(
        service,
        root,
        Request::CreateLoginProfile(CreateLoginProfileRequest {
            user_name: Some(name.to_owned()),
            password: Some(GOOD.to_owned()),
            password_reset_required: Some(reset_required),
        }),
    )
    .await;
}

fn form(account: &str, user: &str, password: &str) -> SignInRequest {
    SignInRequest {
        account: account.to_owned(),
        user_name: user.to_owned(),
        password: Secret::new(password.to_owned()),
        mfa_code: None,
        source_ip: Some("192.0.2.7".parse().unwrap()),
    }
}

/// The cookie of a successful sign-in (and whether it may only change the password).
async fn signed_in(service: &Service, request: &SignInRequest) -> (String, bool) {
    match service.sign_in(request).await.unwrap() {
        SignIn::SignedIn {
            cookie,
            password_change,
        } => (cookie.expose().to_owned(), password_change),
        other => panic!("not signed in: {other:?}"),
    }
}

async fn refused(service: &Service, request: &SignInRequest) -> bool {
    matches!(service.sign_in(request).await.unwrap(), SignIn::Refused)
}

#[tokio::test]
async fn users_sign_in_by_account_id_or_alias_and_root_by_email() {
    let (service, root, _) = setup().await;
    person(&service, &root, "alice", false).await;
    let (cookie, change) = signed_in(&service, &form(ACCOUNT, "alice", GOOD)).await;
    assert!(!change);
    let console = service
        .console_caller(&cookie, RequestInfo::default())
        .await
        .unwrap()
        .expect("a live session");
    assert!(matches!(&console.caller.identity, Identity::User(u) if u.name == "alice"));
    assert_eq!(console.user_name.as_deref(), Some("alice"));

    iam(
        &service,
        &root,
        Request::CreateAccountAlias(CreateAccountAliasRequest {
            account_alias: "example-corp".to_owned(),
        }),
    )
    .await;
    signed_in(&service, &form("example-corp", "alice", GOOD)).await;
    // User names are case-insensitive in IAM, as on AWS's sign-in page.
    signed_in(&service, &form(ACCOUNT, "ALICE", GOOD)).await;

    let (cookie, _) = signed_in(&service, &form("", "root@example.com", ROOT_PASSWORD)).await;
    let console = service
        .console_caller(&cookie, RequestInfo::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(console.caller.identity, Identity::Root);
    assert_eq!(console.account_alias.as_deref(), Some("example-corp"));
}

#[tokio::test]
async fn every_refusal_is_the_same_answer() {
    let (service, root, _) = setup().await;
    person(&service, &root, "alice", false).await;
    create_user(&service, &root, "nologin").await;
    for request in [
        form(ACCOUNT, "alice", "Wrong-Horse-9"),
        form(ACCOUNT, "nobody", GOOD),
        form(ACCOUNT, "nologin", GOOD),
        form("999999999999", "alice", GOOD),
        form("no-such-alias", "alice", GOOD),
        form("", "root@example.com", "Wrong-Root-1"),
        form("", "nobody@example.com", ROOT_PASSWORD),
        // The root user does not sign in as an IAM user of its account.
        form(ACCOUNT, "root@example.com", ROOT_PASSWORD),
    ] {
        assert!(refused(&service, &request).await, "{request:?}");
    }
}

#[tokio::test]
async fn failures_throttle_the_user_and_the_address_until_the_window_passes() {
    let (service, root, clock) = setup().await;
    person(&service, &root, "alice", false).await;
    for _ in 0..5 {
        assert!(refused(&service, &form(ACCOUNT, "alice", "Wrong-Horse-9")).await);
    }
    // The right password is refused while the throttle holds, in the same words.
    assert!(refused(&service, &form(ACCOUNT, "alice", GOOD)).await);
    clock.set(NOW + 901);
    signed_in(&service, &form(ACCOUNT, "alice", GOOD)).await;

    // One address guessing many names is throttled too, known users included.
    person(&service, &root, "bob", false).await;
    for n in 0..20 {
        assert!(refused(&service, &form(ACCOUNT, &format!("guess{n}"), GOOD)).await);
    }
    assert!(refused(&service, &form(ACCOUNT, "bob", GOOD)).await);
    let mut elsewhere = form(ACCOUNT, "bob", GOOD);
    elsewhere.source_ip = Some("198.51.100.1".parse().unwrap());
    signed_in(&service, &elsewhere).await;
}

#[tokio::test]
async fn reset_and_expired_passwords_give_a_session_that_can_only_change_them() {
    let (service, root, clock) = setup().await;
    person(&service, &root, "alice", true).await;
    let (_, change) = signed_in(&service, &form(ACCOUNT, "alice", GOOD)).await;
    assert!(change, "PasswordResetRequired");

    person(&service, &root, "bob", false).await;
    let policy = |hard_expiry| password_policy(Some(30), None, Some(hard_expiry));
    iam(&service, &root, policy(false)).await;
    let (_, change) = signed_in(&service, &form(ACCOUNT, "bob", GOOD)).await;
    assert!(!change, "not expired yet");
    clock.set(NOW + 30 * 86_400);
    let (cookie, change) = signed_in(&service, &form(ACCOUNT, "bob", GOOD)).await;
    assert!(change, "expired");
    let console = service
        .console_caller(&cookie, RequestInfo::default())
        .await
        .unwrap()
        .unwrap();
    assert!(console.password_change);
    let full = service
        .console_password_changed(&cookie, &console)
        .await
        .unwrap();
    assert!(
        service
            .console_caller(&cookie, RequestInfo::default())
            .await
            .unwrap()
            .is_none()
    );
    let console = service
        .console_caller(full.expose(), RequestInfo::default())
        .await
        .unwrap()
        .unwrap();
    assert!(!console.password_change);

    // With HardExpiry only an administrator can help: sign-in is refused.
    iam(&service, &root, policy(true)).await;
    assert!(refused(&service, &form(ACCOUNT, "bob", GOOD)).await);
    // Root passwords never expire.
    signed_in(&service, &form("", EMAIL, ROOT_PASSWORD)).await;
}

#[tokio::test]
async fn sign_in_records_password_last_used() {
    let (service, root, clock) = setup().await;
    person(&service, &root, "alice", false).await;
    let last_used = |response: Response| match response {
        Response::GetUser(r) => r.user.password_last_used,
        other => panic!("{other:?}"),
    };
    let get = || {
        Request::GetUser(GetUserRequest {
            user_name: Some("alice".to_owned()),
        })
    };
    assert_eq!(last_used(iam(&service, &root, get()).await), None);
    clock.set(NOW + 60);
    signed_in(&service, &form(ACCOUNT, "alice", GOOD)).await;
    assert_eq!(
        last_used(iam(&service, &root, get()).await).map(|t| t.unix_seconds()),
        Some(NOW + 60)
    );
    // The root user's, shown by GetUser without a name.
    let root_user = || Request::GetUser(GetUserRequest { user_name: None });
    assert_eq!(last_used(iam(&service, &root, root_user()).await), None);
    clock.set(NOW + 120);
    signed_in(&service, &form("", EMAIL, ROOT_PASSWORD)).await;
    assert_eq!(
        last_used(iam(&service, &root, root_user()).await).map(|t| t.unix_seconds()),
        Some(NOW + 120)
    );
}

#[tokio::test]
async fn sessions_end_at_sign_out_idle_timeout_absolute_timeout_and_user_deletion() {
    let (service, root, clock) = setup().await;
    person(&service, &root, "alice", false).await;
    let live = |cookie: String| {
        let service = service.clone();
        async move {
            service
                .console_caller(&cookie, RequestInfo::default())
                .await
                .unwrap()
                .is_some()
        }
    };
    assert!(!live("made-up".to_owned()).await);

    let (cookie, _) = signed_in(&service, &form(ACCOUNT, "alice", GOOD)).await;
    service.sign_out(&cookie).await.unwrap();
    assert!(!live(cookie).await);

    let (cookie, _) = signed_in(&service, &form(ACCOUNT, "alice", GOOD)).await;
    clock.set(NOW + CONSOLE_IDLE_SECONDS - 1);
    assert!(live(cookie.clone()).await, "used just in time");
    clock.set(NOW + 2 * CONSOLE_IDLE_SECONDS - 2);
    assert!(
        live(cookie.clone()).await,
        "idle time counts from the last use"
    );
    clock.set(NOW + 3 * CONSOLE_IDLE_SECONDS);
    assert!(!live(cookie).await, "idle too long");

    let start = NOW + 3 * CONSOLE_IDLE_SECONDS;
    let (cookie, _) = signed_in(&service, &form(ACCOUNT, "alice", GOOD)).await;
    let mut at = start;
    while at + CONSOLE_IDLE_SECONDS / 2 < start + CONSOLE_SESSION_SECONDS {
        at += CONSOLE_IDLE_SECONDS / 2;
        clock.set(at);
        assert!(live(cookie.clone()).await);
    }
    clock.set(start + CONSOLE_SESSION_SECONDS);
    assert!(!live(cookie).await, "absolute end");

    let (cookie, _) = signed_in(&service, &form(ACCOUNT, "alice", GOOD)).await;
    iam(
        &service,
        &root,
        Request::DeleteLoginProfile(DeleteLoginProfileRequest {
            user_name: Some("alice".to_owned()),
        }),
    )
    .await;
    iam(
        &service,
        &root,
        Request::DeleteUser(DeleteUserRequest {
            user_name: "alice".to_owned(),
        }),
    )
    .await;
    assert!(!live(cookie).await, "user deleted");
}

#[tokio::test]
async fn console_callers_are_authorized_by_their_policies() {
    let (service, root, _) = setup().await;
    person(&service, &root, "alice", false).await;
    let (cookie, _) = signed_in(&service, &form(ACCOUNT, "alice", GOOD)).await;
    let console = service
        .console_caller(&cookie, RequestInfo::default())
        .await
        .unwrap()
        .unwrap();
    let list = || {
        Request::ListUsers(ListUsersRequest {
            path_prefix: None,
            marker: None,
            max_items: None,
        })
    };
    let denied = service.iam(&console.caller, list()).await.unwrap_err();
    assert_eq!(
        denied.message(),
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::123456789012:user/ because no identity-based policy allows the iam:ListUsers action"
    );
    // A policy that needs MFA (the IAM user guide's) refuses a console session without it.
    iam(
        &service,
        &root,
        Request::PutUserPolicy(PutUserPolicyRequest {
            user_name: "alice".to_owned(),
            policy_name: "list".to_owned(),
            policy_document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"},{"Effect":"Deny","Action":"iam:ListUsers","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}"#.to_owned(),
        }),
    )
    .await;
    let console = service
        .console_caller(&cookie, RequestInfo::default())
        .await
        .unwrap()
        .unwrap();
    let denied = service.iam(&console.caller, list()).await.unwrap_err();
    assert!(
        denied.message().contains("with an explicit deny"),
        "{}",
        denied.message()
    );
}

/// Creates and enables a virtual MFA device for `user`; returns its seed.
async fn mfa_device(service: &Service, root: &Caller, clock: &Clock, user: &str) -> Vec<u8> {
    let created = match iam(
        service,
        root,
        Request::CreateVirtualMFADevice(wire::iam::CreateVirtualMFADeviceRequest {
            path: None,
            virtual_mfa_device_name: format!("{user}-phone"),
            tags: None,
        }),
    )
    .await
    {
        Response::CreateVirtualMFADevice(r) => r.virtual_mfa_device,
        other => panic!("{other:?}"),
    };
    let seed_text = created.base32_string_seed.unwrap();
    let seed = data_encoding::BASE32_NOPAD
        .decode(
            String::from_utf8(seed_text)
                .unwrap()
                .trim_end_matches('=')
                .as_bytes(),
        )
        .unwrap();
    let step = service::totp::step_at(clock.seconds());
    iam(
        service,
        root,
        Request::EnableMFADevice(wire::iam::EnableMFADeviceRequest {
            user_name: user.to_owned(),
            serial_number: created.serial_number,
            authentication_code1: service::totp::code_at_step(&seed, step - 1),
            authentication_code2: service::totp::code_at_step(&seed, step),
        }),
    )
    .await;
    seed
}

#[tokio::test]
async fn a_user_with_an_mfa_device_signs_in_with_a_code_and_the_session_carries_mfa() {
    let (service, root, clock) = setup().await;
    person(&service, &root, "alice", false).await;
    let seed = mfa_device(&service, &root, &clock, "alice").await;
    assert!(matches!(
        service
            .sign_in(&form(ACCOUNT, "alice", GOOD))
            .await
            .unwrap(),
        SignIn::MfaRequired
    ));
    // A wrong password with no code is refused as ever: MFA is asked only after it.
    assert!(refused(&service, &form(ACCOUNT, "alice", "Wrong-Horse-9")).await);
    clock.set(NOW + 90);
    let step = service::totp::step_at(NOW + 90);
    let mut with_code = form(ACCOUNT, "alice", GOOD);
    with_code.mfa_code = Some("000000".to_owned());
    if service::totp::code_at_step(&seed, step) != "000000" {
        assert!(refused(&service, &with_code).await, "wrong code");
    }
    with_code.mfa_code = Some(service::totp::code_at_step(&seed, step));
    let (cookie, _) = signed_in(&service, &with_code).await;
    // The same code is never accepted twice.
    assert!(refused(&service, &with_code).await, "replayed code");
    let console = service
        .console_caller(&cookie, RequestInfo::default())
        .await
        .unwrap()
        .unwrap();
    assert!(console.caller.session.as_ref().unwrap().mfa);
}

#[tokio::test]
async fn an_administrators_new_password_keeps_the_reuse_rule_too() {
    let (service, root, _) = setup().await;
    person(&service, &root, "alice", false).await;
    iam(&service, &root, password_policy(None, Some(2), None)).await;
    let update = |password: &str| {
        Request::UpdateLoginProfile(wire::iam::UpdateLoginProfileRequest {
            user_name: "alice".to_owned(),
            password: Some(password.to_owned()),
            password_reset_required: None,
        })
    };
    let refused = service.iam(&root, update(GOOD)).await.unwrap_err();
    assert_eq!(refused.code(), "PasswordPolicyViolation");
    assert_eq!(
        refused.message(),
        "Policy constraint violation with password reuse prevention during password change."
    );
    iam(&service, &root, update("Second-Horse-9")).await;
    signed_in(&service, &form(ACCOUNT, "alice", "Second-Horse-9")).await;
}
