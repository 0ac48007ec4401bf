//! Envelope encryption of secrets at rest: XChaCha20-Poly1305 under a key derived from the
//! master key with HKDF, each ciphertext bound to the row it belongs to.
//!
//! Sealed form: `version (1 byte) || nonce (24 bytes) || ciphertext with tag`. The binding
//! (for example `access-key:AKIA...`) is authenticated data: a ciphertext copied to another
//! row does not open.

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{RandomUnavailable, random_bytes};

const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
/// HKDF `info` for the secret-sealing key; a new purpose gets a new label, never a reuse.
const SEALING_LABEL: &[u8] = b"castellan/v1/seal-secrets";
/// What the server seals at first start and opens at every start, to recognise a wrong key.
const KEY_CHECK_PLAINTEXT: &[u8] = b"castellan master key check";
const KEY_CHECK_BINDING: &[u8] = b"castellan:key-check";

/// The 32-byte master key.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    /// A new random key.
    pub fn generate() -> Result<MasterKey, RandomUnavailable> {
        let mut key = [0u8; 32];
        random_bytes(&mut key)?;
        Ok(MasterKey(key))
    }

    /// Reads a key from its text form (64 hex digits), as stored in the key file or given in
    /// the environment.
    pub fn from_hex(text: &str) -> Result<MasterKey, SealError> {
        let text = text.trim();
        let mut key = [0u8; 32];
        let decoded = data_encoding::HEXLOWER_PERMISSIVE
            .decode(text.as_bytes())
            .map_err(|_| SealError::MalformedKey)?;
        if decoded.len() != key.len() {
            return Err(SealError::MalformedKey);
        }
        key.copy_from_slice(&decoded);
        let mut decoded = decoded;
        decoded.zeroize();
        Ok(MasterKey(key))
    }

    /// The key's text form, for writing the key file.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(data_encoding::HEXLOWER.encode(&self.0))
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// Why a sealed secret cannot be opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The master key text is not 64 hex digits.
    #[error("the master key must be 64 hexadecimal digits")]
    MalformedKey,
    /// The ciphertext is not in a form this version writes.
    #[error("the sealed value is malformed")]
    Malformed,
    /// Authentication failed: wrong master key, wrong binding, or tampering.
    #[error("the sealed value does not open with this master key")]
    WrongKey,
    /// The random source failed.
    #[error(transparent)]
    Random(#[from] RandomUnavailable),
}

/// Seals and opens secrets under one master key.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(<redacted>)")
    }
}

impl Sealer {
    /// A sealer whose key is derived from `master`.
    pub fn new(master: &MasterKey) -> Sealer {
        let mut derived = Zeroizing::new([0u8; 32]);
        // HKDF-SHA256 can expand to 32 bytes from any input: this cannot fail.
        let _ = Hkdf::<Sha256>::new(None, &master.0).expand(SEALING_LABEL, derived.as_mut());
        let key = chacha20poly1305::Key::from(*derived);
        Sealer {
            cipher: XChaCha20Poly1305::new(&key),
        }
    }

    /// Encrypts `plaintext`, binding it to `binding`.
    pub fn seal(&self, plaintext: &[u8], binding: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        random_bytes(&mut nonce)?;
        let nonce = XNonce::from(nonce);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: binding,
                },
            )
            .map_err(|_| SealError::Malformed)?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        sealed.push(VERSION);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Decrypts a value sealed with the same master key and binding.
    pub fn open(&self, sealed: &[u8], binding: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let (version, rest) = sealed.split_first().ok_or(SealError::Malformed)?;
        if *version != VERSION {
            return Err(SealError::Malformed);
        }
        let (nonce, ciphertext) = rest
            .split_at_checked(NONCE_LEN)
            .ok_or(SealError::Malformed)?;
        let nonce = XNonce::try_from(nonce).map_err(|_| SealError::Malformed)?;
        self.cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: binding,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| SealError::WrongKey)
    }

    /// A value to store beside the sealed secrets, so that a server started with another
    /// master key can say so clearly instead of failing on the first request.
    pub fn key_check(&self) -> Result<Vec<u8>, SealError> {
        self.seal(KEY_CHECK_PLAINTEXT, KEY_CHECK_BINDING)
    }

    /// Whether `key_check` was made under this master key.
    pub fn verify_key_check(&self, key_check: &[u8]) -> bool {
        self.open(key_check, KEY_CHECK_BINDING)
            .is_ok_and(|plain| plain.as_slice() == KEY_CHECK_PLAINTEXT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> Sealer {
        Sealer::new(&MasterKey::generate().unwrap())
    }

    #[test]
    fn round_trip_and_binding() {
        let sealer = sealer();
        let sealed = sealer.seal(b"secret", b"access-key:AKIA1").unwrap();
        assert_eq!(
            sealer
                .open(&sealed, b"access-key:AKIA1")
                .unwrap()
                .as_slice(),
            b"secret"
        );
        assert_eq!(
            sealer.open(&sealed, b"access-key:AKIA2"),
            Err(SealError::WrongKey)
        );
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
    }

    #[test]
    fn wrong_key_and_tampering() {
        let sealed = sealer().seal(b"secret", b"x").unwrap();
        assert_eq!(sealer().open(&sealed, b"x"), Err(SealError::WrongKey));
        let good = sealer();
        let mut sealed = good.seal(b"secret", b"x").unwrap();
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert_eq!(good.open(&sealed, b"x"), Err(SealError::WrongKey));
        assert_eq!(good.open(&[], b"x"), Err(SealError::Malformed));
        assert_eq!(good.open(&[2; 40], b"x"), Err(SealError::Malformed));
        assert_eq!(good.open(&[1; 10], b"x"), Err(SealError::Malformed));
    }

    #[test]
    fn key_check_recognises_its_key() {
        let key = MasterKey::generate().unwrap();
        let check = Sealer::new(&key).key_check().unwrap();
        let again = MasterKey::from_hex(&key.to_hex()).unwrap();
        assert!(Sealer::new(&again).verify_key_check(&check));
        assert!(!sealer().verify_key_check(&check));
    }

    #[test]
    fn hex_form() {
        assert_eq!(
            MasterKey::from_hex("zz").unwrap_err(),
            SealError::MalformedKey
        );
        assert_eq!(
            MasterKey::from_hex(&"ab".repeat(31)).unwrap_err(),
            SealError::MalformedKey
        );
        assert!(MasterKey::from_hex(&format!(" {}\n", "AB".repeat(32))).is_ok());
        assert_eq!(
            format!("{:?}", MasterKey::generate().unwrap()),
            "MasterKey(<redacted>)"
        );
    }
}
