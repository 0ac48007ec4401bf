//! Fuzz target: the certificate, private key and chain checks of UploadServerCertificate and
//! UploadSigningCertificate on arbitrary bytes.

#![no_main]

// `code` and `message` serve the checker's own tests, which the fuzz build leaves out.
#[allow(dead_code)]
#[path = "../harness/certificate_error.rs"]
mod error;
#[path = "../harness/certificate_check.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
