//! What UploadServerCertificate (and, for the body alone, UploadSigningCertificate) checks
//! of what it is given: the body is one X.509 certificate
//! in PEM, valid now, with an RSA (1024 to 4096 bits) or EC (P-256, P-384) public key; the
//! private key (PEM: PKCS#1, PKCS#8 or SEC1, unencrypted) is that key's private half; the
//! optional chain is PEM certificates, each the issuer of the one before it. Pure: no I/O.

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, EcdsaSigningAlgorithm};
use x509_parser::certificate::X509Certificate;
use x509_parser::der_parser::ber::BerObject;
use x509_parser::der_parser::der::parse_der;
use x509_parser::der_parser::oid::Oid;
use x509_parser::error::{PEMError, X509Error};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_PKCS1_RSAENCRYPTION,
};
use x509_parser::pem::Pem;
use x509_parser::public_key::PublicKey;
use zeroize::Zeroizing;

use crate::error::{ServiceError, ServiceResult};

/// RSA moduli IAM takes, in bits.
const RSA_BITS: std::ops::RangeInclusive<usize> = 1024..=4096;

/// Checks an upload and answers the certificate's expiration (its `notAfter`, epoch seconds).
pub(crate) fn check(
    body: &str,
    chain: Option<&str>,
    private_key: &str,
    now: i64,
) -> ServiceResult<i64> {
    let body_der = single_certificate(body).ok_or_else(malformed_body)?;
    let certificate = parse_certificate(&body_der).ok_or_else(malformed_body)?;
    let expiration = valid_now(&certificate, now)?;
    let public = Public::of(&certificate)?;
    let key = Private::from_pem(private_key).ok_or_else(|| {
        ServiceError::malformed_certificate(
            "Unable to parse private key. Please ensure the private key is an unencrypted PEM-encoded RSA or EC key.",
        )
    })?;
    if !public.is_half_of(&key) {
        return Err(ServiceError::key_pair_mismatch(
            "The private key does not match the public key of the certificate.",
        ));
    }
    if let Some(chain) = chain {
        check_chain(&certificate, chain)?;
    }
    Ok(expiration)
}

/// Whether `text` is one unencrypted PEM private key, RSA or EC (a SAML provider's key for
/// encrypted assertions).
pub(crate) fn is_private_key(text: &str) -> bool {
    Private::from_pem(text).is_some()
}

/// The PKCS#1 `RSAPrivateKey` DER of a PEM RSA key (`RSA PRIVATE KEY` or PKCS#8); `None`
/// for an EC key or anything else (a SAML provider's EC key never decrypts: reading 75).
pub(crate) fn rsa_private_key(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    match Private::from_pem(text)? {
        Private::Rsa { der } => Some(der),
        Private::Ec { .. } => None,
    }
}

/// Checks a signing certificate (UploadSigningCertificate): one PEM certificate, valid now.
/// Answers its SHA-256 in hex, which identifies the same certificate uploaded twice, and its
/// expiration.
pub(crate) fn check_signing(body: &str, now: i64) -> ServiceResult<(String, i64)> {
    use sha2::{Digest, Sha256};
    // AWS's words for a signing certificate it cannot read quote the body (recorded).
    let malformed = || {
        ServiceError::malformed_certificate(format!("Certificate {} is malformed.", body.trim()))
    };
    let der = single_certificate(body).ok_or_else(malformed)?;
    let certificate = parse_certificate(&der).ok_or_else(malformed)?;
    let expiration = valid_now(&certificate, now)?;
    let fingerprint = Sha256::digest(&der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((fingerprint, expiration))
}

/// The certificate's expiration, if `now` is within its validity.
fn valid_now(certificate: &X509Certificate<'_>, now: i64) -> ServiceResult<i64> {
    let validity = certificate.validity();
    let expiration = validity.not_after.timestamp();
    if now < validity.not_before.timestamp() || now > expiration {
        return Err(ServiceError::malformed_certificate(
            "The certificate is not valid at the time of upload: it has expired or is not valid yet.",
        ));
    }
    Ok(expiration)
}

fn malformed_body() -> ServiceError {
    ServiceError::malformed_certificate(
        "Unable to parse certificate. Please ensure the certificate is in PEM format.",
    )
}

/// The PEM blocks of `text`, in order; `None` when one is broken.
fn pem_blocks(text: &str) -> Option<Vec<Pem>> {
    let mut blocks = Vec::new();
    for block in Pem::iter_from_buffer(text.as_bytes()) {
        match block {
            Ok(block) => blocks.push(block),
            // What follows the last block (a final newline) is no block.
            Err(PEMError::MissingHeader) => break,
            Err(_) => return None,
        }
    }
    Some(blocks)
}

/// The DER of the one certificate `text` holds, if it holds exactly one block and that is one.
fn single_certificate(text: &str) -> Option<Vec<u8>> {
    match pem_blocks(text)?.as_mut_slice() {
        [block] if block.label == "CERTIFICATE" => Some(std::mem::take(&mut block.contents)),
        _ => None,
    }
}

/// A whole DER certificate: nothing may follow it.
fn parse_certificate(der: &[u8]) -> Option<X509Certificate<'_>> {
    match x509_parser::parse_x509_certificate(der) {
        Ok(([], certificate)) => Some(certificate),
        _ => None,
    }
}

/// A certificate's public key, of a kind IAM takes.
enum Public<'a> {
    /// Modulus and public exponent, big-endian without leading zeros.
    Rsa {
        modulus: &'a [u8],
        exponent: &'a [u8],
    },
    /// The curve and the point (uncompressed, as in the certificate).
    Ec {
        curve: &'static EcdsaSigningAlgorithm,
        curve_oid: Oid<'static>,
        point: &'a [u8],
    },
}

impl<'a> Public<'a> {
    fn of(certificate: &'a X509Certificate<'a>) -> ServiceResult<Public<'a>> {
        let spki = certificate.public_key();
        let public = match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => {
                let modulus = unsigned(rsa.modulus);
                RSA_BITS.contains(&bits(modulus)).then(|| Public::Rsa {
                    modulus,
                    exponent: unsigned(rsa.exponent),
                })
            }
            Ok(PublicKey::EC(_)) => {
                let named = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok());
                named.and_then(|oid| {
                    curve(&oid).map(|(curve, curve_oid)| Public::Ec {
                        curve,
                        curve_oid,
                        point: spki.subject_public_key.data.as_ref(),
                    })
                })
            }
            _ => None,
        };
        public.ok_or_else(|| {
            ServiceError::malformed_certificate(
                "Unsupported public key: a server certificate's key must be RSA of 1024 to 4096 bits, or EC on the P-256 or P-384 curve.",
            )
        })
    }

    /// Whether `key` is this key's private half: for RSA the same modulus and exponent; for
    /// EC the same curve and a private scalar that yields this point.
    fn is_half_of(&self, key: &Private) -> bool {
        match (self, key) {
            (Public::Rsa { modulus, exponent }, Private::Rsa { der }) => {
                rsa_public_parts(der).is_some_and(|(n, e)| n == *modulus && e == *exponent)
            }
            (
                Public::Ec {
                    curve,
                    curve_oid,
                    point,
                },
                Private::Ec { der, curve: named },
            ) => {
                named.as_ref().is_none_or(|named| named == curve_oid)
                    && ec_scalar(der).is_some_and(|scalar| {
                        let rng = SystemRandom::new();
                        EcdsaKeyPair::from_private_key_and_public_key(curve, scalar, point, &rng)
                            .is_ok()
                    })
            }
            _ => false,
        }
    }
}

/// The signing algorithm (for its curve) and the OID of a named curve IAM takes.
fn curve(oid: &Oid<'_>) -> Option<(&'static EcdsaSigningAlgorithm, Oid<'static>)> {
    if *oid == OID_EC_P256 {
        Some((&signature::ECDSA_P256_SHA256_ASN1_SIGNING, OID_EC_P256))
    } else if *oid == OID_NIST_EC_P384 {
        Some((&signature::ECDSA_P384_SHA384_ASN1_SIGNING, OID_NIST_EC_P384))
    } else {
        None
    }
}

/// An unencrypted private key, as its structure's DER (zeroed when dropped).
enum Private {
    /// PKCS#1 `RSAPrivateKey`.
    Rsa { der: Zeroizing<Vec<u8>> },
    /// SEC 1 `ECPrivateKey`, with the curve its wrapping names, if any.
    Ec {
        der: Zeroizing<Vec<u8>>,
        curve: Option<Oid<'static>>,
    },
}

impl Private {
    /// The one key of `text` (an EC key may follow its `EC PARAMETERS` block, as
    /// `openssl ecparam -genkey` writes it); `None` for anything else, encrypted keys included.
    fn from_pem(text: &str) -> Option<Private> {
        let mut keys = pem_blocks(text)?
            .into_iter()
            .filter(|block| block.label != "EC PARAMETERS");
        let block = keys.next()?;
        if keys.next().is_some() {
            return None;
        }
        let der = Zeroizing::new(block.contents);
        match block.label.as_str() {
            "RSA PRIVATE KEY" => Some(Private::Rsa { der }),
            "EC PRIVATE KEY" => {
                let curve = sec1_curve(&der)?;
                Some(Private::Ec { der, curve })
            }
            "PRIVATE KEY" => unwrap_pkcs8(&der),
            _ => None,
        }
    }
}

/// The items of the DER sequence `der` is, which nothing may follow.
fn sequence(der: &[u8]) -> Option<Vec<BerObject<'_>>> {
    match parse_der(der) {
        Ok(([], object)) => object.as_sequence().ok().cloned(),
        _ => None,
    }
}

/// PKCS#8 `PrivateKeyInfo`: the RSA or EC key inside, with the curve its algorithm names.
fn unwrap_pkcs8(der: &[u8]) -> Option<Private> {
    let items = sequence(der)?;
    let algorithm = items.get(1)?.as_sequence().ok()?;
    let inner = Zeroizing::new(items.get(2)?.as_slice().ok()?.to_vec());
    let kind = algorithm.first()?.as_oid().ok()?;
    if *kind == OID_PKCS1_RSAENCRYPTION {
        Some(Private::Rsa { der: inner })
    } else if *kind == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let named = algorithm.get(1)?.as_oid().ok()?.to_owned();
        let curve = sec1_curve(&inner)?.or(Some(named));
        Some(Private::Ec { der: inner, curve })
    } else {
        None
    }
}

/// The curve a SEC 1 `ECPrivateKey` names in its optional `[0] parameters`; `None` inside
/// when it names none, `None` outside when it is malformed.
fn sec1_curve(der: &[u8]) -> Option<Option<Oid<'static>>> {
    let items = sequence(der)?;
    items.get(1)?.as_slice().ok()?;
    let parameters = items
        .iter()
        .skip(2)
        .find(|item| item.header.is_contextspecific() && item.header.tag().0 == 0);
    match parameters {
        None => Some(None),
        Some(tagged) => {
            let (_, oid) = parse_der(tagged.as_slice().ok()?).ok()?;
            Some(Some(oid.as_oid().ok()?.to_owned()))
        }
    }
}

/// The private scalar of a SEC 1 `ECPrivateKey`.
fn ec_scalar(der: &[u8]) -> Option<&[u8]> {
    match parse_der(der) {
        Ok((_, object)) => object.as_sequence().ok()?.get(1)?.as_slice().ok(),
        Err(_) => None,
    }
}

/// The modulus and public exponent of a PKCS#1 `RSAPrivateKey`, without leading zeros.
fn rsa_public_parts(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (_, object) = parse_der(der).ok()?;
    let items = object.as_sequence().ok()?;
    let modulus = items.get(1)?.as_slice().ok()?;
    let exponent = items.get(2)?.as_slice().ok()?;
    Some((unsigned(modulus), unsigned(exponent)))
}

/// A DER integer's bytes without the leading zeros of its sign.
fn unsigned(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    bytes.get(zeros..).unwrap_or_default()
}

/// The bit length of a big-endian unsigned integer without leading zeros.
fn bits(bytes: &[u8]) -> usize {
    bytes.first().map_or(0, |first| {
        (bytes.len() - 1) * 8 + (8 - first.leading_zeros() as usize)
    })
}

/// The chain: PEM certificates only, at least one, each the issuer of the one before it (the
/// first of the body), by name and, where our verifier knows the algorithm, by signature.
fn check_chain(body: &X509Certificate<'_>, chain: &str) -> ServiceResult<()> {
    let malformed = || {
        ServiceError::malformed_certificate(
            "Unable to parse certificate chain. Please ensure the certificate chain is in PEM format.",
        )
    };
    let blocks = pem_blocks(chain).ok_or_else(malformed)?;
    if blocks.is_empty() || blocks.iter().any(|b| b.label != "CERTIFICATE") {
        return Err(malformed());
    }
    let certificates = blocks
        .iter()
        .map(|b| parse_certificate(&b.contents))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(malformed)?;
    let mut child = body;
    for (index, issuer) in certificates.iter().enumerate() {
        if !issued_by(child, issuer) {
            return Err(ServiceError::malformed_certificate(format!(
                "Unable to validate certificate chain. The certificate chain must start with the immediate signing certificate, followed by any intermediaries in order. The index within the chain of the invalid certificate is: {index}"
            )));
        }
        child = issuer;
    }
    Ok(())
}

/// Whether `issuer` issued `child`: its subject is the child's issuer, and its key verifies
/// the child's signature. Names alone decide where our verifier lacks the algorithm or (RSA
/// under 2,048 bits, which IAM takes) the key size.
fn issued_by(child: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    let small_rsa = matches!(
        issuer.public_key().parsed(),
        Ok(PublicKey::RSA(rsa)) if bits(unsigned(rsa.modulus)) < 2048
    );
    child.issuer().as_raw() == issuer.subject().as_raw()
        && (small_rsa
            || match child.verify_signature(Some(issuer.public_key())) {
                Ok(()) | Err(X509Error::SignatureUnsupportedAlgorithm) => true,
                Err(_) => false,
            })
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        reason = "test code fails loudly"
    )]

    use rcgen::{
        BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, SignatureAlgorithm,
        date_time_ymd,
    };

    use super::*;

    /// Inside every test certificate's validity (2020 to 2040).
    const NOW: i64 = 1_700_000_000;

    /// A throwaway RSA key made for these tests (`openssl genpkey`); rcgen cannot make one.
    fn rsa_key() -> KeyPair {
        KeyPair::from_pem(include_str!("../tests/data/rsa-2048.pem")).unwrap()
    }

    fn params(name: &str) -> CertificateParams {
        let mut params = CertificateParams::new(vec![format!("{name}.example.com")]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = date_time_ymd(2040, 1, 1);
        params
    }

    /// A self-signed certificate for `key`, in PEM.
    fn certificate(key: &KeyPair) -> String {
        params("leaf").self_signed(key).unwrap().pem()
    }

    fn key(algorithm: &'static SignatureAlgorithm) -> KeyPair {
        KeyPair::generate_for(algorithm).unwrap()
    }

    /// The key inside a PKCS#8 key (PKCS#1 for RSA, SEC 1 for EC), as PEM under `label`.
    fn inner(key: &KeyPair, label: &str) -> String {
        let der = key.serialize_der();
        let (_, info) = parse_der(&der).unwrap();
        let inner = info.as_sequence().unwrap()[2].as_slice().unwrap();
        let text = data_encoding::BASE64.encode(inner);
        let lines: Vec<&str> = text
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            lines.join("\n")
        )
    }

    fn code_and_message(result: ServiceResult<i64>) -> (&'static str, String) {
        let error = result.unwrap_err();
        (error.code(), error.message())
    }

    #[test]
    fn each_key_form_of_each_kind_matches_its_certificate() {
        let rsa = rsa_key();
        let p256 = key(&rcgen::PKCS_ECDSA_P256_SHA256);
        let p384 = key(&rcgen::PKCS_ECDSA_P384_SHA384);
        let with_parameters = format!(
            "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n{}",
            inner(&p256, "EC PRIVATE KEY")
        );
        let cases = [
            (&rsa, rsa.serialize_pem()),
            (&rsa, inner(&rsa, "RSA PRIVATE KEY")),
            (&p256, p256.serialize_pem()),
            (&p256, inner(&p256, "EC PRIVATE KEY")),
            (&p256, with_parameters),
            (&p384, p384.serialize_pem()),
            (&p384, inner(&p384, "EC PRIVATE KEY")),
        ];
        for (pair, private) in cases {
            let expiration = check(&certificate(pair), None, &private, NOW).unwrap();
            assert_eq!(expiration, 2_208_988_800, "{private}");
        }
    }

    #[test]
    fn another_key_is_a_mismatch() {
        let rsa = rsa_key();
        let p256 = key(&rcgen::PKCS_ECDSA_P256_SHA256);
        let other = key(&rcgen::PKCS_ECDSA_P256_SHA256);
        let p384 = key(&rcgen::PKCS_ECDSA_P384_SHA384);
        for (pair, private) in [
            (&p256, other.serialize_pem()),
            (&p256, inner(&other, "EC PRIVATE KEY")),
            (&p256, p384.serialize_pem()),
            (&p384, p256.serialize_pem()),
            (&rsa, p256.serialize_pem()),
            (&p256, rsa.serialize_pem()),
            (&p256, inner(&rsa, "RSA PRIVATE KEY")),
        ] {
            assert_eq!(
                code_and_message(check(&certificate(pair), None, &private, NOW)),
                (
                    "KeyPairMismatch",
                    "The private key does not match the public key of the certificate.".to_owned()
                )
            );
        }
    }

    #[test]
    fn a_body_that_is_not_one_pem_certificate_is_malformed() {
        let pair = key(&rcgen::PKCS_ECDSA_P256_SHA256);
        let good = certificate(&pair);
        let broken_base64 = good.replacen("MII", "M!I", 1);
        let truncated = good.replace("-----END CERTIFICATE-----", "");
        for body in [
            "not a certificate".to_owned(),
            format!("{good}{good}"),
            pair.serialize_pem(),
            broken_base64,
            truncated,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_owned(),
        ] {
            assert_eq!(
                code_and_message(check(&body, None, &pair.serialize_pem(), NOW)),
                (
                    "MalformedCertificate",
                    "Unable to parse certificate. Please ensure the certificate is in PEM format."
                        .to_owned()
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn a_key_that_is_not_one_unencrypted_pem_key_is_malformed() {
        let pair = key(&rcgen::PKCS_ECDSA_P256_SHA256);
        let body = certificate(&pair);
        let pem = pair.serialize_pem();
        for private in [
            "not a key".to_owned(),
            pem.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY"),
            format!("{pem}{pem}"),
            body.clone(),
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_owned(),
        ] {
            let (code, message) = code_and_message(check(&body, None, &private, NOW));
            assert_eq!(code, "MalformedCertificate", "{private}");
            assert!(
                message.starts_with("Unable to parse private key."),
                "{message}"
            );
        }
    }

    #[test]
    fn only_rsa_and_the_two_nist_curves_are_taken() {
        let ed25519 = key(&rcgen::PKCS_ED25519);
        let (code, message) = code_and_message(check(
            &certificate(&ed25519),
            None,
            &ed25519.serialize_pem(),
            NOW,
        ));
        assert_eq!(code, "MalformedCertificate");
        assert!(message.starts_with("Unsupported public key"), "{message}");
    }

    #[test]
    fn a_certificate_must_be_valid_when_uploaded() {
        let pair = key(&rcgen::PKCS_ECDSA_P256_SHA256);
        let body = certificate(&pair);
        let private = pair.serialize_pem();
        let not_before = 1_577_836_800;
        let not_after = 2_208_988_800;
        for now in [not_before - 1, not_after + 1] {
            let (code, message) = code_and_message(check(&body, None, &private, now));
            assert_eq!(code, "MalformedCertificate");
            assert!(
                message.contains("not valid at the time of upload"),
                "{message}"
            );
        }
        for now in [not_before, not_after] {
            check(&body, None, &private, now).unwrap();
        }
    }

    /// A root, an intermediate it issued, and a leaf the intermediate issued: (root,
    /// intermediate, leaf certificate, leaf key), in PEM.
    fn hierarchy() -> (String, String, String, String) {
        let ca = |name: &str| {
            let mut params = params(name);
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params
        };
        let root_key = key(&rcgen::PKCS_ECDSA_P384_SHA384);
        let root = ca("root").self_signed(&root_key).unwrap().pem();
        let root_issuer = Issuer::new(ca("root"), root_key);
        let middle_key = rsa_key();
        let middle = ca("middle")
            .signed_by(&middle_key, &root_issuer)
            .unwrap()
            .pem();
        let middle_issuer = Issuer::new(ca("middle"), middle_key);
        let leaf_key = key(&rcgen::PKCS_ECDSA_P256_SHA256);
        let leaf = params("leaf")
            .signed_by(&leaf_key, &middle_issuer)
            .unwrap()
            .pem();
        (root, middle, leaf, leaf_key.serialize_pem())
    }

    #[test]
    fn a_chain_runs_from_the_issuer_of_the_body_upwards() {
        let (root, middle, leaf, private) = hierarchy();
        for chain in [middle.clone(), format!("{middle}{root}")] {
            check(&leaf, Some(&chain), &private, NOW).unwrap();
        }
        let stranger = certificate(&key(&rcgen::PKCS_ECDSA_P256_SHA256));
        for (chain, index) in [
            (format!("{root}{middle}"), 0),
            (root.clone(), 0),
            (format!("{middle}{stranger}"), 1),
            (format!("{middle}{root}{middle}"), 2),
        ] {
            assert_eq!(
                code_and_message(check(&leaf, Some(&chain), &private, NOW)),
                (
                    "MalformedCertificate",
                    format!(
                        "Unable to validate certificate chain. The certificate chain must start with the immediate signing certificate, followed by any intermediaries in order. The index within the chain of the invalid certificate is: {index}"
                    )
                )
            );
        }
        for chain in [
            "\n".to_owned(),
            private.clone(),
            format!("{middle}{private}"),
        ] {
            let (code, message) = code_and_message(check(&leaf, Some(&chain), &private, NOW));
            assert_eq!(code, "MalformedCertificate");
            assert!(message.starts_with("Unable to parse certificate chain."));
        }
    }

    #[test]
    fn a_forged_issuer_with_the_right_name_is_refused() {
        let (_, middle, leaf, private) = hierarchy();
        // The same subject name, another key: the leaf's signature does not verify.
        let mut params = params("middle");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let forged = params
            .self_signed(&key(&rcgen::PKCS_ECDSA_P256_SHA256))
            .unwrap()
            .pem();
        assert_ne!(forged, middle);
        let (_, message) = code_and_message(check(&leaf, Some(&forged), &private, NOW));
        assert!(message.ends_with("is: 0"), "{message}");
    }
}
