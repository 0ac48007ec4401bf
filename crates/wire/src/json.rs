//! The JSON 1.1 protocol (Organizations): a request body becomes the same member tree the Query
//! decoder walks (objects by member name, arrays as `member.1`, `member.2`, ...), so one
//! generated decoder checks the models' constraints for both protocols; outputs and errors
//! are written by a small escaping writer.

use crate::decode::QueryParams;
use crate::timestamp::Timestamp;

/// Bodies nested deeper than this are refused: no model member nests further, and the
/// bound keeps the tree free of deep recursion on hostile input.
const MAX_DEPTH: usize = 24;

/// Why a JSON body could not be read as a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JsonBodyError(String);

impl QueryParams {
    /// The members of a JSON request body: an object (an empty body is the empty object).
    /// Scalars keep their text (`true`, `12`); `null` members are absent, as botocore never
    /// sends them.
    ///
    /// # Errors
    /// A body that is not JSON, not an object, or nested too deep.
    pub fn from_json(body: &[u8]) -> Result<QueryParams, JsonBodyError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(QueryParams::default());
        }
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|_| JsonBodyError("The request body is not valid JSON.".to_owned()))?;
        let serde_json::Value::Object(members) = value else {
            return Err(JsonBodyError(
                "The request body must be a JSON object.".to_owned(),
            ));
        };
        let mut pairs = Vec::new();
        for (name, member) in &members {
            flatten(name, member, 1, &mut pairs)?;
        }
        Ok(QueryParams::from_pairs(pairs))
    }
}

/// Adds the pairs of `value` at `path` (`Tags.member.1.Key`) to `pairs`.
fn flatten(
    path: &str,
    value: &serde_json::Value,
    depth: usize,
    pairs: &mut Vec<(String, String)>,
) -> Result<(), JsonBodyError> {
    use serde_json::Value;
    if depth > MAX_DEPTH {
        return Err(JsonBodyError(
            "The request body is nested too deep.".to_owned(),
        ));
    }
    match value {
        Value::Null => {}
        Value::Bool(b) => pairs.push((path.to_owned(), b.to_string())),
        Value::Number(n) => pairs.push((path.to_owned(), n.to_string())),
        Value::String(s) => pairs.push((path.to_owned(), s.clone())),
        Value::Array(items) => {
            // An empty list is present: `Name` with no items, as a Query `Name=` is.
            pairs.push((path.to_owned(), String::new()));
            for (i, item) in items.iter().enumerate() {
                flatten(&format!("{path}.member.{}", i + 1), item, depth + 1, pairs)?;
            }
        }
        Value::Object(members) => {
            pairs.push((path.to_owned(), String::new()));
            for (name, member) in members {
                if name.contains('.') {
                    // A dot would address a different member of the tree.
                    continue;
                }
                flatten(&format!("{path}.{name}"), member, depth + 1, pairs)?;
            }
        }
    }
    Ok(())
}

/// The `Reason` of Organizations' `InvalidInputException` for a request that fails the
/// model's constraints, from its first failure.
#[must_use]
pub fn invalid_input_reason(errors: &crate::ValidationErrors) -> &'static str {
    use crate::organizations::InvalidInputExceptionReason as R;
    let constraint = errors
        .errors()
        .first()
        .map_or("", crate::ValidationError::constraint);
    let reason = if constraint.starts_with("Member must not be null") {
        R::InputRequired
    } else if constraint.starts_with("Member must have length greater") {
        R::MinLengthExceeded
    } else if constraint.starts_with("Member must have length less") {
        R::MaxLengthExceeded
    } else if constraint.starts_with("Member must have value greater") {
        R::MinValueExceeded
    } else if constraint.starts_with("Member must have value less") {
        R::MaxValueExceeded
    } else if constraint.starts_with("Member must satisfy enum") {
        R::InvalidEnum
    } else {
        R::InvalidPattern
    };
    reason.as_str()
}

/// Accumulates one JSON document; commas are placed by the writer, not the caller.
#[derive(Debug, Default)]
pub(crate) struct JsonWriter {
    out: String,
    /// Whether the next member or item needs a comma before it.
    comma: bool,
}

impl JsonWriter {
    fn separate(&mut self) {
        if self.comma {
            self.out.push(',');
        }
    }

    /// `"name":` (the value follows).
    pub(crate) fn key(&mut self, name: &str) {
        self.separate();
        self.quoted(name);
        self.out.push(':');
        self.comma = false;
    }

    /// A string value.
    pub(crate) fn string(&mut self, text: &str) {
        self.separate();
        self.quoted(text);
        self.comma = true;
    }

    fn raw(&mut self, text: &str) {
        self.separate();
        self.out.push_str(text);
        self.comma = true;
    }

    fn quoted(&mut self, text: &str) {
        self.out.push('"');
        for c in text.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                c if u32::from(c) < 0x20 => {
                    self.out.push_str(&format!("\\u{:04x}", u32::from(c)));
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }

    /// A scalar value.
    pub(crate) fn value<T: JsonValue + ?Sized>(&mut self, value: &T) {
        value.write_value(self);
    }

    /// `{members}`.
    pub(crate) fn object<T: WriteJson + ?Sized>(&mut self, value: &T) {
        self.separate();
        self.out.push('{');
        self.comma = false;
        value.write_members(self);
        self.out.push('}');
        self.comma = true;
    }

    /// `[items]`.
    pub(crate) fn array<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Self, &T)) {
        self.separate();
        self.out.push('[');
        self.comma = false;
        for it in items {
            item(self, it);
        }
        self.out.push(']');
        self.comma = true;
    }
}

/// A structure that writes its members.
pub(crate) trait WriteJson {
    fn write_members(&self, w: &mut JsonWriter);
}

/// A scalar that writes itself as a JSON value.
pub(crate) trait JsonValue {
    fn write_value(&self, w: &mut JsonWriter);
}

impl JsonValue for String {
    fn write_value(&self, w: &mut JsonWriter) {
        w.string(self);
    }
}

impl JsonValue for str {
    fn write_value(&self, w: &mut JsonWriter) {
        w.string(self);
    }
}

impl JsonValue for i32 {
    fn write_value(&self, w: &mut JsonWriter) {
        w.raw(&self.to_string());
    }
}

impl JsonValue for i64 {
    fn write_value(&self, w: &mut JsonWriter) {
        w.raw(&self.to_string());
    }
}

impl JsonValue for bool {
    fn write_value(&self, w: &mut JsonWriter) {
        w.raw(if *self { "true" } else { "false" });
    }
}

/// Timestamps travel as epoch seconds in the JSON protocol.
impl JsonValue for Timestamp {
    fn write_value(&self, w: &mut JsonWriter) {
        w.raw(&self.unix_seconds().to_string());
    }
}

impl JsonValue for Vec<u8> {
    fn write_value(&self, w: &mut JsonWriter) {
        w.string(&crate::base64::encode(self));
    }
}

/// A success body: the output's members, or `{}`.
pub(crate) fn body(result: Option<&dyn WriteJson>) -> String {
    let mut w = JsonWriter::default();
    match result {
        Some(result) => w.object(result),
        None => w.raw("{}"),
    }
    w.out
}

/// An error body: `{"__type": code, "Message": message}`, with `Reason` when given (the
/// members botocore reads into the error's code, message and fields).
pub(crate) fn error(code: &str, message: &str, reason: Option<&str>) -> String {
    let mut w = JsonWriter::default();
    w.out.push('{');
    w.key("__type");
    w.string(code);
    w.key("Message");
    w.string(message);
    if let Some(reason) = reason {
        w.key("Reason");
        w.string(reason);
    }
    w.out.push('}');
    w.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_become_the_member_tree() {
        let params = QueryParams::from_json(
            br#"{"Name": "a", "Tags": [{"Key": "k", "Value": "v"}], "MaxResults": 5, "X": null}"#,
        );
        let params = params.ok();
        assert_eq!(params.as_ref().and_then(|p| p.get("Name")), Some("a"));
        assert_eq!(params.as_ref().and_then(|p| p.get("MaxResults")), Some("5"));
        assert_eq!(params.as_ref().and_then(|p| p.get("X")), None);
        assert!(QueryParams::from_json(b"").is_ok());
        assert!(QueryParams::from_json(b"[]").is_err());
        assert!(QueryParams::from_json(b"{").is_err());
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(40), "]".repeat(40));
        assert!(QueryParams::from_json(deep.as_bytes()).is_err());
    }

    #[test]
    fn errors_and_strings_are_escaped() {
        assert_eq!(
            error("X", "a \"b\"\n", Some("R")),
            r#"{"__type":"X","Message":"a \"b\"\n","Reason":"R"}"#
        );
        assert_eq!(body(None), "{}");
    }
}
