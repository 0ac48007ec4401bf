//! Policy strings compiled once: literal text, wildcards and policy variables.
//!
//! A template is resolved against a request context into borrowed pieces on the stack, so
//! matching a value that contains `${aws:username}` allocates nothing.

use crate::context::{Context, ContextValue};
use crate::wildcard::{self, AsPiece, Piece};

/// How many pieces a template resolves into without touching the heap (a longer one, rare,
/// resolves into a vector).
const INLINE_PIECES: usize = 12;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(Box<str>),
    AnyRun,
    AnyOne,
    Variable {
        /// The lower-cased key, as the context stores it.
        key: Box<str>,
        default: Option<Box<str>>,
    },
}

/// A compiled policy string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Box<[Part]>,
    has_variables: bool,
    has_wildcards: bool,
    /// For the commonest wildcard shape, `*` without `?` or variables (`s3:get*`,
    /// `arn:aws:s3:::bucket/*`): the literal runs between the stars, matched with substring
    /// search instead of character by character.
    star_runs: Option<Box<[Box<str>]>>,
}

/// Why a template could not be resolved: a variable had no single value and no default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unresolved;

impl Template {
    /// Compiles `text`. `wildcards`: whether `*` and `?` are wildcards (Like operators,
    /// actions, resources) or literal text. `variables`: whether `${...}` is a policy variable
    /// (Version 2012-10-17) or literal text.
    pub(crate) fn compile(text: &str, wildcards: bool, variables: bool) -> Template {
        let mut parts: Vec<Part> = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(ch) = rest.chars().next() {
            if variables
                && rest.starts_with("${")
                && let Some((part, after)) = parse_variable(rest)
            {
                {
                    match part {
                        VariableOrLiteral::Literal(ch) => literal.push(ch),
                        VariableOrLiteral::Variable { key, default } => {
                            flush(&mut literal, &mut parts);
                            parts.push(Part::Variable { key, default });
                        }
                    }
                    rest = after;
                    continue;
                }
            }
            if wildcards && (ch == '*' || ch == '?') {
                flush(&mut literal, &mut parts);
                parts.push(if ch == '*' {
                    Part::AnyRun
                } else {
                    Part::AnyOne
                });
            } else {
                literal.push(ch);
            }
            rest = rest.get(ch.len_utf8()..).unwrap_or_default();
        }
        flush(&mut literal, &mut parts);
        let has_variables = parts.iter().any(|p| matches!(p, Part::Variable { .. }));
        let has_wildcards = parts
            .iter()
            .any(|p| matches!(p, Part::AnyRun | Part::AnyOne));
        let star_only = !has_variables
            && has_wildcards
            && parts
                .iter()
                .all(|p| matches!(p, Part::Literal(_) | Part::AnyRun));
        let star_runs = star_only.then(|| {
            let mut runs = vec![String::new()];
            for part in &parts {
                match part {
                    Part::Literal(text) => {
                        if let Some(run) = runs.last_mut() {
                            run.push_str(text);
                        }
                    }
                    _ => runs.push(String::new()),
                }
            }
            runs.into_iter().map(String::into_boxed_str).collect()
        });
        Template {
            parts: parts.into_boxed_slice(),
            has_variables,
            has_wildcards,
            star_runs,
        }
    }

    pub(crate) fn has_variables(&self) -> bool {
        self.has_variables
    }

    /// The template's text when it is a single literal (no variables, no wildcards).
    pub(crate) fn as_literal(&self) -> Option<&str> {
        match &*self.parts {
            [] => Some(""),
            [Part::Literal(text)] => Some(text),
            _ => None,
        }
    }

    /// Whether every variable of the template has a value in `context`.
    pub(crate) fn resolvable(&self, context: &Context) -> bool {
        !self.has_variables
            || self.parts.iter().all(|part| match part {
                Part::Variable { key, default } => {
                    default.is_some() || single_value(context, key).is_some()
                }
                _ => true,
            })
    }

    /// Runs `f` on the resolved pieces, or returns `Err(Unresolved)`.
    pub(crate) fn with_pieces<R>(
        &self,
        context: &Context,
        f: impl FnOnce(&[Piece<'_>]) -> R,
    ) -> Result<R, Unresolved> {
        if self.parts.len() <= INLINE_PIECES {
            let mut buffer = [Piece::AnyRun; INLINE_PIECES];
            for (slot, part) in buffer.iter_mut().zip(self.parts.iter()) {
                *slot = resolve(part, context)?;
            }
            Ok(f(buffer.get(..self.parts.len()).unwrap_or_default()))
        } else {
            let pieces = self
                .parts
                .iter()
                .map(|part| resolve(part, context))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(f(&pieces))
        }
    }

    /// Whether `text` matches this template (wildcards honoured when compiled with them).
    pub(crate) fn matches(
        &self,
        text: &str,
        context: &Context,
        ignore_case: bool,
    ) -> Result<bool, Unresolved> {
        if let Some(literal) = self.as_literal() {
            return Ok(if ignore_case {
                literal.eq_ignore_ascii_case(text)
            } else {
                literal == text
            });
        }
        if let (Some(runs), false) = (&self.star_runs, ignore_case) {
            return Ok(star_match(runs, text));
        }
        let wild = self.has_wildcards;
        if !self.has_variables {
            return Ok(if wild {
                wildcard::matches(&self.parts, text, ignore_case)
            } else {
                wildcard::equals(&self.parts, text, ignore_case)
            });
        }
        self.with_pieces(context, |pieces| {
            if wild {
                wildcard::matches(pieces, text, ignore_case)
            } else {
                wildcard::equals(pieces, text, ignore_case)
            }
        })
    }

    /// The resolved text, for operators that read the value as a number, date or address.
    pub(crate) fn resolve_to_string(&self, context: &Context) -> Result<String, Unresolved> {
        self.with_pieces(context, |pieces| {
            let mut out = String::new();
            for piece in pieces {
                match piece {
                    Piece::Literal(text) => out.push_str(text),
                    Piece::AnyRun => out.push('*'),
                    Piece::AnyOne => out.push('?'),
                }
            }
            out
        })
    }
}

/// Matches `text` against literal runs separated by `*`: the first run is a prefix, the last a
/// suffix, and each middle run is found leftmost in what remains (leftmost is always safe for
/// patterns with only `*`).
fn star_match(runs: &[Box<str>], text: &str) -> bool {
    let Some((first, rest_runs)) = runs.split_first() else {
        return text.is_empty();
    };
    let Some((last, middles)) = rest_runs.split_last() else {
        return **first == *text;
    };
    let Some(mut rest) = text.strip_prefix(&**first) else {
        return false;
    };
    for run in middles {
        match rest.find(&**run) {
            Some(at) => rest = rest.get(at + run.len()..).unwrap_or_default(),
            None => return false,
        }
    }
    rest.ends_with(&**last)
}

impl AsPiece for Part {
    /// Only called on templates without variables; a variable would read as empty text.
    fn as_piece(&self) -> Piece<'_> {
        match self {
            Part::Literal(text) => Piece::Literal(text),
            Part::AnyRun => Piece::AnyRun,
            Part::AnyOne => Piece::AnyOne,
            Part::Variable { .. } => Piece::Literal(""),
        }
    }
}

fn flush(literal: &mut String, parts: &mut Vec<Part>) {
    if !literal.is_empty() {
        parts.push(Part::Literal(std::mem::take(literal).into_boxed_str()));
    }
}

fn single_value<'c>(context: &'c Context, key: &str) -> Option<&'c str> {
    match context.get(key) {
        Some(ContextValue::Single(value)) => Some(value),
        _ => None,
    }
}

fn resolve<'a>(part: &'a Part, context: &'a Context) -> Result<Piece<'a>, Unresolved> {
    Ok(match part {
        Part::Literal(text) => Piece::Literal(text),
        Part::AnyRun => Piece::AnyRun,
        Part::AnyOne => Piece::AnyOne,
        Part::Variable { key, default } => match single_value(context, key) {
            Some(value) => Piece::Literal(value),
            None => match default {
                Some(default) => Piece::Literal(default),
                None => return Err(Unresolved),
            },
        },
    })
}

enum VariableOrLiteral {
    Literal(char),
    Variable {
        key: Box<str>,
        default: Option<Box<str>>,
    },
}

/// Parses `${...}` at the start of `text`. `${*}`, `${?}` and `${$}` are the literal
/// characters; `${key}` and `${key, 'default'}` are variables. Anything else is not a
/// variable and stays literal text.
fn parse_variable(text: &str) -> Option<(VariableOrLiteral, &str)> {
    let body_and_rest = text.strip_prefix("${")?;
    let close = body_and_rest.find('}')?;
    let body = body_and_rest.get(..close)?;
    let rest = body_and_rest.get(close + 1..)?;
    let part = match body {
        "*" => VariableOrLiteral::Literal('*'),
        "?" => VariableOrLiteral::Literal('?'),
        "$" => VariableOrLiteral::Literal('$'),
        _ => {
            let (key, default) = match body.split_once(',') {
                Some((key, default)) => {
                    let default = default.trim();
                    let default = default.strip_prefix('\'')?.strip_suffix('\'')?;
                    (key.trim(), Some(default.into()))
                }
                None => (body.trim(), None),
            };
            if key.is_empty() || !key.contains(':') {
                return None;
            }
            VariableOrLiteral::Variable {
                key: key.to_ascii_lowercase().into_boxed_str(),
                default,
            }
        }
    };
    Some((part, rest))
}

/// Whether `text` uses a policy variable (for the Version check at validation).
pub(crate) fn uses_variables(text: &str) -> bool {
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        let candidate = rest.get(at..).unwrap_or_default();
        if let Some((VariableOrLiteral::Variable { .. }, _)) = parse_variable(candidate) {
            return true;
        }
        rest = rest.get(at + 2..).unwrap_or_default();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(pairs: &[(&str, &str)]) -> Context {
        Context::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), ContextValue::Single(v.to_string()))),
        )
    }

    #[test]
    fn variables_resolve_as_literal_text() {
        let ctx = context(&[("aws:username", "a*b")]);
        let t = Template::compile("home/${aws:username}/*", true, true);
        assert_eq!(t.matches("home/a*b/x", &ctx, false), Ok(true));
        assert_eq!(t.matches("home/axxb/x", &ctx, false), Ok(false));
    }

    #[test]
    fn defaults_and_escapes() {
        let ctx = context(&[]);
        let t = Template::compile("${aws:PrincipalTag/team, 'none'}-${*}${?}${$}", true, true);
        assert_eq!(t.matches("none-*?$", &ctx, false), Ok(true));
        assert_eq!(t.matches("none-x?$", &ctx, false), Ok(false));
        let missing = Template::compile("${aws:username}", true, true);
        assert_eq!(missing.matches("x", &ctx, false), Err(Unresolved));
    }

    #[test]
    fn star_runs_agree_with_the_general_matcher() {
        let ctx = context(&[]);
        let texts = [
            "",
            "a",
            "ab",
            "abc",
            "aXbXc",
            "s3:getobject",
            "bucket/a/b",
            "aa",
            "abab",
        ];
        let patterns = [
            "*", "a*", "*c", "a*c", "*b*", "a**c", "ab*ab", "s3:get*", "*a*b", "a*b*c*",
        ];
        for pattern in patterns {
            let fast = Template::compile(pattern, true, false);
            assert!(fast.star_runs.is_some(), "{pattern}");
            for text in texts {
                let general = crate::wildcard::matches(&fast.parts, text, false);
                assert_eq!(
                    fast.matches(text, &ctx, false),
                    Ok(general),
                    "{pattern} ~ {text}"
                );
            }
        }
    }

    #[test]
    fn old_version_is_literal() {
        let ctx = context(&[("aws:username", "bob")]);
        let t = Template::compile("${aws:username}", true, false);
        assert_eq!(t.matches("${aws:username}", &ctx, false), Ok(true));
        assert_eq!(t.matches("bob", &ctx, false), Ok(false));
    }

    #[test]
    fn key_names_are_case_insensitive() {
        let ctx = context(&[("aws:principaltag/team", "red")]);
        let t = Template::compile("${aws:PrincipalTag/Team}", false, true);
        assert_eq!(t.matches("red", &ctx, false), Ok(true));
    }
}
