//! Exclusive XML canonicalization (`http://www.w3.org/2001/10/xml-exc-c14n#`, without
//! comments) of one element's subtree of a `roxmltree` document, optionally leaving out one
//! descendant (the enveloped `Signature`). Only what this writes is ever digested or
//! verified, so the bytes a signature covers are exactly the nodes the SAML reader looks at.
//!
//! Self-contained (roxmltree only): the `saml_verify` fuzz target compiles it by path.

use std::collections::BTreeMap;

use roxmltree::{Node, NodeId, NodeType};

/// The XML namespace, whose `xml` prefix is never declared.
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Why a subtree cannot be canonicalized (the caller refuses the document).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum C14nError {
    /// A processing instruction inside the signed subtree: refused rather than rendered.
    ProcessingInstruction,
    /// A prefix with no declaration in scope (roxmltree refuses these; kept fail-closed).
    UnboundPrefix,
    /// Deeper than [`MAX_DEPTH`]: the recursion stops before the stack does.
    TooDeep,
}

/// The deepest subtree canonicalized (the SAML reader refuses deeper documents first).
const MAX_DEPTH: usize = 128;

/// The canonical form of `apex` and its descendants, without `exclude`'s subtree.
/// `inclusive` is the InclusiveNamespaces PrefixList (`#default` names the default
/// namespace): those prefixes are rendered where in scope even when not visibly used.
pub(crate) fn canonicalize(
    apex: Node<'_, '_>,
    exclude: Option<NodeId>,
    inclusive: &[String],
) -> Result<Vec<u8>, C14nError> {
    let mut out = Vec::new();
    let rendered = BTreeMap::new();
    element(&mut out, apex, &rendered, exclude, inclusive, 0)?;
    Ok(out)
}

/// The qualified name as written (`saml:Assertion`), read from the source text since
/// roxmltree keeps only expanded names for elements.
fn element_qname<'a>(node: Node<'a, '_>) -> &'a str {
    let text = node.document().input_text();
    let start = node.range().start.saturating_add(1);
    let rest = text.get(start..).unwrap_or("");
    let end = rest
        .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
        .unwrap_or(rest.len());
    rest.get(..end).unwrap_or("")
}

/// The prefix of a qualified name, `""` for none.
fn prefix_of(qname: &str) -> &str {
    qname.split_once(':').map_or("", |(prefix, _)| prefix)
}

/// The namespace a prefix (`""`: the default) is bound to at `node`, `""` when unbound.
fn binding<'a>(node: Node<'a, '_>, prefix: &str) -> Option<&'a str> {
    if prefix.is_empty() {
        Some(node.default_namespace().unwrap_or(""))
    } else {
        node.lookup_namespace_uri(Some(prefix))
    }
}

fn element(
    out: &mut Vec<u8>,
    node: Node<'_, '_>,
    rendered: &BTreeMap<String, String>,
    exclude: Option<NodeId>,
    inclusive: &[String],
    depth: usize,
) -> Result<(), C14nError> {
    if Some(node.id()) == exclude {
        return Ok(());
    }
    if depth > MAX_DEPTH {
        return Err(C14nError::TooDeep);
    }
    let text = node.document().input_text();
    let qname = element_qname(node);

    // Prefixes visibly used by the element and its attributes (exclusive c14n), plus the
    // PrefixList's when in scope.
    let mut used: Vec<(String, bool)> = vec![(prefix_of(qname).to_owned(), true)];
    let mut attributes = Vec::new();
    for attribute in node.attributes() {
        let attr_qname = text.get(attribute.range_qname()).unwrap_or("");
        let prefix = prefix_of(attr_qname);
        if !prefix.is_empty() && attribute.namespace() != Some(XML_NS) {
            used.push((prefix.to_owned(), true));
        }
        attributes.push((
            attribute.namespace().unwrap_or(""),
            attribute.name(),
            attr_qname,
            attribute.value(),
        ));
    }
    for prefix in inclusive {
        let prefix = if prefix == "#default" { "" } else { prefix };
        used.push((prefix.to_owned(), false));
    }

    let mut declare: BTreeMap<String, String> = BTreeMap::new();
    for (prefix, visible) in used {
        if prefix == "xml" {
            continue;
        }
        let uri = match binding(node, &prefix) {
            Some(uri) => uri,
            None if visible => return Err(C14nError::UnboundPrefix),
            None => continue,
        };
        let already = rendered.get(&prefix).map(String::as_str);
        // An empty default is declared (`xmlns=""`) only to undo a rendered non-empty one.
        let needed = if prefix.is_empty() && uri.is_empty() {
            matches!(already, Some(previous) if !previous.is_empty())
        } else {
            already != Some(uri)
        };
        if needed {
            declare.insert(prefix, uri.to_owned());
        }
    }

    out.push(b'<');
    out.extend_from_slice(qname.as_bytes());
    for (prefix, uri) in &declare {
        if prefix.is_empty() {
            out.extend_from_slice(b" xmlns=\"");
        } else {
            out.extend_from_slice(b" xmlns:");
            out.extend_from_slice(prefix.as_bytes());
            out.extend_from_slice(b"=\"");
        }
        escape_attribute(out, uri);
        out.push(b'"');
    }
    attributes.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    for (_, _, attr_qname, value) in attributes {
        out.push(b' ');
        out.extend_from_slice(attr_qname.as_bytes());
        out.extend_from_slice(b"=\"");
        escape_attribute(out, value);
        out.push(b'"');
    }
    out.push(b'>');

    let mut inner = rendered.clone();
    inner.extend(declare);
    for child in node.children() {
        match child.node_type() {
            NodeType::Element => {
                element(
                    out,
                    child,
                    &inner,
                    exclude,
                    inclusive,
                    depth.saturating_add(1),
                )?;
            }
            NodeType::Text => escape_text(out, child.text().unwrap_or("")),
            NodeType::Comment => {}
            NodeType::PI | NodeType::Root => return Err(C14nError::ProcessingInstruction),
        }
    }
    out.extend_from_slice(b"</");
    out.extend_from_slice(qname.as_bytes());
    out.push(b'>');
    Ok(())
}

fn escape_text(out: &mut Vec<u8>, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '>' => out.extend_from_slice(b"&gt;"),
            '\r' => out.extend_from_slice(b"&#xD;"),
            other => {
                let mut buffer = [0_u8; 4];
                out.extend_from_slice(other.encode_utf8(&mut buffer).as_bytes());
            }
        }
    }
}

fn escape_attribute(out: &mut Vec<u8>, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '"' => out.extend_from_slice(b"&quot;"),
            '\t' => out.extend_from_slice(b"&#x9;"),
            '\n' => out.extend_from_slice(b"&#xA;"),
            '\r' => out.extend_from_slice(b"&#xD;"),
            other => {
                let mut buffer = [0_u8; 4];
                out.extend_from_slice(other.encode_utf8(&mut buffer).as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c14n(xml: &str) -> String {
        let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}"));
        let bytes = canonicalize(doc.root_element(), None, &[]).unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }

    #[test]
    fn only_visibly_used_namespaces_are_rendered_sorted_with_sorted_attributes() {
        assert_eq!(
            c14n(
                r#"<a:r xmlns:a="urn:a" xmlns:b="urn:b" xmlns:u="urn:u" z="1" b:y="2" a="3"><!-- c --><u:x/>t&amp;&lt;&gt;</a:r>"#
            ),
            r#"<a:r xmlns:a="urn:a" xmlns:b="urn:b" a="3" z="1" b:y="2"><u:x xmlns:u="urn:u"></u:x>t&amp;&lt;&gt;</a:r>"#
        );
    }

    #[test]
    fn default_namespace_and_inherited_declarations() {
        assert_eq!(
            c14n(r#"<r xmlns="urn:d"><s xmlns="urn:d"><t xmlns=""/></s></r>"#),
            r#"<r xmlns="urn:d"><s><t xmlns=""></t></s></r>"#
        );
        assert_eq!(
            c14n("<r a=\"x&#9;y&#10;&quot;\"/>"),
            "<r a=\"x&#x9;y&#xA;&quot;\"></r>"
        );
    }
}
