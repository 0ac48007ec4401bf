//! The SAML response of AssumeRoleWithSAML, read and checked: parsed with roxmltree (no DTD,
//! so no entities and no XXE; a node cap), every signature verified against the provider's
//! keys, wrapping refused (one Assertion in the whole document, signed itself or inside the
//! signed Response), an encrypted assertion decrypted and held to the same rules, then the
//! assertion's conditions and subject confirmation checked and its subject and attributes
//! read, from the signed subtree only.
//!
//! Self-contained (with `c14n.rs`, `xmldsig.rs`, `xmlenc.rs` and the `wire` crate's
//! timestamps): the `saml_verify` fuzz target and the corpus test compile it by path.

use roxmltree::{Document, Node, NodeType, ParsingOptions};

use super::xmldsig::{DSIG_NS, SignatureError, SigningKey, element_text, verify};
use super::xmlenc::{self, Decrypter};

pub(crate) const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub(crate) const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
/// At most this many XML nodes in a response: a real one has a few hundred.
const NODES_LIMIT: u32 = 20_000;
/// At most this deep: a real response nests about ten levels.
pub(crate) const MAX_DEPTH: usize = 64;
/// Clock skew allowed on `NotBefore` (an IdP's clock a little ahead of ours).
pub(crate) const NOT_BEFORE_SKEW: i64 = 300;

/// Why an assertion is refused. The operation maps each to AWS's error and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AssertionError {
    /// Not XML, a DTD (entities, XXE), too many nodes, a processing instruction, or not a
    /// SAML Response.
    Malformed,
    /// The response's status is not Success.
    Status,
    /// No signature at all.
    Unsigned,
    /// A signature that does not hold, or one in a place a signature may not be.
    Signature(SignatureError),
    /// More than one Assertion, or the signature covers another element than the one read.
    Wrapping,
    /// An encrypted assertion that does not decrypt with the provider's keys, or whose
    /// plaintext is not one assertion that the signatures cover: one answer whatever the
    /// reason, so that nothing tells a forger how far a changed ciphertext got (reading 75).
    Decryption,
    /// A plain assertion for a provider whose `AssertionEncryptionMode` is `Required`.
    EncryptionRequired,
    /// An element or attribute the assertion must have is missing or repeated.
    Missing(&'static str),
    /// An attribute `Name` appears twice.
    DuplicateAttribute,
    /// `NotOnOrAfter` (conditions or subject confirmation) is past.
    Expired,
    /// `NotBefore` is ahead of us beyond the skew.
    NotYetValid,
    /// No `Audience` of the conditions is AWS's sign-in endpoint.
    Audience,
    /// The bearer confirmation's `Recipient` is not AWS's sign-in endpoint.
    Recipient,
    /// The assertion's issuer is not the provider's entity.
    Issuer,
}

/// The provider a response is verified for.
#[derive(Clone, Copy)]
pub(crate) struct Provider<'a> {
    /// The signing keys of its metadata.
    pub signing: &'a [SigningKey],
    /// Its metadata's entityID, which the assertion's Issuer must name.
    pub entity_id: &'a str,
    /// Its unique id: AWS's sign-in endpoint for it, `.../saml/acs/<id>`, is a valid
    /// Recipient (the endpoint an IdP encrypting its assertions posts to).
    pub acs_id: &'a str,
    /// `AssertionEncryptionMode` `Required`: a plain assertion is refused.
    pub encryption_required: bool,
    /// Its private keys; `None` when it has none (an encrypted assertion is refused).
    pub decrypter: Option<&'a dyn Decrypter>,
}

impl std::fmt::Debug for Provider<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("entity_id", &self.entity_id)
            .field("acs_id", &self.acs_id)
            .field("encryption_required", &self.encryption_required)
            .field("decrypter", &self.decrypter.is_some())
            .finish_non_exhaustive()
    }
}

/// What a verified assertion says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Assertion {
    pub issuer: String,
    pub subject: String,
    /// The NameID's `Format`, as written (empty when absent).
    pub subject_format: String,
    /// The bearer confirmation's `Recipient` (AWS's `saml:aud` and the response's Audience).
    pub recipient: String,
    /// Each attribute's `Name` and values, in document order, names unique.
    pub attributes: Vec<(String, Vec<String>)>,
}

impl Assertion {
    /// The values of attribute `name`, if present.
    pub(crate) fn attribute(&self, name: &str) -> Option<&[String]> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, values)| values.as_slice())
    }
}

/// Whether `url` is an audience AWS accepts for SAML federation: its sign-in endpoint
/// (global or regional) or the `urn:amazon:webservices` entity.
fn is_aws_audience(url: &str) -> bool {
    url == "urn:amazon:webservices" || is_aws_endpoint(url, "")
}

/// Whether `url` is AWS's sign-in SAML endpoint, global or regional: `/saml`, or the
/// provider's own `/saml/acs/<acs_id>` when `acs_id` is not empty.
fn is_aws_endpoint(url: &str, acs_id: &str) -> bool {
    let Some((host, path)) = url
        .strip_prefix("https://")
        .and_then(|rest| rest.split_once('/'))
    else {
        return false;
    };
    let host_ok = host == "signin.aws.amazon.com"
        || host
            .strip_suffix(".signin.aws.amazon.com")
            .is_some_and(|region| {
                !region.is_empty()
                    && region
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            });
    let path_ok =
        path == "saml" || (!acs_id.is_empty() && path.strip_prefix("saml/acs/") == Some(acs_id));
    host_ok && path_ok
}

/// Parses untrusted XML: no DTD (roxmltree then refuses every entity but the five
/// predefined), a node cap, no processing instructions.
pub(crate) fn parse(xml: &str) -> Result<Document<'_>, AssertionError> {
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: NODES_LIMIT,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(xml, options).map_err(|_| AssertionError::Malformed)?;
    if doc.descendants().any(|n| n.node_type() == NodeType::PI) {
        return Err(AssertionError::Malformed);
    }
    // Canonicalization recurses per level: a deep document is refused before it can
    // exhaust a worker's stack. Depths by node id, parents always come first.
    let mut depths = vec![0_usize; doc.descendants().count().saturating_add(1)];
    for node in doc.descendants() {
        let parent = node
            .parent()
            .and_then(|p| depths.get(p.id().get_usize()).copied())
            .unwrap_or(0);
        let depth = parent.saturating_add(1);
        if depth > MAX_DEPTH {
            return Err(AssertionError::Malformed);
        }
        if let Some(slot) = depths.get_mut(node.id().get_usize()) {
            *slot = depth;
        }
    }
    Ok(doc)
}

/// The one child element of `node` named `name` in `ns`; `Missing(what)` when there is
/// none or more than one.
fn one<'a, 'i>(
    node: Node<'a, 'i>,
    ns: &str,
    name: &str,
    what: &'static str,
) -> Result<Node<'a, 'i>, AssertionError> {
    let mut found = node
        .children()
        .filter(|c| c.is_element() && c.has_tag_name((ns, name)));
    match (found.next(), found.next()) {
        (Some(child), None) => Ok(child),
        _ => Err(AssertionError::Missing(what)),
    }
}

fn text_of(node: Node<'_, '_>, what: &'static str) -> Result<String, AssertionError> {
    element_text(node)
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or(AssertionError::Missing(what))
}

/// Seconds since the epoch of an `xs:dateTime` in UTC (`2026-12-04T16:05:02Z`, fraction
/// allowed, `Z` or `+00:00` required: SAML mandates UTC).
pub(crate) fn parse_instant(text: &str) -> Option<i64> {
    if !(text.ends_with('Z') || text.ends_with("+00:00")) {
        return None;
    }
    wire::Timestamp::parse_iso8601(text)
        .ok()
        .map(wire::Timestamp::unix_seconds)
}

fn check_window(node: Node<'_, '_>, now: i64) -> Result<(), AssertionError> {
    if let Some(text) = node.attribute("NotOnOrAfter") {
        let end = parse_instant(text).ok_or(AssertionError::Missing("NotOnOrAfter"))?;
        if now >= end {
            return Err(AssertionError::Expired);
        }
    }
    if let Some(text) = node.attribute("NotBefore") {
        let start = parse_instant(text).ok_or(AssertionError::Missing("NotBefore"))?;
        if now.saturating_add(NOT_BEFORE_SKEW) < start {
            return Err(AssertionError::NotYetValid);
        }
    }
    Ok(())
}

/// Verifies a SAML response (the decoded `SAMLAssertion` of the request) for `provider` at
/// `now`, and reads its one assertion, decrypting it when it is encrypted.
pub(crate) fn verify_response(
    xml: &str,
    provider: &Provider<'_>,
    now: i64,
) -> Result<Assertion, AssertionError> {
    let doc = parse(xml)?;
    let response = doc.root_element();
    if !response.has_tag_name((PROTOCOL_NS, "Response")) {
        return Err(AssertionError::Malformed);
    }
    let status = one(response, PROTOCOL_NS, "Status", "Status")?;
    let code = one(status, PROTOCOL_NS, "StatusCode", "StatusCode")?;
    if code.attribute("Value") != Some(SUCCESS) {
        return Err(AssertionError::Status);
    }

    // Wrapping: exactly one Assertion or EncryptedAssertion anywhere in the document, a
    // child of the Response.
    let mut assertions = doc.descendants().filter(|n| {
        n.has_tag_name((ASSERTION_NS, "Assertion"))
            || n.has_tag_name((ASSERTION_NS, "EncryptedAssertion"))
    });
    let assertion = match (assertions.next(), assertions.next()) {
        (Some(one), None) => one,
        (None, _) => return Err(AssertionError::Missing("Assertion")),
        _ => return Err(AssertionError::Wrapping),
    };
    if assertion.parent_element().map(|p| p.id()) != Some(response.id()) {
        return Err(AssertionError::Wrapping);
    }
    if assertion.has_tag_name((ASSERTION_NS, "EncryptedAssertion")) {
        return verify_encrypted(&doc, assertion, provider, now);
    }
    if provider.encryption_required {
        return Err(AssertionError::EncryptionRequired);
    }

    // Every signature in the document must hold, and may only sign the Response or the
    // Assertion (as their direct child); at least one must cover the assertion.
    let mut covered = false;
    let mut any = false;
    for signature in doc
        .descendants()
        .filter(|n| n.has_tag_name((DSIG_NS, "Signature")))
    {
        any = true;
        let signed =
            verify(&doc, signature, provider.signing).map_err(AssertionError::Signature)?;
        if signed == assertion.id() || signed == response.id() {
            covered = true;
        } else {
            return Err(AssertionError::Wrapping);
        }
    }
    if !any {
        return Err(AssertionError::Unsigned);
    }
    if !covered {
        return Err(AssertionError::Wrapping);
    }

    read_assertion(assertion, provider, now)
}

/// An `EncryptedAssertion` (the Response's one assertion): the Response's signatures checked
/// first, on the ciphertext as sent, so that a signed response is never decrypted unless it
/// is authentic; then the plaintext, in its namespace context, must be exactly one
/// Assertion, every signature in it must hold and sign that Assertion, and the Response's
/// signature or the Assertion's own must exist (reading 75).
fn verify_encrypted(
    doc: &Document<'_>,
    encrypted: Node<'_, '_>,
    provider: &Provider<'_>,
    now: i64,
) -> Result<Assertion, AssertionError> {
    let response = doc.root_element();
    let mut response_signed = false;
    for signature in doc
        .descendants()
        .filter(|n| n.has_tag_name((DSIG_NS, "Signature")))
    {
        let signed = verify(doc, signature, provider.signing).map_err(AssertionError::Signature)?;
        if signed != response.id() {
            return Err(AssertionError::Wrapping);
        }
        response_signed = true;
    }

    // From here on every failure is `Decryption`, the one answer (reading 75).
    let decrypter = provider.decrypter.ok_or(AssertionError::Decryption)?;
    let parts = xmlenc::read(encrypted).map_err(|_| AssertionError::Decryption)?;
    let plaintext = decrypter
        .decrypt(&parts)
        .ok_or(AssertionError::Decryption)?;
    let text = xmlenc::in_context(plaintext, encrypted).ok_or(AssertionError::Decryption)?;
    let inner = parse(&text).map_err(|_| AssertionError::Decryption)?;
    let assertion = decrypted_assertion(&inner, provider.signing, response_signed)
        .ok_or(AssertionError::Decryption)?;
    read_assertion(assertion, provider, now)
}

/// The one Assertion of a decrypted document (the context element's only element child,
/// nothing else but whitespace beside it), once every signature in the document holds and
/// signs it, and something signed it (`response_signed`, or its own signature).
fn decrypted_assertion<'a, 'i>(
    inner: &'a Document<'i>,
    keys: &[SigningKey],
    response_signed: bool,
) -> Option<Node<'a, 'i>> {
    let context = inner.root_element();
    if !xmlenc::is_context(context) {
        return None;
    }
    let mut children = context
        .children()
        .filter(|c| !(c.is_text() && c.text().is_some_and(|t| t.trim().is_empty())));
    let assertion = match (children.next(), children.next()) {
        (Some(one), None) if one.has_tag_name((ASSERTION_NS, "Assertion")) => one,
        _ => return None,
    };
    let others = inner.descendants().filter(|n| {
        n.has_tag_name((ASSERTION_NS, "Assertion"))
            || n.has_tag_name((ASSERTION_NS, "EncryptedAssertion"))
    });
    if others.count() != 1 {
        return None;
    }
    let mut covered = response_signed;
    for signature in inner
        .descendants()
        .filter(|n| n.has_tag_name((DSIG_NS, "Signature")))
    {
        if verify(inner, signature, keys).ok()? != assertion.id() {
            return None;
        }
        covered = true;
    }
    covered.then_some(assertion)
}

fn read_assertion(
    assertion: Node<'_, '_>,
    provider: &Provider<'_>,
    now: i64,
) -> Result<Assertion, AssertionError> {
    let issuer = text_of(one(assertion, ASSERTION_NS, "Issuer", "Issuer")?, "Issuer")?;
    if issuer != provider.entity_id {
        return Err(AssertionError::Issuer);
    }

    let subject = one(assertion, ASSERTION_NS, "Subject", "Subject")?;
    let name_id = one(subject, ASSERTION_NS, "NameID", "NameID")?;
    let subject_name = text_of(name_id, "NameID")?;
    let subject_format = name_id.attribute("Format").unwrap_or("").to_owned();

    // A bearer confirmation for AWS's endpoint, still valid.
    let mut recipient = None;
    for confirmation in subject
        .children()
        .filter(|c| c.has_tag_name((ASSERTION_NS, "SubjectConfirmation")))
    {
        if confirmation.attribute("Method") != Some(BEARER) {
            continue;
        }
        let data = one(
            confirmation,
            ASSERTION_NS,
            "SubjectConfirmationData",
            "SubjectConfirmationData",
        )?;
        if data.attribute("NotOnOrAfter").is_none() {
            return Err(AssertionError::Missing("NotOnOrAfter"));
        }
        check_window(data, now)?;
        let to = data
            .attribute("Recipient")
            .ok_or(AssertionError::Missing("Recipient"))?;
        if !is_aws_endpoint(to, provider.acs_id) {
            return Err(AssertionError::Recipient);
        }
        recipient = Some(to.to_owned());
    }
    let recipient = recipient.ok_or(AssertionError::Missing("SubjectConfirmation"))?;

    let conditions = one(assertion, ASSERTION_NS, "Conditions", "Conditions")?;
    check_window(conditions, now)?;
    let mut audiences = Vec::new();
    for restriction in conditions
        .children()
        .filter(|c| c.has_tag_name((ASSERTION_NS, "AudienceRestriction")))
    {
        let mut these = Vec::new();
        for audience in restriction
            .children()
            .filter(|c| c.has_tag_name((ASSERTION_NS, "Audience")))
        {
            these.push(text_of(audience, "Audience")?);
        }
        // Each restriction must be met on its own (SAML core 2.5.1.4).
        if !these.iter().any(|a| is_aws_audience(a)) {
            return Err(AssertionError::Audience);
        }
        audiences.extend(these);
    }
    if audiences.is_empty() {
        return Err(AssertionError::Audience);
    }

    let mut attributes: Vec<(String, Vec<String>)> = Vec::new();
    for statement in assertion
        .children()
        .filter(|c| c.has_tag_name((ASSERTION_NS, "AttributeStatement")))
    {
        for attribute in statement
            .children()
            .filter(|c| c.has_tag_name((ASSERTION_NS, "Attribute")))
        {
            let name = attribute
                .attribute("Name")
                .ok_or(AssertionError::Missing("Attribute Name"))?;
            if attributes.iter().any(|(n, _)| n == name) {
                return Err(AssertionError::DuplicateAttribute);
            }
            let mut values = Vec::new();
            for value in attribute
                .children()
                .filter(|c| c.has_tag_name((ASSERTION_NS, "AttributeValue")))
            {
                values.push(
                    element_text(value)
                        .map(|t| t.trim().to_owned())
                        .ok_or(AssertionError::Missing("AttributeValue"))?,
                );
            }
            attributes.push((name.to_owned(), values));
        }
    }

    Ok(Assertion {
        issuer,
        subject: subject_name,
        subject_format,
        recipient,
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_in_utc() {
        assert_eq!(parse_instant("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_instant("2026-12-04T16:05:02.123Z"),
            Some(1_796_400_302)
        );
        assert_eq!(parse_instant("2026-12-04T16:05:02+01:00"), None);
        assert_eq!(parse_instant("2026-13-04T16:05:02Z"), None);
        assert_eq!(parse_instant("2026-12-04T16:05:02.x1Z"), None);
    }

    #[test]
    fn aws_endpoints() {
        assert!(is_aws_endpoint("https://signin.aws.amazon.com/saml", ""));
        assert!(is_aws_endpoint(
            "https://eu-west-1.signin.aws.amazon.com/saml",
            ""
        ));
        assert!(!is_aws_endpoint(
            "https://evil.com/.signin.aws.amazon.com/saml",
            ""
        ));
        assert!(!is_aws_endpoint("http://signin.aws.amazon.com/saml", ""));
        assert!(!is_aws_endpoint("https://signin.aws.amazon.com/saml/", ""));
        assert!(is_aws_audience("urn:amazon:webservices"));
        // The provider's own endpoint, for that provider only.
        assert!(is_aws_endpoint(
            "https://signin.aws.amazon.com/saml/acs/abc-1",
            "abc-1"
        ));
        assert!(is_aws_endpoint(
            "https://us-east-1.signin.aws.amazon.com/saml/acs/abc-1",
            "abc-1"
        ));
        assert!(!is_aws_endpoint(
            "https://signin.aws.amazon.com/saml/acs/abc-2",
            "abc-1"
        ));
        assert!(!is_aws_endpoint(
            "https://signin.aws.amazon.com/saml/acs/",
            ""
        ));
        assert!(!is_aws_audience(
            "https://signin.aws.amazon.com/saml/acs/abc-1"
        ));
    }

    #[test]
    fn dtds_and_entities_are_refused() {
        let xxe = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#;
        assert_eq!(parse(xxe).err(), Some(AssertionError::Malformed));
        let laughs = r#"<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><r>&b;</r>"#;
        assert_eq!(parse(laughs).err(), Some(AssertionError::Malformed));
        assert_eq!(
            parse("<r><?pi x?></r>").err(),
            Some(AssertionError::Malformed)
        );
    }
}
