//! The policy simulator's procedure, shared by IAM's Simulate operations and the offline
//! `castellan policy simulate`: the engine's decision (`explain`) over the policies given,
//! and what the simulator reads off documents beside it: which statements decided and where
//! each sits in its policy's text (AWS's `StartPosition`/`EndPosition`, reading 100), the
//! context keys the policies read that the request lacks, and what the boundary and the
//! SCPs alone decide.

use std::net::IpAddr;

use crate::arn::Arn;
use crate::compile::PolicySet;
use crate::context::{Context, ContextValue};
use crate::document::{ActionClause, Effect, Statement};
use crate::evaluate::{Decision, Policies, PolicyType, Request, authorize, explain};
use crate::principal::Principal;
use crate::scenario::derive_context;
use crate::validate::{Policy, PolicyKind};
use crate::wildcard;

/// The policies and request of one simulation.
#[derive(Clone, Copy, Debug)]
pub struct Simulation<'a> {
    /// Who is simulated.
    pub principal: &'a Principal,
    /// The identity policies, in the order `MatchedSource::Identity` counts them.
    pub identity: &'a [&'a Policy],
    /// The permissions boundaries (none: the principal has no boundary).
    pub boundary: &'a [&'a Policy],
    /// The resource's policy.
    pub resource: Option<&'a Policy>,
    /// The SCP chain, root first; `None` when no organization binds the principal.
    pub service_control: Option<&'a [PolicySet]>,
    /// The context the request gives (what the principal says of itself is added).
    pub context: &'a Context,
    /// The account owning a resource whose ARN names no account (an S3 bucket, `*`), and
    /// the resource policy's; a resource ARN naming one is owned by it (reading 110).
    pub resource_account: &'a str,
}

/// Which of the simulation's policies a matched statement is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchedSource {
    /// The identity policy at this index of `Simulation::identity`.
    Identity(usize),
    /// The resource policy.
    Resource,
}

/// A statement that decided, and where it sits in its policy's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimulatedStatement {
    /// Its policy.
    pub source: MatchedSource,
    /// Where it begins.
    pub start: TextPosition,
    /// Where it ends.
    pub end: TextPosition,
}

/// One (action, resource) pair's simulated result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulatedOutcome {
    /// The engine's decision.
    pub decision: Decision,
    /// The identity and resource statements of the deciding effect (none for an implicit
    /// deny).
    pub matched: Vec<SimulatedStatement>,
    /// The context keys that statements covering the action read and the context lacks.
    pub missing: Vec<String>,
    /// What the boundaries alone decide, when there are any.
    pub boundary_allows: Option<bool>,
    /// What the SCPs alone decide, when there are some.
    pub organizations_allow: Option<bool>,
}

impl Simulation<'_> {
    /// Simulates `action` on `resource`.
    pub fn simulate(&self, action: &str, resource: &str) -> SimulatedOutcome {
        let labelled = |policies: &[&Policy], prefix: &str| {
            PolicySet::new(
                policies
                    .iter()
                    .enumerate()
                    .map(|(at, policy)| (format!("{prefix}{at}"), *policy)),
            )
        };
        let identity = labelled(self.identity, "i");
        let boundary = labelled(self.boundary, "b");
        let resource_set = self
            .resource
            .map(|policy| PolicySet::new([("r0".to_owned(), policy)]));
        let owner = Arn::parse(resource)
            .map(|arn| arn.account)
            .filter(|account| !account.is_empty())
            .unwrap_or(self.resource_account);
        let mut context = self.context.clone();
        derive_context(&mut context, self.principal, Some(owner));
        let request = Request {
            principal: self.principal,
            action,
            resource,
            resource_account: Some(owner),
            context: &context,
        };
        let policies = Policies {
            identity: Some(&identity),
            resource: resource_set.as_ref(),
            boundary: (!self.boundary.is_empty()).then_some(&boundary),
            service_control: self.service_control,
            ..Policies::default()
        };
        let (evaluation, applicable) = explain(&request, &policies);
        let deciding_effect = match evaluation.decision {
            Decision::Allow => Some(Effect::Allow),
            Decision::ExplicitDeny => Some(Effect::Deny),
            Decision::ImplicitDeny => None,
        };
        let matched = applicable
            .iter()
            .filter(|m| Some(m.effect) == deciding_effect)
            .filter_map(|m| {
                let (source, policy) = match m.policy_type {
                    PolicyType::Identity => {
                        let at: usize = m.policy.strip_prefix('i')?.parse().ok()?;
                        (MatchedSource::Identity(at), *self.identity.get(at)?)
                    }
                    PolicyType::Resource => (MatchedSource::Resource, self.resource?),
                    _ => return None,
                };
                let positions = statement_positions(policy.text());
                let (start, end) = positions.get(usize::try_from(m.statement).ok()?)?;
                Some(SimulatedStatement {
                    source,
                    start: *start,
                    end: *end,
                })
            })
            .collect();
        let boundary_allows = (!self.boundary.is_empty()).then(|| {
            let alone = Policies {
                identity: Some(&boundary),
                ..Policies::default()
            };
            authorize(&request, &alone).decision.is_allowed()
        });
        let organizations_allow = self.service_control.map(|scps| {
            let everything = allow_everything();
            let alone = Policies {
                identity: Some(&everything),
                service_control: Some(scps),
                ..Policies::default()
            };
            authorize(&request, &alone).decision.is_allowed()
        });
        let others = self
            .identity
            .iter()
            .chain(self.boundary)
            .copied()
            .chain(self.resource);
        SimulatedOutcome {
            decision: evaluation.decision,
            matched,
            missing: missing_keys(others, &context, action),
            boundary_allows,
            organizations_allow,
        }
    }
}

/// The account a simulation's `ResourceOwner` names: AWS documents it as the account's ARN
/// (`arn:aws:iam::112233445566:root`), and SDKs as the account ID; both are read. `None`
/// for anything else.
pub fn owner_account(owner: &str) -> Option<&str> {
    let is_account = |text: &str| text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit());
    if is_account(owner) {
        return Some(owner);
    }
    Arn::parse(owner)
        .map(|arn| arn.account)
        .filter(|account| is_account(account))
}

/// The context keys that statements covering `action` read and `context` lacks.
fn missing_keys<'p>(
    policies: impl Iterator<Item = &'p Policy>,
    context: &Context,
    action: &str,
) -> Vec<String> {
    let mut missing: Vec<String> = Vec::new();
    for statement in policies.flat_map(Policy::statements) {
        if !statement.action.as_ref().is_some_and(|a| a.covers(action)) {
            continue;
        }
        for key in statement.context_keys() {
            let known = context.lookup(key).is_some()
                || missing.iter().any(|seen| seen.eq_ignore_ascii_case(key));
            if !known {
                missing.push(key.to_owned());
            }
        }
    }
    missing
}

/// An identity policy that allows everything: what SCPs are weighed against alone.
fn allow_everything() -> PolicySet {
    const TEXT: &str =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    match Policy::parse(TEXT, PolicyKind::Identity) {
        Ok(policy) => PolicySet::new([("everything".to_owned(), &policy)]),
        Err(_) => PolicySet::default(),
    }
}

/// Why a simulated context entry cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContextEntryError {
    /// A type IAM's `ContextKeyTypeEnum` does not have.
    #[error(
        "Context key {key} has an unknown type {kind}: one of string, stringList, numeric, numericList, boolean, booleanList, ip, ipList, binary, binaryList, date, dateList."
    )]
    UnknownType {
        /// The key.
        key: String,
        /// The type given.
        kind: String,
    },
    /// A value that is not of its key's type.
    #[error("The value {value} of context key {key} is not of type {kind}.")]
    WrongValue {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// The type.
        kind: String,
    },
    /// A scalar type given no value or several.
    #[error("Context key {key} of type {kind} takes exactly one value.")]
    NotOneValue {
        /// The key.
        key: String,
        /// The type.
        kind: String,
    },
}

/// A context entry's value as the simulator reads it: `kind` as IAM's `ContextKeyTypeEnum`
/// writes it (`string`, `stringList`, `numeric`, ...), each value checked against it
/// (numbers, booleans, addresses or CIDRs); a list type takes any number of values, a
/// scalar type exactly one.
pub fn context_entry_value(
    key: &str,
    kind: &str,
    values: Vec<String>,
) -> Result<ContextValue, ContextEntryError> {
    let (scalar, list) = match kind.strip_suffix("List") {
        Some(scalar) => (scalar, true),
        None => (kind, false),
    };
    let fits: fn(&str) -> bool = match scalar {
        "string" | "binary" | "date" => |_| true,
        "numeric" => |value| value.parse::<f64>().is_ok_and(f64::is_finite),
        "boolean" => {
            |value| value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false")
        }
        "ip" => |value| {
            let address = value.split('/').next().unwrap_or_default();
            address.parse::<IpAddr>().is_ok()
        },
        _ => {
            return Err(ContextEntryError::UnknownType {
                key: key.to_owned(),
                kind: kind.to_owned(),
            });
        }
    };
    if let Some(value) = values.iter().find(|value| !fits(value)) {
        return Err(ContextEntryError::WrongValue {
            key: key.to_owned(),
            value: value.clone(),
            kind: kind.to_owned(),
        });
    }
    if list {
        return Ok(ContextValue::Multi(values));
    }
    match <[String; 1]>::try_from(values) {
        Ok([one]) => Ok(ContextValue::Single(one)),
        Err(_) => Err(ContextEntryError::NotOneValue {
            key: key.to_owned(),
            kind: kind.to_owned(),
        }),
    }
}

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
