//! The SAML verifier against responses signed by `signxml` (tests/e2e/saml_idp.py, an
//! independent XML-DSig implementation) and one signed by the xmlsec1 tool; regenerate with
//! `python tests/e2e/saml_idp.py crates/service/tests/data/saml`. The valid ones verify, and
//! every hostile variant (wrapping, comments in NameID, inclusive c14n, SHA-1, duplicated
//! attributes, XXE, entity expansion, oversize, altered, unsigned, another key, expired,
//! wrong audience or recipient) is refused.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

#[allow(dead_code)]
#[path = "../src/federation/assertion.rs"]
mod assertion;
#[allow(dead_code)]
#[path = "../src/federation/c14n.rs"]
mod c14n;
#[allow(dead_code)]
#[path = "../../../fuzz/harness/saml_verify.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../src/federation/xmldsig.rs"]
mod xmldsig;
#[allow(dead_code)]
#[path = "../src/federation/xmlenc.rs"]
mod xmlenc;

use std::path::PathBuf;

use assertion::{Assertion, AssertionError, parse_instant, verify_response};
use xmldsig::{SignatureError, SigningKey};

const ENTITY: &str = "https://idp.castellan.test/saml";
const ATTR: &str = "https://aws.amazon.com/SAML/Attributes/";

fn data(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/saml")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn keys() -> Vec<SigningKey> {
    let keys = harness::signing_keys(&data("metadata.xml"));
    assert_eq!(keys.len(), 1);
    keys
}

/// One minute after the corpus's issue instant.
fn now() -> i64 {
    parse_instant("2030-01-01T00:01:00Z").expect("instant")
}

fn check(name: &str) -> Result<Assertion, AssertionError> {
    verify_response(&data(name), &harness::provider(&keys(), None), now())
}

#[test]
fn the_signed_response_verifies_and_reads_from_the_signed_assertion() {
    let assertion = check("valid.xml").expect("valid");
    assert_eq!(assertion.subject, "alice@example.com");
    assert_eq!(assertion.issuer, ENTITY);
    assert_eq!(assertion.recipient, "https://signin.aws.amazon.com/saml");
    assert_eq!(
        assertion.attribute(&format!("{ATTR}Role")),
        Some(
            &["arn:aws:iam::123456789012:role/ReadOnly,arn:aws:iam::123456789012:saml-provider/TestIdp".to_owned()][..]
        )
    );
    assert_eq!(
        assertion.attribute(&format!("{ATTR}PrincipalTag:team")),
        Some(&["blue".to_owned()][..])
    );
}

#[test]
fn time_bounds_are_enforced() {
    let late = parse_instant("2030-01-01T00:05:00Z").expect("instant");
    assert_eq!(
        verify_response(&data("valid.xml"), &harness::provider(&keys(), None), late).err(),
        Some(AssertionError::Expired)
    );
    // NotBefore is the issue instant: five minutes of skew, not more.
    let early = parse_instant("2029-12-31T23:55:00Z").expect("instant");
    assert!(verify_response(&data("valid.xml"), &harness::provider(&keys(), None), early).is_ok());
    assert_eq!(
        verify_response(
            &data("valid.xml"),
            &harness::provider(&keys(), None),
            early - 1
        )
        .err(),
        Some(AssertionError::NotYetValid)
    );
}

#[test]
fn the_issuer_must_be_the_providers_entity() {
    assert_eq!(
        verify_response(
            &data("valid.xml"),
            &assertion::Provider {
                entity_id: "https://other.test/",
                ..harness::provider(&keys(), None)
            },
            now()
        )
        .err(),
        Some(AssertionError::Issuer)
    );
}

#[test]
fn a_response_signed_as_a_whole_covers_its_assertion() {
    let assertion = check("response-signed.xml").expect("response signature");
    assert_eq!(assertion.subject, "alice@example.com");
}

#[test]
fn a_response_signed_by_xmlsec1_with_a_prefix_list_verifies() {
    // libxmlsec1, a third implementation, with an InclusiveNamespaces PrefixList and
    // xsi:type'd attribute values, as commercial IdPs send them.
    let assertion = check("xmlsec1-signed.xml").expect("xmlsec1 signature");
    assert_eq!(assertion.subject, "alice@example.com");
}

#[test]
fn a_comment_inside_the_signed_name_id_is_read_as_the_whole_signed_text() {
    let assertion = check("comment-nameid-signed.xml").expect("signed with a comment");
    assert_eq!(assertion.subject, "admin@example.com.evil");
}

#[test]
fn every_hostile_response_is_refused_with_its_reason() {
    use AssertionError as E;
    let cases: &[(&str, AssertionError)] = &[
        (
            "hostile-altered-nameid.xml",
            E::Signature(SignatureError::Digest),
        ),
        (
            "hostile-comment-nameid.xml",
            E::Signature(SignatureError::Digest),
        ),
        ("hostile-wrap-extensions.xml", E::Wrapping),
        ("hostile-wrap-sibling.xml", E::Wrapping),
        ("hostile-wrap-nested.xml", E::Wrapping),
        (
            "hostile-wrap-moved-signature.xml",
            E::Signature(SignatureError::Reference),
        ),
        ("hostile-duplicate-attribute.xml", E::DuplicateAttribute),
        ("hostile-unsigned.xml", E::Unsigned),
        (
            "hostile-other-key.xml",
            E::Signature(SignatureError::Signature),
        ),
        ("hostile-expired.xml", E::Expired),
        ("hostile-audience.xml", E::Audience),
        ("hostile-recipient.xml", E::Recipient),
        (
            "hostile-inclusive-c14n.xml",
            E::Signature(SignatureError::Algorithm),
        ),
        (
            "hostile-sha1-digest.xml",
            E::Signature(SignatureError::Algorithm),
        ),
        ("hostile-xxe.xml", E::Malformed),
        ("hostile-entity-expansion.xml", E::Malformed),
        ("hostile-oversize.xml", E::Malformed),
    ];
    for (name, expected) in cases {
        assert_eq!(check(name).err(), Some(*expected), "{name}");
    }
}

#[test]
fn mutating_any_byte_of_the_signed_response_never_verifies_a_different_reading() {
    // Flip each byte of the valid response's text content in turn: either refused, or (a
    // change c14n does not see, such as whitespace inside a tag) the same reading.
    let valid = data("valid.xml");
    let reference = check("valid.xml").expect("valid");
    let keys = keys();
    for index in (0..valid.len()).step_by(7) {
        let mut bytes = valid.clone().into_bytes();
        let Some(byte) = bytes.get_mut(index) else {
            continue;
        };
        *byte = if *byte == b'a' { b'b' } else { b'a' };
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        if let Ok(read) = verify_response(&text, &harness::provider(&keys, None), now()) {
            assert_eq!(read, reference, "byte {index} changed the reading");
        }
    }
}

#[test]
fn the_decrypted_documents_rules_hold_whatever_decrypts_it() {
    // The fuzz target's encrypted seeds, "decrypted" by its stand-in (the CipherValue is the
    // plaintext): the signed assertion is read in its namespace context, whichever key
    // placement and OAEP method; two assertions inside and RSA PKCS#1 v1.5 are refused.
    let seed = |name: &str| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/seeds/saml_verify")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let keys = keys();
    let provider = harness::provider(&keys, Some(&harness::Transparent));
    for name in [
        "encrypted-signed-assertion",
        "encrypted-peer-key-cbc",
        "encrypted-context-namespaces",
        "encrypted-oaep11",
    ] {
        let assertion = verify_response(&seed(name), &provider, now())
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(assertion.subject, "alice@example.com", "{name}");
    }
    for name in ["encrypted-two-inside", "encrypted-rsa-1_5"] {
        assert_eq!(
            verify_response(&seed(name), &provider, now()).err(),
            Some(AssertionError::Decryption),
            "{name}"
        );
    }
    // Without keys, or for a provider requiring encryption given a plain assertion.
    assert_eq!(
        verify_response(
            &seed("encrypted-signed-assertion"),
            &harness::provider(&keys, None),
            now()
        )
        .err(),
        Some(AssertionError::Decryption)
    );
    let required = assertion::Provider {
        encryption_required: true,
        ..provider
    };
    assert_eq!(
        verify_response(&data("valid.xml"), &required, now()).err(),
        Some(AssertionError::EncryptionRequired)
    );
    assert!(verify_response(&seed("encrypted-signed-assertion"), &required, now()).is_ok());
}
