//! XML-DSig verification of one enveloped `ds:Signature` against a SAML provider's signing
//! certificates. Deliberately narrow: one `Reference` to the signature's own parent by `ID`,
//! only the enveloped-signature and exclusive-c14n transforms, RSA and ECDSA with SHA-2. The
//! signature's own `KeyInfo` is never used: only the provider's certificates verify.
//!
//! Self-contained (roxmltree, ring, x509-parser, data-encoding): the `saml_verify` fuzz
//! target compiles it by path.

use ring::digest;
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use roxmltree::{Document, Node, NodeId};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::c14n::{C14nError, canonicalize};

pub(crate) const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";

/// Why a signature does not hold. The SAML operation answers each with AWS's one
/// "signature invalid" error; the variants serve tests and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignatureError {
    /// Missing, repeated or unexpected elements in the signature's structure.
    Structure,
    /// An algorithm outside the accepted set (SHA-1, other transforms, inclusive c14n).
    Algorithm,
    /// The reference is not `#<ID of the signature's parent>`, or that ID is not unique.
    Reference,
    /// Canonicalization refused the signed subtree.
    Canonical(C14nError),
    /// The digest of the signed element does not match.
    Digest,
    /// No certificate of the provider verifies the SignedInfo.
    Signature,
}

/// A signing key of the provider, from one of its metadata's certificates.
#[derive(Debug, Clone)]
pub(crate) enum SigningKey {
    /// RSAPublicKey DER.
    Rsa(Vec<u8>),
    /// Uncompressed point on P-256.
    P256(Vec<u8>),
    /// Uncompressed point on P-384.
    P384(Vec<u8>),
}

impl SigningKey {
    /// The key of a DER certificate; `None` for an unparseable certificate or another
    /// key type (the provider's other certificates may still verify).
    pub(crate) fn from_certificate(der: &[u8]) -> Option<SigningKey> {
        let (_, certificate) = X509Certificate::from_der(der).ok()?;
        let spki = certificate.public_key();
        let key = spki.subject_public_key.data.to_vec();
        match spki.algorithm.algorithm.to_id_string().as_str() {
            OID_RSA => Some(SigningKey::Rsa(key)),
            OID_EC => {
                let curve = spki.algorithm.parameters.as_ref()?.as_oid().ok()?;
                match curve.to_id_string().as_str() {
                    OID_P256 => Some(SigningKey::P256(key)),
                    OID_P384 => Some(SigningKey::P384(key)),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// The accepted SignatureMethods: (URI, key kind, ring algorithm).
fn signature_algorithm(uri: &str, key: &SigningKey) -> Option<&'static dyn VerificationAlgorithm> {
    let rsa = matches!(key, SigningKey::Rsa(_));
    let algorithm: &'static dyn VerificationAlgorithm = match (uri, key) {
        ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", _) if rsa => {
            &signature::RSA_PKCS1_2048_8192_SHA256
        }
        ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha384", _) if rsa => {
            &signature::RSA_PKCS1_2048_8192_SHA384
        }
        ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", _) if rsa => {
            &signature::RSA_PKCS1_2048_8192_SHA512
        }
        ("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", SigningKey::P256(_)) => {
            &signature::ECDSA_P256_SHA256_FIXED
        }
        ("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384", SigningKey::P384(_)) => {
            &signature::ECDSA_P384_SHA384_FIXED
        }
        _ => return None,
    };
    Some(algorithm)
}

fn digest_algorithm(uri: &str) -> Option<&'static digest::Algorithm> {
    match uri {
        "http://www.w3.org/2001/04/xmlenc#sha256" => Some(&digest::SHA256),
        "http://www.w3.org/2001/04/xmldsig-more#sha384" => Some(&digest::SHA384),
        "http://www.w3.org/2001/04/xmlenc#sha512" => Some(&digest::SHA512),
        _ => None,
    }
}

/// The element children of `node` (whitespace and comments between them ignored).
fn elements<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(Node::is_element)
}

/// An element's text with its comments dropped (as c14n drops them); `None` when it has
/// element children.
pub(crate) fn element_text(node: Node<'_, '_>) -> Option<String> {
    let mut text = String::new();
    for child in node.children() {
        if child.is_element() {
            return None;
        }
        if let Some(part) = child.text().filter(|_| child.is_text()) {
            text.push_str(part);
        }
    }
    Some(text)
}

fn base64(text: &str) -> Result<Vec<u8>, SignatureError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    data_encoding::BASE64
        .decode(compact.as_bytes())
        .map_err(|_| SignatureError::Structure)
}

/// The InclusiveNamespaces PrefixList of a c14n method or transform, if any.
fn prefix_list(method: Node<'_, '_>) -> Result<Vec<String>, SignatureError> {
    let mut prefixes = Vec::new();
    for child in elements(method) {
        if !child.has_tag_name((EXC_C14N, "InclusiveNamespaces")) {
            return Err(SignatureError::Structure);
        }
        let list = child.attribute("PrefixList").unwrap_or("");
        prefixes.extend(list.split_ascii_whitespace().map(str::to_owned));
    }
    Ok(prefixes)
}

/// The element whose `ID` attribute is `id`, if exactly one element of the document has
/// it: a second element with the same ID (a wrapping attempt) refuses the reference.
fn unique_id<'a, 'i>(doc: &'a Document<'i>, id: &str) -> Option<Node<'a, 'i>> {
    let mut found = doc
        .descendants()
        .filter(|n| n.is_element() && n.attribute("ID") == Some(id));
    match (found.next(), found.next()) {
        (Some(node), None) => Some(node),
        _ => None,
    }
}

/// Verifies the enveloped `signature` with one of `keys`, and returns the element it signs
/// (always the signature's parent). Only that element's subtree, less the signature, is
/// covered: the caller must read nothing from outside it.
pub(crate) fn verify(
    doc: &Document<'_>,
    signature: Node<'_, '_>,
    keys: &[SigningKey],
) -> Result<NodeId, SignatureError> {
    // SignedInfo, SignatureValue, then optionally KeyInfo; no Object (it could carry a
    // second copy of anything).
    let mut children = elements(signature);
    let signed_info = children.next().ok_or(SignatureError::Structure)?;
    let value = children.next().ok_or(SignatureError::Structure)?;
    let rest: Vec<_> = children.collect();
    if !signed_info.has_tag_name((DSIG_NS, "SignedInfo"))
        || !value.has_tag_name((DSIG_NS, "SignatureValue"))
        || rest.len() > 1
        || rest.iter().any(|n| !n.has_tag_name((DSIG_NS, "KeyInfo")))
    {
        return Err(SignatureError::Structure);
    }

    let mut info = elements(signed_info);
    let c14n_method = info.next().ok_or(SignatureError::Structure)?;
    let sig_method = info.next().ok_or(SignatureError::Structure)?;
    let reference = info.next().ok_or(SignatureError::Structure)?;
    if info.next().is_some()
        || !c14n_method.has_tag_name((DSIG_NS, "CanonicalizationMethod"))
        || !sig_method.has_tag_name((DSIG_NS, "SignatureMethod"))
        || !reference.has_tag_name((DSIG_NS, "Reference"))
    {
        return Err(SignatureError::Structure);
    }
    if c14n_method.attribute("Algorithm") != Some(EXC_C14N) {
        return Err(SignatureError::Algorithm);
    }
    let info_prefixes = prefix_list(c14n_method)?;
    let sig_uri = sig_method
        .attribute("Algorithm")
        .ok_or(SignatureError::Algorithm)?;

    // The reference: `#ID` of the signature's parent, unique in the document.
    let parent = signature
        .parent_element()
        .ok_or(SignatureError::Reference)?;
    let id = reference
        .attribute("URI")
        .and_then(|uri| uri.strip_prefix('#'))
        .filter(|id| !id.is_empty())
        .ok_or(SignatureError::Reference)?;
    let target = unique_id(doc, id).ok_or(SignatureError::Reference)?;
    if target.id() != parent.id() {
        return Err(SignatureError::Reference);
    }

    let mut parts = elements(reference);
    let mut next = parts.next().ok_or(SignatureError::Structure)?;
    let mut enveloped = false;
    let mut c14n_prefixes = Vec::new();
    let mut c14n_seen = false;
    if next.has_tag_name((DSIG_NS, "Transforms")) {
        for transform in elements(next) {
            if !transform.has_tag_name((DSIG_NS, "Transform")) {
                return Err(SignatureError::Structure);
            }
            match transform.attribute("Algorithm") {
                Some(ENVELOPED) if !enveloped && !c14n_seen => enveloped = true,
                Some(EXC_C14N) if !c14n_seen => {
                    c14n_seen = true;
                    c14n_prefixes = prefix_list(transform)?;
                }
                _ => return Err(SignatureError::Algorithm),
            }
        }
        next = parts.next().ok_or(SignatureError::Structure)?;
    }
    // Without the enveloped transform the digest would cover the signature itself.
    if !enveloped {
        return Err(SignatureError::Algorithm);
    }
    let digest_method = next;
    let digest_value = parts.next().ok_or(SignatureError::Structure)?;
    if parts.next().is_some()
        || !digest_method.has_tag_name((DSIG_NS, "DigestMethod"))
        || !digest_value.has_tag_name((DSIG_NS, "DigestValue"))
    {
        return Err(SignatureError::Structure);
    }
    let algorithm = digest_method
        .attribute("Algorithm")
        .and_then(digest_algorithm)
        .ok_or(SignatureError::Algorithm)?;
    let expected = base64(&element_text(digest_value).ok_or(SignatureError::Structure)?)?;

    let signed = canonicalize(target, Some(signature.id()), &c14n_prefixes)
        .map_err(SignatureError::Canonical)?;
    let actual = digest::digest(algorithm, &signed);
    if actual.as_ref() != expected.as_slice() {
        return Err(SignatureError::Digest);
    }

    let info_bytes =
        canonicalize(signed_info, None, &info_prefixes).map_err(SignatureError::Canonical)?;
    let signature_bytes = base64(&element_text(value).ok_or(SignatureError::Structure)?)?;
    let mut known_algorithm = false;
    for key in keys {
        let Some(algorithm) = signature_algorithm(sig_uri, key) else {
            continue;
        };
        known_algorithm = true;
        let bytes = match key {
            SigningKey::Rsa(bytes) | SigningKey::P256(bytes) | SigningKey::P384(bytes) => bytes,
        };
        if UnparsedPublicKey::new(algorithm, bytes)
            .verify(&info_bytes, &signature_bytes)
            .is_ok()
        {
            return Ok(target.id());
        }
    }
    if known_algorithm {
        Err(SignatureError::Signature)
    } else {
        Err(SignatureError::Algorithm)
    }
}
