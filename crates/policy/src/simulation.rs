//! What the policy simulator reads off documents beside the decision: the context keys a
//! policy refers to, whether a statement's action clause covers an action, and where each
//! statement sits in the policy's text (AWS's `StartPosition`/`EndPosition`, reading 100).

use crate::document::{ActionClause, Statement};
use crate::validate::Policy;
use crate::wildcard;

impl ActionClause {
    /// Whether the clause covers `action` (`Action` lists it, or `NotAction` does not),
    /// matched as the engine matches actions: case-insensitively, with `*` and `?`.
    pub fn covers(&self, action: &str) -> bool {
        let listed = self
            .patterns()
            .iter()
            .any(|pattern| wildcard::matches(&wildcard::parse_glob(pattern), action, true));
        match self {
            ActionClause::Action(_) => listed,
            ActionClause::NotAction(_) => !listed,
        }
    }
}

impl Statement {
    /// The context keys the statement refers to: its condition keys, then the policy
    /// variables (`${aws:username}`) of its resources and condition values, as written.
    pub fn context_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.conditions.iter().map(|c| c.key.as_str()).collect();
        let resources = self.resource.iter().flat_map(|r| r.patterns());
        let values = self.conditions.iter().flat_map(|c| c.values.iter());
        for text in resources.chain(values) {
            keys.extend(variables(text));
        }
        keys
    }
}

impl Policy {
    /// The context keys the policy refers to, each once (compared without regard to case,
    /// as AWS compares keys), in the order they first appear.
    pub fn context_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for key in self.statements().iter().flat_map(Statement::context_keys) {
            if !keys.iter().any(|seen| seen.eq_ignore_ascii_case(key)) {
                keys.push(key.to_owned());
            }
        }
        keys
    }
}

/// The variables `${key}` (or `${key, 'default'}`) of `text`, without the escapes `${*}`,
/// `${?}` and `${$}`.
fn variables(text: &str) -> impl Iterator<Item = &str> {
    text.split("${").skip(1).filter_map(|rest| {
        let inside = rest.split('}').next()?;
        let key = inside.split(',').next()?.trim();
        (!key.is_empty() && !matches!(key, "*" | "?" | "$")).then_some(key)
    })
}

/// A place in a policy's text: 1-based line, and column as AWS counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextPosition {
    /// The line, from 1.
    pub line: u32,
    /// The column just after the statement's brace, counted from 1 (reading 100).
    pub column: u32,
}

/// Where each statement of a policy's text begins and ends (its `{` and its `}`), in the
/// order of the statements; empty when the text is not a JSON object with a `Statement`
/// (a parsed policy always is).
pub fn statement_positions(text: &str) -> Vec<(TextPosition, TextPosition)> {
    let spans = statement_spans(text.as_bytes()).unwrap_or_default();
    spans
        .into_iter()
        .map(|(open, close)| (position_after(text, open), position_after(text, close)))
        .collect()
}

/// The line and column of the character after byte `at` (AWS points just past the brace).
fn position_after(text: &str, at: usize) -> TextPosition {
    let before = text.get(..at).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = text.get(line_start..at).unwrap_or_default().chars().count() + 2;
    TextPosition {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
    }
}

/// A cursor over JSON text that skips whitespace, strings and whole values.
struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scanner<'a> {
    fn skip_space(&mut self) {
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.bytes.get(self.at).copied()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// A string's contents (escapes left as written).
    fn string(&mut self) -> Option<&'a [u8]> {
        self.expect(b'"')?;
        let start = self.at;
        loop {
            match *self.bytes.get(self.at)? {
                b'\\' => self.at += 2,
                b'"' => break,
                _ => self.at += 1,
            }
        }
        let contents = self.bytes.get(start..self.at)?;
        self.at += 1;
        Some(contents)
    }

    /// Skips one value; answers where it began and where it ended (its last byte).
    fn value(&mut self) -> Option<(usize, usize)> {
        let start = {
            self.skip_space();
            self.at
        };
        match self.peek()? {
            b'"' => {
                self.string()?;
            }
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.at += 1;
                if self.peek()? == close {
                    self.at += 1;
                } else {
                    loop {
                        if open == b'{' {
                            self.string()?;
                            self.expect(b':')?;
                        }
                        self.value()?;
                        match self.peek()? {
                            b',' => self.at += 1,
                            byte if byte == close => {
                                self.at += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
            }
            _ => {
                while self
                    .bytes
                    .get(self.at)
                    .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
                {
                    self.at += 1;
                }
            }
        }
        Some((start, self.at.checked_sub(1)?))
    }
}

/// The byte spans of the statements: the `Statement` member's object, or each object of its
/// array.
fn statement_spans(bytes: &[u8]) -> Option<Vec<(usize, usize)>> {
    let mut scanner = Scanner { bytes, at: 0 };
    scanner.expect(b'{')?;
    loop {
        let is_statement = scanner.string()? == b"Statement";
        scanner.expect(b':')?;
        if is_statement {
            if scanner.peek()? != b'[' {
                return Some(vec![scanner.value()?]);
            }
            scanner.at += 1;
            let mut spans = Vec::new();
            if scanner.peek()? == b']' {
                return Some(spans);
            }
            loop {
                spans.push(scanner.value()?);
                match scanner.peek()? {
                    b',' => scanner.at += 1,
                    _ => return Some(spans),
                }
            }
        }
        scanner.value()?;
        scanner.expect(b',')?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::PolicyKind;

    fn policy(text: &str) -> Policy {
        Policy::parse(text, PolicyKind::Identity).unwrap_or_else(|e| panic!("{e}"))
    }

    /// AWS's own example (simulate-custom-policy in the CLI's documentation): a statement
    /// object on line 1 reported from column 38 to column 167.
    #[test]
    fn positions_match_aws_example() {
        let text = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}"#;
        let found = statement_positions(text);
        assert_eq!(
            found,
            vec![(
                TextPosition {
                    line: 1,
                    column: 38
                },
                TextPosition {
                    line: 1,
                    column: 167
                }
            )]
        );
    }

    #[test]
    fn positions_of_an_array_over_lines() {
        let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n    {\n      \"Condition\": {\"StringEquals\": {\"aws:username\": \"b}\\\"{\"}},\n      \"Effect\": \"Deny\", \"Action\": \"s3:Delete*\", \"Resource\": \"*\"\n    }\n  ]\n}";
        let found = statement_positions(text);
        assert_eq!(
            found,
            vec![
                (
                    TextPosition { line: 4, column: 6 },
                    TextPosition {
                        line: 4,
                        column: 59
                    }
                ),
                (
                    TextPosition { line: 5, column: 6 },
                    TextPosition { line: 8, column: 6 }
                ),
            ]
        );
        assert_eq!(policy(text).statements().len(), found.len());
    }

    #[test]
    fn positions_of_what_is_not_a_policy_are_none() {
        for text in ["", "[]", "{\"Statement\": [{\"a\": ", "{\"Version\": 1}"] {
            assert!(statement_positions(text).is_empty(), "{text}");
        }
    }

    /// Condition keys (a block's operators in no promised order), then the variables.
    #[test]
    fn context_keys_once_each_in_order() {
        let p = policy(
            r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*",
             "Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"},"Bool":{"aws:SecureTransport":"true"}}},
            {"Effect":"Deny","Action":"s3:*","Resource":"*",
             "Condition":{"StringNotEquals":{"AWS:requestedregion":"${aws:PrincipalTag/home, 'x'}"}}}]}"#,
        );
        let keys = p.context_keys();
        let mut conditions = keys.get(..2).unwrap_or_default().to_vec();
        conditions.sort();
        assert_eq!(
            conditions,
            vec!["aws:RequestedRegion", "aws:SecureTransport"]
        );
        assert_eq!(
            keys.get(2..).unwrap_or_default(),
            ["aws:username", "aws:PrincipalTag/home"]
        );
    }

    #[test]
    fn action_clauses_cover_as_the_engine_matches() {
        let p = policy(
            r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["s3:Get*","iam:?etUser"],"Resource":"*"},
            {"Effect":"Allow","NotAction":"s3:*","Resource":"*"}]}"#,
        );
        let clause = |i: usize| p.statements().get(i).and_then(|s| s.action.clone());
        let (first, second) = (clause(0).unwrap(), clause(1).unwrap());
        assert!(first.covers("S3:GetObject"));
        assert!(first.covers("iam:GetUser"));
        assert!(!first.covers("s3:PutObject"));
        assert!(!second.covers("s3:PutObject"));
        assert!(second.covers("iam:GetUser"));
    }
}
