//! Requests signed by a real client verify: proptest builds random requests (paths with odd
//! bytes and dot segments, repeated and padded headers, query strings, bodies, session tokens,
//! both signature forms) and signs them with AWS's own Rust signer, `aws-sigv4`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

mod common;

use std::time::SystemTime;

use common::{AwsSigner, OwnedRequest, at, encode};
use proptest::prelude::*;
use sigv4::{SecretKey, SignatureForm, Verifier};

#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    segments: Vec<String>,
    trailing_slash: bool,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    access_key_id: String,
    secret: String,
    token: Option<String>,
    region: String,
    service: &'static str,
    time: u64,
    presign_for: Option<u64>,
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-zA-Z0-9._~-]{1,8}",
        2 => "[ -~]{1,6}".prop_map(|s| s.replace('/', "")).prop_filter("non-empty", |s| !s.is_empty()),
        1 => "\\PC{1,3}",
        1 => Just(".".to_owned()),
        1 => Just("..".to_owned()),
    ]
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "x-test-[a-z0-9-]{1,10}",
        "x-amz-meta-[a-z0-9]{1,6}",
        "(content-type|accept|x-custom|my-header1)",
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            prop_oneof![Just("GET"), Just("POST")],
            prop::collection::vec(segment(), 0..4),
            any::<bool>(),
            prop::collection::vec(("\\PC{0,6}", "\\PC{0,8}"), 0..4),
            prop::collection::vec((header_name(), "[ -~]{0,16}"), 0..4),
            prop::collection::vec(any::<u8>(), 0..64),
        ),
        (
            "(AKIA|ASIA)[A-Z2-7]{16}",
            "[A-Za-z0-9/+]{40}",
            prop::option::of("[A-Za-z0-9/+=]{16,80}"),
            "[a-z]{2}-[a-z]{4,9}-[1-9]",
            prop_oneof![Just("iam"), Just("sts")],
            946_684_800u64..4_102_444_800,
            prop::option::of(1u64..=604_800),
        ),
    )
        .prop_map(
            |(
                (method, segments, trailing_slash, query, headers, body),
                (access_key_id, secret, token, region, service, time, presign_for),
            )| Case {
                method,
                segments,
                trailing_slash,
                query,
                headers,
                body,
                access_key_id,
                secret,
                token,
                region,
                service,
                time,
                presign_for,
            },
        )
}

/// Signs `case` with `aws-sigv4` and returns the request as it would arrive.
fn signed(case: &Case) -> OwnedRequest {
    let mut path = String::from("/");
    path.push_str(
        &case
            .segments
            .iter()
            .map(|s| encode(s))
            .collect::<Vec<_>>()
            .join("/"),
    );
    if case.trailing_slash && !case.segments.is_empty() {
        path.push('/');
    }
    let query = case
        .query
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let target = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    AwsSigner {
        access_key_id: &case.access_key_id,
        secret: &case.secret,
        token: case.token.as_deref(),
        region: &case.region,
        service: case.service,
        time: case.time,
        presign_for: case.presign_for,
    }
    .sign(case.method, &target, &case.headers, &case.body)
}

fn verify(
    case: &Case,
    request: &OwnedRequest,
    now: SystemTime,
) -> Result<sigv4::Verified, sigv4::AuthError> {
    let verifier = Verifier::new();
    request.with(|r| {
        verifier.verify(r, now, |k| {
            assert_eq!(k.access_key_id, case.access_key_id);
            assert_eq!(k.session_token, case.token.as_deref());
            Ok(SecretKey::new(case.secret.clone()))
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn requests_signed_by_aws_sigv4_verify(case in case(), delay in 0u64..=900) {
        let request = signed(&case);
        // Anywhere in the validity window: 15 minutes, or the presigned lifetime.
        let delay = case.presign_for.map_or(delay, |p| delay.min(p));
        let verified = verify(&case, &request, at(case.time + delay));
        let verified = match verified {
            Ok(v) => v,
            Err(e) => {
                let explained = request.with(|r| Verifier::new().explain(r));
                return Err(TestCaseError::fail(format!("{}: {e}\n{request:#?}\n{explained:#?}", e.code())));
            }
        };
        prop_assert_eq!(&verified.access_key_id, &case.access_key_id);
        prop_assert_eq!(&verified.region, &case.region);
        prop_assert_eq!(verified.service.as_str(), case.service);
        prop_assert_eq!(verified.session_token.as_deref(), case.token.as_deref());
        prop_assert_eq!(verified.signed_at, at(case.time));
        let form = if case.presign_for.is_some() { SignatureForm::Presigned } else { SignatureForm::Header };
        prop_assert_eq!(verified.form, form);
    }

    #[test]
    fn a_wrong_secret_never_verifies(case in case()) {
        let request = signed(&case);
        let verifier = Verifier::new();
        let result = request.with(|r| {
            verifier.verify(r, at(case.time), |_| Ok(SecretKey::new(format!("{}x", case.secret))))
        });
        prop_assert_eq!(result.unwrap_err().code(), "SignatureDoesNotMatch");
    }
}
