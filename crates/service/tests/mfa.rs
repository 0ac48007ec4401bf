//! MFA through the service, on an injected clock: RFC 6238's SHA-1 vectors, enabling with two
//! consecutive codes, a code never accepted twice, one step of drift either side and no
//! more, seeds sealed at rest, STS sessions carrying MFA (GetSessionToken, AssumeRole with a
//! trust policy that requires it, `aws:MultiFactorAuthAge`), the root user's one device,
//! DeleteUser's conflict and GetAccountSummary's figures.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

use service::{Caller, Clock, Identity, MasterKey, NewAccount, RequestInfo, Sealer, Service, totp};
use wire::iam::{Request as Iam, Response as IamResponse};
use wire::sts::{
    AssumeRoleRequest, GetSessionTokenRequest, Request as Sts, Response as StsResponse,
};

const A: &str = "111111111111";
/// A time on a step boundary's middle, so `START` plus or minus a few seconds stays in it.
const START: i64 = 1_700_000_010;

struct World {
    service: Service,
    clock: Clock,
}

fn root() -> Caller {
    Caller {
        account_id: A.to_owned(),
        identity: Identity::Root,
        access_key_id: "AKIAROOT".to_owned(),
        request: RequestInfo::default(),
        session: None,
    }
}

impl World {
    async fn new() -> World {
        let clock = Clock::fixed(START);
        let store = store::Store::open("sqlite::memory:").await.unwrap();
        let service = Service::new(
            store,
            Sealer::new(&MasterKey::generate().unwrap()),
            clock.clone(),
        );
        service
            .create_account(NewAccount {
                account_id: Some(A.to_owned()),
                email: "a@example.com".to_owned(),
                ..NewAccount::default()
            })
            .await
            .unwrap();
        World { service, clock }
    }

    async fn iam(
        &self,
        caller: &Caller,
        request: Iam,
    ) -> Result<IamResponse, service::ServiceError> {
        self.service.iam(caller, request).await
    }

    async fn user(&self, name: &str, policy: &str) -> Caller {
        self.iam(
            &root(),
            Iam::CreateUser(wire::iam::CreateUserRequest {
                path: None,
                user_name: name.to_owned(),
                permissions_boundary: None,
                tags: None,
            }),
        )
        .await
        .unwrap();
        self.iam(
            &root(),
            Iam::PutUserPolicy(wire::iam::PutUserPolicyRequest {
                user_name: name.to_owned(),
                policy_name: "p".to_owned(),
                policy_document: policy.to_owned(),
            }),
        )
        .await
        .unwrap();
        Caller {
            account_id: A.to_owned(),
            identity: Identity::User(self.service.store().get_user(A, name).await.unwrap()),
            access_key_id: "AKIAUSER".to_owned(),
            request: RequestInfo::default(),
            session: None,
        }
    }

    /// Creates a device and answers its serial number and seed.
    async fn device(&self, name: &str) -> (String, Vec<u8>) {
        let IamResponse::CreateVirtualMFADevice(created) = self
            .iam(
                &root(),
                Iam::CreateVirtualMFADevice(wire::iam::CreateVirtualMFADeviceRequest {
                    path: None,
                    virtual_mfa_device_name: name.to_owned(),
                    tags: None,
                }),
            )
            .await
            .unwrap()
        else {
            panic!("not CreateVirtualMFADevice")
        };
        let device = created.virtual_mfa_device;
        let seed = data_encoding::BASE32_NOPAD
            .decode(&device.base32_string_seed.unwrap())
            .unwrap();
        (device.serial_number, seed)
    }

    fn code(&self, seed: &[u8], steps_from_now: i64) -> String {
        totp::code_at_step(seed, totp::step_at(self.clock.seconds()) + steps_from_now)
    }

    async fn enable(
        &self,
        user: &str,
        serial: &str,
        codes: (String, String),
    ) -> Result<IamResponse, service::ServiceError> {
        self.iam(
            &root(),
            Iam::EnableMFADevice(wire::iam::EnableMFADeviceRequest {
                user_name: user.to_owned(),
                serial_number: serial.to_owned(),
                authentication_code1: codes.0,
                authentication_code2: codes.1,
            }),
        )
        .await
    }

    /// A user with a device enabled ten minutes before now, so that no step near now is
    /// spent yet.
    async fn user_with_device(&self, name: &str, policy: &str) -> (Caller, String, Vec<u8>) {
        let caller = self.user(name, policy).await;
        let (serial, seed) = self.device(&format!("{name}-mfa")).await;
        let now = self.clock.seconds();
        self.clock.set(now - 600);
        self.enable(name, &serial, (self.code(&seed, -1), self.code(&seed, 0)))
            .await
            .unwrap();
        self.clock.set(now);
        (caller, serial, seed)
    }

    async fn session_token(
        &self,
        caller: &Caller,
        serial: Option<&str>,
        code: Option<String>,
    ) -> Result<Caller, service::ServiceError> {
        let StsResponse::GetSessionToken(response) = self
            .service
            .sts(
                caller,
                Sts::GetSessionToken(GetSessionTokenRequest {
                    duration_seconds: None,
                    serial_number: serial.map(str::to_owned),
                    token_code: code,
                    minimum_session_token_size: None,
                }),
            )
            .await?
        else {
            panic!("not GetSessionToken")
        };
        let credentials = response.credentials.unwrap();
        let session = self
            .service
            .open_session(&credentials.access_key_id, &credentials.session_token)
            .expect("the token opens");
        self.service
            .session_caller(session, RequestInfo::default())
            .await
    }
}

const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;

const WRONG_CODE: &str = "MultiFactorAuthentication failed with invalid MFA one time pass code.";

fn list_users() -> Iam {
    Iam::ListUsers(wire::iam::ListUsersRequest {
        path_prefix: None,
        marker: None,
        max_items: None,
    })
}

#[test]
fn rfc_6238_appendix_b_sha1_vectors() {
    let seed = b"12345678901234567890";
    for (time, expected) in [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ] {
        let counter = u64::try_from(totp::step_at(time)).unwrap();
        assert_eq!(totp::hotp(seed, counter, 8), expected, "T = {time}");
        // Six digits are the last six of the eight.
        assert_eq!(totp::code(seed, time), expected[2..], "T = {time}");
    }
}

#[tokio::test]
async fn enabling_takes_two_consecutive_current_codes() {
    let world = World::new().await;
    world.user("alice", ALLOW_ALL).await;
    let (serial, seed) = world.device("dev").await;
    let code = |n| world.code(&seed, n);
    for bad in [
        (code(0), code(0)),
        (code(-1), code(1)),
        (code(1), code(0)),
        (code(-3), code(-2)),
        (code(1), code(2)),
        ("000000".to_owned(), code(0)),
    ] {
        let error = world.enable("alice", &serial, bad).await.unwrap_err();
        assert_eq!(error.code(), "InvalidAuthenticationCode");
        assert_eq!(
            error.message(),
            "Authentication code for device is not valid."
        );
    }
    world
        .enable("alice", &serial, (code(0), code(1)))
        .await
        .unwrap();
    let again = world
        .enable("alice", &serial, (code(0), code(1)))
        .await
        .unwrap_err();
    assert_eq!(again.code(), "EntityAlreadyExists");
    let unknown = world
        .enable(
            "alice",
            "arn:aws:iam::111111111111:mfa/none",
            (code(0), code(1)),
        )
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), "NoSuchEntity");
}

#[tokio::test]
async fn a_code_is_accepted_once_within_one_step_of_drift() {
    let world = World::new().await;
    let (alice, serial, seed) = world.user_with_device("alice", ALLOW_ALL).await;
    // Two steps either side: refused, and nothing is spent.
    for far in [-2, 2] {
        let error = world
            .session_token(&alice, Some(&serial), Some(world.code(&seed, far)))
            .await
            .unwrap_err();
        assert_eq!(
            (error.code(), error.message().as_str()),
            ("AccessDenied", WRONG_CODE)
        );
    }
    // The current code works once; the same code again does not, nor an older one.
    let session = world
        .session_token(&alice, Some(&serial), Some(world.code(&seed, 0)))
        .await
        .unwrap();
    assert!(session.session.as_ref().unwrap().mfa);
    for replay in [0, -1] {
        let error = world
            .session_token(&alice, Some(&serial), Some(world.code(&seed, replay)))
            .await
            .unwrap_err();
        assert_eq!(error.message(), WRONG_CODE);
    }
    // The next step's code (the device running ahead) is accepted; then a minute later the
    // step after that, which is now one behind.
    world
        .session_token(&alice, Some(&serial), Some(world.code(&seed, 1)))
        .await
        .unwrap();
    world.clock.set(START + 90);
    world
        .session_token(&alice, Some(&serial), Some(world.code(&seed, -1)))
        .await
        .unwrap();
    // A serial number that is not the caller's, or no serial number, is the other denial.
    let bob = world.user("bob", ALLOW_ALL).await;
    for (serial, code) in [
        (Some(serial.as_str()), Some(world.code(&seed, 0))),
        (None, Some(world.code(&seed, 0))),
    ] {
        let error = world.session_token(&bob, serial, code).await.unwrap_err();
        assert!(
            error
                .message()
                .starts_with("MultiFactorAuthentication failed, unable to validate MFA code.")
        );
    }
    // A serial number without a code is a wrong code.
    let error = world
        .session_token(&alice, Some(&serial), None)
        .await
        .unwrap_err();
    assert_eq!(error.message(), WRONG_CODE);
}

#[tokio::test]
async fn resync_learns_a_drifted_device_and_spends_its_codes() {
    let world = World::new().await;
    let (alice, serial, seed) = world.user_with_device("alice", ALLOW_ALL).await;
    let admin = root();
    let resync = |codes: (String, String)| {
        world.iam(
            &admin,
            Iam::ResyncMFADevice(wire::iam::ResyncMFADeviceRequest {
                user_name: "alice".to_owned(),
                serial_number: serial.clone(),
                authentication_code1: codes.0,
                authentication_code2: codes.1,
            }),
        )
    };
    // Five steps ahead, the device's codes are refused by STS until it is resynced.
    let error = world
        .session_token(&alice, Some(&serial), Some(world.code(&seed, 5)))
        .await
        .unwrap_err();
    assert_eq!(error.message(), WRONG_CODE);
    resync((world.code(&seed, 5), world.code(&seed, 6)))
        .await
        .unwrap();
    // The same codes do not resync twice, nor codes beyond ten steps.
    for (one, two) in [(5, 6), (15, 16)] {
        let error = resync((world.code(&seed, one), world.code(&seed, two)))
            .await
            .unwrap_err();
        assert_eq!(error.code(), "InvalidAuthenticationCode");
    }
    // A step later, the device's next code is accepted (its drift is known now), and the
    // code of the server's own step is not.
    world.clock.set(START + 30);
    let error = world
        .session_token(&alice, Some(&serial), Some(world.code(&seed, 0)))
        .await
        .unwrap_err();
    assert_eq!(error.message(), WRONG_CODE);
    let session = world
        .session_token(&alice, Some(&serial), Some(world.code(&seed, 6)))
        .await
        .unwrap();
    assert!(session.session.as_ref().unwrap().mfa);
}

#[tokio::test]
async fn seeds_are_sealed_at_rest() {
    let world = World::new().await;
    let (serial, seed) = world.device("dev").await;
    let stored = world
        .service
        .store()
        .get_mfa_device(A, &serial)
        .await
        .unwrap();
    let base32 = data_encoding::BASE32_NOPAD.encode(&seed);
    assert_eq!(base32.len(), 64);
    assert!(
        !stored
            .seed_ciphertext
            .windows(seed.len())
            .any(|w| w == seed.as_slice())
    );
    assert!(
        !stored
            .seed_ciphertext
            .windows(16)
            .any(|w| base32.as_bytes().windows(16).any(|b| b == w))
    );
}

#[tokio::test]
async fn long_term_keys_never_carry_mfa_and_the_deny_unless_mfa_policy_holds() {
    let world = World::new().await;
    // The IAM user guide's policy: everything allowed, everything but the MFA self-service
    // denied unless MFA is present (BoolIfExists, so long-term keys are denied too).
    let deny_unless_mfa = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"*","Resource":"*"},
        {"Effect":"Deny","NotAction":["iam:ListMFADevices","sts:GetSessionToken"],"Resource":"*",
         "Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;
    let (alice, serial, seed) = world.user_with_device("alice", deny_unless_mfa).await;
    assert!(
        world
            .iam(&alice, list_users())
            .await
            .unwrap_err()
            .is_access_denied()
    );
    let without = world.session_token(&alice, None, None).await.unwrap();
    assert!(!without.session.as_ref().unwrap().mfa);
    // A session without MFA may not call IAM at all (AWS's rule for GetSessionToken).
    assert!(world.iam(&without, list_users()).await.is_err());
    let with = world
        .session_token(&alice, Some(&serial), Some(world.code(&seed, 0)))
        .await
        .unwrap();
    world.iam(&with, list_users()).await.unwrap();
}

#[tokio::test]
async fn mfa_age_counts_from_the_check() {
    let world = World::new().await;
    let recent = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*",
        "Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"600"}}}}"#;
    let (alice, serial, seed) = world.user_with_device("alice", recent).await;
    let session = world
        .session_token(&alice, Some(&serial), Some(world.code(&seed, 0)))
        .await
        .unwrap();
    world.iam(&session, list_users()).await.unwrap();
    world.clock.set(START + 601);
    assert!(
        world
            .iam(&session, list_users())
            .await
            .unwrap_err()
            .is_access_denied()
    );
}

#[tokio::test]
async fn a_trust_policy_requiring_mfa_refuses_assume_role_without_it() {
    let world = World::new().await;
    let (alice, serial, seed) = world.user_with_device("alice", ALLOW_ALL).await;
    let trust = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}}"#;
    world
        .iam(
            &root(),
            Iam::CreateRole(wire::iam::CreateRoleRequest {
                path: None,
                role_name: "admin".to_owned(),
                assume_role_policy_document: trust.to_owned(),
                description: None,
                max_session_duration: None,
                permissions_boundary: None,
                tags: None,
            }),
        )
        .await
        .unwrap();
    let assume = |serial: Option<String>, code: Option<String>| AssumeRoleRequest {
        role_arn: "arn:aws:iam::111111111111:role/admin".to_owned(),
        role_session_name: "s".to_owned(),
        policy_arns: None,
        policy: None,
        duration_seconds: None,
        tags: None,
        transitive_tag_keys: None,
        external_id: None,
        serial_number: serial,
        token_code: code,
        source_identity: None,
        provided_contexts: None,
        minimum_session_token_size: None,
    };
    let refused = world
        .service
        .sts(&alice, Sts::AssumeRole(assume(None, None)))
        .await
        .unwrap_err();
    assert!(refused.is_access_denied());
    let wrong = world
        .service
        .sts(
            &alice,
            Sts::AssumeRole(assume(Some(serial.clone()), Some("123456".to_owned()))),
        )
        .await
        .unwrap_err();
    assert_eq!(wrong.message(), WRONG_CODE);
    let StsResponse::AssumeRole(assumed) = world
        .service
        .sts(
            &alice,
            Sts::AssumeRole(assume(Some(serial), Some(world.code(&seed, 0)))),
        )
        .await
        .unwrap()
    else {
        panic!("not AssumeRole")
    };
    let credentials = assumed.credentials.unwrap();
    let session = world
        .service
        .open_session(&credentials.access_key_id, &credentials.session_token)
        .unwrap();
    assert!(session.mfa);
    assert_eq!(session.mfa_at, Some(START));
}

#[tokio::test]
async fn the_root_user_may_have_one_device() {
    let world = World::new().await;
    let (first, seed) = world.device("root-account-mfa-device").await;
    let (second, seed2) = world.device("another").await;
    world
        .service
        .enable_root_mfa_device(
            &root(),
            &first,
            (&world.code(&seed, -1), &world.code(&seed, 0)),
        )
        .await
        .unwrap();
    let error = world
        .service
        .enable_root_mfa_device(
            &root(),
            &second,
            (&world.code(&seed2, -1), &world.code(&seed2, 0)),
        )
        .await
        .unwrap_err();
    assert_eq!(error.code(), "LimitExceeded");
    let session = world
        .session_token(&root(), Some(&first), Some(world.code(&seed, 1)))
        .await
        .unwrap();
    assert!(session.session.as_ref().unwrap().mfa);
    let IamResponse::GetAccountSummary(summary) =
        world.iam(&root(), Iam::GetAccountSummary).await.unwrap()
    else {
        panic!("not GetAccountSummary")
    };
    let map = summary.summary_map.unwrap();
    let get = |k| map.get(&k).copied();
    use wire::iam::SummaryKeyType as K;
    assert_eq!(get(K::MFADevices), Some(2));
    assert_eq!(get(K::MFADevicesInUse), Some(1));
    assert_eq!(get(K::AccountMFAEnabled), Some(1));
    // ListMFADevices without a user name lists the root user's.
    let IamResponse::ListMFADevices(listed) = world
        .iam(
            &root(),
            Iam::ListMFADevices(wire::iam::ListMFADevicesRequest::default()),
        )
        .await
        .unwrap()
    else {
        panic!("not ListMFADevices")
    };
    assert_eq!(listed.mfa_devices.len(), 1);
    assert_eq!(listed.mfa_devices[0].serial_number, first);
}

#[tokio::test]
async fn delete_user_conflicts_while_a_device_is_enabled() {
    let world = World::new().await;
    let (_alice, serial, _seed) = world.user_with_device("alice", ALLOW_ALL).await;
    world
        .iam(
            &root(),
            Iam::DeleteUserPolicy(wire::iam::DeleteUserPolicyRequest {
                user_name: "alice".to_owned(),
                policy_name: "p".to_owned(),
            }),
        )
        .await
        .unwrap();
    let admin = root();
    let delete_user = || {
        world.iam(
            &admin,
            Iam::DeleteUser(wire::iam::DeleteUserRequest {
                user_name: "alice".to_owned(),
            }),
        )
    };
    let error = delete_user().await.unwrap_err();
    assert_eq!(
        (error.code(), error.message().as_str()),
        (
            "DeleteConflict",
            "Cannot delete entity, must delete MFA device first."
        )
    );
    let delete_device = || {
        world.iam(
            &admin,
            Iam::DeleteVirtualMFADevice(wire::iam::DeleteVirtualMFADeviceRequest {
                serial_number: serial.clone(),
            }),
        )
    };
    assert_eq!(delete_device().await.unwrap_err().code(), "DeleteConflict");
    world
        .iam(
            &root(),
            Iam::DeactivateMFADevice(wire::iam::DeactivateMFADeviceRequest {
                user_name: Some("alice".to_owned()),
                serial_number: serial.clone(),
            }),
        )
        .await
        .unwrap();
    delete_user().await.unwrap();
    delete_device().await.unwrap();
    assert_eq!(delete_device().await.unwrap_err().code(), "NoSuchEntity");
}
