//! What the `query_decode` fuzz target does with one input: a form-encoded request body
//! decoded for every IAM and STS operation, and the same bytes as a JSON 1.1 body decoded for
//! every Organizations operation, as the server does. Shared by the target and by
//! `crates/wire/tests/fuzz_corpus.rs`, which replays the committed inputs.

use wire::QueryParams;

/// Runs one input; nothing may panic.
pub fn run(data: &[u8]) {
    let params = QueryParams::from_pairs(form_urlencoded::parse(data));
    if let Some(action) = params.get("Action") {
        let _ = wire::iam::Operation::from_action(action);
        let _ = wire::sts::Operation::from_action(action);
    }
    for operation in wire::iam::Operation::ALL {
        if let Ok(request) = operation.decode(&params) {
            let _ = request.operation();
        }
    }
    for operation in wire::sts::Operation::ALL {
        let _ = operation.decode(&params);
    }
    if let Ok(json) = QueryParams::from_json(data) {
        for operation in wire::organizations::Operation::ALL {
            let _ = operation.decode(&json);
        }
    }
}
