//! The verifier's behaviour beyond the suite: AWS's exact messages and codes, the order of
//! checks (nothing reaches the key lookup that a cheap check refuses), lookup outcomes, the
//! signing-key cache across a secret rotation, and redacted `Debug` output.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

mod common;

use std::cell::Cell;
use std::time::Duration;

use common::{AwsSigner, OwnedRequest, at};
use sigv4::{AuthError, LookupError, SecretKey, Verifier};

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2026-01-01T09:30:00Z.
const T: u64 = 1_767_259_800;

fn signer() -> AwsSigner<'static> {
    AwsSigner {
        access_key_id: AKID,
        secret: SECRET,
        token: None,
        region: "us-east-1",
        service: "iam",
        time: T,
        presign_for: None,
    }
}

fn list_users(signer: AwsSigner<'_>) -> OwnedRequest {
    signer.sign(
        "POST",
        "/",
        &[(
            "content-type".to_owned(),
            "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
        )],
        b"Action=ListUsers&Version=2010-05-08",
    )
}

/// Verifies with a lookup that knows one key; reports whether the lookup ran.
fn verify_at(
    verifier: &Verifier,
    request: &OwnedRequest,
    now: u64,
) -> (Result<sigv4::Verified, AuthError>, bool) {
    let looked_up = Cell::new(false);
    let result = request.with(|r| {
        verifier.verify(r, at(now), |k| {
            looked_up.set(true);
            if k.access_key_id == AKID {
                Ok(SecretKey::new(SECRET))
            } else {
                Err(LookupError::UnknownKey)
            }
        })
    });
    (result, looked_up.get())
}

fn error(result: Result<sigv4::Verified, AuthError>) -> (&'static str, String, u16) {
    let e = result.unwrap_err();
    (e.code(), e.message(), e.status())
}

#[test]
fn clock_window_messages_and_bounds() {
    let verifier = Verifier::new();
    let request = list_users(signer());
    assert!(
        verify_at(&verifier, &request, T + 900).0.is_ok(),
        "exactly 15 min late is inside"
    );
    assert!(
        verify_at(&verifier, &request, T - 900).0.is_ok(),
        "exactly 15 min early is inside"
    );

    let (result, looked_up) = verify_at(&verifier, &request, T + 901);
    assert!(!looked_up, "the clock is checked before the key lookup");
    assert_eq!(
        error(result),
        (
            "SignatureDoesNotMatch",
            "Signature expired: 20260101T093000Z is now earlier than 20260101T093001Z (20260101T094501Z - 15 min.)".to_owned(),
            403
        )
    );
    assert_eq!(
        error(verify_at(&verifier, &request, T - 901).0),
        (
            "SignatureDoesNotMatch",
            "Signature not yet current: 20260101T093000Z is still later than 20260101T092959Z (20260101T091459Z + 15 min.)".to_owned(),
            403
        )
    );
}

#[test]
fn presigned_lifetime() {
    let verifier = Verifier::new();
    let request = list_users(AwsSigner {
        presign_for: Some(3600),
        ..signer()
    });
    assert!(verify_at(&verifier, &request, T + 3600).0.is_ok());
    let (result, looked_up) = verify_at(&verifier, &request, T + 3601);
    assert!(!looked_up);
    assert_eq!(
        error(result),
        ("AccessDenied", "Request has expired".to_owned(), 403)
    );
    // Not yet valid more than 15 minutes ahead, like the header form.
    assert_eq!(
        error(verify_at(&verifier, &request, T - 901).0).0,
        "SignatureDoesNotMatch"
    );

    let week = list_users(AwsSigner {
        presign_for: Some(604_800),
        ..signer()
    });
    assert!(verify_at(&verifier, &week, T + 604_800).0.is_ok());
    let mut too_long = week.clone();
    too_long.query = too_long
        .query
        .replace("X-Amz-Expires=604800", "X-Amz-Expires=604801");
    assert_eq!(
        error(verify_at(&verifier, &too_long, T).0),
        (
            "IncompleteSignature",
            "X-Amz-Expires must be less than a week (in seconds) that is 604800".to_owned(),
            400
        )
    );
}

#[test]
fn scope_messages() {
    let verifier = Verifier::new();
    let request = list_users(signer());
    let auth = std::str::from_utf8(request.header("authorization").unwrap())
        .unwrap()
        .to_owned();
    let with_credential = |credential: &str| {
        let mut r = request.clone();
        let header = auth.replace(
            "AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/iam/aws4_request",
            credential,
        );
        r.set_header("authorization", header.as_bytes());
        r
    };
    for (credential, code, message) in [
        (
            "AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/iam",
            "IncompleteSignature",
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/iam'",
        ),
        (
            "AKIAIOSFODNN7EXAMPLE/20251231//s3/aws4_requesx",
            "SignatureDoesNotMatch",
            "Credential should be scoped to a valid region, not ''. Credential should be scoped to correct service: 'iam'. Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_requesx'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20251231' != '20260101', from '20260101T093000Z'.",
        ),
    ] {
        let (result, looked_up) = verify_at(&verifier, &with_credential(credential), T);
        assert!(!looked_up, "{credential}");
        let (got_code, got_message, _) = error(result);
        assert_eq!((got_code, got_message.as_str()), (code, message));
    }
}

#[test]
fn header_rules() {
    let verifier = Verifier::new();
    let request = list_users(signer());
    let mut unsigned = request.clone();
    unsigned
        .headers
        .push(("X-Amz-Target".to_owned(), b"x".to_vec()));
    let (result, looked_up) = verify_at(&verifier, &unsigned, T);
    assert!(!looked_up);
    assert_eq!(
        error(result).1,
        "'x-amz-target' must be a 'SignedHeader' in the AWS Authorization."
    );

    let auth = std::str::from_utf8(request.header("authorization").unwrap()).unwrap();
    let mut no_host = request.clone();
    no_host.set_header(
        "authorization",
        auth.replace("content-type;host;x-amz-date", "content-type;x-amz-date")
            .as_bytes(),
    );
    assert_eq!(
        error(verify_at(&verifier, &no_host, T).0).1,
        "'Host' must be a 'SignedHeader' in the AWS Authorization."
    );

    let mut bad_date = request.clone();
    bad_date.set_header("x-amz-date", b"2026-01-01T09:30:00Z");
    assert_eq!(
        error(verify_at(&verifier, &bad_date, T).0),
        (
            "IncompleteSignature",
            "Date must be in ISO-8601 'basic format'. Got '2026-01-01T09:30:00Z'. See http://en.wikipedia.org/wiki/ISO_8601".to_owned(),
            400
        )
    );
}

#[test]
fn body_hash_header_must_match_the_body() {
    // A client may send x-amz-content-sha256 (signed); it then stands for the body, so it must
    // be the body's hash.
    let request = signer().sign(
        "POST",
        "/",
        &[(
            "x-amz-content-sha256".to_owned(),
            "b9d8c4a3c8bbb9f3a8c7ae0b6f7c3e9a3f4c12a5a1d4d27d2a7c0a2b3e8f9d10".to_owned(),
        )],
        b"Action=ListUsers&Version=2010-05-08",
    );
    assert_eq!(
        error(verify_at(&Verifier::new(), &request, T).0).0,
        "SignatureDoesNotMatch"
    );
}

#[test]
fn lookup_outcomes() {
    let verifier = Verifier::new();
    let request = list_users(signer());
    let sts_request = list_users(AwsSigner {
        service: "sts",
        ..signer()
    });
    let with = |request: &OwnedRequest, outcome: LookupError| {
        request
            .with(|r| verifier.verify(r, at(T), |_| Err(outcome)))
            .unwrap_err()
    };
    let unknown = with(&request, LookupError::UnknownKey);
    assert_eq!(
        (unknown.code(), unknown.message().as_str(), unknown.status()),
        (
            "InvalidClientTokenId",
            "The AWS access key provided does not exist in our records.",
            403
        )
    );
    for outcome in [LookupError::InactiveKey, LookupError::InvalidSessionToken] {
        let e = with(&request, outcome);
        assert_eq!(
            (e.code(), e.message().as_str(), e.status()),
            (
                "InvalidClientTokenId",
                "The security token included in the request is invalid",
                403
            )
        );
    }
    let expired = with(&request, LookupError::ExpiredSessionToken);
    assert_eq!(
        (expired.code(), expired.message().as_str(), expired.status()),
        (
            "ExpiredToken",
            "The security token included in the request is expired",
            403
        )
    );
    assert_eq!(
        with(&sts_request, LookupError::ExpiredSessionToken).status(),
        400
    );
    let failure = with(&request, LookupError::Unavailable);
    assert_eq!((failure.code(), failure.status()), ("ServiceFailure", 500));
}

#[test]
fn missing_authentication() {
    let request = OwnedRequest {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![("Host".into(), b"iam.amazonaws.com".to_vec())],
        body: b"Action=ListUsers&Version=2010-05-08".to_vec(),
    };
    let (result, looked_up) = verify_at(&Verifier::new(), &request, T);
    assert!(!looked_up);
    assert_eq!(
        error(result),
        (
            "MissingAuthenticationToken",
            "Request is missing Authentication Token".to_owned(),
            403
        )
    );
}

#[test]
fn a_rotated_secret_is_never_served_from_the_cache() {
    let verifier = Verifier::new();
    let old = list_users(signer());
    let new_secret = "newSecretKeyAfterRotation0000000000000000";
    let new = list_users(AwsSigner {
        secret: new_secret,
        ..signer()
    });
    let verify = |request: &OwnedRequest, secret: &str| {
        request
            .with(|r| verifier.verify(r, at(T), |_| Ok(SecretKey::new(secret))))
            .map(drop)
            .map_err(|e| e.code())
    };
    assert_eq!(verify(&old, SECRET), Ok(()));
    assert_eq!(verify(&old, SECRET), Ok(()), "warm cache");
    // The store now holds the new secret: the old signature fails, the new one passes.
    assert_eq!(verify(&old, new_secret), Err("SignatureDoesNotMatch"));
    assert_eq!(verify(&new, new_secret), Ok(()));
    assert_eq!(verify(&new, SECRET), Err("SignatureDoesNotMatch"));
    assert_eq!(verify(&old, SECRET), Ok(()));
}

#[test]
fn a_tiny_cache_stays_correct() {
    let verifier = Verifier::new().with_cache_capacity(1);
    let regions = ["us-east-1", "eu-west-1", "ap-south-1"];
    for _ in 0..3 {
        for region in regions {
            let request = list_users(AwsSigner { region, ..signer() });
            assert!(verify_at(&verifier, &request, T).0.is_ok(), "{region}");
        }
    }
}

#[test]
fn replay_inside_the_window_is_accepted() {
    // SigV4 has no nonce: AWS accepts the identical request again within the window.
    let verifier = Verifier::new();
    let request = list_users(signer());
    for offset in [0, 1, 600] {
        assert!(verify_at(&verifier, &request, T + offset).0.is_ok());
    }
}

#[test]
fn debug_output_hides_credentials() {
    let token = "FwoGZXIvYXdzSECRETTOKEN";
    let request = list_users(AwsSigner {
        token: Some(token),
        ..signer()
    });
    let verifier = Verifier::new();
    let seen = std::cell::RefCell::new(String::new());
    let verified = request
        .with(|r| {
            seen.borrow_mut().push_str(&format!("{r:?}"));
            verifier.verify(r, at(T), |k| {
                seen.borrow_mut().push_str(&format!("{k:?}"));
                Ok(SecretKey::new(SECRET))
            })
        })
        .unwrap();
    let shown = format!(
        "{} {verified:?} {verifier:?} {:?}",
        seen.borrow(),
        SecretKey::new(SECRET)
    );
    assert!(!shown.contains(token), "{shown}");
    assert!(!shown.contains("EXAMPLEKEY"), "{shown}");
    assert!(shown.contains("AKIAIOSFODNN7EXAMPLE"));
    assert_eq!(verified.session_token.as_deref(), Some(token));
}

#[test]
fn shared_across_threads() {
    let verifier = std::sync::Arc::new(Verifier::new());
    let request = list_users(signer());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let verifier = verifier.clone();
            let request = request.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    assert!(verify_at(&verifier, &request, T + 1).0.is_ok());
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let _ = Duration::ZERO;
}

/// A request another server received, checked without its body: the body's hash stands in.
#[test]
fn forwarded_requests_verify_against_the_body_hash_given() {
    let s3 = AwsSigner {
        service: "s3",
        ..signer()
    };
    let body = b"object bytes";
    let hex = |bytes: &[u8]| -> String { bytes.iter().map(|b| format!("{b:02x}")).collect() };
    let hash = {
        use sha2::{Digest, Sha256};
        hex(&Sha256::digest(body))
    };
    let request = s3.sign(
        "PUT",
        "/bucket/key",
        &[("x-amz-content-sha256".to_owned(), hash.clone())],
        body,
    );
    let mut forwarded = request.clone();
    forwarded.body.clear();
    let lookup = |k: &sigv4::KeyRequest<'_>| {
        if k.access_key_id == AKID {
            Ok(SecretKey::new(SECRET))
        } else {
            Err(LookupError::UnknownKey)
        }
    };
    // IAM's verifier takes only its services; a forwarding verifier takes any scope.
    let any = Verifier::new()
        .with_any_service()
        .with_path_normalization(false);
    let verified = forwarded
        .with(|r| any.verify_forwarded(r, &hash, at(T), lookup))
        .unwrap();
    assert_eq!(verified.service, "s3");
    assert!(
        forwarded
            .with(|r| Verifier::new().verify_forwarded(r, &hash, at(T), lookup))
            .is_err()
    );
    // Another body's hash, a malformed one, or a changed header: refused.
    let other = hex(&[7u8; 32]);
    for given in [other.as_str(), "not-a-hash", ""] {
        assert!(
            forwarded
                .with(|r| any.verify_forwarded(r, given, at(T), lookup))
                .is_err(),
            "{given}"
        );
    }
    let mut changed = forwarded.clone();
    changed.set_header("x-amz-content-sha256", other.as_bytes());
    assert!(
        changed
            .with(|r| any.verify_forwarded(r, &other, at(T), lookup))
            .is_err()
    );
    // S3's UNSIGNED-PAYLOAD is what was signed: any body goes.
    let unsigned = s3.sign(
        "PUT",
        "/bucket/key",
        &[(
            "x-amz-content-sha256".to_owned(),
            "UNSIGNED-PAYLOAD".to_owned(),
        )],
        body,
    );
    assert!(
        unsigned
            .with(|r| any.verify_forwarded(r, &other, at(T), lookup))
            .is_ok()
    );
    // verify itself never takes UNSIGNED-PAYLOAD.
    assert!(unsigned.with(|r| any.verify(r, at(T), lookup)).is_err());
}
