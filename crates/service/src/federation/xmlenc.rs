//! XML Encryption of a SAML `EncryptedAssertion`, read: which algorithms the IdP used, the
//! encrypted content key(s) and the ciphertext. No cryptography here: a [`Decrypter`] (the
//! provider's private keys, `saml_keys.rs`) turns what this reads into plaintext, and the
//! plaintext is put back in the namespace context of the `EncryptedData` for the assertion
//! reader. Deliberately narrow (reading 75): RSA-OAEP key transport only (never RSA PKCS#1
//! v1.5), AES-GCM and AES-CBC content, the ciphertext inline, the element encrypted whole.
//!
//! Self-contained (roxmltree, data-encoding): the `saml_verify` fuzz target compiles it by
//! path with a stand-in decrypter.

use roxmltree::Node;

use super::xmldsig::{DSIG_NS, element_text};

pub(crate) const XENC_NS: &str = "http://www.w3.org/2001/04/xmlenc#";
pub(crate) const XENC11_NS: &str = "http://www.w3.org/2009/xmlenc11#";
const TYPE_ELEMENT: &str = "http://www.w3.org/2001/04/xmlenc#Element";
/// At most this many `EncryptedKey`s are tried (one per recipient; SAML sends one).
const MAX_ENCRYPTED_KEYS: usize = 4;
/// The plaintext is at most this long: the request's own bound (100,000 base64 characters)
/// makes it smaller, this keeps the reader bounded wherever it is called from.
pub(crate) const MAX_PLAINTEXT: usize = 100_000;
/// The prefix of the element that gives the plaintext its namespace context.
const CONTEXT_PREFIX: &str = "castellan-decrypted";
const CONTEXT_NS: &str = "urn:castellan:saml:decrypted";

/// A hash of RSA-OAEP (its digest or its mask generation function).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OaepHash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

/// The content cipher of the `EncryptedData`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContentCipher {
    /// AES-GCM with a key of this many bytes: a 12-byte IV first, the 16-byte tag last.
    Gcm(usize),
    /// AES-CBC with a key of this many bytes: a 16-byte IV first, ISO 10126 padding.
    Cbc(usize),
}

impl ContentCipher {
    fn from_uri(uri: &str) -> Option<ContentCipher> {
        Some(match uri {
            "http://www.w3.org/2009/xmlenc11#aes128-gcm" => ContentCipher::Gcm(16),
            "http://www.w3.org/2009/xmlenc11#aes192-gcm" => ContentCipher::Gcm(24),
            "http://www.w3.org/2009/xmlenc11#aes256-gcm" => ContentCipher::Gcm(32),
            "http://www.w3.org/2001/04/xmlenc#aes128-cbc" => ContentCipher::Cbc(16),
            "http://www.w3.org/2001/04/xmlenc#aes192-cbc" => ContentCipher::Cbc(24),
            "http://www.w3.org/2001/04/xmlenc#aes256-cbc" => ContentCipher::Cbc(32),
            _ => return None,
        })
    }

    /// The content key's length in bytes.
    pub(crate) fn key_len(self) -> usize {
        match self {
            ContentCipher::Gcm(len) | ContentCipher::Cbc(len) => len,
        }
    }
}

/// One `EncryptedKey`: the content key under RSA-OAEP with these hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EncryptedKey {
    pub digest: OaepHash,
    pub mgf: OaepHash,
    pub cipher: Vec<u8>,
}

/// What an `EncryptedAssertion` holds, read but not decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Encrypted {
    pub cipher: ContentCipher,
    /// The IV, the ciphertext and (GCM) the tag, as the CipherValue holds them.
    pub data: Vec<u8>,
    /// The candidate content keys, in document order (at most [`MAX_ENCRYPTED_KEYS`]).
    pub keys: Vec<EncryptedKey>,
}

/// Turns an encrypted assertion into its plaintext: the provider's private keys. Every
/// failure is `None`, one answer whatever went wrong (reading 75).
pub(crate) trait Decrypter {
    fn decrypt(&self, encrypted: &Encrypted) -> Option<Vec<u8>>;
}

/// Why an `EncryptedAssertion` cannot be read. The operation answers every one alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum XmlEncError {
    /// Missing, repeated or unexpected elements, or base64 that does not decode.
    Structure,
    /// An algorithm outside the accepted set (RSA PKCS#1 v1.5 among them).
    Algorithm,
}

fn elements<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(Node::is_element)
}

/// The one child element of `node` named `name` in `ns`.
fn one<'a, 'i>(node: Node<'a, 'i>, ns: &str, name: &str) -> Result<Node<'a, 'i>, XmlEncError> {
    let mut found = elements(node).filter(|c| c.has_tag_name((ns, name)));
    match (found.next(), found.next()) {
        (Some(child), None) => Ok(child),
        _ => Err(XmlEncError::Structure),
    }
}

fn base64(node: Node<'_, '_>) -> Result<Vec<u8>, XmlEncError> {
    let text = element_text(node).ok_or(XmlEncError::Structure)?;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    data_encoding::BASE64
        .decode(compact.as_bytes())
        .map_err(|_| XmlEncError::Structure)
}

/// The bytes of a `CipherData` holding a `CipherValue` (a `CipherReference` would make us
/// fetch a URI: refused).
fn cipher_value(parent: Node<'_, '_>) -> Result<Vec<u8>, XmlEncError> {
    let data = one(parent, XENC_NS, "CipherData")?;
    let mut children = elements(data);
    match (children.next(), children.next()) {
        (Some(value), None) if value.has_tag_name((XENC_NS, "CipherValue")) => base64(value),
        _ => Err(XmlEncError::Structure),
    }
}

fn digest_hash(uri: &str) -> Option<OaepHash> {
    Some(match uri {
        "http://www.w3.org/2000/09/xmldsig#sha1" => OaepHash::Sha1,
        "http://www.w3.org/2001/04/xmlenc#sha256" => OaepHash::Sha256,
        "http://www.w3.org/2001/04/xmldsig-more#sha384" => OaepHash::Sha384,
        "http://www.w3.org/2001/04/xmlenc#sha512" => OaepHash::Sha512,
        _ => return None,
    })
}

fn mgf_hash(uri: &str) -> Option<OaepHash> {
    Some(match uri {
        "http://www.w3.org/2009/xmlenc11#mgf1sha1" => OaepHash::Sha1,
        "http://www.w3.org/2009/xmlenc11#mgf1sha256" => OaepHash::Sha256,
        "http://www.w3.org/2009/xmlenc11#mgf1sha384" => OaepHash::Sha384,
        "http://www.w3.org/2009/xmlenc11#mgf1sha512" => OaepHash::Sha512,
        _ => return None,
    })
}

/// An `EncryptedKey`: RSA-OAEP as XML Encryption 1.0 (`rsa-oaep-mgf1p`: MGF1 with SHA-1,
/// the digest SHA-1 unless a DigestMethod says otherwise) or 1.1 (`rsa-oaep`: DigestMethod
/// and MGF, each SHA-1 by default). No OAEPparams (a label no IdP sends).
fn encrypted_key(node: Node<'_, '_>) -> Result<EncryptedKey, XmlEncError> {
    let method = one(node, XENC_NS, "EncryptionMethod")?;
    let eleven = match method.attribute("Algorithm") {
        Some("http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p") => false,
        Some("http://www.w3.org/2009/xmlenc11#rsa-oaep") => true,
        // rsa-1_5 among them: Bleichenbacher's oracle (reading 75).
        _ => return Err(XmlEncError::Algorithm),
    };
    let mut digest = OaepHash::Sha1;
    let mut mgf = OaepHash::Sha1;
    for parameter in elements(method) {
        if parameter.has_tag_name((DSIG_NS, "DigestMethod")) {
            digest = parameter
                .attribute("Algorithm")
                .and_then(digest_hash)
                .ok_or(XmlEncError::Algorithm)?;
        } else if eleven && parameter.has_tag_name((XENC11_NS, "MGF")) {
            mgf = parameter
                .attribute("Algorithm")
                .and_then(mgf_hash)
                .ok_or(XmlEncError::Algorithm)?;
        } else if parameter.has_tag_name((XENC_NS, "OAEPparams")) {
            if !base64(parameter)?.is_empty() {
                return Err(XmlEncError::Algorithm);
            }
        } else {
            return Err(XmlEncError::Structure);
        }
    }
    Ok(EncryptedKey {
        digest,
        mgf,
        cipher: cipher_value(node)?,
    })
}

/// Reads an `EncryptedAssertion`: one `EncryptedData` (the element encrypted whole, its
/// method one of the content ciphers) and its `EncryptedKey`s, inside its `KeyInfo` or
/// beside it in the `EncryptedAssertion` (as Shibboleth's "peer" placement sends them, named
/// by a RetrievalMethod, which is not followed: every key there is a candidate).
pub(crate) fn read(encrypted_assertion: Node<'_, '_>) -> Result<Encrypted, XmlEncError> {
    let data = one(encrypted_assertion, XENC_NS, "EncryptedData")?;
    for child in elements(encrypted_assertion) {
        if !(child.has_tag_name((XENC_NS, "EncryptedData"))
            || child.has_tag_name((XENC_NS, "EncryptedKey")))
        {
            return Err(XmlEncError::Structure);
        }
    }
    if data.attribute("Type").is_some_and(|t| t != TYPE_ELEMENT) {
        return Err(XmlEncError::Structure);
    }
    let cipher = one(data, XENC_NS, "EncryptionMethod")?
        .attribute("Algorithm")
        .and_then(ContentCipher::from_uri)
        .ok_or(XmlEncError::Algorithm)?;

    let mut key_nodes = Vec::new();
    let mut key_infos = elements(data).filter(|c| c.has_tag_name((DSIG_NS, "KeyInfo")));
    let key_info = key_infos.next();
    if key_infos.next().is_some() {
        return Err(XmlEncError::Structure);
    }
    if let Some(key_info) = key_info {
        key_nodes.extend(elements(key_info).filter(|c| c.has_tag_name((XENC_NS, "EncryptedKey"))));
    }
    key_nodes.extend(
        elements(encrypted_assertion).filter(|c| c.has_tag_name((XENC_NS, "EncryptedKey"))),
    );
    if key_nodes.is_empty() || key_nodes.len() > MAX_ENCRYPTED_KEYS {
        return Err(XmlEncError::Structure);
    }
    let keys = key_nodes
        .into_iter()
        .map(encrypted_key)
        .collect::<Result<Vec<_>, _>>()?;
    let data = cipher_value(data)?;
    if data.len() > MAX_PLAINTEXT.saturating_add(64) {
        return Err(XmlEncError::Structure);
    }
    Ok(Encrypted { cipher, data, keys })
}

/// Escapes a namespace URI for a double-quoted attribute value.
fn escape_attribute(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            other => out.push(other),
        }
    }
    out
}

/// The decrypted element as a document: the plaintext inside one element that declares
/// the namespaces in scope where the `EncryptedData` was (XML Encryption decrypts in that
/// context; an IdP may rely on a prefix declared on its Response). Exclusive c14n renders
/// only the prefixes the assertion uses, so the context changes no signed byte. `None` when
/// the plaintext is not UTF-8 or too long, or the context uses the wrapper's own prefix.
pub(crate) fn in_context(plaintext: Vec<u8>, context: Node<'_, '_>) -> Option<String> {
    if plaintext.len() > MAX_PLAINTEXT {
        return None;
    }
    let plaintext = String::from_utf8(plaintext).ok()?;
    // A byte order mark and an XML declaration may start the serialized element; inside
    // another element neither can stand, so they are read as a parser reads them at the
    // start, and dropped. Any other processing instruction stays, and is refused.
    let start = plaintext.strip_prefix('\u{feff}').unwrap_or(&plaintext);
    let body = match start.strip_prefix("<?xml") {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_whitespace()) => {
            rest.split_once("?>")?.1
        }
        _ => start,
    };
    let mut wrapper = format!("<{CONTEXT_PREFIX}:context xmlns:{CONTEXT_PREFIX}=\"{CONTEXT_NS}\"");
    for namespace in context.namespaces() {
        match namespace.name() {
            Some("xml") => continue,
            Some(CONTEXT_PREFIX) => return None,
            Some(prefix) => wrapper.push_str(&format!(" xmlns:{prefix}=\"")),
            None => wrapper.push_str(" xmlns=\""),
        }
        wrapper.push_str(&escape_attribute(namespace.uri()));
        wrapper.push('"');
    }
    wrapper.push('>');
    wrapper.push_str(body);
    wrapper.push_str(&format!("</{CONTEXT_PREFIX}:context>"));
    Some(wrapper)
}

/// Whether `node` is the context element [`in_context`] wrapped the plaintext in.
pub(crate) fn is_context(node: Node<'_, '_>) -> bool {
    node.has_tag_name((CONTEXT_NS, "context"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encrypted_assertion(inner: &str) -> String {
        format!(
            r#"<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xenc="{XENC_NS}" xmlns:xenc11="{XENC11_NS}" xmlns:ds="{DSIG_NS}">{inner}</saml:EncryptedAssertion>"#
        )
    }

    fn key(method: &str) -> String {
        format!(
            r#"<xenc:EncryptedKey>{method}<xenc:CipherData><xenc:CipherValue>AAEC</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey>"#
        )
    }

    fn data(algorithm: &str, key_info: &str) -> String {
        format!(
            r#"<xenc:EncryptedData Type="{TYPE_ELEMENT}"><xenc:EncryptionMethod Algorithm="{algorithm}"/>{key_info}<xenc:CipherData><xenc:CipherValue>
            AAECAw==
            </xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>"#
        )
    }

    fn read_text(xml: &str) -> Result<Encrypted, XmlEncError> {
        let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}"));
        read(doc.root_element())
    }

    const MGF1P: &str = r#"<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"><ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/></xenc:EncryptionMethod>"#;
    const GCM: &str = "http://www.w3.org/2009/xmlenc11#aes256-gcm";

    #[test]
    fn keys_inside_key_info_and_beside_the_data_are_both_read() {
        let inside = encrypted_assertion(&data(
            GCM,
            &format!("<ds:KeyInfo>{}</ds:KeyInfo>", key(MGF1P)),
        ));
        let read = read_text(&inside).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(read.cipher, ContentCipher::Gcm(32));
        assert_eq!(read.data, vec![0, 1, 2, 3]);
        assert_eq!(
            read.keys,
            vec![EncryptedKey {
                digest: OaepHash::Sha1,
                mgf: OaepHash::Sha1,
                cipher: vec![0, 1, 2]
            }]
        );
        let peer = encrypted_assertion(&format!(
            "{}{}",
            data(
                "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
                r##"<ds:KeyInfo><ds:RetrievalMethod Type="http://www.w3.org/2001/04/xmlenc#EncryptedKey" URI="#k"/></ds:KeyInfo>"##
            ),
            key(MGF1P)
        ));
        let read = read_text(&peer).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(read.cipher, ContentCipher::Cbc(16));
        assert_eq!(read.keys.len(), 1);
    }

    #[test]
    fn xmlenc11_oaep_reads_its_digest_and_mask_function() {
        let method = r#"<xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#rsa-oaep"><xenc11:MGF Algorithm="http://www.w3.org/2009/xmlenc11#mgf1sha256"/><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/></xenc:EncryptionMethod>"#;
        let xml = encrypted_assertion(&data(
            GCM,
            &format!("<ds:KeyInfo>{}</ds:KeyInfo>", key(method)),
        ));
        let read = read_text(&xml).unwrap_or_else(|e| panic!("{e:?}"));
        let first = read.keys.first().cloned();
        assert_eq!(
            first.map(|k| (k.digest, k.mgf)),
            Some((OaepHash::Sha256, OaepHash::Sha256))
        );
    }

    #[test]
    fn pkcs1_v15_key_transport_and_unknown_ciphers_are_refused() {
        let v15 =
            r#"<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-1_5"/>"#;
        let xml = encrypted_assertion(&data(
            GCM,
            &format!("<ds:KeyInfo>{}</ds:KeyInfo>", key(v15)),
        ));
        assert_eq!(read_text(&xml), Err(XmlEncError::Algorithm));
        let des = "http://www.w3.org/2001/04/xmlenc#tripledes-cbc";
        let xml = encrypted_assertion(&data(
            des,
            &format!("<ds:KeyInfo>{}</ds:KeyInfo>", key(MGF1P)),
        ));
        assert_eq!(read_text(&xml), Err(XmlEncError::Algorithm));
        // The 1.0 method's MGF is fixed: an MGF element there is not what it says.
        let mgf_on_v10 = r#"<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"><xenc11:MGF Algorithm="http://www.w3.org/2009/xmlenc11#mgf1sha256"/></xenc:EncryptionMethod>"#;
        let xml = encrypted_assertion(&data(
            GCM,
            &format!("<ds:KeyInfo>{}</ds:KeyInfo>", key(mgf_on_v10)),
        ));
        assert_eq!(read_text(&xml), Err(XmlEncError::Structure));
        // A label: refused.
        let label = r#"<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"><xenc:OAEPparams>AQ==</xenc:OAEPparams></xenc:EncryptionMethod>"#;
        let xml = encrypted_assertion(&data(
            GCM,
            &format!("<ds:KeyInfo>{}</ds:KeyInfo>", key(label)),
        ));
        assert_eq!(read_text(&xml), Err(XmlEncError::Algorithm));
    }

    #[test]
    fn shapes_outside_the_profile_are_refused() {
        let no_key = encrypted_assertion(&data(GCM, ""));
        assert_eq!(read_text(&no_key), Err(XmlEncError::Structure));
        let five: String = (0..5).map(|_| key(MGF1P)).collect();
        let many = encrypted_assertion(&data(GCM, &format!("<ds:KeyInfo>{five}</ds:KeyInfo>")));
        assert_eq!(read_text(&many), Err(XmlEncError::Structure));
        let content = encrypted_assertion(
            &data(GCM, &format!("<ds:KeyInfo>{}</ds:KeyInfo>", key(MGF1P)))
                .replace(TYPE_ELEMENT, "http://www.w3.org/2001/04/xmlenc#Content"),
        );
        assert_eq!(read_text(&content), Err(XmlEncError::Structure));
        let reference = encrypted_assertion(
            &data(GCM, &format!("<ds:KeyInfo>{}</ds:KeyInfo>", key(MGF1P))).replace(
                "<xenc:CipherData><xenc:CipherValue>\n            AAECAw==\n            </xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>",
                r#"<xenc:CipherData><xenc:CipherReference URI="https://evil.example/"/></xenc:CipherData></xenc:EncryptedData>"#,
            ),
        );
        assert_eq!(read_text(&reference), Err(XmlEncError::Structure));
        let stray = encrypted_assertion(&format!(
            "{}<saml:Assertion/>",
            data(GCM, &format!("<ds:KeyInfo>{}</ds:KeyInfo>", key(MGF1P)))
        ));
        assert_eq!(read_text(&stray), Err(XmlEncError::Structure));
        let two = encrypted_assertion(&format!(
            "{0}{0}",
            data(GCM, &format!("<ds:KeyInfo>{}</ds:KeyInfo>", key(MGF1P)))
        ));
        assert_eq!(read_text(&two), Err(XmlEncError::Structure));
    }

    #[test]
    fn the_plaintext_gets_the_namespaces_in_scope() {
        let xml = r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns="urn:x&amp;&quot;y"><saml:EncryptedAssertion/></samlp:Response>"#;
        let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}"));
        let context = doc
            .root_element()
            .first_element_child()
            .unwrap_or_else(|| panic!("child"));
        let plain = b"<?xml version=\"1.0\"?>\n<saml:Assertion ID=\"a\"/>".to_vec();
        let wrapped = in_context(plain, context).unwrap_or_else(|| panic!("wrapped"));
        let inner = roxmltree::Document::parse(&wrapped).unwrap_or_else(|e| panic!("{e}"));
        assert!(is_context(inner.root_element()));
        let assertion = inner.root_element().first_element_child();
        assert_eq!(
            assertion.map(|a| a.tag_name().namespace()),
            Some(Some("urn:oasis:names:tc:SAML:2.0:assertion"))
        );
        assert_eq!(inner.root_element().default_namespace(), Some("urn:x&\"y"));
        let with_bom = "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?><saml:Assertion/>";
        let wrapped = in_context(with_bom.as_bytes().to_vec(), context).unwrap_or_default();
        assert!(roxmltree::Document::parse(&wrapped).is_ok());
        // A processing instruction that only looks like a declaration is kept (and refused).
        let pi = in_context(
            b"<?xml-stylesheet href=\"x\"?><saml:Assertion/>".to_vec(),
            context,
        )
        .unwrap_or_default();
        assert!(pi.contains("xml-stylesheet"));
        assert!(in_context(vec![0xff, 0xfe], context).is_none());
        assert!(in_context(vec![b' '; MAX_PLAINTEXT + 1], context).is_none());
    }
}
