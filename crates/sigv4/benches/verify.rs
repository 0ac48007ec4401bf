//! Verification of a typical IAM request (POST CreateUser, header form) with a warm key cache,
//! plus the cold path (key derivation on every call) for comparison.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use sigv4::{SecretKey, Verifier};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const BODY: &[u8] = b"Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2Fdivision_abc%2F&Tags.member.1.Key=team&Tags.member.1.Value=platform";

/// Signs the benchmark request with the crate's own building blocks (the test suite shows they
/// agree with AWS byte for byte).
fn signed_headers(verifier: &Verifier) -> Vec<(&'static str, Vec<u8>)> {
    let mut headers: Vec<(&'static str, Vec<u8>)> = vec![
        ("Host", b"iam.amazonaws.com".to_vec()),
        ("Content-Type", b"application/x-www-form-urlencoded; charset=utf-8".to_vec()),
        ("User-Agent", b"Boto3/1.44.5 md/Botocore#1.44.5 ua/2.1 os/linux lang/python#3.11.7".to_vec()),
        ("X-Amz-Date", b"20260101T093000Z".to_vec()),
        ("Content-Length", BODY.len().to_string().into_bytes()),
        ("Authorization", b"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000".to_vec()),
    ];
    let view: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    let request = sigv4::Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &view,
        body: BODY,
    };
    let explained = verifier.explain(&request).unwrap();
    let key = sigv4::SigningKey::derive(&SecretKey::new(SECRET), "20260101", "us-east-1", "iam");
    let signature = key.sign(explained.signed.string_to_sign.as_bytes());
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature={signature}"
    );
    if let Some(last) = headers.last_mut() {
        last.1 = authorization.into_bytes();
    }
    headers
}

fn bench(c: &mut Criterion) {
    let now = UNIX_EPOCH + Duration::from_secs(1_767_259_860);
    for (name, verifier) in [
        ("verify iam CreateUser (warm key cache)", Verifier::new()),
        (
            "verify iam CreateUser (no key cache)",
            Verifier::new().with_cache_capacity(0),
        ),
    ] {
        let headers = signed_headers(&verifier);
        let view: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_slice())).collect();
        let request = sigv4::Request {
            method: "POST",
            path: "/",
            query: "",
            headers: &view,
            body: BODY,
        };
        verifier
            .verify(&request, now, |_| Ok(SecretKey::new(SECRET)))
            .unwrap();
        c.bench_function(name, |b| {
            b.iter(|| {
                verifier
                    .verify(black_box(&request), now, |_| Ok(SecretKey::new(SECRET)))
                    .unwrap()
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
