//! Fuzz target: a Query request body (form-encoded bytes) decoded for every IAM and STS
//! operation, as the server does. Nothing may panic, and nothing may take long.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wire::QueryParams;

fuzz_target!(|data: &[u8]| {
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
});
