//! Finding and parsing the signature in a request: the `Authorization` header form or the
//! presigned query-string form. Only syntax here, in AWS's order; meaning is checked by the
//! verifier.

use std::borrow::Cow;

use crate::canonical::{ALGORITHM, split_pair};
use crate::encode::decode;
use crate::error::AuthError;
use crate::request::Request;

/// Where the signature was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureForm {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
    Header,
    /// Presigned: `X-Amz-Algorithm`, `X-Amz-Credential`, ... in the query string.
    Presigned,
}

/// The signature fields of a request, borrowed from it where no decoding was needed.
#[derive(Debug)]
pub(crate) struct Parsed<'a> {
    pub form: SignatureForm,
    pub credential: Cow<'a, str>,
    pub signed_headers: Cow<'a, str>,
    pub signature: Cow<'a, str>,
    /// `X-Amz-Date` (or, in the header form only, a `Date` header in the same format).
    pub amz_date: Cow<'a, str>,
    /// `X-Amz-Expires`, presigned form only.
    pub expires: Option<Cow<'a, str>>,
    pub session_token: Option<Cow<'a, str>>,
}

const MSG_QUERY_REEXAMINE: &str = "Re-examine the query-string parameters.";

/// Locates the signature and checks its syntax: presence, algorithm, `key=value` pairs and the
/// required parts, each failure with AWS's code and message.
pub(crate) fn parse<'a>(request: &Request<'a>) -> Result<Parsed<'a>, AuthError> {
    let authorization = request.header("authorization");
    let query_algorithm = query_param(request.query, b"X-Amz-Algorithm");
    match (authorization, query_algorithm) {
        (None, None) => Err(AuthError::MissingAuthenticationToken),
        // Two signatures: AWS refuses to pick one.
        (Some(_), Some(_)) => Err(AuthError::mismatch()),
        (Some(header), None) => parse_header(request, header),
        (None, Some(algorithm)) => parse_query(request, &algorithm),
    }
}

fn unsupported_algorithm(algorithm: &str) -> AuthError {
    AuthError::IncompleteSignature(format!(
        "Unsupported AWS 'algorithm': '{algorithm}' (only {ALGORITHM} for now)."
    ))
}

fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    // `from_utf8` checks ASCII a word at a time; `from_utf8_lossy` walks chunk by chunk,
    // which showed in profiles for the kilobyte of a session token.
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

fn parse_header<'a>(request: &Request<'a>, header: &'a [u8]) -> Result<Parsed<'a>, AuthError> {
    let header = header.trim_ascii();
    let (algorithm, rest) = match header.iter().position(|&b| b == b' ') {
        Some(i) => (
            header.get(..i).unwrap_or_default(),
            header.get(i + 1..).unwrap_or_default(),
        ),
        None => (header, &[][..]),
    };
    if algorithm != ALGORITHM.as_bytes() {
        return Err(unsupported_algorithm(&lossy(algorithm)));
    }
    let Ok(rest) = std::str::from_utf8(rest) else {
        return Err(AuthError::IncompleteSignature(format!(
            "'{}' not a valid key=value pair (missing equal-sign) in Authorization header: '{}'",
            lossy(rest),
            lossy(header)
        )));
    };

    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((key, value)) = part.split_once('=') else {
            return Err(AuthError::IncompleteSignature(format!(
                "'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{}'",
                lossy(header)
            )));
        };
        // A repeated key: the last one counts, as in AWS.
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        *slot = Some(value).filter(|v| !v.is_empty());
    }
    let amz_date = request
        .header("x-amz-date")
        .or_else(|| request.header("date"));

    let mut missing = Vec::new();
    if credential.is_none() {
        missing.push("Authorization header requires 'Credential' parameter.");
    }
    if signature.is_none() {
        missing.push("Authorization header requires 'Signature' parameter.");
    }
    if signed_headers.is_none() {
        missing.push("Authorization header requires 'SignedHeaders' parameter.");
    }
    if amz_date.is_none() {
        missing.push(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        );
    }
    match (credential, signed_headers, signature, amz_date) {
        (Some(credential), Some(signed_headers), Some(signature), Some(amz_date))
            if missing.is_empty() =>
        {
            Ok(Parsed {
                form: SignatureForm::Header,
                credential: Cow::Borrowed(credential),
                signed_headers: Cow::Borrowed(signed_headers),
                signature: Cow::Borrowed(signature),
                amz_date: lossy(amz_date),
                expires: None,
                session_token: request.header("x-amz-security-token").map(lossy),
            })
        }
        _ => Err(AuthError::IncompleteSignature(format!(
            "{} Authorization={}",
            missing.join(" "),
            lossy(header)
        ))),
    }
}

fn parse_query<'a>(request: &Request<'a>, algorithm: &str) -> Result<Parsed<'a>, AuthError> {
    if algorithm != ALGORITHM {
        return Err(unsupported_algorithm(algorithm));
    }
    let query = request.query;
    let credential = query_param(query, b"X-Amz-Credential").filter(|v| !v.is_empty());
    let signature = query_param(query, b"X-Amz-Signature").filter(|v| !v.is_empty());
    let signed_headers = query_param(query, b"X-Amz-SignedHeaders").filter(|v| !v.is_empty());
    let amz_date = query_param(query, b"X-Amz-Date").filter(|v| !v.is_empty());

    let mut missing = String::new();
    for (name, value) in [
        ("X-Amz-Credential", credential.is_some()),
        ("X-Amz-Signature", signature.is_some()),
        ("X-Amz-SignedHeaders", signed_headers.is_some()),
        ("X-Amz-Date", amz_date.is_some()),
    ] {
        if !value {
            missing.push_str("AWS query-string parameters must include '");
            missing.push_str(name);
            missing.push_str("'. ");
        }
    }
    match (credential, signed_headers, signature, amz_date) {
        (Some(credential), Some(signed_headers), Some(signature), Some(amz_date)) => Ok(Parsed {
            form: SignatureForm::Presigned,
            credential,
            signed_headers,
            signature,
            amz_date,
            expires: query_param(query, b"X-Amz-Expires"),
            session_token: query_param(query, b"X-Amz-Security-Token"),
        }),
        _ => Err(AuthError::IncompleteSignature(format!(
            "{missing}{MSG_QUERY_REEXAMINE}"
        ))),
    }
}

/// The decoded value of the first query parameter whose decoded name is `name`.
fn query_param<'a>(query: &'a str, name: &[u8]) -> Option<Cow<'a, str>> {
    query
        .as_bytes()
        .split(|&b| b == b'&')
        .map(split_pair)
        .find(|(key, _)| *decode(key) == *name)
        .map(|(_, value)| match decode(value) {
            Cow::Borrowed(bytes) => lossy(bytes),
            Cow::Owned(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(query: &'a str, headers: &'a [(&'a str, &'a [u8])]) -> Request<'a> {
        Request {
            method: "GET",
            path: "/",
            query,
            headers,
            body: b"",
        }
    }

    fn err(query: &str, headers: &[(&str, &[u8])]) -> (String, String) {
        let e = parse(&request(query, headers)).unwrap_err();
        (e.code().to_owned(), e.message())
    }

    #[test]
    fn missing_everything() {
        assert_eq!(
            err("Action=ListUsers", &[("host", b"x")]),
            (
                "MissingAuthenticationToken".into(),
                "Request is missing Authentication Token".into()
            )
        );
    }

    #[test]
    fn header_form_errors() {
        let cases: &[(&[u8], &str)] = &[
            (
                b"Basic dXNlcjpwYXNz",
                "Unsupported AWS 'algorithm': 'Basic' (only AWS4-HMAC-SHA256 for now).",
            ),
            (
                b"AWS4-HMAC-SHA256",
                "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256",
            ),
            (
                b"AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request",
                "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request",
            ),
            (
                b"AWS4-HMAC-SHA256 Credential=a, Signature",
                "'Signature' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential=a, Signature'",
            ),
        ];
        for (header, message) in cases {
            let headers: &[(&str, &[u8])] = &[
                ("Authorization", header),
                ("X-Amz-Date", b"20150830T123600Z"),
            ];
            assert_eq!(
                err("", headers),
                ("IncompleteSignature".into(), (*message).into()),
                "{}",
                String::from_utf8_lossy(header)
            );
        }
        let headers: &[(&str, &[u8])] = &[(
            "authorization",
            b"AWS4-HMAC-SHA256 Credential=a, SignedHeaders=host, Signature=b",
        )];
        assert_eq!(
            err("", headers).1,
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=a, SignedHeaders=host, Signature=b"
        );
    }

    #[test]
    fn query_form_errors() {
        assert_eq!(
            err("X-Amz-Algorithm=AWS4-HMAC-SHA1", &[]),
            (
                "IncompleteSignature".into(),
                "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1' (only AWS4-HMAC-SHA256 for now)."
                    .into()
            )
        );
        assert_eq!(
            err(
                "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20150830T123600Z",
                &[]
            )
            .1,
            "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters."
        );
        assert_eq!(
            err(
                "X-Amz-Algorithm=AWS4-HMAC-SHA256",
                &[("Authorization", b"AWS4-HMAC-SHA256")]
            )
            .0,
            "SignatureDoesNotMatch"
        );
    }

    #[test]
    fn parses_both_forms() {
        let headers: &[(&str, &[u8])] = &[
            ("Authorization", b"AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request,SignedHeaders=host;x-amz-date, Signature=abc"),
            ("X-Amz-Date", b"20150830T123600Z"),
            ("X-Amz-Security-Token", b"tok"),
        ];
        let p = parse(&request("", headers)).unwrap();
        assert_eq!(p.form, SignatureForm::Header);
        assert_eq!(p.credential, "AKID/20150830/us-east-1/iam/aws4_request");
        assert_eq!(p.signed_headers, "host;x-amz-date");
        assert_eq!(p.signature, "abc");
        assert_eq!(p.session_token.as_deref(), Some("tok"));

        let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Security-Token=a%2Bb&X-Amz-Signature=abc";
        let p = parse(&request(q, &[])).unwrap();
        assert_eq!(p.form, SignatureForm::Presigned);
        assert_eq!(p.credential, "AKID/20150830/us-east-1/sts/aws4_request");
        assert_eq!(p.expires.as_deref(), Some("60"));
        assert_eq!(p.session_token.as_deref(), Some("a+b"));
    }
}
