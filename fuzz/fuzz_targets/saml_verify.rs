//! Fuzz target: AssumeRoleWithSAML's response verifier (XML parsing without DTDs, exclusive
//! canonicalization, XML-DSig, the XML Encryption reader and the decrypted document's
//! checks, the assertion's checks) and the metadata reader on arbitrary bytes.

#![no_main]

#[allow(dead_code)]
#[path = "../../crates/service/src/federation/assertion.rs"]
mod assertion;
#[allow(dead_code)]
#[path = "../../crates/service/src/federation/c14n.rs"]
mod c14n;
#[path = "../harness/saml_verify.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../../crates/service/src/federation/xmldsig.rs"]
mod xmldsig;
#[allow(dead_code)]
#[path = "../../crates/service/src/federation/xmlenc.rs"]
mod xmlenc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
