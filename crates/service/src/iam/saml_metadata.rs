//! A SAML IdP's metadata document, as CreateSAMLProvider and UpdateSAMLProvider check it and
//! AssumeRoleWithSAML verifies with it: the `EntityDescriptor`'s `entityID` and `validUntil`,
//! and the certificates of its `IDPSSODescriptor` that sign (reading 62).
//!
//! Parsed with roxmltree, which refuses DTDs (so no entity expansion and no external
//! entities); namespaces are matched by URI, never by prefix.

use roxmltree::{Document, Node, ParsingOptions};

use crate::error::{ServiceError, ServiceResult};

const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const DS: &str = "http://www.w3.org/2000/09/xmldsig#";

/// When a metadata document gives no `validUntil`, the provider is valid this long after
/// it is created or updated (reading 61: a hundred years).
pub(crate) const DEFAULT_VALIDITY_SECONDS: i64 = 100 * 365 * 86_400;

/// What a metadata document says about its IdP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SamlMetadata {
    /// The `EntityDescriptor`'s `entityID` (the assertions' `Issuer`).
    pub(crate) entity_id: String,
    /// Its `validUntil` (Unix seconds), when given.
    pub(crate) valid_until: Option<i64>,
    /// The DER of each signing certificate, in document order.
    pub(crate) signing_certificates: Vec<Vec<u8>>,
}

fn invalid(detail: &str) -> ServiceError {
    ServiceError::invalid_input(format!("Could not parse metadata: {detail}"))
}

/// Reads a metadata document: one `EntityDescriptor` (the root, or the only one of an
/// `EntitiesDescriptor`) with an `entityID`, an `IDPSSODescriptor`, and at least one signing
/// certificate that parses as X.509. `InvalidInput` otherwise.
pub(crate) fn parse(metadata: &str) -> ServiceResult<SamlMetadata> {
    let options = ParsingOptions {
        allow_dtd: false,
        ..ParsingOptions::default()
    };
    let document =
        Document::parse_with_options(metadata, options).map_err(|_| invalid("not XML"))?;
    let root = document.root_element();
    let entity = if is(root, MD, "EntityDescriptor") {
        root
    } else if is(root, MD, "EntitiesDescriptor") {
        let mut entities = root.children().filter(|n| is(*n, MD, "EntityDescriptor"));
        match (entities.next(), entities.next()) {
            (Some(only), None) => only,
            _ => return Err(invalid("expected exactly one EntityDescriptor")),
        }
    } else {
        return Err(invalid("the root is not an EntityDescriptor"));
    };
    let entity_id = entity
        .attribute("entityID")
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| invalid("the EntityDescriptor has no entityID"))?
        .to_owned();
    let valid_until = match entity.attribute("validUntil") {
        Some(text) => Some(
            wire::Timestamp::parse_iso8601(text.trim())
                .map_err(|_| invalid("validUntil is not a date-time"))?
                .unix_seconds(),
        ),
        None => None,
    };
    let idp = entity
        .children()
        .find(|n| is(*n, MD, "IDPSSODescriptor"))
        .ok_or_else(|| invalid("no IDPSSODescriptor"))?;
    let mut signing_certificates = Vec::new();
    for key in idp.children().filter(|n| is(*n, MD, "KeyDescriptor")) {
        // A key without `use` serves both signing and encryption.
        if key.attribute("use").is_some_and(|u| u != "signing") {
            continue;
        }
        let certificates = key.descendants().filter(|n| is(*n, DS, "X509Certificate"));
        for certificate in certificates {
            signing_certificates.push(certificate_der(certificate)?);
        }
    }
    if signing_certificates.is_empty() {
        return Err(invalid("no signing certificate"));
    }
    Ok(SamlMetadata {
        entity_id,
        valid_until,
        signing_certificates,
    })
}

/// The DER of each signing certificate of the metadata's IdP (see [`parse`]).
#[allow(
    dead_code,
    reason = "the interface AssumeRoleWithSAML (helper saml, issue 13) verifies with"
)]
pub(crate) fn signing_certificates(metadata: &str) -> ServiceResult<Vec<Vec<u8>>> {
    parse(metadata).map(|m| m.signing_certificates)
}

fn is(node: Node<'_, '_>, namespace: &str, name: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == name
        && node.tag_name().namespace() == Some(namespace)
}

fn certificate_der(node: Node<'_, '_>) -> ServiceResult<Vec<u8>> {
    let text: String = node
        .children()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .flat_map(str::chars)
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let der = data_encoding::BASE64
        .decode(text.as_bytes())
        .map_err(|_| invalid("a certificate is not base64"))?;
    match x509_parser::parse_x509_certificate(&der) {
        Ok(([], _)) => Ok(der),
        _ => Err(invalid("a certificate is not X.509")),
    }
}

/// A metadata document of an IdP `entity_id` with a fresh signing certificate, long enough
/// for the model's 1,000 characters (test fixtures).
#[cfg(test)]
pub(crate) fn sample_metadata(entity_id: &str) -> String {
    let key = rcgen::KeyPair::generate().ok();
    let params = rcgen::CertificateParams::new(vec!["idp.example.com".to_owned()]).ok();
    let der = key
        .zip(params)
        .and_then(|(key, params)| params.self_signed(&key).ok())
        .map(|certificate| certificate.der().to_vec())
        .unwrap_or_default();
    // Wrapped at 64 columns as IdPs write it; the padding keeps short documents valid.
    let base64 = data_encoding::BASE64.encode(&der);
    let wrapped: Vec<&str> = base64
        .as_bytes()
        .chunks(64)
        .filter_map(|line| std::str::from_utf8(line).ok())
        .collect();
    format!(
        "<md:EntityDescriptor xmlns:md=\"{MD}\" xmlns:ds=\"{DS}\" entityID=\"{entity_id}\">\n\
         <md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\n\
         <md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>\n{}\n\
         </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n\
         <md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" \
         Location=\"https://idp.example.com/sso\"/>\n\
         </md:IDPSSODescriptor>\n<!-- {} -->\n</md:EntityDescriptor>\n",
        wrapped.join("\n"),
        "padding ".repeat(60)
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

    use super::*;

    fn certificate_b64() -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["idp.example.com".to_owned()]).unwrap();
        let certificate = params.self_signed(&key).unwrap();
        data_encoding::BASE64.encode(certificate.der())
    }

    fn metadata(valid_until: &str, keys: &str) -> String {
        format!(
            "<md:EntityDescriptor xmlns:md=\"{MD}\" xmlns:ds=\"{DS}\" \
             entityID=\"https://idp.example.com/saml\" {valid_until}>\
             <md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\
             {keys}</md:IDPSSODescriptor></md:EntityDescriptor>"
        )
    }

    fn key(usage: &str, certificate: &str) -> String {
        format!(
            "<md:KeyDescriptor {usage}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>\n\
             {certificate}\n</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        )
    }

    #[test]
    fn reads_entity_validity_and_signing_keys_only() {
        let (signing, encryption, both) = (certificate_b64(), certificate_b64(), certificate_b64());
        let keys = [
            key("use=\"signing\"", &signing),
            key("use=\"encryption\"", &encryption),
            key("", &both),
        ]
        .concat();
        let read = parse(&metadata("validUntil=\"2030-01-02T03:04:05Z\"", &keys)).unwrap();
        assert_eq!(read.entity_id, "https://idp.example.com/saml");
        assert_eq!(read.valid_until, Some(1_893_553_445));
        let expected: Vec<Vec<u8>> = [signing, both]
            .iter()
            .map(|b| data_encoding::BASE64.decode(b.as_bytes()).unwrap())
            .collect();
        assert_eq!(read.signing_certificates, expected);
        let plain = parse(&metadata("", &key("", &certificate_b64()))).unwrap();
        assert_eq!(plain.valid_until, None);
    }

    #[test]
    fn refuses_what_is_not_usable_metadata() {
        let good = key("use=\"signing\"", &certificate_b64());
        let cases = [
            ("not xml".to_owned(), "not XML"),
            (
                format!("<!DOCTYPE x [<!ENTITY e \"a\">]>{}", metadata("", &good)),
                "not XML",
            ),
            ("<EntityDescriptor entityID=\"x\"/>".to_owned(), "root"),
            (metadata("validUntil=\"soon\"", &good), "validUntil"),
            (
                metadata("", &key("use=\"encryption\"", &certificate_b64())),
                "no signing",
            ),
            (metadata("", &key("", "bm90IGEgY2VydA==")), "not X.509"),
            (metadata("", &key("", "***")), "not base64"),
            (
                metadata("", &good).replace("entityID=\"https://idp.example.com/saml\"", ""),
                "entityID",
            ),
            (
                metadata("", "").replace("IDPSSODescriptor", "SPSSODescriptor"),
                "IDPSSODescriptor",
            ),
        ];
        for (document, why) in cases {
            let error = parse(&document).unwrap_err();
            assert!(error.to_string().contains(why), "{why}: {error}");
        }
    }
}
