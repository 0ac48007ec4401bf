//! Fuzz target: policy parsing, validation, compilation and evaluation, and the scenario
//! reader, on arbitrary bytes. Nothing may panic, and nothing may take long.

#![no_main]

#[path = "../harness/policy_parse.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
