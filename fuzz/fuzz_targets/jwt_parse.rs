//! Fuzz target: the web identity token parser and signature check of
//! AssumeRoleWithWebIdentity, with a JWKS document, on arbitrary bytes.

#![no_main]

#[path = "../harness/jwt_parse.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
