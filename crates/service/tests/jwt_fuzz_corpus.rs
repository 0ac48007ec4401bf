//! The `jwt_parse` fuzz target's committed inputs (its corpus and any crash once found),
//! replayed through the target's own code: none may panic.

#[path = "../../../fuzz/harness/jwt_parse.rs"]
mod harness;
#[path = "../../../fuzz/harness/replay.rs"]
mod replay;

#[test]
fn committed_fuzz_inputs_never_panic() {
    let count = replay::replay("jwt_parse", harness::run);
    assert!(
        count > 0,
        "the corpus is committed under fuzz/seeds/jwt_parse"
    );
}
