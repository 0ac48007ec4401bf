//! Query request decoding: form pairs become a key tree (`Tags.member.1.Key` is the path
//! Tags → member → 1 → Key), which generated code walks with the helpers here, checking
//! each member against its model constraints as AWS does.

use std::collections::BTreeMap;
use std::fmt;

use crate::partition::Partition;
use crate::pattern::Pattern;
use crate::timestamp::Timestamp;

/// Keys deeper than this are ignored: no model member nests further, and a bound keeps both
/// building and dropping the tree free of deep recursion on hostile input.
const MAX_DEPTH: usize = 24;

/// The parameters of one Query request, as a tree keyed by the dot-separated name segments.
#[derive(Debug, Default, Clone)]
pub struct QueryParams {
    root: Node,
    partition: Partition,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Node {
    value: Option<String>,
    children: BTreeMap<String, Node>,
}

impl Node {
    pub(crate) fn get(&self, name: &str) -> Option<&Node> {
        self.children.get(name)
    }
}

impl QueryParams {
    /// Builds the tree from already percent-decoded form pairs. When a name repeats, the first
    /// value wins; names nested deeper than any model member are ignored.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut root = Node::default();
        for (key, value) in pairs {
            let key = key.as_ref();
            if key.split('.').count() > MAX_DEPTH {
                continue;
            }
            let mut node = &mut root;
            for segment in key.split('.') {
                node = node.children.entry(segment.to_owned()).or_default();
            }
            if node.value.is_none() {
                node.value = Some(value.into());
            }
        }
        Self {
            root,
            partition: Partition::Aws,
        }
    }

    /// The parameters of a request living in `partition`: their ARN-typed members decode into
    /// the canonical `aws` partition ([`Partition::swap`]).
    #[must_use]
    pub fn in_partition(mut self, partition: Partition) -> Self {
        self.partition = partition;
        self
    }

    /// The value of a top-level parameter such as `Action` or `Version`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.root.children.get(name)?.value.as_deref()
    }

    pub(crate) fn root(&self) -> &Node {
        &self.root
    }
}

/// One failed constraint, rendered like AWS:
/// `Value at 'userName' failed to satisfy constraint: Member must ...`. AWS no longer quotes
/// the offending value (reading 43), so nothing sent comes back in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    path: String,
    constraint: String,
}

impl ValidationError {
    /// The member path in AWS's form, e.g. `userName` or `tags.1.member.key`.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The constraint text, e.g. `Member must not be null`.
    #[must_use]
    pub fn constraint(&self) -> &str {
        &self.constraint
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Value at '{}' failed to satisfy constraint: {}",
            self.path, self.constraint
        )
    }
}

/// All constraint failures of one request; its `Display` is the message of AWS's
/// `ValidationError` (`2 validation errors detected: ...; ...`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationErrors(Vec<ValidationError>);

impl ValidationErrors {
    /// The individual failures, in member order.
    #[must_use]
    pub fn errors(&self) -> &[ValidationError] {
        &self.0
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "{n} validation error{} detected: ",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// A shape's constraints from the model, checked on every member of that shape.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    pub(crate) min: Option<i64>,
    pub(crate) max: Option<i64>,
    pub(crate) pattern: Option<&'static str>,
}

impl Rules {
    pub(crate) const NONE: Self = Self {
        min: None,
        max: None,
        pattern: None,
    };
}

/// What a parsed scalar measures for `min`/`max`: a length or a value.
pub(crate) enum Measure {
    Length(usize),
    Value(i64),
    Nothing,
}

/// A member value decoded from one string: strings, numbers, booleans, timestamps, blobs and
/// the generated enums.
pub(crate) trait Scalar: Sized {
    /// Parses the text, or says which constraint it fails.
    fn parse(text: &str) -> Result<Self, String>;
    fn measure(&self) -> Measure;
}

impl Scalar for String {
    fn parse(text: &str) -> Result<Self, String> {
        Ok(text.to_owned())
    }
    fn measure(&self) -> Measure {
        // AWS counts code points, not bytes or UTF-16 units.
        Measure::Length(self.chars().count())
    }
}

impl Scalar for i32 {
    fn parse(text: &str) -> Result<Self, String> {
        text.trim()
            .parse()
            .map_err(|_| "Member must be a valid integer".to_owned())
    }
    fn measure(&self) -> Measure {
        Measure::Value(i64::from(*self))
    }
}

impl Scalar for i64 {
    fn parse(text: &str) -> Result<Self, String> {
        text.trim()
            .parse()
            .map_err(|_| "Member must be a valid long".to_owned())
    }
    fn measure(&self) -> Measure {
        Measure::Value(*self)
    }
}

impl Scalar for bool {
    fn parse(text: &str) -> Result<Self, String> {
        if text.eq_ignore_ascii_case("true") {
            Ok(true)
        } else if text.eq_ignore_ascii_case("false") {
            Ok(false)
        } else {
            Err("Member must be a boolean (true or false)".to_owned())
        }
    }
    fn measure(&self) -> Measure {
        Measure::Nothing
    }
}

impl Scalar for Timestamp {
    /// ISO 8601 (the Query protocol), or epoch seconds with an optional fraction (the JSON
    /// protocol sends numbers; no IAM or STS input has a timestamp member).
    fn parse(text: &str) -> Result<Self, String> {
        let whole = text.split_once('.').map_or(text, |(whole, _)| whole);
        if !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && let Ok(seconds) = whole.parse::<i64>()
        {
            return Ok(Self::from_unix_seconds(seconds));
        }
        Self::parse_iso8601(text).map_err(|_| "Member must be an ISO 8601 timestamp".to_owned())
    }
    fn measure(&self) -> Measure {
        Measure::Nothing
    }
}

impl Scalar for Vec<u8> {
    fn parse(text: &str) -> Result<Self, String> {
        crate::base64::decode(text).ok_or_else(|| "Member must be valid base64".to_owned())
    }
    fn measure(&self) -> Measure {
        Measure::Length(self.len())
    }
}

/// A structure decoded from its subtree.
pub(crate) trait Decode: Sized {
    fn decode(node: &Node, path: &str, cx: &mut Cx) -> Option<Self>;
}

/// Decodes a whole input structure from the request's root, collecting every failure.
pub(crate) fn decode_input<T: Decode>(params: &QueryParams) -> Result<T, ValidationErrors> {
    let mut cx = Cx {
        errors: Vec::new(),
        partition: params.partition,
    };
    let value = T::decode(params.root(), "", &mut cx);
    match value {
        Some(v) if cx.errors.is_empty() => Ok(v),
        _ => Err(ValidationErrors(cx.errors)),
    }
}

/// `parent.child` with AWS's lower-camel member names (`UserName` → `userName`).
pub(crate) fn member_path(parent: &str, member: &str) -> String {
    let mut chars = member.chars();
    let mut out = String::with_capacity(parent.len() + member.len() + 1);
    if !parent.is_empty() {
        out.push_str(parent);
        out.push('.');
    }
    if let Some(first) = chars.next() {
        out.extend(first.to_lowercase());
        out.push_str(chars.as_str());
    }
    out
}

/// The decoding context: the failures found so far, and the request's partition.
#[derive(Debug, Default)]
pub(crate) struct Cx {
    errors: Vec<ValidationError>,
    partition: Partition,
}

impl Cx {
    fn fail(&mut self, path: &str, constraint: String) {
        self.errors.push(ValidationError {
            path: path.to_owned(),
            constraint,
        });
    }

    fn missing(&mut self, path: &str) {
        self.fail(path, "Member must not be null".to_owned());
    }

    /// A member whose shape holds ARNs (`arnType`, `serialNumberType`): a string, validated as
    /// sent, then moved into the canonical partition.
    pub(crate) fn arn(
        &mut self,
        node: Option<&Node>,
        path: &str,
        required: bool,
        rules: &Rules,
    ) -> Option<String> {
        let partition = self.partition;
        self.scalar::<String>(node, path, required, rules)
            .map(|arn| partition.swap(&arn).into_owned())
    }

    /// A scalar member. Returns `None` when absent or invalid (the failure is recorded).
    pub(crate) fn scalar<T: Scalar>(
        &mut self,
        node: Option<&Node>,
        path: &str,
        required: bool,
        rules: &Rules,
    ) -> Option<T> {
        let Some(text) = node.and_then(|n| n.value.as_deref()) else {
            if required {
                self.missing(path);
            }
            return None;
        };
        let value = match T::parse(text) {
            Ok(v) => v,
            Err(constraint) => {
                self.fail(path, constraint);
                return None;
            }
        };
        let before = self.errors.len();
        let (amount, what) = match value.measure() {
            Measure::Length(n) => (i64::try_from(n).unwrap_or(i64::MAX), "length"),
            Measure::Value(v) => (v, "value"),
            Measure::Nothing => (0, ""),
        };
        if !what.is_empty() {
            self.range(amount, what, rules, path);
        }
        if let Some(p) = rules.pattern
            && !pattern_matches(p, text)
        {
            self.fail(
                path,
                format!("Member must satisfy regular expression pattern: {p}"),
            );
        }
        (self.errors.len() == before).then_some(value)
    }

    fn range(&mut self, amount: i64, what: &str, rules: &Rules, path: &str) {
        if let Some(min) = rules.min
            && amount < min
        {
            self.fail(
                path,
                format!("Member must have {what} greater than or equal to {min}"),
            );
        }
        if let Some(max) = rules.max
            && amount > max
        {
            self.fail(
                path,
                format!("Member must have {what} less than or equal to {max}"),
            );
        }
    }

    /// A nested structure member. Present means the name occurs with any sub-key.
    pub(crate) fn structure<T: Decode>(
        &mut self,
        node: Option<&Node>,
        path: &str,
        required: bool,
    ) -> Option<T> {
        match node {
            Some(n) => T::decode(n, path, self),
            None => {
                if required {
                    self.missing(path);
                }
                None
            }
        }
    }

    /// A list member: `Name.<member>.N...`, 1-based, ordered by N; an empty value with no
    /// items (`Name=`) is the empty list, as botocore sends it.
    pub(crate) fn list<T>(
        &mut self,
        node: Option<&Node>,
        path: &str,
        required: bool,
        member: &str,
        rules: &Rules,
        mut item: impl FnMut(&mut Self, Option<&Node>, &str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let Some(node) = node else {
            if required {
                self.missing(path);
            }
            return None;
        };
        let entries = indexed(node.get(member));
        let before = self.errors.len();
        let mut out = Vec::with_capacity(entries.len());
        for (index, entry) in &entries {
            let item_path = format!("{path}.{index}.member");
            if let Some(v) = item(self, Some(entry), &item_path) {
                out.push(v);
            }
        }
        let count = i64::try_from(entries.len()).unwrap_or(i64::MAX);
        self.range(count, "length", rules, path);
        (self.errors.len() == before).then_some(out)
    }

    /// A map member: `Name.entry.N.key` / `Name.entry.N.value` (names from the model).
    #[expect(
        clippy::too_many_arguments,
        reason = "mirrors the model's map shape, one call per member"
    )]
    pub(crate) fn map<K: Scalar + Ord, V>(
        &mut self,
        node: Option<&Node>,
        path: &str,
        required: bool,
        rules: &Rules,
        (key_name, value_name): (&str, &str),
        key_rules: &Rules,
        mut value: impl FnMut(&mut Self, Option<&Node>, &str) -> Option<V>,
    ) -> Option<BTreeMap<K, V>> {
        let Some(node) = node else {
            if required {
                self.missing(path);
            }
            return None;
        };
        let entries = indexed(node.get("entry"));
        let before = self.errors.len();
        let mut out = BTreeMap::new();
        for (index, entry) in &entries {
            let entry_path = format!("{path}.{index}.member");
            let k = self.scalar::<K>(
                entry.get(key_name),
                &format!("{entry_path}.key"),
                true,
                key_rules,
            );
            let v = value(self, entry.get(value_name), &format!("{entry_path}.value"));
            if let (Some(k), Some(v)) = (k, v) {
                out.entry(k).or_insert(v);
            }
        }
        let count = i64::try_from(entries.len()).unwrap_or(i64::MAX);
        self.range(count, "length", rules, path);
        (self.errors.len() == before).then_some(out)
    }
}

/// The children of a `member`/`entry` node whose names are indexes 1, 2, ..., in index order.
/// Other names (0, -1, x) are not items and are ignored, like any unknown parameter.
fn indexed(node: Option<&Node>) -> Vec<(u32, &Node)> {
    let mut items: Vec<(u32, &Node)> = node
        .into_iter()
        .flat_map(|n| n.children.iter())
        .filter_map(|(k, v)| {
            let digits_only = !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit());
            let index: u32 = if digits_only {
                k.parse().ok()?
            } else {
                return None;
            };
            (index >= 1).then_some((index, v))
        })
        .collect();
    items.sort_by_key(|(i, _)| *i);
    // `01` and `1` name the same item: keep one (the first in name order), never both.
    items.dedup_by_key(|(i, _)| *i);
    items
}

fn pattern_matches(pattern: &'static str, text: &str) -> bool {
    // Every model pattern compiles (a test checks them all); should one ever not, accepting
    // is the lesser evil next to rejecting every request that carries the member.
    Pattern::compiled(pattern).is_none_or(|p| p.is_match(text))
}
