//! Helpers shared by the integration tests: an owned request that lends a `sigv4::Request`, and
//! a parser for raw HTTP/1.1 request text like the AWS suite's `*-signed-request.txt` files.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]
#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A request that owns its parts; `view` lends it to the verifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl OwnedRequest {
    pub fn with<R>(&self, f: impl FnOnce(&sigv4::Request<'_>) -> R) -> R {
        let headers: Vec<(&str, &[u8])> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        f(&sigv4::Request {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body: &self.body,
        })
    }

    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    pub fn set_header(&mut self, name: &str, value: &[u8]) {
        for (n, v) in &mut self.headers {
            if n.eq_ignore_ascii_case(name) {
                *v = value.to_vec();
            }
        }
    }

    pub fn set_target(&mut self, target: &str) {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        self.path = path.to_owned();
        self.query = query.to_owned();
    }
}

/// Parses `METHOD target HTTP/1.1`, `Name:value` lines (continuation lines unfolded to one
/// space, as an HTTP parser does), a blank line and the body. The target may contain spaces.
pub fn parse_http(text: &[u8]) -> OwnedRequest {
    let text = std::str::from_utf8(text).expect("utf-8 request text");
    let (head, body) = match text.split_once("\n\n") {
        Some((head, body)) => (head, body),
        None => (text.trim_end_matches('\n'), ""),
    };
    let mut lines = head.split('\n');
    let request_line = lines.next().expect("request line");
    let (method, rest) = request_line.split_once(' ').expect("method");
    let target = rest.strip_suffix(" HTTP/1.1").expect("HTTP/1.1");
    let mut request = OwnedRequest {
        method: method.to_owned(),
        path: String::new(),
        query: String::new(),
        headers: Vec::new(),
        body: body.as_bytes().to_vec(),
    };
    request.set_target(target);
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let (_, value) = request.headers.last_mut().expect("header to continue");
            value.push(b' ');
            value.extend_from_slice(line.as_bytes());
            continue;
        }
        let (name, value) = line.split_once(':').expect("header colon");
        request
            .headers
            .push((name.to_owned(), value.as_bytes().to_vec()));
    }
    request
}

pub fn at(unix: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix)
}

/// `2015-08-30T12:36:00Z` to a `SystemTime`.
pub fn parse_rfc3339(s: &str) -> SystemTime {
    let compact: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    let n = |r: std::ops::Range<usize>| compact[r].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(4..6), n(6..8));
    // days_from_civil, as in the crate (kept separate so the test does not trust the crate).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2.rem_euclid(400);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let secs = days * 86_400 + n(8..10) * 3600 + n(10..12) * 60 + n(12..14);
    at(u64::try_from(secs).unwrap())
}

/// Strict RFC 3986 encoding, as SDKs put components on the wire.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Signs requests with AWS's own Rust signer, `aws-sigv4`, as the Rust SDK does.
#[derive(Debug, Clone, Copy)]
pub struct AwsSigner<'a> {
    pub access_key_id: &'a str,
    pub secret: &'a str,
    pub token: Option<&'a str>,
    pub region: &'a str,
    pub service: &'a str,
    pub time: u64,
    /// Presign for this many seconds instead of signing in the `Authorization` header.
    pub presign_for: Option<u64>,
}

impl AwsSigner<'_> {
    /// Signs `method target` (target already percent-encoded) with a `host` header, the given
    /// headers and body; returns the request as a server would receive it.
    pub fn sign(
        &self,
        method: &str,
        target: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> OwnedRequest {
        use aws_credential_types::Credentials;
        use aws_sigv4::http_request::{
            SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
        };
        use aws_sigv4::sign::v4;

        let unsigned = headers.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("x-amz-content-sha256") && value == "UNSIGNED-PAYLOAD"
        });
        let uri = format!("https://castellan.example.test{target}");
        let mut builder = http::Request::builder()
            .method(method)
            .uri(&uri)
            .header("host", "castellan.example.test");
        for (name, value) in headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let mut request = builder.body(body.to_vec()).unwrap();

        let identity = Credentials::new(
            self.access_key_id,
            self.secret,
            self.token.map(str::to_owned),
            None,
            "test",
        )
        .into();
        let mut settings = SigningSettings::default();
        if let Some(seconds) = self.presign_for {
            settings.signature_location = SignatureLocation::QueryParams;
            settings.expires_in = Some(Duration::from_secs(seconds));
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(self.region)
            .name(self.service)
            .time(at(self.time))
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let header_pairs: Vec<(&str, &str)> = request
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str(), v.to_str().unwrap()))
            .collect();
        let signable = SignableRequest::new(
            method,
            uri.clone(),
            header_pairs.into_iter(),
            // S3's unsigned payload, when the request says so.
            if unsigned {
                SignableBody::UnsignedPayload
            } else {
                SignableBody::Bytes(body)
            },
        )
        .unwrap();
        let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();
        instructions.apply_to_request_http1x(&mut request);

        OwnedRequest {
            method: request.method().as_str().to_owned(),
            path: request.uri().path().to_owned(),
            query: request.uri().query().unwrap_or("").to_owned(),
            headers: request
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
                .collect(),
            body: request.body().clone(),
        }
    }
}
