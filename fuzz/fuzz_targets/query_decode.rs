//! Fuzz target: a Query request body (form-encoded bytes) decoded for every IAM and STS
//! operation, and as a JSON body for every Organizations operation, as the server does.
//! Nothing may panic, and nothing may take long.

#![no_main]

#[path = "../harness/query_decode.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
