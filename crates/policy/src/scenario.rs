//! Scenarios: one request with all its policies, as JSON, for the offline CLI and the tests.

use serde_json::{Map, Value};

use crate::arn::Arn;
use crate::compile::PolicySet;
use crate::context::{Context, ContextValue};
use crate::evaluate::{Decision, Evaluation, MatchedStatement, Policies, Request, explain};
use crate::principal::{Principal, PrincipalKind};
use crate::validate::{Policy, PolicyKind};

/// Why a scenario cannot be evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    /// The text is not JSON or not an object.
    #[error("the scenario is not a JSON object: {0}")]
    NotJson(String),
    /// A key the format does not have.
    #[error("unknown scenario key `{0}`")]
    UnknownKey(String),
    /// A required key is absent.
    #[error("the scenario needs `{0}`")]
    Missing(&'static str),
    /// A key holds the wrong kind of value.
    #[error("`{key}` must be {expected}")]
    WrongType {
        /// The key.
        key: String,
        /// What it must hold.
        expected: &'static str,
    },
    /// The principal is not one we know.
    #[error(transparent)]
    Principal(#[from] crate::principal::InvalidPrincipal),
    /// A policy failed validation.
    #[error("`{location}` is not a valid {kind} policy: {error}")]
    Policy {
        /// Where the policy sits in the scenario.
        location: String,
        /// The kind it was validated as.
        kind: &'static str,
        /// AWS's message.
        error: crate::validate::PolicyError,
    },
}

/// A scenario's decision, AWS's message, and every applicable statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioOutcome {
    /// The decision.
    pub decision: Decision,
    /// AWS's AccessDenied message for a denial, or what allowed the request.
    pub message: String,
    /// Every applicable statement.
    pub matched: Vec<MatchedStatement>,
    /// With [`evaluate_scenario_lenient`], what IAM's storage checks find in the policies
    /// evaluated anyway, each naming its policy's place; always empty otherwise.
    pub warnings: Vec<String>,
}

const KEYS: [&str; 11] = [
    "principal",
    "action",
    "resource",
    "resource_account",
    "context",
    "identity_policies",
    "resource_policy",
    "permissions_boundary",
    "session_policy",
    "service_control_policies",
    "resource_control_policies",
];

/// Actions whose resource policy, on a role, is the role's trust policy.
const TRUST_ACTIONS: [&str; 5] = [
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
];

/// Evaluates one scenario given as JSON text; a policy failing IAM's validation makes the
/// scenario unusable.
pub fn evaluate_scenario(json: &str) -> Result<ScenarioOutcome, ScenarioError> {
    evaluate(json, &mut Reader::default())
}

/// Evaluates one scenario given as JSON text, its policies read as documents found in the
/// wild: one that parses but fails IAM's storage checks is evaluated as written, each of
/// its findings a warning of the outcome. A policy whose syntax fails is still an error.
pub fn evaluate_scenario_lenient(json: &str) -> Result<ScenarioOutcome, ScenarioError> {
    evaluate(
        json,
        &mut Reader {
            lenient: true,
            warnings: Vec::new(),
        },
    )
}

/// How a scenario's policies are read, and what lenient reading found.
#[derive(Default)]
struct Reader {
    lenient: bool,
    warnings: Vec<String>,
}

impl Reader {
    /// A policy given as a JSON object or as its text.
    fn policy(
        &mut self,
        value: &Value,
        location: &str,
        kind: PolicyKind,
    ) -> Result<Policy, ScenarioError> {
        let text = match value {
            Value::String(text) => text.clone(),
            Value::Object(_) => value.to_string(),
            _ => {
                return Err(wrong(
                    location,
                    "a policy document (an object or its JSON text)",
                ));
            }
        };
        let invalid = |error| ScenarioError::Policy {
            location: location.to_owned(),
            kind: kind.name(),
            error,
        };
        if !self.lenient {
            return Policy::parse(&text, kind).map_err(invalid);
        }
        let (policy, findings) = Policy::parse_lenient(&text, kind).map_err(invalid)?;
        self.warnings.extend(findings.iter().map(|finding| {
            format!(
                "`{location}` is not a valid {} policy: {finding}",
                kind.name()
            )
        }));
        Ok(policy)
    }
}

fn evaluate(json: &str, reader: &mut Reader) -> Result<ScenarioOutcome, ScenarioError> {
    let value: Value =
        serde_json::from_str(json).map_err(|e| ScenarioError::NotJson(e.to_string()))?;
    let Value::Object(map) = value else {
        return Err(ScenarioError::NotJson("expected an object".to_owned()));
    };
    if let Some(unknown) = map.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(ScenarioError::UnknownKey(unknown.clone()));
    }
    let principal = Principal::parse(required_string(&map, "principal")?)?;
    let action = required_string(&map, "action")?;
    let resource = optional_string(&map, "resource")?.unwrap_or("*");
    let resource_account = optional_string(&map, "resource_account")?
        .or_else(|| {
            Arn::parse(resource)
                .map(|a| a.account)
                .filter(|a| !a.is_empty())
        })
        .or(principal.account());
    let is_trust = TRUST_ACTIONS.contains(&action.to_ascii_lowercase().as_str())
        && Arn::parse(resource)
            .is_some_and(|a| a.service == "iam" && a.resource.starts_with("role/"));

    let mut context = Context::new();
    if let Some(value) = present(&map, "context") {
        let Value::Object(entries) = value else {
            return Err(wrong("context", "an object of strings or lists of strings"));
        };
        for (key, value) in entries {
            let value = match value {
                Value::String(text) => ContextValue::Single(text.clone()),
                Value::Array(items) => ContextValue::Multi(
                    items
                        .iter()
                        .map(|item| item.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| {
                            wrong(&format!("context.{key}"), "a string or a list of strings")
                        })?,
                ),
                _ => {
                    return Err(wrong(
                        &format!("context.{key}"),
                        "a string or a list of strings",
                    ));
                }
            };
            context.insert(key, value);
        }
    }
    derive_context(&mut context, &principal, resource_account);

    let identity = policy_list(reader, &map, "identity_policies", PolicyKind::Identity)?;
    let resource_kind = if is_trust {
        PolicyKind::Trust
    } else {
        PolicyKind::Resource
    };
    let resource_policy = single_policy(reader, &map, "resource_policy", resource_kind)?;
    let boundary = single_policy(reader, &map, "permissions_boundary", PolicyKind::Boundary)?;
    let session = single_policy(reader, &map, "session_policy", PolicyKind::Session)?;
    let scps = chain(
        reader,
        &map,
        "service_control_policies",
        PolicyKind::ServiceControl,
    )?;
    let rcps = chain(
        reader,
        &map,
        "resource_control_policies",
        PolicyKind::ResourceControl,
    )?;

    let policies = Policies {
        identity: identity.as_ref(),
        resource: resource_policy.as_ref(),
        resource_is_trust: is_trust,
        boundary: boundary.as_ref(),
        session: session.as_ref(),
        service_control: scps.as_deref(),
        resource_control: rcps.as_deref(),
    };
    let request = Request {
        principal: &principal,
        action,
        resource,
        resource_account,
        context: &context,
    };
    let (evaluation, matched) = explain(&request, &policies);
    let message = describe(&evaluation, &request, &policies);
    Ok(ScenarioOutcome {
        decision: evaluation.decision,
        message,
        matched,
        warnings: std::mem::take(&mut reader.warnings),
    })
}

fn describe(evaluation: &Evaluation, request: &Request<'_>, policies: &Policies<'_>) -> String {
    if let Some(message) = evaluation.denial_message(request) {
        return message;
    }
    let Some(deciding) = evaluation.deciding else {
        return if request.action.eq_ignore_ascii_case("sts:GetCallerIdentity") {
            "allowed: sts:GetCallerIdentity needs no permission".to_owned()
        } else {
            "allowed: the root user has full access to its own account".to_owned()
        };
    };
    let set = match deciding.policy_type {
        crate::PolicyType::Identity => policies.identity,
        crate::PolicyType::Resource | crate::PolicyType::RoleTrust => policies.resource,
        _ => None,
    };
    let place = match (set, deciding.statement) {
        (Some(set), Some(at)) => format!(
            " `{}` statement {}{}",
            set.policy_name(at.policy).unwrap_or_default(),
            at.statement,
            set.sid(at)
                .map(|sid| format!(" ({sid})"))
                .unwrap_or_default()
        ),
        _ => String::new(),
    };
    format!("allowed by {}{place}", deciding.policy_type.description())
}

/// Adds what the principal and the resource's account say of themselves (`aws:PrincipalType`,
/// `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:username`, `aws:ResourceAccount`...),
/// each unless the context already has it: what scenarios and the simulator take as known.
pub fn derive_context(
    context: &mut Context,
    principal: &Principal,
    resource_account: Option<&str>,
) {
    let single = |text: &str| ContextValue::Single(text.to_owned());
    let principal_type = match principal.kind() {
        PrincipalKind::Root => Some("Account"),
        PrincipalKind::User { .. } => Some("User"),
        PrincipalKind::RoleSession { .. } => Some("AssumedRole"),
        PrincipalKind::FederatedUser { .. } => Some("FederatedUser"),
        PrincipalKind::Anonymous => Some("Anonymous"),
        PrincipalKind::Service { .. } | PrincipalKind::IdentityProvider { .. } => None,
    };
    if let Some(principal_type) = principal_type {
        context.insert_default("aws:PrincipalType", single(principal_type));
    }
    if let Some(account) = principal.account() {
        context.insert_default("aws:PrincipalArn", single(principal.principal_arn()));
        context.insert_default("aws:PrincipalAccount", single(account));
    }
    match principal.kind() {
        PrincipalKind::User { name } => context.insert_default("aws:username", single(name)),
        PrincipalKind::Root => {
            if let Some(account) = principal.account() {
                context.insert_default("aws:userid", single(account));
            }
        }
        _ => {}
    }
    if let Some(account) = resource_account {
        context.insert_default("aws:ResourceAccount", single(account));
    }
}

fn present<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    map.get(key).filter(|v| !v.is_null())
}

fn wrong(key: &str, expected: &'static str) -> ScenarioError {
    ScenarioError::WrongType {
        key: key.to_owned(),
        expected,
    }
}

fn required_string<'m>(
    map: &'m Map<String, Value>,
    key: &'static str,
) -> Result<&'m str, ScenarioError> {
    optional_string(map, key)?.ok_or(ScenarioError::Missing(key))
}

fn optional_string<'m>(
    map: &'m Map<String, Value>,
    key: &str,
) -> Result<Option<&'m str>, ScenarioError> {
    match present(map, key) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(wrong(key, "a string")),
    }
}

fn policy_list(
    reader: &mut Reader,
    map: &Map<String, Value>,
    key: &str,
    kind: PolicyKind,
) -> Result<Option<PolicySet>, ScenarioError> {
    let Some(value) = present(map, key) else {
        return Ok(None);
    };
    let Value::Array(items) = value else {
        return Err(wrong(key, "a list of policy documents"));
    };
    let mut set = PolicySet::default();
    for (index, item) in items.iter().enumerate() {
        let location = format!("{key}[{index}]");
        let policy = reader.policy(item, &location, kind)?;
        set.add(location, &policy);
    }
    Ok(Some(set))
}

fn single_policy(
    reader: &mut Reader,
    map: &Map<String, Value>,
    key: &str,
    kind: PolicyKind,
) -> Result<Option<PolicySet>, ScenarioError> {
    let Some(value) = present(map, key) else {
        return Ok(None);
    };
    let policy = reader.policy(value, key, kind)?;
    Ok(Some(PolicySet::new([(key.to_owned(), &policy)])))
}

fn chain(
    reader: &mut Reader,
    map: &Map<String, Value>,
    key: &str,
    kind: PolicyKind,
) -> Result<Option<Vec<PolicySet>>, ScenarioError> {
    let Some(value) = present(map, key) else {
        return Ok(None);
    };
    let Value::Array(levels) = value else {
        return Err(wrong(
            key,
            "a list of levels, each a list of policy documents",
        ));
    };
    let mut sets = Vec::with_capacity(levels.len());
    for (level, policies) in levels.iter().enumerate() {
        let Value::Array(policies) = policies else {
            return Err(wrong(
                key,
                "a list of levels, each a list of policy documents",
            ));
        };
        let mut set = PolicySet::default();
        for (index, policy) in policies.iter().enumerate() {
            let location = format!("{key}[{level}][{index}]");
            let policy = reader.policy(policy, &location, kind)?;
            set.add(location, &policy);
        }
        sets.push(set);
    }
    Ok(Some(sets))
}
