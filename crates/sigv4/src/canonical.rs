//! The canonical request and the string to sign, written into any [`Sink`]: a buffer when a
//! caller wants to see them, a SHA-256 hasher on the verification path (no canonical-request
//! allocation per call).

use std::borrow::Cow;

use crate::encode::{Sink, canonical_component, write_encoded};
use crate::request::Request;

pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Everything besides the request that shapes its canonical form.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CanonicalParams<'p> {
    /// The `SignedHeaders` list as the client sent it (`;`-separated).
    pub signed_headers: &'p str,
    /// Hex SHA-256 of the payload.
    pub payload_hash: &'p [u8],
    /// Normalise the path (every AWS service except S3).
    pub normalize_path: bool,
    /// Query parameters (canonical-encoded names) left out: `X-Amz-Signature` in the presigned
    /// form, and `X-Amz-Security-Token` too when a client added the token after signing.
    pub excluded_params: &'p [&'p [u8]],
}

/// Writes the canonical request: method, URI, query, headers, signed header list, payload hash.
pub(crate) fn write_canonical_request<S: Sink>(
    out: &mut S,
    request: &Request<'_>,
    params: &CanonicalParams<'_>,
) {
    out.put(request.method.as_bytes());
    out.put(b"\n");
    write_canonical_uri(out, request.path, params.normalize_path);
    out.put(b"\n");
    write_canonical_query(out, request.query, params.excluded_params);
    out.put(b"\n");
    write_canonical_headers(out, request, params.signed_headers);
    out.put(b"\n");
    out.put(params.signed_headers.as_bytes());
    out.put(b"\n");
    out.put(params.payload_hash);
}

/// Writes the string to sign, given the hex SHA-256 of the canonical request.
pub(crate) fn string_to_sign_parts<'s>(
    amz_date: &'s str,
    scope: &'s str,
    canonical_hash_hex: &'s [u8; 64],
) -> [&'s [u8]; 6] {
    [
        b"AWS4-HMAC-SHA256\n",
        amz_date.as_bytes(),
        b"\n",
        scope.as_bytes(),
        b"\n",
        canonical_hash_hex,
    ]
}

/// The canonical URI. With normalisation (all services but S3): `.` and empty segments dropped,
/// `..` removing its parent (never above the root), a trailing slash kept. Then every byte
/// outside the unreserved set and `/` is percent-encoded, including `%` itself: the path is
/// taken as received, still encoded, so it ends up encoded twice, as non-S3 services require.
pub(crate) fn write_canonical_uri<S: Sink>(out: &mut S, path: &str, normalize: bool) {
    if path.is_empty() {
        out.put(b"/");
        return;
    }
    if !normalize || is_normal_path(path) {
        if !path.starts_with('/') {
            out.put(b"/");
        }
        write_encoded(out, path.as_bytes(), true);
        return;
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    out.put(b"/");
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.put(b"/");
        }
        write_encoded(out, segment.as_bytes(), false);
    }
    // "/a/", "/a/." and "/a/b/.." all name a directory: keep its trailing slash.
    let trailing = ["/", "/.", "/.."].iter().any(|end| path.ends_with(end));
    if trailing && !segments.is_empty() {
        out.put(b"/");
    }
}

/// Whether normalisation would leave `path` unchanged (the usual case: `/`), so the hot path can
/// skip the segment vector.
fn is_normal_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    let mut segments = rest.split('/').peekable();
    while let Some(segment) = segments.next() {
        let last = segments.peek().is_none();
        match segment {
            "." | ".." => return false,
            "" if !last => return false,
            _ => {}
        }
    }
    true
}

/// A query parameter's canonical name and value.
type QueryParam<'q> = (Cow<'q, [u8]>, Cow<'q, [u8]>);

/// The canonical query: each name and value decoded then strictly re-encoded, sorted by name
/// then value (byte order), joined as `name=value` with `&`.
pub(crate) fn write_canonical_query<S: Sink>(out: &mut S, query: &str, excluded: &[&[u8]]) {
    if query.is_empty() {
        return;
    }
    let mut params: Vec<QueryParam<'_>> = Vec::new();
    for piece in query.as_bytes().split(|&b| b == b'&') {
        if piece.is_empty() {
            continue;
        }
        let (name, value) = split_pair(piece);
        let name = canonical_component(name);
        if excluded.iter().any(|e| *e == &*name) {
            continue;
        }
        params.push((name, canonical_component(value)));
    }
    params.sort_unstable();
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            out.put(b"&");
        }
        out.put(name);
        out.put(b"=");
        out.put(value);
    }
}

/// Splits `name=value` at the first `=`; a piece without one is a name with an empty value.
pub(crate) fn split_pair(piece: &[u8]) -> (&[u8], &[u8]) {
    match piece.iter().position(|&b| b == b'=') {
        Some(i) => (
            piece.get(..i).unwrap_or_default(),
            piece.get(i + 1..).unwrap_or_default(),
        ),
        None => (piece, &[]),
    }
}

/// One `name:value` line per signed header present in the request, in `SignedHeaders` order;
/// repeated headers are joined with `,` in the order received.
fn write_canonical_headers<S: Sink>(out: &mut S, request: &Request<'_>, signed_headers: &str) {
    for name in signed_headers.split(';') {
        let mut values = request.header_values(name).peekable();
        if values.peek().is_none() {
            continue;
        }
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            out.put(name.to_ascii_lowercase().as_bytes());
        } else {
            out.put(name.as_bytes());
        }
        out.put(b":");
        for (i, value) in values.enumerate() {
            if i > 0 {
                out.put(b",");
            }
            write_header_value(out, value);
        }
        out.put(b"\n");
    }
}

/// A header value with leading and trailing spaces removed and inner runs of spaces collapsed to
/// one. Only spaces: that is what AWS's own signers do (tabs are left alone), and an HTTP parser
/// has already turned any obsolete line folding into spaces.
fn write_header_value<S: Sink>(out: &mut S, value: &[u8]) {
    let start = value.iter().position(|&b| b != b' ');
    let end = value.iter().rposition(|&b| b != b' ');
    let (Some(start), Some(end)) = (start, end) else {
        return;
    };
    let Some(value) = value.get(start..=end) else {
        return;
    };
    // Most signed values hold no space at all (a session token is half a kilobyte without
    // one): a memchr scan proves it and the value is written whole, not byte by byte.
    if !value.contains(&b' ') {
        out.put(value);
        return;
    }
    let mut run_start = 0;
    let mut previous_space = false;
    for (i, &b) in value.iter().enumerate() {
        if b == b' ' && previous_space {
            if let Some(run) = value.get(run_start..i) {
                out.put(run);
            }
            run_start = i + 1;
        }
        previous_space = b == b' ';
    }
    if let Some(run) = value.get(run_start..) {
        out.put(run);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(path: &str, normalize: bool) -> String {
        let mut out = Vec::new();
        write_canonical_uri(&mut out, path, normalize);
        String::from_utf8(out).unwrap()
    }

    fn query(q: &str, excluded: &[&[u8]]) -> String {
        let mut out = Vec::new();
        write_canonical_query(&mut out, q, excluded);
        String::from_utf8(out).unwrap()
    }

    fn header_value(v: &str) -> String {
        let mut out = Vec::new();
        write_header_value(&mut out, v.as_bytes());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn canonical_uris() {
        for (path, normalized, raw) in [
            ("", "/", "/"),
            ("/", "/", "/"),
            ("//", "/", "//"),
            ("/./", "/", "/./"),
            ("/example/..", "/", "/example/.."),
            ("/a/b/../..", "/", "/a/b/../.."),
            ("/a/b/..", "/a/", "/a/b/.."),
            ("/a/.", "/a/", "/a/."),
            ("/../../a", "/a", "/../../a"),
            ("//example//", "/example/", "//example//"),
            ("/./example", "/example", "/./example"),
            ("/example space/", "/example%20space/", "/example%20space/"),
            ("/%E1%88%B4", "/%25E1%2588%25B4", "/%25E1%2588%25B4"),
            ("/a%2Fb", "/a%252Fb", "/a%252Fb"),
            ("/-._~AZaz09", "/-._~AZaz09", "/-._~AZaz09"),
            ("relative", "/relative", "/relative"),
            ("/a/b/", "/a/b/", "/a/b/"),
        ] {
            assert_eq!(uri(path, true), normalized, "normalized {path:?}");
            assert_eq!(uri(path, false), raw, "raw {path:?}");
        }
    }

    #[test]
    fn canonical_queries() {
        for (q, want) in [
            ("", ""),
            ("Param2=value2&Param1=value1", "Param1=value1&Param2=value2"),
            ("b=2&a=2&a=1", "a=1&a=2&b=2"),
            (
                "Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
                "%E1%88%B4=Value1&Param=Value2&Param-3=Value3",
            ),
            ("flag&x=", "flag=&x="),
            ("a=1&&b=2&", "a=1&b=2"),
            ("x=a%20b&y=a+b&z=%7e", "x=a%20b&y=a%2Bb&z=~"),
            (
                "Action=ListUsers&Version=2010-05-08",
                "Action=ListUsers&Version=2010-05-08",
            ),
            ("B=1&a=1", "B=1&a=1"),
        ] {
            assert_eq!(query(q, &[]), want, "{q:?}");
        }
        assert_eq!(
            query(
                "X-Amz-Signature=abc&A=1&X-Amz-Security-Token=t",
                &[b"X-Amz-Signature"]
            ),
            "A=1&X-Amz-Security-Token=t"
        );
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        assert_eq!(
            header_value("  value1  value2   value3 "),
            "value1 value2 value3"
        );
        assert_eq!(header_value("a\tb"), "a\tb");
        assert_eq!(header_value("   "), "");
        assert_eq!(header_value(""), "");
        assert_eq!(header_value("x"), "x");
        // Written whole when there is no space left after trimming.
        assert_eq!(header_value("  FwoGZXIvYXdz+/=  "), "FwoGZXIvYXdz+/=");
        assert_eq!(header_value("a b"), "a b");
    }
}
