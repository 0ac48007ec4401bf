//! The `saml_verify` fuzz target's committed inputs (its corpus and any crash once found),
//! replayed through the target's own code: none may panic.

#[allow(dead_code)]
#[path = "../src/federation/assertion.rs"]
mod assertion;
#[allow(dead_code)]
#[path = "../src/federation/c14n.rs"]
mod c14n;
#[path = "../../../fuzz/harness/saml_verify.rs"]
mod harness;
#[path = "../../../fuzz/harness/replay.rs"]
mod replay;
#[allow(dead_code)]
#[path = "../src/federation/xmldsig.rs"]
mod xmldsig;
#[allow(dead_code)]
#[path = "../src/federation/xmlenc.rs"]
mod xmlenc;

#[test]
fn committed_fuzz_inputs_never_panic() {
    let count = replay::replay("saml_verify", harness::run);
    assert!(
        count > 0,
        "the corpus is committed under fuzz/seeds/saml_verify"
    );
}
