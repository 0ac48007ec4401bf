//! Secret material: the secret access key, the derived signing key, and HMAC-SHA256 over them.
//!
//! Both key types are newtypes with a redacted `Debug` and are zeroized when dropped, so neither
//! can reach a log by accident. HMAC is written out here (RFC 2104, ten lines) rather than taken
//! from the `hmac` crate because that crate's constructor is fallible, and every way of handling
//! an "impossible" error on a signing path is worse than not having one.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::encode::hex32;

const BLOCK: usize = 64;

/// HMAC-SHA256 of the concatenation of `message` parts under `key`.
pub(crate) fn hmac_sha256(key: &[u8], message: &[&[u8]]) -> [u8; 32] {
    let mut block = Zeroizing::new([0u8; BLOCK]);
    if key.len() > BLOCK {
        let digest = Zeroizing::new(<[u8; 32]>::from(Sha256::digest(key)));
        for (slot, byte) in block.iter_mut().zip(digest.iter()) {
            *slot = *byte;
        }
    } else {
        for (slot, byte) in block.iter_mut().zip(key) {
            *slot = *byte;
        }
    }
    let mut pad = Zeroizing::new([0u8; BLOCK]);
    for (p, k) in pad.iter_mut().zip(block.iter()) {
        *p = k ^ 0x36;
    }
    let mut inner = Sha256::new();
    inner.update(pad.as_slice());
    for part in message {
        inner.update(part);
    }
    let inner_hash = Zeroizing::new(<[u8; 32]>::from(inner.finalize()));
    for (p, k) in pad.iter_mut().zip(block.iter()) {
        *p = k ^ 0x5c;
    }
    let mut outer = Sha256::new();
    outer.update(pad.as_slice());
    outer.update(inner_hash.as_slice());
    <[u8; 32]>::from(outer.finalize())
}

/// An AWS secret access key.
///
/// `Debug` prints `SecretKey(<redacted>)`; the bytes are wiped on drop; [`SecretKey::expose`] is
/// the one way to read it.
#[derive(Clone)]
pub struct SecretKey(String);

impl SecretKey {
    /// Wraps a secret access key.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for the few places that must have it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time equality, so comparing a cached secret with a fresh one leaks nothing.
    pub(crate) fn ct_eq(&self, other: &SecretKey) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl From<String> for SecretKey {
    fn from(secret: String) -> Self {
        Self(secret)
    }
}

impl From<&str> for SecretKey {
    fn from(secret: &str) -> Self {
        Self(secret.to_owned())
    }
}

/// The SigV4 signing key `kSigning` for one secret, day, region and service.
///
/// `Debug` is redacted and the bytes are wiped on drop.
#[derive(Clone)]
pub struct SigningKey([u8; 32]);

impl SigningKey {
    /// Derives `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
    /// "aws4_request")`, where `date` is the scope's `YYYYMMDD`.
    pub fn derive(secret: &SecretKey, date: &str, region: &str, service: &str) -> Self {
        let mut seed = Zeroizing::new(Vec::with_capacity(4 + secret.0.len()));
        seed.extend_from_slice(b"AWS4");
        seed.extend_from_slice(secret.0.as_bytes());
        let k_date = Zeroizing::new(hmac_sha256(&seed, &[date.as_bytes()]));
        let k_region = Zeroizing::new(hmac_sha256(k_date.as_slice(), &[region.as_bytes()]));
        let k_service = Zeroizing::new(hmac_sha256(k_region.as_slice(), &[service.as_bytes()]));
        Self(hmac_sha256(k_service.as_slice(), &[b"aws4_request"]))
    }

    /// The lower-case hex signature of a string to sign.
    pub fn sign(&self, string_to_sign: &[u8]) -> String {
        String::from_utf8_lossy(&self.sign_parts(&[string_to_sign])).into_owned()
    }

    /// The hex signature of a string to sign given in pieces (no buffer on the hot path).
    pub(crate) fn sign_parts(&self, parts: &[&[u8]]) -> [u8; 64] {
        hex32(&hmac_sha256(&self.0, parts))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

impl Drop for SigningKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8; 32]) -> String {
        String::from_utf8(hex32(bytes).to_vec()).unwrap()
    }

    #[test]
    fn hmac_matches_rfc4231() {
        // RFC 4231 test cases 1, 2 and 6 (key longer than the block size).
        assert_eq!(
            hex(&hmac_sha256(&[0x0b; 20], &[b"Hi There"])),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex(&hmac_sha256(
                b"Jefe",
                &[b"what do ya want ", b"for nothing?"]
            )),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                &[b"Test Using Larger Than Block-Size Key - Hash Key First"]
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn signing_key_matches_aws_documentation() {
        // The worked example of AWS's "derive a signing key" documentation (IAM, 2012-02-15).
        let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let key = SigningKey::derive(&secret, "20120215", "us-east-1", "iam");
        assert_eq!(
            hex(&key.0),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let key = SigningKey::derive(&secret, "20150830", "us-east-1", "iam");
        let shown = format!("{secret:?} {key:?} {:#?}", (&secret, &key));
        assert!(!shown.contains("EXAMPLEKEY"), "{shown}");
        assert!(shown.contains("<redacted>"));
        assert!(!shown.contains(&hex(&key.0)));
    }

    #[test]
    fn secret_comparison() {
        assert!(SecretKey::new("abc").ct_eq(&SecretKey::new("abc")));
        assert!(!SecretKey::new("abc").ct_eq(&SecretKey::new("abd")));
        assert!(!SecretKey::new("abc").ct_eq(&SecretKey::new("abcd")));
    }
}
