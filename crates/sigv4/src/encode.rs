//! Percent-encoding and decoding as SigV4 defines them (RFC 3986 unreserved set, upper-case hex).

use std::borrow::Cow;

/// Where canonical bytes go: a buffer (to show them) or a hasher (to sign them without
/// materialising the canonical request on the hot path).
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl Sink for sha2::Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        sha2::Digest::update(self, bytes);
    }
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// RFC 3986 unreserved characters: the only ones SigV4 leaves unencoded.
pub(crate) const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

fn hex_nibble(table: &[u8; 16], nibble: u8) -> u8 {
    table
        .get(usize::from(nibble & 0x0f))
        .copied()
        .unwrap_or(b'0')
}

/// Lower-case hex of a 32-byte digest, as SigV4 writes hashes and signatures.
pub(crate) fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        if let [hi, lo] = pair {
            *hi = hex_nibble(HEX_LOWER, b >> 4);
            *lo = hex_nibble(HEX_LOWER, b);
        }
    }
    out
}

/// Writes `bytes` percent-encoded, leaving unreserved bytes (and `/` when `keep_slash`) as they
/// are. Runs of safe bytes are written in one piece because the sink may be a hasher.
pub(crate) fn write_encoded<S: Sink>(out: &mut S, bytes: &[u8], keep_slash: bool) {
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            continue;
        }
        if let Some(run) = bytes.get(start..i) {
            out.put(run);
        }
        out.put(&[
            b'%',
            hex_nibble(HEX_UPPER, b >> 4),
            hex_nibble(HEX_UPPER, b),
        ]);
        start = i + 1;
    }
    if let Some(run) = bytes.get(start..) {
        out.put(run);
    }
}

/// Decodes `%XX` escapes. A `%` not followed by two hex digits stays literal, and `+` stays `+`:
/// SigV4 signers encode a space as `%20`, so `+` can only have been signed as itself.
pub(crate) fn decode(raw: &[u8]) -> Cow<'_, [u8]> {
    if !raw.contains(&b'%') {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        if b == b'%'
            && let (Some(hi), Some(lo)) = (
                raw.get(i + 1).copied().and_then(hex_value),
                raw.get(i + 2).copied().and_then(hex_value),
            )
        {
            out.push(hi << 4 | lo);
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    Cow::Owned(out)
}

/// Whether `raw` is already in SigV4 canonical form: only unreserved bytes and upper-case `%XX`
/// escapes of bytes that must be escaped. Well-behaved clients send exactly this, which lets the
/// verifier use the received bytes without re-encoding them.
fn is_canonical(raw: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        if is_unreserved(b) {
            i += 1;
            continue;
        }
        if b != b'%' {
            return false;
        }
        let (Some(&hi), Some(&lo)) = (raw.get(i + 1), raw.get(i + 2)) else {
            return false;
        };
        let upper_hex = |c: u8| c.is_ascii_digit() || (b'A'..=b'F').contains(&c);
        if !upper_hex(hi) || !upper_hex(lo) {
            return false;
        }
        let decoded = hex_value(hi).unwrap_or(0) << 4 | hex_value(lo).unwrap_or(0);
        if is_unreserved(decoded) {
            return false;
        }
        i += 3;
    }
    true
}

/// The canonical (decoded, then strictly re-encoded) form of a query-string key or value.
pub(crate) fn canonical_component(raw: &[u8]) -> Cow<'_, [u8]> {
    if is_canonical(raw) {
        return Cow::Borrowed(raw);
    }
    let decoded = decode(raw);
    let mut out = Vec::with_capacity(decoded.len() * 3);
    write_encoded(&mut out, &decoded, false);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(s: &[u8], keep_slash: bool) -> String {
        let mut out = Vec::new();
        write_encoded(&mut out, s, keep_slash);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn encodes_per_rfc3986() {
        assert_eq!(encoded(b"-._~azAZ09", false), "-._~azAZ09");
        assert_eq!(encoded(b"a b/c+d=", false), "a%20b%2Fc%2Bd%3D");
        assert_eq!(encoded(b"a b/c", true), "a%20b/c");
        assert_eq!(encoded("ሴ".as_bytes(), false), "%E1%88%B4");
        assert_eq!(encoded(b"%", false), "%25");
    }

    #[test]
    fn decodes_escapes_and_keeps_invalid_ones() {
        assert_eq!(&*decode(b"a%2Fb"), b"a/b");
        assert_eq!(&*decode(b"a%2fb"), b"a/b");
        assert_eq!(&*decode(b"100%"), b"100%");
        assert_eq!(&*decode(b"%zz%4"), b"%zz%4");
        assert_eq!(&*decode(b"a+b"), b"a+b");
    }

    #[test]
    fn canonical_components() {
        for (raw, want) in [
            (&b"Param1"[..], "Param1"),
            (b"%E1%88%B4", "%E1%88%B4"),
            (b"%e1%88%b4", "%E1%88%B4"),
            (b"%41", "A"),
            (b"a b", "a%20b"),
            (b"a+b", "a%2Bb"),
            (b"AKID/20150830", "AKID%2F20150830"),
            (b"%", "%25"),
        ] {
            assert_eq!(&*canonical_component(raw), want.as_bytes(), "{raw:?}");
        }
    }

    #[test]
    fn hex_is_lower_case() {
        let mut bytes = [0u8; 32];
        bytes[0] = 0xab;
        bytes[31] = 0x0f;
        let hex = hex32(&bytes);
        assert!(hex.starts_with(b"ab00"));
        assert!(hex.ends_with(b"0f"));
    }
}
