//! X.509 certificates as IAM takes them (signing and server certificates): one PEM block,
//! a DER certificate that parses whole, not yet expired; its SHA-256 identifies it.

use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::public_key::pem_block;

/// A certificate that passed IAM's checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The DER encoding.
    pub der: Vec<u8>,
    /// Start of validity, Unix seconds.
    pub not_before: i64,
    /// End of validity (IAM's `Expiration`), Unix seconds.
    pub not_after: i64,
    /// The certificate's public key (SubjectPublicKeyInfo), DER.
    pub public_key: Vec<u8>,
}

/// AWS's words when the text is not a PEM certificate.
pub const UNPARSABLE: &str =
    "Unable to parse certificate. Please ensure the certificate is in PEM format.";

impl Certificate {
    /// Parses a PEM certificate; `Err` carries the `MalformedCertificate` message.
    pub fn parse_pem(text: &str, now: i64) -> Result<Certificate, &'static str> {
        let (label, der) = pem_block(text).ok_or(UNPARSABLE)?;
        if label != "CERTIFICATE" {
            return Err(UNPARSABLE);
        }
        let (rest, parsed) = X509Certificate::from_der(&der).map_err(|_| UNPARSABLE)?;
        if !rest.is_empty() {
            return Err(UNPARSABLE);
        }
        let validity = parsed.validity();
        let not_before = validity.not_before.timestamp();
        let not_after = validity.not_after.timestamp();
        if not_after < now {
            return Err("The certificate has expired.");
        }
        let public_key = parsed.public_key().raw.to_vec();
        Ok(Certificate {
            not_before,
            not_after,
            public_key,
            der,
        })
    }

    /// The SHA-256 of the DER, hex: the same certificate uploaded twice has the same one.
    pub fn fingerprint(&self) -> String {
        Sha256::digest(&self.der)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}
