//! What the `certificate_check` fuzz target does with one input: UploadServerCertificate's
//! and UploadSigningCertificate's checks (PEM blocks, X.509, private keys in PKCS #1,
//! PKCS #8 and SEC 1 through the service's own DER readers, chains) on a body, a private
//! key and a chain split at NUL bytes. Shared by the target and by the service crate's
//! replay of the committed inputs; the including crate provides `crate::error`
//! (`certificate_error.rs`).

#[allow(dead_code)]
#[path = "../../crates/service/src/certificate.rs"]
mod certificate;

/// 2023-11-14, inside the validity of the committed seeds' certificates.
const NOW: i64 = 1_700_000_000;

/// Runs one input; nothing may panic.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let body = parts.next().unwrap_or_default();
    let private_key = parts.next().unwrap_or_default();
    let chain = parts.next();
    let _ = certificate::check(body, chain, private_key, NOW);
    let _ = certificate::check_signing(body, NOW);
}
