//! SSH public keys as IAM takes them (UploadSSHPublicKey): RSA keys of at least 2048 bits,
//! in OpenSSH's `ssh-rsa` form or in PEM (SubjectPublicKeyInfo or PKCS #1), with their MD5
//! fingerprint and both encodings for GetSSHPublicKey.
//!
//! Only the few DER shapes an RSA public key takes are read and written here: a strict reader
//! for those is small, and it is fuzzed like every parser of untrusted bytes.

use data_encoding::BASE64;

/// The shortest modulus IAM accepts.
const MIN_BITS: usize = 2048;
/// `rsaEncryption` (1.2.840.113549.1.1.1), DER-encoded.
const RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const NULL: u8 = 0x05;
const OID: u8 = 0x06;

/// Why a key was refused; the service maps these to IAM's two error codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// Neither `ssh-rsa` nor a PEM public key (`UnrecognizedPublicKeyEncoding`).
    Unrecognized,
    /// A recognised encoding with bad content, or a key too short (`InvalidPublicKey`).
    Invalid(&'static str),
}

/// An RSA public key: its modulus and exponent, big-endian without leading zeros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    modulus: Vec<u8>,
    exponent: Vec<u8>,
}

impl RsaPublicKey {
    /// Parses an uploaded key body and checks IAM's rules.
    pub fn parse(body: &str) -> Result<RsaPublicKey, KeyError> {
        let text = body.trim();
        let key = if let Some(rest) = text.strip_prefix("ssh-rsa ") {
            from_openssh(rest)?
        } else if text.starts_with("-----BEGIN ") {
            from_pem(text)?
        } else {
            return Err(KeyError::Unrecognized);
        };
        if key.bits() < MIN_BITS {
            return Err(KeyError::Invalid(
                "The public key must be at least 2048 bits long.",
            ));
        }
        Ok(key)
    }

    fn new(modulus: &[u8], exponent: &[u8]) -> Result<RsaPublicKey, KeyError> {
        let modulus = unsigned(modulus)?;
        let exponent = unsigned(exponent)?;
        // An even exponent or 1 is no RSA key.
        if exponent.last().is_none_or(|b| b & 1 == 0) || exponent == [1] {
            return Err(KeyError::Invalid("The public key exponent is not valid."));
        }
        Ok(RsaPublicKey { modulus, exponent })
    }

    /// The modulus length in bits.
    pub fn bits(&self) -> usize {
        match self.modulus.first() {
            Some(first) => self.modulus.len() * 8 - first.leading_zeros() as usize,
            None => 0,
        }
    }

    /// OpenSSH's wire blob: `string "ssh-rsa", mpint e, mpint n`.
    fn ssh_blob(&self) -> Vec<u8> {
        let mut blob = Vec::with_capacity(self.modulus.len() + 32);
        for field in [
            b"ssh-rsa".to_vec(),
            signed(&self.exponent),
            signed(&self.modulus),
        ] {
            blob.extend_from_slice(&u32::try_from(field.len()).unwrap_or(u32::MAX).to_be_bytes());
            blob.extend_from_slice(&field);
        }
        blob
    }

    /// The MD5 fingerprint of the OpenSSH blob, as `ab:cd:...` (what `ssh-keygen -E md5 -l`
    /// prints after `MD5:`).
    pub fn fingerprint(&self) -> String {
        use md5::Digest;
        let digest = md5::Md5::digest(self.ssh_blob());
        let hex: Vec<String> = digest.iter().map(|b| format!("{b:02x}")).collect();
        hex.join(":")
    }

    /// `ssh-rsa <base64>`.
    pub fn to_openssh(&self) -> String {
        format!("ssh-rsa {}", BASE64.encode(&self.ssh_blob()))
    }

    /// A PEM `PUBLIC KEY` (SubjectPublicKeyInfo), 64 characters a line.
    pub fn to_pem(&self) -> String {
        let pkcs1 = der(
            SEQUENCE,
            &[
                der(INTEGER, &signed(&self.modulus)),
                der(INTEGER, &signed(&self.exponent)),
            ]
            .concat(),
        );
        let algorithm = der(SEQUENCE, &[der(OID, RSA_OID), der(NULL, &[])].concat());
        let bits = der(BIT_STRING, &[&[0u8][..], &pkcs1].concat());
        let spki = der(SEQUENCE, &[algorithm, bits].concat());
        let encoded = BASE64.encode(&spki);
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in encoded.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        pem
    }
}

/// `ssh-rsa <base64> [comment]`, after the type.
fn from_openssh(rest: &str) -> Result<RsaPublicKey, KeyError> {
    let encoded = rest.split_whitespace().next().unwrap_or_default();
    let blob = BASE64
        .decode(encoded.as_bytes())
        .map_err(|_| KeyError::Invalid("The public key is not valid base64."))?;
    let mut reader = SshReader(&blob);
    let malformed = KeyError::Invalid("The public key is malformed.");
    if reader.field().ok_or(malformed.clone())? != b"ssh-rsa" {
        return Err(KeyError::Invalid(
            "The public key type does not match its data.",
        ));
    }
    let exponent = reader.field().ok_or(malformed.clone())?;
    let modulus = reader.field().ok_or(malformed.clone())?;
    if !reader.0.is_empty() {
        return Err(malformed);
    }
    RsaPublicKey::new(modulus, exponent)
}

/// `-----BEGIN PUBLIC KEY-----` (SubjectPublicKeyInfo) or `-----BEGIN RSA PUBLIC KEY-----`
/// (PKCS #1).
fn from_pem(text: &str) -> Result<RsaPublicKey, KeyError> {
    let (label, der_bytes) = pem_block(text).ok_or(KeyError::Unrecognized)?;
    let malformed = KeyError::Invalid("The public key is malformed.");
    let pkcs1 = match label {
        "PUBLIC KEY" => {
            let spki = DerReader(&der_bytes)
                .only(SEQUENCE)
                .ok_or(malformed.clone())?;
            let mut fields = DerReader(spki);
            let mut algorithm = DerReader(fields.next(SEQUENCE).ok_or(malformed.clone())?);
            if algorithm.next(OID) != Some(RSA_OID) {
                return Err(KeyError::Invalid("Only RSA public keys are supported."));
            }
            let bits = fields.next(BIT_STRING).ok_or(malformed.clone())?;
            if !fields.0.is_empty() {
                return Err(malformed);
            }
            match bits.split_first() {
                Some((0, rest)) => rest.to_vec(),
                _ => return Err(malformed),
            }
        }
        "RSA PUBLIC KEY" => der_bytes,
        _ => return Err(KeyError::Unrecognized),
    };
    let key = DerReader(&pkcs1).only(SEQUENCE).ok_or(malformed.clone())?;
    let mut fields = DerReader(key);
    let modulus = fields.next(INTEGER).ok_or(malformed.clone())?;
    let exponent = fields.next(INTEGER).ok_or(malformed.clone())?;
    if !fields.0.is_empty() {
        return Err(malformed);
    }
    RsaPublicKey::new(modulus, exponent)
}

/// The label and decoded content of a text that is one PEM block.
fn pem_block(text: &str) -> Option<(&str, Vec<u8>)> {
    let text = text.trim();
    let rest = text.strip_prefix("-----BEGIN ")?;
    let (label, rest) = rest.split_once("-----")?;
    let end = format!("-----END {label}-----");
    let inside = rest.strip_suffix(end.as_str())?;
    let compact: String = inside
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let decoded = BASE64.decode(compact.as_bytes()).ok()?;
    (!decoded.is_empty()).then_some((label, decoded))
}

/// A non-negative integer's magnitude: an SSH mpint or DER INTEGER without its sign byte.
/// Negative numbers are refused; zero is the empty magnitude.
fn unsigned(bytes: &[u8]) -> Result<Vec<u8>, KeyError> {
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        return Err(KeyError::Invalid("The public key holds a negative number."));
    }
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    Ok(bytes.get(start..).unwrap_or_default().to_vec())
}

/// A magnitude as a signed big-endian integer (a zero byte first when the top bit is set),
/// the form both SSH mpints and DER INTEGERs take.
fn signed(magnitude: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(magnitude.len() + 1);
    if magnitude.first().is_none_or(|b| b & 0x80 != 0) {
        out.push(0);
    }
    out.extend_from_slice(magnitude);
    out
}

/// One DER element: tag, definite length, content.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}

/// Reads SSH wire fields: a 32-bit big-endian length, then that many bytes.
struct SshReader<'a>(&'a [u8]);

impl<'a> SshReader<'a> {
    fn field(&mut self) -> Option<&'a [u8]> {
        let (len, rest) = self.0.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
        let (field, rest) = rest.split_at_checked(len)?;
        self.0 = rest;
        Some(field)
    }
}

/// Reads DER elements of definite length (at most four length bytes), in order.
struct DerReader<'a>(&'a [u8]);

impl<'a> DerReader<'a> {
    /// The next element's content, if it has this tag.
    fn next(&mut self, tag: u8) -> Option<&'a [u8]> {
        let (&found, rest) = self.0.split_first()?;
        if found != tag {
            return None;
        }
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 {
                return None;
            }
            let (bytes, after) = rest.split_at_checked(count)?;
            rest = after;
            bytes.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b))
        };
        let (content, rest) = rest.split_at_checked(len)?;
        self.0 = rest;
        Some(content)
    }

    /// The content of the one element the input holds, if it has this tag.
    fn only(mut self, tag: u8) -> Option<&'a [u8]> {
        let content = self.next(tag)?;
        self.0.is_empty().then_some(content)
    }
}

/// A well-formed 2048-bit key in OpenSSH form, different for each `seed`, for tests (its
/// modulus is no product of primes: only the encoding matters to IAM).
#[cfg(test)]
pub(crate) fn sample_openssh(seed: u8) -> String {
    let mut modulus = vec![0xc5; 256];
    if let Some(last) = modulus.last_mut() {
        *last = seed | 1;
    }
    RsaPublicKey {
        modulus,
        exponent: vec![1, 0, 1],
    }
    .to_openssh()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    /// A 2048-bit modulus (top bit set) and exponent 65537, built here rather than read from
    /// a key file: what is tested is the encoding, not the arithmetic.
    fn key() -> RsaPublicKey {
        let mut modulus = vec![0xc5; 256];
        modulus[255] = 0x01;
        RsaPublicKey {
            modulus,
            exponent: vec![1, 0, 1],
        }
    }

    #[test]
    fn openssh_and_pem_round_trip_to_the_same_key() {
        let key = key();
        assert_eq!(key.bits(), 2048);
        assert_eq!(RsaPublicKey::parse(&key.to_openssh()).unwrap(), key);
        assert_eq!(RsaPublicKey::parse(&key.to_pem()).unwrap(), key);
        let with_comment = format!("{} alice@example\n", key.to_openssh());
        assert_eq!(RsaPublicKey::parse(&with_comment).unwrap(), key);
    }

    #[test]
    fn the_fingerprint_is_md5_of_the_openssh_blob_in_colon_hex() {
        let fingerprint = key().fingerprint();
        assert_eq!(fingerprint.len(), 47);
        assert_eq!(fingerprint.matches(':').count(), 15);
    }

    #[test]
    fn short_keys_unknown_encodings_and_garbage_are_refused() {
        let short = RsaPublicKey {
            modulus: vec![0xc5; 128],
            exponent: vec![3],
        };
        assert!(matches!(
            RsaPublicKey::parse(&short.to_openssh()),
            Err(KeyError::Invalid(_))
        ));
        assert_eq!(
            RsaPublicKey::parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG"),
            Err(KeyError::Unrecognized)
        );
        assert_eq!(RsaPublicKey::parse("hello"), Err(KeyError::Unrecognized));
        assert!(matches!(
            RsaPublicKey::parse("ssh-rsa !!!"),
            Err(KeyError::Invalid(_))
        ));
        assert!(matches!(
            RsaPublicKey::parse("-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----"),
            Err(KeyError::Invalid(_))
        ));
        assert_eq!(
            RsaPublicKey::parse("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----"),
            Err(KeyError::Unrecognized)
        );
    }
}
