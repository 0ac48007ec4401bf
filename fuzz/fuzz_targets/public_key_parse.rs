//! Fuzz target: the SSH public key reader of UploadSSHPublicKey on arbitrary bytes.

#![no_main]

#[path = "../harness/public_key_parse.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
