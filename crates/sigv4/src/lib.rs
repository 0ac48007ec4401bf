//! AWS Signature Version 4 request verification, sans I/O.
//!
//! The server hands a borrowed [`Request`] and the current time to a shared [`Verifier`], with a
//! closure that looks up the secret of an access key; it gets back who signed the request
//! ([`Verified`]) or AWS's error ([`AuthError`], with code, message and HTTP status).
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use sigv4::{LookupError, Request, SecretKey, Verifier};
//!
//! let verifier = Verifier::new();
//! let request = Request {
//!     method: "POST",
//!     path: "/",
//!     query: "",
//!     headers: &[("host", b"iam.amazonaws.com")],
//!     body: b"Action=ListUsers&Version=2010-05-08",
//! };
//! let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
//! let err = verifier
//!     .verify(&request, now, |_| Err::<SecretKey, _>(LookupError::UnknownKey))
//!     .unwrap_err();
//! assert_eq!(err.code(), "MissingAuthenticationToken");
//! ```
//!
//! Invariants: no secret or derived key appears in any `Debug` output; the signature is compared
//! in constant time; cheap checks run before the key lookup; the crate does no I/O and has no
//! clock of its own.

mod canonical;
mod claim;
mod encode;
mod error;
mod keys;
mod parse;
mod request;
mod time;
mod verifier;

pub use claim::{Claim, claim};
pub use error::{AuthError, LookupError};
pub use keys::{SecretKey, SigningKey};
pub use parse::SignatureForm;
pub use request::Request;
pub use verifier::{Explanation, KeyRequest, SigningInput, Verified, Verifier};

/// Runs the parsers and the canonicalisation over arbitrary bytes, for the fuzz target (and a
/// unit test that replays adversarial inputs). Not part of the API.
///
/// The input is split at NUL bytes into method, path, query, body, then header name/value
/// pairs.
#[doc(hidden)]
pub fn fuzz_parse(data: &[u8]) {
    use std::time::{Duration, UNIX_EPOCH};

    let mut fields = data.split(|&b| b == 0);
    let mut text = || {
        fields
            .next()
            .map(|f| std::str::from_utf8(f).unwrap_or(""))
            .unwrap_or("")
    };
    let (method, path, query) = (text(), text(), text());
    let body = text().as_bytes();
    let mut headers = Vec::new();
    loop {
        let name = text();
        if name.is_empty() {
            break;
        }
        headers.push((name, text().as_bytes()));
    }
    let request = Request {
        method,
        path,
        query,
        headers: &headers,
        body,
    };
    let verifier = Verifier::new().with_services(["iam", "sts", "service"]);
    let _ = verifier.explain(&request);
    // The suite's instant, so that fuzzed dates near it get past the clock check.
    let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
    let _ = verifier.verify(&request, now, |_| Ok(SecretKey::new("secret")));
}

#[cfg(test)]
mod fuzz_tests {
    #[test]
    fn adversarial_inputs_do_not_panic() {
        let long_path = format!("/{}", "../".repeat(10_000));
        let many_params = "a=%&".repeat(10_000);
        let inputs: Vec<Vec<u8>> = vec![
            vec![],
            b"\0\0\0\0".to_vec(),
            b"GET\0/\0X-Amz-Algorithm=AWS4-HMAC-SHA256\0\0".to_vec(),
            b"GET\0/\0X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%2F%2F%2F%2F&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature=0&X-Amz-Expires=-99999999999999999999\0\0host\0x".to_vec(),
            b"POST\0\0\0\0Authorization\0AWS4-HMAC-SHA256 Credential=////, SignedHeaders=;;;, Signature=\xff\0x-amz-date\x0020150830T123600Z".to_vec(),
            b"GET\0/%\0%\0\0Authorization\0AWS4-HMAC-SHA256 Credential=a/20150830/r/iam/aws4_request,SignedHeaders=host,Signature=z\0Host\0h\0X-Amz-Date\x0020150830T123600Z\0x-amz-\0".to_vec(),
            b"GET\0/\0\0\0Authorization\0AWS4-HMAC-SHA256 =,=,=\0Date\x0099999999T999999Z".to_vec(),
            format!("GET\0{long_path}\0{many_params}\0\0authorization\0AWS4-HMAC-SHA256 Credential=a/20150830/r/iam/aws4_request,SignedHeaders=host,Signature=z\0host\0h\0x-amz-date\x0020150830T123600Z").into_bytes(),
            "GET\0/\u{1234}\0\u{1234}=\u{5678}\0\0Authorization\0AWS4-HMAC-SHA256\u{a0}Credential=é".as_bytes().to_vec(),
        ];
        for input in inputs {
            super::fuzz_parse(&input);
        }
    }
}
