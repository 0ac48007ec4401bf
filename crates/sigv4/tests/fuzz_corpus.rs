//! The `sigv4_parse` fuzz target's committed inputs (its corpus and any crash once found),
//! replayed through the target's own code: none may panic.

#[path = "../../../fuzz/harness/replay.rs"]
mod replay;

#[test]
fn committed_fuzz_inputs_never_panic() {
    let count = replay::replay("sigv4_parse", sigv4::fuzz_parse);
    assert!(
        count > 0,
        "the corpus is committed under fuzz/seeds/sigv4_parse"
    );
}
