//! XML response writing: a small escaping writer that generated code drives member by
//! member, and the `<XResponse><XResult>...` envelope of the Query protocol.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::Service;
use crate::partition::Partition;
use crate::timestamp::Timestamp;

/// Accumulates one XML document, for a request living in `partition`.
#[derive(Debug, Default)]
pub(crate) struct XmlWriter {
    out: String,
    partition: Partition,
}

impl XmlWriter {
    fn open(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
    }

    fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// Element text: only `&`, `<` and `>` need escaping there (this writer writes no
    /// attribute values from data), which keeps messages like `'userName'` readable. Text
    /// is copied in runs between the characters that need escaping (most text has none).
    pub(crate) fn text(&mut self, text: &str) {
        let mut rest = text;
        // Every character that needs escaping is ASCII, so a byte scan finds them and `at` is
        // a character boundary.
        while let Some(at) = rest.bytes().position(needs_escape) {
            let (run, from) = rest.split_at(at);
            self.out.push_str(run);
            let mut chars = from.chars();
            let Some(c) = chars.next() else { break };
            match c {
                '<' => self.out.push_str("&lt;"),
                '>' => self.out.push_str("&gt;"),
                '&' => self.out.push_str("&amp;"),
                // A raw CR would be normalised away by the client's parser; other control
                // characters cannot appear raw in XML 1.0 at all.
                c => {
                    let _ = write!(self.out, "&#x{:X};", u32::from(c));
                }
            }
            rest = chars.as_str();
        }
        self.out.push_str(rest);
    }

    /// `<name>value</name>`.
    pub(crate) fn scalar<T: XmlValue + ?Sized>(&mut self, name: &str, value: &T) {
        self.open(name);
        value.write_text(self);
        self.close(name);
    }

    /// `<name>arn</name>` for a member whose shape holds ARNs, moved from the canonical
    /// partition into the request's.
    pub(crate) fn arn(&mut self, name: &str, arn: &str) {
        let partition = self.partition;
        self.scalar(name, partition.swap(arn).as_ref());
    }

    /// `<name>members</name>`.
    pub(crate) fn structure<T: WriteXml + ?Sized>(&mut self, name: &str, value: &T) {
        self.open(name);
        value.write_members(self);
        self.close(name);
    }

    /// `<name><member>..</member>...</name>`, or `<name/>` when empty.
    pub(crate) fn list<T>(
        &mut self,
        name: &str,
        member: &str,
        items: &[T],
        mut item: impl FnMut(&mut Self, &str, &T),
    ) {
        if items.is_empty() {
            self.out.push('<');
            self.out.push_str(name);
            self.out.push_str("/>");
            return;
        }
        self.open(name);
        for it in items {
            item(self, member, it);
        }
        self.close(name);
    }

    /// `<name><entry><key>k</key><value>v</value></entry>...</name>`.
    pub(crate) fn map<K: XmlValue, V>(
        &mut self,
        name: &str,
        (key_name, value_name): (&str, &str),
        entries: &BTreeMap<K, V>,
        mut value: impl FnMut(&mut Self, &str, &V),
    ) {
        self.open(name);
        for (k, v) in entries {
            self.open("entry");
            self.scalar(key_name, k);
            value(self, value_name, v);
            self.close("entry");
        }
        self.close(name);
    }
}

/// Whether element text must escape `c` (see [`XmlWriter::text`]): markup characters and
/// control characters other than tab and line feed.
fn needs_escape(b: u8) -> bool {
    matches!(b, b'<' | b'>' | b'&' | 0x7f) || (b < b' ' && b != b'\t' && b != b'\n')
}

/// A structure that writes its members as child elements.
pub(crate) trait WriteXml {
    fn write_members(&self, w: &mut XmlWriter);
}

/// A scalar that writes itself as element text.
pub(crate) trait XmlValue {
    fn write_text(&self, w: &mut XmlWriter);
}

impl XmlValue for String {
    fn write_text(&self, w: &mut XmlWriter) {
        w.text(self);
    }
}

impl XmlValue for str {
    fn write_text(&self, w: &mut XmlWriter) {
        w.text(self);
    }
}

impl XmlValue for i32 {
    fn write_text(&self, w: &mut XmlWriter) {
        let _ = write!(w.out, "{self}");
    }
}

impl XmlValue for i64 {
    fn write_text(&self, w: &mut XmlWriter) {
        let _ = write!(w.out, "{self}");
    }
}

impl XmlValue for bool {
    fn write_text(&self, w: &mut XmlWriter) {
        w.out.push_str(if *self { "true" } else { "false" });
    }
}

impl XmlValue for Timestamp {
    fn write_text(&self, w: &mut XmlWriter) {
        match self
            .iso8601_digits()
            .as_ref()
            .map(|digits| std::str::from_utf8(digits))
        {
            Some(Ok(text)) => w.out.push_str(text),
            _ => {
                let _ = write!(w.out, "{self}");
            }
        }
    }
}

impl XmlValue for Vec<u8> {
    fn write_text(&self, w: &mut XmlWriter) {
        w.out.push_str(&crate::base64::encode(self));
    }
}

/// The success envelope: `<{action}Response xmlns=..>[<{action}Result>..</..>]
/// <ResponseMetadata><RequestId>..</RequestId></ResponseMetadata></{action}Response>`.
pub(crate) fn response(
    service: Service,
    action: &str,
    result: Option<&dyn WriteXml>,
    partition: Partition,
    request_id: &str,
) -> String {
    let mut w = XmlWriter {
        // Most answers fit; a long list grows it a few times instead of a dozen.
        out: String::with_capacity(2048),
        partition,
    };
    let outer = format!("{action}Response");
    w.out.push('<');
    w.out.push_str(&outer);
    w.out.push_str(" xmlns=\"");
    w.out.push_str(service.namespace());
    w.out.push_str("\">");
    if let Some(result) = result {
        w.structure(&format!("{action}Result"), result);
    }
    w.open("ResponseMetadata");
    w.scalar("RequestId", request_id);
    w.close("ResponseMetadata");
    w.close(&outer);
    w.out
}

/// The error envelope. `Type` is `Receiver` for 5xx (the service's fault), else `Sender`.
pub(crate) fn error(
    service: Service,
    code: &str,
    status: u16,
    message: &str,
    request_id: &str,
) -> String {
    let mut w = XmlWriter::default();
    w.out.push_str("<ErrorResponse xmlns=\"");
    w.out.push_str(service.namespace());
    w.out.push_str("\">");
    w.open("Error");
    w.scalar("Type", if status >= 500 { "Receiver" } else { "Sender" });
    w.scalar("Code", code);
    w.scalar("Message", message);
    w.close("Error");
    w.scalar("RequestId", request_id);
    w.close("ErrorResponse");
    w.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &str) -> String {
        let mut w = XmlWriter::default();
        w.text(text);
        w.out
    }

    #[test]
    fn text_escapes_markup_and_control_characters_only() {
        assert_eq!(escaped(""), "");
        assert_eq!(escaped("plain 'text' \"é\" ✓"), "plain 'text' \"é\" ✓");
        assert_eq!(escaped("a<b>&c"), "a&lt;b&gt;&amp;c");
        assert_eq!(escaped("<&>"), "&lt;&amp;&gt;");
        assert_eq!(escaped("tab\tline\ncr\r"), "tab\tline\ncr&#xD;");
        assert_eq!(escaped("\u{0}\u{1f}\u{7f}é"), "&#x0;&#x1F;&#x7F;é");
    }

    #[test]
    fn numbers_and_timestamps_are_written_in_place() {
        let mut w = XmlWriter::default();
        (-42i32).write_text(&mut w);
        9_007_199_254_740_993i64.write_text(&mut w);
        Timestamp::from_unix_seconds(86_400 + 3_661).write_text(&mut w);
        assert_eq!(w.out, "-4290071992547409931970-01-02T01:01:01Z");
    }
}
