//! The `saml_verify` fuzz target's body, shared with the replay test in the service crate:
//! arbitrary bytes as a SAML response verified against a fixed provider (the committed
//! corpus's metadata), as provider metadata, and canonicalized whole. Nothing may panic.

use crate::assertion::{metadata_keys, parse, verify_response};
use crate::c14n::canonicalize;

/// The provider the corpus's responses were signed for.
const METADATA: &str = include_str!("../../crates/service/tests/data/saml/metadata.xml");
const ENTITY: &str = "https://idp.castellan.test/saml";
/// One minute after the corpus's issue instant (2030-01-01T00:01:00Z).
const NOW: i64 = 1_893_456_060;

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let keys = metadata_keys(METADATA)
        .map(|(_, keys)| keys)
        .unwrap_or_default();
    let _ = verify_response(text, &keys, ENTITY, NOW);
    let _ = metadata_keys(text);
    if let Ok(doc) = parse(text) {
        let _ = canonicalize(doc.root_element(), None, &["#default".to_owned()]);
    }
}
