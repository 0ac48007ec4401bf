//! The request context: condition keys and their values, looked up case-insensitively.

/// A context value: one string, or a set of strings for multivalued keys such as
/// `aws:TagKeys`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContextValue {
    /// A single-valued key.
    Single(String),
    /// A multivalued key; single-valued operators never match it.
    Multi(Vec<String>),
}

impl ContextValue {
    /// The values as a slice-like iterator (one for `Single`).
    pub fn values(&self) -> impl Iterator<Item = &str> {
        let (single, multi): (Option<&str>, &[String]) = match self {
            ContextValue::Single(value) => (Some(value), &[]),
            ContextValue::Multi(values) => (None, values),
        };
        single.into_iter().chain(multi.iter().map(String::as_str))
    }

    /// Whether this value counts as absent (an empty set).
    pub(crate) fn is_empty(&self) -> bool {
        matches!(self, ContextValue::Multi(values) if values.is_empty())
    }
}

/// Condition keys of one request. Keys compare case-insensitively: they are stored lower-cased
/// and sorted, so a lookup is a binary search with no allocation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    entries: Vec<(String, ContextValue)>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// Builds a context from key/value pairs; a later pair replaces an earlier one with the
    /// same key.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, ContextValue)>) -> Context {
        let mut context = Context::new();
        for (key, value) in pairs {
            context.insert(&key, value);
        }
        context
    }

    /// Sets `key` (any case) to `value`.
    pub fn insert(&mut self, key: &str, value: ContextValue) {
        let key = key.to_ascii_lowercase();
        match self.entries.binary_search_by(|(k, _)| k.as_str().cmp(&key)) {
            Ok(at) => {
                if let Some(entry) = self.entries.get_mut(at) {
                    entry.1 = value;
                }
            }
            Err(at) => self.entries.insert(at, (key, value)),
        }
    }

    /// Sets `key` unless it is already present.
    pub fn insert_default(&mut self, key: &str, value: ContextValue) {
        if self.get(&key.to_ascii_lowercase()).is_none() {
            self.insert(key, value);
        }
    }

    /// Looks up an already lower-cased key.
    pub(crate) fn get(&self, lower_key: &str) -> Option<&ContextValue> {
        self.entries
            .binary_search_by(|(k, _)| k.as_str().cmp(lower_key))
            .ok()
            .and_then(|at| self.entries.get(at))
            .map(|(_, value)| value)
    }

    /// Looks up a key in any case.
    pub fn lookup(&self, key: &str) -> Option<&ContextValue> {
        self.get(&key.to_ascii_lowercase())
    }

    /// The keys and values, keys lower-cased.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }
}
