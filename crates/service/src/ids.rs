//! AWS-style identifiers: account ids, unique ids (`AIDA...`), access key ids and secrets.

use crate::secret::Secret;
use crate::{RandomUnavailable, random_bytes};

/// The kinds of entity with a 21-character unique id, and their prefixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    /// `AIDA`: an IAM user.
    User,
    /// `AGPA`: a group.
    Group,
    /// `AROA`: a role.
    Role,
    /// `ANPA`: a customer managed policy.
    Policy,
    /// `AIPA`: an instance profile.
    InstanceProfile,
    /// `APKA`: an SSH public key.
    SshPublicKey,
    /// `ACCA`: a service-specific credential.
    ServiceSpecificCredential,
    /// `ASCA`: a server certificate.
    ServerCertificate,
}

impl IdKind {
    fn prefix(self) -> &'static str {
        match self {
            IdKind::User => "AIDA",
            IdKind::Group => "AGPA",
            IdKind::Role => "AROA",
            IdKind::Policy => "ANPA",
            IdKind::InstanceProfile => "AIPA",
            IdKind::SshPublicKey => "APKA",
            IdKind::ServiceSpecificCredential => "ACCA",
            IdKind::ServerCertificate => "ASCA",
        }
    }
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `count` random characters from `alphabet`, whose length must divide 256 so that every
/// character is equally likely.
fn random_chars(alphabet: &[u8], count: usize) -> Result<String, RandomUnavailable> {
    let mut bytes = vec![0u8; count];
    random_bytes(&mut bytes)?;
    let len = alphabet.len().max(1);
    Ok(bytes
        .iter()
        .map(|b| char::from(alphabet.get(usize::from(*b) % len).copied().unwrap_or(b'A')))
        .collect())
}

/// A unique id such as `AIDAJQABLZS4A3QDU576Q` (prefix + 17 base32 characters).
pub fn new_unique_id(kind: IdKind) -> Result<String, RandomUnavailable> {
    Ok(format!("{}{}", kind.prefix(), random_chars(BASE32, 17)?))
}

/// A long-term (`AKIA`) or temporary (`ASIA`) access key id: prefix + 16 base32 characters.
pub fn new_access_key_id(temporary: bool) -> Result<String, RandomUnavailable> {
    let prefix = if temporary { "ASIA" } else { "AKIA" };
    Ok(format!("{prefix}{}", random_chars(BASE32, 16)?))
}

/// A temporary (`ASIA`) access key id that carries its account: 40 bits of the account
/// number and 40 random bits, in 16 base32 characters, so GetAccessKeyInfo can name the
/// account of any temporary key without a store (as AWS's key ids do).
pub fn new_temporary_key_id(account_id: &str) -> Result<String, RandomUnavailable> {
    let account: u64 = account_id.parse().unwrap_or_default();
    let mut random = [0u8; 5];
    random_bytes(&mut random)?;
    let mut bytes = [0u8; 10];
    for (slot, byte) in bytes.iter_mut().zip(account.to_be_bytes().iter().skip(3)) {
        *slot = *byte;
    }
    for (slot, byte) in bytes.iter_mut().skip(5).zip(random) {
        *slot = byte;
    }
    Ok(format!(
        "ASIA{}",
        data_encoding::BASE32_NOPAD.encode(&bytes)
    ))
}

/// The account a temporary key id made by [`new_temporary_key_id`] carries.
pub fn account_of_temporary_key(access_key_id: &str) -> Option<String> {
    let encoded = access_key_id.strip_prefix("ASIA")?;
    let bytes = data_encoding::BASE32_NOPAD
        .decode(encoded.as_bytes())
        .ok()?;
    let mut account = [0u8; 8];
    for (slot, byte) in account.iter_mut().skip(3).zip(bytes.get(..5)?) {
        *slot = *byte;
    }
    let account = u64::from_be_bytes(account);
    (account < 1_000_000_000_000).then(|| format!("{account:012}"))
}

/// A random (version 4) UUID in its 36-character text form: a SAML provider's
/// `SAMLProviderUUID`.
pub fn new_uuid() -> Result<String, RandomUnavailable> {
    let mut bytes = [0u8; 16];
    random_bytes(&mut bytes)?;
    let [
        b0,
        b1,
        b2,
        b3,
        b4,
        b5,
        b6,
        b7,
        b8,
        b9,
        b10,
        b11,
        b12,
        b13,
        b14,
        b15,
    ] = bytes;
    let hex = |part: &[u8]| data_encoding::HEXLOWER.encode(part);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        hex(&[b0, b1, b2, b3]),
        hex(&[b4, b5]),
        hex(&[(b6 & 0x0f) | 0x40, b7]),
        hex(&[(b8 & 0x3f) | 0x80, b9]),
        hex(&[b10, b11, b12, b13, b14, b15])
    ))
}

/// Whether `id` has the shape of a long-term access key id AWS issues: `AKIA` and 16
/// upper-case letters or digits (fixtures declare such ids; IAM never takes one).
pub fn is_access_key_id(id: &str) -> bool {
    id.len() == 20
        && id.starts_with("AKIA")
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Whether `secret` has the shape of a secret access key AWS issues: 40 characters of the
/// base64 alphabet.
pub fn is_secret_access_key(secret: &str) -> bool {
    secret.len() == 40 && secret.bytes().all(|b| BASE64.contains(&b))
}

/// A 40-character secret access key.
pub fn new_secret_access_key() -> Result<Secret, RandomUnavailable> {
    random_chars(BASE64, 40).map(Secret::new)
}

/// A signing certificate's id: 32 base32 characters (IAM's ids for these have no prefix).
pub fn new_certificate_id() -> Result<String, RandomUnavailable> {
    random_chars(BASE32, 32)
}

/// A service-specific password or API key secret: 32 random bytes in padded base64, the
/// 44-character shape of CodeCommit's generated passwords.
pub fn new_service_password() -> Result<Secret, RandomUnavailable> {
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    random_bytes(bytes.as_mut())?;
    Ok(Secret::new(data_encoding::BASE64.encode(bytes.as_ref())))
}

/// A console session's cookie value: 32 random bytes, URL-safe base64 without padding.
pub fn new_console_session_id() -> Result<Secret, RandomUnavailable> {
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    random_bytes(bytes.as_mut())?;
    Ok(Secret::new(
        data_encoding::BASE64URL_NOPAD.encode(bytes.as_ref()),
    ))
}

/// A generated console password: 20 random base64 characters (120 bits) and a fixed `#Aa1`
/// that adds no strength but meets every character rule a password policy can set.
pub fn new_console_password() -> Result<Secret, RandomUnavailable> {
    let mut text = random_chars(BASE64, 20)?;
    text.push_str("#Aa1");
    Ok(Secret::new(text))
}

/// `count` random lower-case letters and digits: the tails of Organizations' ids
/// (`o-`, `r-`, `ou-`, `p-`, `car-`), whose patterns take `[a-z0-9]`.
pub fn new_org_id_part(count: usize) -> Result<String, RandomUnavailable> {
    random_chars(b"abcdefghijklmnopqrstuvwxyz012345", count)
}

/// A 12-digit account id that does not start with 0.
pub fn new_account_id() -> Result<String, RandomUnavailable> {
    let mut bytes = [0u8; 12];
    random_bytes(&mut bytes)?;
    Ok(bytes
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let digit = if i == 0 { 1 + b % 9 } else { b % 10 };
            char::from(b'0' + digit)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let id = new_unique_id(IdKind::User).unwrap();
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AIDA"));
        assert!(id.bytes().all(|b| BASE32.contains(&b)));
        let key = new_access_key_id(false).unwrap();
        assert_eq!(key.len(), 20);
        assert!(key.starts_with("AKIA"));
        assert!(new_access_key_id(true).unwrap().starts_with("ASIA"));
        assert!(is_access_key_id(&key));
        assert!(is_secret_access_key(
            new_secret_access_key().unwrap().expose()
        ));
        for bad in [
            "AKIA123",
            "ASIAABCDEFGHIJKLMNOP",
            "AKIAabcdefghijklmnop",
            "AKIAABCDEFGHIJKLMNOPQ",
        ] {
            assert!(!is_access_key_id(bad), "{bad}");
        }
        assert!(!is_secret_access_key("short"));
        assert!(!is_secret_access_key(
            "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
        ));
        let temporary = new_temporary_key_id("123456789012").unwrap();
        assert_eq!(temporary.len(), 20);
        assert!(temporary.starts_with("ASIA"));
        assert!(temporary.bytes().skip(4).all(|b| BASE32.contains(&b)));
        assert_eq!(
            account_of_temporary_key(&temporary).as_deref(),
            Some("123456789012")
        );
        assert_eq!(
            account_of_temporary_key(&new_temporary_key_id("000000000042").unwrap()).as_deref(),
            Some("000000000042")
        );
        assert_eq!(account_of_temporary_key("AKIAABCDEFGHIJKLMNOP"), None);
        assert_eq!(new_secret_access_key().unwrap().expose().len(), 40);
        let account = new_account_id().unwrap();
        assert_eq!(account.len(), 12);
        assert!(account.bytes().all(|b| b.is_ascii_digit()) && !account.starts_with('0'));
        assert_ne!(
            new_unique_id(IdKind::Role).unwrap(),
            new_unique_id(IdKind::Role).unwrap()
        );
    }
}
