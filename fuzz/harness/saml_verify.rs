//! The `saml_verify` fuzz target's body, shared with the replay test and the corpus test in
//! the service crate: arbitrary bytes as a SAML response verified against a fixed provider
//! (the committed corpus's metadata) and canonicalized whole. Nothing may panic. An
//! `EncryptedAssertion` is read by the service's XML Encryption reader and "decrypted" by a
//! stand-in that takes the CipherValue's bytes as the plaintext, so the fuzzer reaches the
//! decrypted document's checks without having to forge RSA-OAEP or AES.

use crate::assertion::{Provider, parse, verify_response};
use crate::c14n::canonicalize;
use crate::xmldsig::{DSIG_NS, SigningKey};
use crate::xmlenc::{Decrypter, Encrypted};

/// The provider the corpus's responses were signed for.
pub const METADATA: &str = include_str!("../../crates/service/tests/data/saml/metadata.xml");
pub const ENTITY: &str = "https://idp.castellan.test/saml";
/// One minute after the corpus's issue instant (2030-01-01T00:01:00Z).
pub const NOW: i64 = 1_893_456_060;

/// The signing keys of a metadata document's certificates (every `ds:X509Certificate`: the
/// corpus's metadata has only signing ones). The service reads metadata with
/// `iam::saml_metadata`, which needs the whole service crate.
pub fn signing_keys(metadata: &str) -> Vec<SigningKey> {
    let Ok(doc) = parse(metadata) else {
        return Vec::new();
    };
    doc.descendants()
        .filter(|n| n.has_tag_name((DSIG_NS, "X509Certificate")))
        .filter_map(|n| {
            let text: String = n
                .text()?
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            let der = data_encoding::BASE64.decode(text.as_bytes()).ok()?;
            SigningKey::from_certificate(&der)
        })
        .collect()
}

/// The stand-in decrypter: the ciphertext is the plaintext.
pub struct Transparent;

impl Decrypter for Transparent {
    fn decrypt(&self, encrypted: &Encrypted) -> Option<Vec<u8>> {
        Some(encrypted.data.clone())
    }
}

/// The corpus's provider with `keys`, taking encrypted assertions through `decrypter`.
pub fn provider<'a>(keys: &'a [SigningKey], decrypter: Option<&'a dyn Decrypter>) -> Provider<'a> {
    Provider {
        signing: keys,
        entity_id: ENTITY,
        acs_id: "",
        encryption_required: false,
        decrypter,
    }
}

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let keys = signing_keys(METADATA);
    let _ = verify_response(text, &provider(&keys, Some(&Transparent)), NOW);
    if let Ok(doc) = parse(text) {
        let _ = canonicalize(doc.root_element(), None, &["#default".to_owned()]);
    }
}
