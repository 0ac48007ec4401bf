//! The tamper matrix: for a set of valid requests, every single-field change is rejected, each
//! with the AWS error code that field's check produces.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

mod common;

use std::time::SystemTime;

use common::{AwsSigner, OwnedRequest, at, encode, parse_http};
use sigv4::{LookupError, SecretKey, SignatureForm, Verifier};

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const TEMP_AKID: &str = "ASIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLE/session+token==";
/// 2026-01-01T09:30:00Z.
const T: u64 = 1_767_259_800;

/// A valid request and what verifying it needs.
struct Base {
    name: &'static str,
    request: OwnedRequest,
    verifier: Verifier,
    now: SystemTime,
    access_key_id: &'static str,
    secret: &'static str,
    /// The one session token the lookup accepts for this key.
    token: Option<&'static str>,
    /// Seconds the request stays valid (presigned) after its date.
    presigned_for: Option<u64>,
}

impl Base {
    fn verify_at(&self, request: &OwnedRequest, now: SystemTime) -> Result<(), String> {
        request
            .with(|r| {
                self.verifier.verify(r, now, |k| {
                    if k.access_key_id != self.access_key_id {
                        return Err(LookupError::UnknownKey);
                    }
                    if k.session_token != self.token {
                        return Err(LookupError::InvalidSessionToken);
                    }
                    Ok(SecretKey::new(self.secret))
                })
            })
            .map(drop)
            .map_err(|e| format!("{}: {e}", e.code()))
    }

    fn form(&self) -> SignatureForm {
        if self.request.header("authorization").is_some() {
            SignatureForm::Header
        } else {
            SignatureForm::Presigned
        }
    }
}

fn form_headers() -> Vec<(String, String)> {
    vec![(
        "content-type".to_owned(),
        "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
    )]
}

fn bases() -> Vec<Base> {
    let long_term = AwsSigner {
        access_key_id: AKID,
        secret: SECRET,
        token: None,
        region: "us-east-1",
        service: "iam",
        time: T,
        presign_for: None,
    };
    let temporary = AwsSigner {
        access_key_id: TEMP_AKID,
        token: Some(TOKEN),
        service: "sts",
        region: "eu-west-1",
        ..long_term
    };
    let base = |name, request, access_key_id, token, presigned_for| Base {
        name,
        request,
        verifier: Verifier::new(),
        now: at(T + 60),
        access_key_id,
        secret: SECRET,
        token,
        presigned_for,
    };
    let suite = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/sigv4-test-suite/post-sts-header-after/header-signed-request.txt");
    let suite_request = parse_http(&std::fs::read(suite).unwrap());
    vec![
        base(
            "iam CreateUser, header form",
            long_term.sign(
                "POST",
                "/",
                &form_headers(),
                b"Action=CreateUser&UserName=alice&Path=%2Fdivision_abc%2F&Version=2010-05-08",
            ),
            AKID,
            None,
            None,
        ),
        base(
            "iam ListUsers GET with query, header form",
            long_term.sign(
                "GET",
                "/?Action=ListUsers&Version=2010-05-08&MaxItems=10&PathPrefix=%2Fdivision_abc%2F",
                &[],
                b"",
            ),
            AKID,
            None,
            None,
        ),
        base(
            "sts GetCallerIdentity, signed session token",
            temporary.sign(
                "POST",
                "/",
                &form_headers(),
                b"Action=GetCallerIdentity&Version=2011-06-15",
            ),
            TEMP_AKID,
            Some(TOKEN),
            None,
        ),
        base(
            "sts GetCallerIdentity, presigned with token",
            AwsSigner {
                presign_for: Some(900),
                ..temporary
            }
            .sign(
                "GET",
                "/?Action=GetCallerIdentity&Version=2011-06-15",
                &[],
                b"",
            ),
            TEMP_AKID,
            Some(TOKEN),
            Some(900),
        ),
        Base {
            name: "aws suite post-sts-header-after, unsigned session token",
            request: suite_request,
            verifier: Verifier::new().with_services(["service"]),
            now: at(1_440_938_160),
            access_key_id: "AKIDEXAMPLE",
            secret: SECRET,
            token: Some(
                "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==",
            ),
            presigned_for: None,
        },
    ]
}

/// The signature fields, wherever the form keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Algorithm,
    Credential,
    SignedHeaders,
    Signature,
}

impl Field {
    fn query_name(self) -> &'static str {
        match self {
            Self::Algorithm => "X-Amz-Algorithm",
            Self::Credential => "X-Amz-Credential",
            Self::SignedHeaders => "X-Amz-SignedHeaders",
            Self::Signature => "X-Amz-Signature",
        }
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn join_query(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn authorization(request: &OwnedRequest) -> Option<(String, [String; 3])> {
    let header = std::str::from_utf8(request.header("authorization")?).unwrap();
    let (algorithm, rest) = header.split_once(' ').unwrap();
    let mut parts = [String::new(), String::new(), String::new()];
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=').unwrap();
        let slot = ["Credential", "SignedHeaders", "Signature"]
            .iter()
            .position(|n| *n == k)
            .unwrap();
        parts[slot] = v.to_owned();
    }
    Some((algorithm.to_owned(), parts))
}

fn get(request: &OwnedRequest, field: Field) -> String {
    if let Some((algorithm, parts)) = authorization(request) {
        return match field {
            Field::Algorithm => algorithm,
            Field::Credential => parts[0].clone(),
            Field::SignedHeaders => parts[1].clone(),
            Field::Signature => parts[2].clone(),
        };
    }
    let pairs = query_pairs(&request.query);
    let (_, v) = pairs.iter().find(|(k, _)| k == field.query_name()).unwrap();
    decode(v)
}

fn set(request: &OwnedRequest, field: Field, value: &str) -> OwnedRequest {
    let mut out = request.clone();
    if let Some((mut algorithm, mut parts)) = authorization(request) {
        match field {
            Field::Algorithm => algorithm = value.to_owned(),
            Field::Credential => parts[0] = value.to_owned(),
            Field::SignedHeaders => parts[1] = value.to_owned(),
            Field::Signature => parts[2] = value.to_owned(),
        }
        let header = format!(
            "{algorithm} Credential={}, SignedHeaders={}, Signature={}",
            parts[0], parts[1], parts[2]
        );
        out.set_header("authorization", header.as_bytes());
        return out;
    }
    let mut pairs = query_pairs(&request.query);
    for (k, v) in &mut pairs {
        if k == field.query_name() {
            *v = encode(value);
        }
    }
    out.query = join_query(&pairs);
    out
}

/// One tampered request and the code it must be rejected with.
struct Tamper {
    what: String,
    request: OwnedRequest,
    now: SystemTime,
    code: &'static str,
}

const MISMATCH: &str = "SignatureDoesNotMatch";
const INCOMPLETE: &str = "IncompleteSignature";
const INVALID_TOKEN: &str = "InvalidClientTokenId";

fn tampers(base: &Base) -> Vec<Tamper> {
    let original = &base.request;
    let mut out = Vec::new();
    let mut push = |what: String, request: OwnedRequest, code: &'static str| {
        out.push(Tamper {
            what,
            request,
            now: base.now,
            code,
        });
    };

    // Method.
    for method in ["GET", "POST", "PUT", "get"] {
        if method != original.method {
            let mut r = original.clone();
            r.method = method.to_owned();
            push(format!("method {method}"), r, MISMATCH);
        }
    }

    // Path.
    for path in ["/x", "//", "/%2F", ""] {
        let mut r = original.clone();
        r.path = path.to_owned();
        // "//" and "" normalise to "/", the original path: they are the same request.
        let code = if matches!(path, "//" | "") {
            None
        } else {
            Some(MISMATCH)
        };
        if let Some(code) = code {
            push(format!("path {path:?}"), r, code);
        }
    }

    // Each query key and value.
    let pairs = query_pairs(&original.query);
    for (i, (key, value)) in pairs.iter().enumerate() {
        let key_code = match key.as_str() {
            // Without X-Amz-Algorithm the request carries no signature at all.
            "X-Amz-Algorithm" => "MissingAuthenticationToken",
            "X-Amz-Credential" | "X-Amz-Signature" | "X-Amz-SignedHeaders" | "X-Amz-Date" => {
                INCOMPLETE
            }
            // Without its token the temporary key is refused by the lookup.
            "X-Amz-Security-Token" => INVALID_TOKEN,
            _ => MISMATCH,
        };
        let mut renamed = pairs.clone();
        renamed[i].0 = format!("{key}x");
        let mut r = original.clone();
        r.query = join_query(&renamed);
        push(format!("query key {key}"), r, key_code);

        let value_code = match key.as_str() {
            // (An Expires of 9000 is still valid, so that change meets the signature.)
            "X-Amz-Algorithm" | "X-Amz-Date" => INCOMPLETE,
            "X-Amz-Security-Token" => INVALID_TOKEN,
            _ => MISMATCH,
        };
        let mut changed = pairs.clone();
        changed[i].1 = format!("{value}0");
        let mut r = original.clone();
        r.query = join_query(&changed);
        push(format!("query value {key}"), r, value_code);
    }
    // An added query parameter.
    let mut r = original.clone();
    r.query = if r.query.is_empty() {
        "a=b".to_owned()
    } else {
        format!("{}&a=b", r.query)
    };
    push("added query parameter".to_owned(), r, MISMATCH);

    // Each signed header's value.
    let signed_headers = get(original, Field::SignedHeaders);
    for name in signed_headers.split(';') {
        let Some(value) = original.header(name) else {
            continue;
        };
        let mut changed = value.to_vec();
        changed.push(b'0');
        let mut r = original.clone();
        r.set_header(name, &changed);
        let code = match name {
            "x-amz-date" => INCOMPLETE,
            "x-amz-security-token" => INVALID_TOKEN,
            _ => MISMATCH,
        };
        push(format!("signed header {name}"), r, code);
    }
    // An unsigned session token header is validated by the lookup instead.
    if !signed_headers.contains("x-amz-security-token")
        && original.header("x-amz-security-token").is_some()
    {
        let mut r = original.clone();
        r.set_header("x-amz-security-token", b"forged");
        push("unsigned session token".to_owned(), r, INVALID_TOKEN);
    }
    // A duplicated signed header (joined with ',' in the canonical request).
    let mut r = original.clone();
    r.headers
        .push(("host".to_owned(), b"evil.example".to_vec()));
    push("second host header".to_owned(), r, MISMATCH);
    // Added unsigned x-amz-* headers.
    for name in ["x-amz-foo", "X-Amz-Target", "x-amz-content-sha256"] {
        let mut r = original.clone();
        r.headers.push((
            name.to_owned(),
            b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_vec(),
        ));
        push(format!("unsigned header {name}"), r, MISMATCH);
    }

    // The body: first, middle and last byte, one byte more, one byte less.
    let body = &original.body;
    let mut bodies = Vec::new();
    for i in [0, body.len() / 2, body.len().saturating_sub(1)] {
        if i < body.len() {
            let mut b = body.clone();
            b[i] ^= 0x01;
            bodies.push((format!("body byte {i}"), b));
        }
    }
    let mut longer = body.clone();
    longer.push(b'&');
    bodies.push(("body byte appended".to_owned(), longer));
    if !body.is_empty() {
        bodies.push((
            "body byte removed".to_owned(),
            body[..body.len() - 1].to_vec(),
        ));
    }
    for (what, b) in bodies {
        let mut r = original.clone();
        r.body = b;
        push(what, r, MISMATCH);
    }

    // The clock one second past either end of the window.
    let signed_at = at(T).max(base.now - std::time::Duration::from_secs(60));
    let window_end = base.presigned_for.unwrap_or(900);
    out.push(Tamper {
        what: "clock one second past the window".to_owned(),
        request: original.clone(),
        now: signed_at + std::time::Duration::from_secs(window_end + 1),
        code: if base.presigned_for.is_some() {
            "AccessDenied"
        } else {
            MISMATCH
        },
    });
    out.push(Tamper {
        what: "clock one second before the window".to_owned(),
        request: original.clone(),
        now: signed_at - std::time::Duration::from_secs(901),
        code: MISMATCH,
    });
    let mut push = |what: String, request: OwnedRequest, code: &'static str| {
        out.push(Tamper {
            what,
            request,
            now: base.now,
            code,
        });
    };

    // The credential scope: each part.
    let credential = get(original, Field::Credential);
    let parts: Vec<&str> = credential.split('/').collect();
    let other_service = if parts[3] == "iam" { "sts" } else { "iam" };
    let next_day = {
        let d: u32 = parts[1].parse().unwrap();
        (d + 1).to_string()
    };
    let scope_changes: [(usize, &str, &str, &'static str); 7] = [
        (0, "AKIAIOSFODNN7EXAMPLF", "access key id", INVALID_TOKEN),
        (1, next_day.as_str(), "scope date", MISMATCH),
        (2, "ap-south-2", "scope region", MISMATCH),
        (
            3,
            other_service,
            "scope service (another allowed one)",
            MISMATCH,
        ),
        (3, "s3", "scope service (not allowed)", MISMATCH),
        (4, "aws4_requesu", "scope terminator", MISMATCH),
        (4, "aws4_request/extra", "scope with six parts", INCOMPLETE),
    ];
    for (index, value, what, code) in scope_changes {
        let mut p = parts.clone();
        p[index] = value;
        let code = if index == 3 && base.name.starts_with("aws suite") {
            MISMATCH
        } else {
            code
        };
        push(
            what.to_owned(),
            set(original, Field::Credential, &p.join("/")),
            code,
        );
    }

    // SignedHeaders: drop each header, add one, reorder.
    let names: Vec<&str> = signed_headers.split(';').collect();
    for i in 0..names.len() {
        let mut fewer = names.clone();
        let removed = fewer.remove(i);
        // host: "'Host' must be a 'SignedHeader'"; x-amz-*: likewise; others: the signature.
        // An empty list is a missing part.
        let code = if fewer.is_empty() {
            INCOMPLETE
        } else {
            MISMATCH
        };
        push(
            format!("SignedHeaders without {removed}"),
            set(original, Field::SignedHeaders, &fewer.join(";")),
            code,
        );
    }
    let mut more = names.clone();
    more.push("user-agent");
    push(
        "SignedHeaders plus user-agent".to_owned(),
        set(original, Field::SignedHeaders, &more.join(";")),
        MISMATCH,
    );
    if names.len() > 1 {
        let mut reversed = names.clone();
        reversed.reverse();
        push(
            "SignedHeaders reordered".to_owned(),
            set(original, Field::SignedHeaders, &reversed.join(";")),
            MISMATCH,
        );
    }
    push(
        "SignedHeaders upper-cased".to_owned(),
        set(
            original,
            Field::SignedHeaders,
            &signed_headers.to_uppercase(),
        ),
        MISMATCH,
    );

    // Each signature nibble, then its case and length.
    let signature = get(original, Field::Signature);
    for i in 0..signature.len() {
        let mut s = signature.clone().into_bytes();
        s[i] = if s[i] == b'0' { b'1' } else { b'0' };
        push(
            format!("signature nibble {i}"),
            set(original, Field::Signature, std::str::from_utf8(&s).unwrap()),
            MISMATCH,
        );
    }
    push(
        "signature upper-cased".to_owned(),
        set(original, Field::Signature, &signature.to_uppercase()),
        MISMATCH,
    );
    push(
        "signature truncated".to_owned(),
        set(original, Field::Signature, &signature[..63]),
        MISMATCH,
    );

    // The algorithm.
    for algorithm in [
        "AWS4-HMAC-SHA512",
        "AWS4-ECDSA-P256-SHA256",
        "aws4-hmac-sha256",
    ] {
        push(
            format!("algorithm {algorithm}"),
            set(original, Field::Algorithm, algorithm),
            INCOMPLETE,
        );
    }
    out
}

#[test]
fn every_single_field_change_is_rejected_with_the_right_code() {
    let mut total = 0;
    let mut failures = Vec::new();
    for base in bases() {
        base.verify_at(&base.request, base.now)
            .unwrap_or_else(|e| panic!("{} must verify untouched: {e}", base.name));
        assert!(matches!(
            base.form(),
            SignatureForm::Header | SignatureForm::Presigned
        ));
        for tamper in tampers(&base) {
            total += 1;
            match base.verify_at(&tamper.request, tamper.now) {
                Err(e) if e.starts_with(&format!("{}:", tamper.code)) => {}
                other => failures.push(format!(
                    "{} / {}: want {}, got {other:?}",
                    base.name, tamper.what, tamper.code
                )),
            }
        }
    }
    println!(
        "tamper matrix: {} of {total} single-field changes rejected with the right code",
        total - failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(total > 400, "only {total} tamper cases");
}
