//! What the `public_key_parse` fuzz target does with one input: the SSH public key reader of
//! UploadSSHPublicKey (OpenSSH `ssh-rsa` and PEM, with its small DER reader), then both
//! encodings of whatever it accepts, which must read back as the same key. Shared by the
//! target and by the service crate's replay of the committed inputs.

#[allow(dead_code)]
#[path = "../../crates/service/src/public_key.rs"]
mod public_key;

/// Runs one input; nothing may panic, and an accepted key survives both encodings.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(key) = public_key::RsaPublicKey::parse(&text) {
        let _ = key.fingerprint();
        assert_eq!(
            public_key::RsaPublicKey::parse(&key.to_openssh()).ok(),
            Some(key.clone())
        );
        assert_eq!(
            public_key::RsaPublicKey::parse(&key.to_pem()).ok(),
            Some(key)
        );
    }
}
