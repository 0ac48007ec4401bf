//! AWS's SigV4 test suite (aws-c-auth, 38 cases, header and presigned form each): the verifier's
//! canonical request, string to sign and signature must equal AWS's byte for byte, and the
//! signed request must verify.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

mod common;

use std::path::{Path, PathBuf};

use common::{parse_http, parse_rfc3339};
use serde_json::Value;
use sigv4::{LookupError, SecretKey, SignatureForm, SigningKey, Verifier};

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sigv4-test-suite")
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("{}/{file}: {e}", dir.display()))
}

/// Checks one case in one form; returns what differs.
fn check(dir: &Path, form: &str) -> Result<(), String> {
    let context: Value = serde_json::from_str(&read(dir, "context.json")).unwrap();
    let creds = &context["credentials"];
    let access_key_id = creds["access_key_id"].as_str().unwrap();
    let secret = creds["secret_access_key"].as_str().unwrap();
    let token = creds["token"].as_str();
    let region = context["region"].as_str().unwrap();
    let service = context["service"].as_str().unwrap();
    let normalize = context["normalize"].as_bool().unwrap();
    let omit_token = context["omit_session_token"].as_bool().unwrap_or(false);
    let now = parse_rfc3339(context["timestamp"].as_str().unwrap());

    let want_canonical = read(dir, &format!("{form}-canonical-request.txt"));
    let want_sts = read(dir, &format!("{form}-string-to-sign.txt"));
    let want_signature = read(dir, &format!("{form}-signature.txt"));
    let signed = parse_http(read(dir, &format!("{form}-signed-request.txt")).as_bytes());

    let verifier = Verifier::new()
        .with_services([service])
        .with_path_normalization(normalize);
    let explanation = signed
        .with(|r| verifier.explain(r))
        .map_err(|e| format!("explain: {} {}", e.code(), e))?;
    // A client that adds the token after presigning signed the reading without it.
    let input = if form == "query" && omit_token {
        explanation
            .without_session_token
            .ok_or("no token-less reading")?
    } else {
        explanation.signed
    };
    if input.canonical_request != want_canonical {
        return Err(format!(
            "canonical request:\n{}\n--- want ---\n{want_canonical}",
            input.canonical_request
        ));
    }
    if input.string_to_sign != want_sts {
        return Err(format!(
            "string to sign:\n{}\n--- want ---\n{want_sts}",
            input.string_to_sign
        ));
    }
    let date = &context["timestamp"].as_str().unwrap().replace('-', "")[..8];
    let key = SigningKey::derive(&SecretKey::new(secret), date, region, service);
    let signature = key.sign(want_sts.as_bytes());
    if signature != want_signature {
        return Err(format!("signature {signature} != {want_signature}"));
    }

    let verified = signed
        .with(|r| {
            verifier.verify(r, now, |k| {
                assert_eq!(k.access_key_id, access_key_id);
                assert_eq!(k.session_token, token);
                Ok::<_, LookupError>(SecretKey::new(secret))
            })
        })
        .map_err(|e| format!("verify: {} {}", e.code(), e))?;
    assert_eq!(verified.access_key_id, access_key_id);
    assert_eq!(verified.region, region);
    assert_eq!(verified.service, service);
    assert_eq!(verified.session_token.as_deref(), token);
    assert_eq!(verified.signed_at, now);
    let want_form = if form == "query" {
        SignatureForm::Presigned
    } else {
        SignatureForm::Header
    };
    assert_eq!(verified.form, want_form);

    // The same request with the wrong secret must not verify.
    let wrong = signed.with(|r| verifier.verify(r, now, |_| Ok(SecretKey::new("not the secret"))));
    match wrong {
        Err(e) if e.code() == "SignatureDoesNotMatch" => Ok(()),
        other => Err(format!("wrong secret gave {other:?}")),
    }
}

#[test]
fn aws_suite_header_and_presigned() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(suite_dir())
        .expect("data/sigv4-test-suite in the repository")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("context.json").exists())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 38, "the suite has 38 cases");

    let mut passed = 0;
    let mut failures = Vec::new();
    for case in &cases {
        for form in ["header", "query"] {
            match check(case, form) {
                Ok(()) => passed += 1,
                Err(e) => failures.push(format!(
                    "{} [{form}]: {e}",
                    case.file_name().unwrap().to_string_lossy()
                )),
            }
        }
    }
    println!(
        "sigv4 suite: {passed} of {} case-forms pass",
        cases.len() * 2
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert_eq!(passed, 76);
}
