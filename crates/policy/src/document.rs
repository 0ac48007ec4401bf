//! Policy documents: the JSON grammar parsed into typed statements.
//!
//! Only the syntax is checked here (the first of AWS's checks, "Syntax errors in policy.");
//! the remaining checks, which depend on the kind of policy, live in `validate`.

use serde_json::{Map, Value};

use crate::condition::Operator;

/// The `Version` element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// `2008-10-17`: policy variables are literal text.
    V2008_10_17,
    /// `2012-10-17`: the current language.
    V2012_10_17,
}

impl Version {
    /// Whether `${...}` is read as a policy variable.
    pub fn has_variables(self) -> bool {
        self == Version::V2012_10_17
    }
}

/// `Allow` or `Deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Grants the statement's actions.
    Allow,
    /// Denies them; an applicable Deny always wins.
    Deny,
}

impl Effect {
    /// The element's text.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// The key of a principal map entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrincipalType {
    /// `AWS`: accounts, users, roles, sessions.
    Aws,
    /// `Service`: service principals such as `ec2.amazonaws.com`.
    Service,
    /// `Federated`: SAML and OIDC providers.
    Federated,
    /// `CanonicalUser`: S3 canonical user ids.
    CanonicalUser,
}

/// A `Principal` or `NotPrincipal` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principals {
    /// `"*"`: everyone, including anonymous callers.
    Any,
    /// `{"AWS": [...], "Service": [...], ...}`.
    Map(Vec<(PrincipalType, Vec<String>)>),
}

/// Mutually exclusive principal elements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalClause {
    /// The statement applies to these principals.
    Principal(Principals),
    /// The statement applies to every principal except these.
    NotPrincipal(Principals),
}

/// Mutually exclusive action elements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionClause {
    /// The statement covers these actions.
    Action(Vec<String>),
    /// The statement covers every action except these.
    NotAction(Vec<String>),
}

impl ActionClause {
    /// The listed action patterns.
    pub fn patterns(&self) -> &[String] {
        match self {
            ActionClause::Action(list) | ActionClause::NotAction(list) => list,
        }
    }
}

/// Mutually exclusive resource elements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourceClause {
    /// The statement covers these resources.
    Resource(Vec<String>),
    /// The statement covers every resource except these.
    NotResource(Vec<String>),
}

impl ResourceClause {
    /// The listed resource patterns.
    pub fn patterns(&self) -> &[String] {
        match self {
            ResourceClause::Resource(list) | ResourceClause::NotResource(list) => list,
        }
    }
}

/// One `"Operator": {"key": values}` entry of a `Condition` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionEntry {
    /// The operator, with its `IfExists` and set qualifiers.
    pub operator: Operator,
    /// The condition key as written.
    pub key: String,
    /// The values as text (JSON booleans and numbers are read as their text); may be empty.
    pub values: Vec<String>,
}

/// One statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// `Sid`, if any.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Principal` or `NotPrincipal`, if any.
    pub principal: Option<PrincipalClause>,
    /// `Action` or `NotAction`; absence is a validation error, not a syntax error.
    pub action: Option<ActionClause>,
    /// `Resource` or `NotResource`, if any.
    pub resource: Option<ResourceClause>,
    /// The `Condition` entries, all of which must hold.
    pub conditions: Vec<ConditionEntry>,
}

/// A policy document that passed the syntax check, with its original text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub(crate) text: String,
    pub(crate) version: Option<Version>,
    pub(crate) id: Option<String>,
    pub(crate) statements: Vec<Statement>,
    /// Some statement's `Effect` is `Allow` or `Deny` in other letter case (`"allow"`,
    /// `"DENY"`): it passes the syntax check, as on AWS, and fails legacy parsing, so such a
    /// document never becomes a `Policy`.
    pub(crate) miscased_effect: bool,
}

/// The syntax check failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError;

type Parsed<T> = Result<T, SyntaxError>;

impl Document {
    /// Parses the JSON text of a policy.
    pub(crate) fn parse(text: &str) -> Parsed<Document> {
        let value: Value = serde_json::from_str(text).map_err(|_| SyntaxError)?;
        let Value::Object(top) = value else {
            return Err(SyntaxError);
        };
        let mut version = None;
        let mut id = None;
        let mut statements = None;
        let mut miscased_effect = false;
        for (key, value) in &top {
            match key.as_str() {
                "Version" => {
                    version = Some(match value.as_str() {
                        Some("2012-10-17") => Version::V2012_10_17,
                        Some("2008-10-17") => Version::V2008_10_17,
                        _ => return Err(SyntaxError),
                    })
                }
                "Id" => id = Some(value.as_str().ok_or(SyntaxError)?.to_owned()),
                "Statement" => {
                    let parsed = parse_statements(value)?;
                    miscased_effect = parsed.iter().any(|(_, miscased)| *miscased);
                    statements = Some(parsed.into_iter().map(|(s, _)| s).collect());
                }
                _ => return Err(SyntaxError),
            }
        }
        Ok(Document {
            text: text.to_owned(),
            version,
            id,
            statements: statements.ok_or(SyntaxError)?,
            miscased_effect,
        })
    }
}

/// The statements, each with whether its `Effect` was written in another letter case.
fn parse_statements(value: &Value) -> Parsed<Vec<(Statement, bool)>> {
    match value {
        Value::Object(object) => Ok(vec![parse_statement(object)?]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|item| match item {
                Value::Object(object) => parse_statement(object),
                _ => Err(SyntaxError),
            })
            .collect(),
        _ => Err(SyntaxError),
    }
}

fn parse_statement(object: &Map<String, Value>) -> Parsed<(Statement, bool)> {
    let mut sid = None;
    let mut effect = None;
    let mut miscased = false;
    let mut principal = None;
    let mut action = None;
    let mut resource = None;
    let mut conditions = Vec::new();
    for (key, value) in object {
        match key.as_str() {
            "Sid" => sid = Some(value.as_str().ok_or(SyntaxError)?.to_owned()),
            "Effect" => {
                let text = value.as_str().ok_or(SyntaxError)?;
                effect = Some(if text.eq_ignore_ascii_case("Allow") {
                    Effect::Allow
                } else if text.eq_ignore_ascii_case("Deny") {
                    Effect::Deny
                } else {
                    return Err(SyntaxError);
                });
                miscased = !matches!(text, "Allow" | "Deny");
            }
            "Principal" | "NotPrincipal" => {
                if principal.is_some() {
                    return Err(SyntaxError);
                }
                let parsed = parse_principals(value)?;
                principal = Some(if key == "Principal" {
                    PrincipalClause::Principal(parsed)
                } else {
                    PrincipalClause::NotPrincipal(parsed)
                });
            }
            "Action" | "NotAction" => {
                if action.is_some() {
                    return Err(SyntaxError);
                }
                let list = string_list(value, false)?;
                action = Some(if key == "Action" {
                    ActionClause::Action(list)
                } else {
                    ActionClause::NotAction(list)
                });
            }
            "Resource" | "NotResource" => {
                if resource.is_some() {
                    return Err(SyntaxError);
                }
                // AWS stores a `null` inside a resource list; it names no resource.
                let list = string_list(value, true)?;
                resource = Some(if key == "Resource" {
                    ResourceClause::Resource(list)
                } else {
                    ResourceClause::NotResource(list)
                });
            }
            "Condition" => conditions = parse_conditions(value)?,
            _ => return Err(SyntaxError),
        }
    }
    // An empty list passes the syntax check (both elements of a pair still may not be
    // given) and then counts as a missing element: AWS answers "Policy statement must
    // contain actions." or "... resources." for it.
    let statement = Statement {
        sid,
        effect: effect.ok_or(SyntaxError)?,
        principal,
        action: action.filter(|clause| !clause.patterns().is_empty()),
        resource: resource.filter(|clause| !clause.patterns().is_empty()),
        conditions,
    };
    Ok((statement, miscased))
}

/// A string or an array of strings, which may be empty; `nulls` lets `null` items through,
/// dropped.
fn string_list(value: &Value, nulls: bool) -> Parsed<Vec<String>> {
    match value {
        Value::String(text) => Ok(vec![text.clone()]),
        Value::Array(items) => items
            .iter()
            .filter(|item| !(nulls && item.is_null()))
            .map(|item| item.as_str().map(str::to_owned).ok_or(SyntaxError))
            .collect(),
        _ => Err(SyntaxError),
    }
}

/// A string or a non-empty array of strings.
fn principal_list(value: &Value) -> Parsed<Vec<String>> {
    match value {
        Value::Array(items) if items.is_empty() => Err(SyntaxError),
        _ => string_list(value, false),
    }
}

fn parse_principals(value: &Value) -> Parsed<Principals> {
    match value {
        Value::String(text) if text == "*" => Ok(Principals::Any),
        Value::Object(map) if !map.is_empty() => {
            let mut entries = Vec::with_capacity(map.len());
            for (key, value) in map {
                let kind = match key.as_str() {
                    "AWS" => PrincipalType::Aws,
                    "Service" => PrincipalType::Service,
                    "Federated" => PrincipalType::Federated,
                    "CanonicalUser" => PrincipalType::CanonicalUser,
                    _ => return Err(SyntaxError),
                };
                entries.push((kind, principal_list(value)?));
            }
            Ok(Principals::Map(entries))
        }
        _ => Err(SyntaxError),
    }
}

fn parse_conditions(value: &Value) -> Parsed<Vec<ConditionEntry>> {
    let Value::Object(operators) = value else {
        return Err(SyntaxError);
    };
    let mut entries = Vec::new();
    for (operator, keys) in operators {
        let Value::Object(keys) = keys else {
            return Err(SyntaxError);
        };
        // AWS reads the operator's name only for the entries under it: an operator with none,
        // even an unknown one, is accepted and tests nothing.
        if keys.is_empty() {
            continue;
        }
        let operator = Operator::parse(operator).ok_or(SyntaxError)?;
        for (key, values) in keys {
            // An empty list is accepted: the operator is applied to no policy values.
            let values = match values {
                Value::Array(items) => items.iter().map(scalar_text).collect::<Parsed<Vec<_>>>()?,
                other => vec![scalar_text(other)?],
            };
            entries.push(ConditionEntry {
                operator,
                key: key.clone(),
                values,
            });
        }
    }
    Ok(entries)
}

fn scalar_text(value: &Value) -> Parsed<String> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Bool(flag) => Ok(flag.to_string()),
        Value::Number(number) => Ok(number.to_string()),
        _ => Err(SyntaxError),
    }
}
