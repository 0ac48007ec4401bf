//! Requests recorded from real clients (boto3, a botocore presigned URL, the aws CLI) against a
//! local listener, replayed with the clock set to their capture time. `captured/capture.py`
//! regenerates `captured/requests.json`. A fixture entry with `expect_error` is one AWS refuses
//! (botocore's default presigned URL is signed for POST and cannot be fetched with GET).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

mod common;

use std::time::Duration;

use common::{OwnedRequest, at};
use serde_json::Value;
use sigv4::{SecretKey, SignatureForm, Verifier};

#[test]
fn captured_client_requests_verify() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/captured/requests.json");
    let captured: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(
        captured.len() >= 7,
        "fixture holds {} requests",
        captured.len()
    );
    let verifier = Verifier::new();
    let mut presigned = 0;
    let mut refused = 0;
    for entry in &captured {
        let what = format!("{} / {}", entry["client"], entry["note"]);
        let request = OwnedRequest {
            method: entry["method"].as_str().unwrap().to_owned(),
            path: entry["path"].as_str().unwrap().to_owned(),
            query: entry["query"].as_str().unwrap().to_owned(),
            headers: entry["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| {
                    (
                        h[0].as_str().unwrap().to_owned(),
                        h[1].as_str().unwrap().as_bytes().to_vec(),
                    )
                })
                .collect(),
            body: entry["body"].as_str().unwrap().as_bytes().to_vec(),
        };
        let access_key_id = entry["access_key_id"].as_str().unwrap();
        let secret = entry["secret_access_key"].as_str().unwrap();
        let token = entry["session_token"].as_str();
        let captured_at = at(entry["captured_at"].as_u64().unwrap());

        let result =
            request.with(|r| verifier.verify(r, captured_at, |_| Ok(SecretKey::new(secret))));
        if let Some(code) = entry["expect_error"].as_str() {
            assert_eq!(result.unwrap_err().code(), code, "{what}");
            refused += 1;
            continue;
        }
        let verified = request
            .with(|r| {
                verifier.verify(r, captured_at, |k| {
                    assert_eq!(k.access_key_id, access_key_id, "{what}");
                    assert_eq!(k.session_token, token, "{what}");
                    Ok(SecretKey::new(secret))
                })
            })
            .unwrap_or_else(|e| panic!("{what}: {}: {e}", e.code()));
        assert_eq!(verified.access_key_id, access_key_id);
        assert_eq!(verified.session_token.as_deref(), token);
        if verified.form == SignatureForm::Presigned {
            presigned += 1;
        }

        // The same bytes twenty minutes later are refused (presigned: after X-Amz-Expires).
        let late = request.with(|r| {
            verifier.verify(r, captured_at + Duration::from_secs(20 * 60), |_| {
                Ok(SecretKey::new(secret))
            })
        });
        let want = if verified.form == SignatureForm::Presigned {
            "AccessDenied"
        } else {
            "SignatureDoesNotMatch"
        };
        assert_eq!(late.unwrap_err().code(), want, "{what}");
    }
    assert!(presigned >= 1, "the fixture has a presigned URL");
    assert!(refused >= 1, "the fixture has a request AWS refuses");
    println!(
        "captured: {} client requests verified, {refused} refused as AWS refuses them",
        captured.len() - refused
    );
}
