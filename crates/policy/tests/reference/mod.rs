//! A deliberately naive reference evaluator for scenarios, written straight from
//! iam-semantics.md sections 1-3 and the pinned rules of the scenario contract.
//!
//! It shares no code with the engine: it walks the `serde_json::Value` of each policy at
//! evaluation time, with its own wildcard matcher and value parsers, and favours being
//! obviously correct over being fast. The differential test compares it with the engine.

pub mod generate;

use serde_json::Value;
use std::net::IpAddr;

/// Decides one scenario: "Allow", "ExplicitDeny" or "ImplicitDeny".
pub fn decide(scenario: &Value) -> Result<&'static str, String> {
    let req = Request::parse(scenario)?;
    Ok(req.decide()?.as_str())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "Allow",
            Outcome::ExplicitDeny => "ExplicitDeny",
            Outcome::ImplicitDeny => "ImplicitDeny",
        }
    }
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Principal {
    Root {
        account: String,
    },
    User {
        account: String,
        name: String,
    },
    Session {
        account: String,
        role: String,
        session: String,
    },
    Federated {
        account: String,
        name: String,
    },
    Anonymous,
    Service(String),
}

impl Principal {
    fn parse(text: &str) -> Result<Principal, String> {
        if text == "anonymous" {
            return Ok(Principal::Anonymous);
        }
        if !text.starts_with("arn:") {
            // Anything that is not an ARN is a service principal such as lambda.amazonaws.com.
            if text.is_empty() || text.contains(':') {
                return Err(format!("bad principal {text}"));
            }
            return Ok(Principal::Service(text.to_string()));
        }
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        if parts.len() != 6 {
            return Err(format!("bad principal {text}"));
        }
        let (service, account, rest) = (parts[2], parts[4].to_string(), parts[5]);
        if !is_account_id(&account) {
            return Err(format!("bad principal account {text}"));
        }
        let pieces: Vec<&str> = rest.split('/').collect();
        match (service, pieces.as_slice()) {
            ("iam", ["root"]) => Ok(Principal::Root { account }),
            ("iam", ["user", .., name]) if !name.is_empty() => Ok(Principal::User {
                account,
                name: (*name).to_string(),
            }),
            ("sts", ["assumed-role", role, session]) if !role.is_empty() && !session.is_empty() => {
                Ok(Principal::Session {
                    account,
                    role: (*role).to_string(),
                    session: (*session).to_string(),
                })
            }
            ("sts", ["federated-user", name]) if !name.is_empty() => Ok(Principal::Federated {
                account,
                name: (*name).to_string(),
            }),
            _ => Err(format!("bad principal {text}")),
        }
    }

    fn account(&self) -> Option<&str> {
        match self {
            Principal::Root { account }
            | Principal::User { account, .. }
            | Principal::Session { account, .. }
            | Principal::Federated { account, .. } => Some(account),
            Principal::Anonymous | Principal::Service(_) => None,
        }
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// How strongly a matching resource-policy Allow grants (pinned rule 1): the strongest wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Grant {
    /// Names the account: identity policies must still allow.
    Account,
    /// Names the role ARN (P is one of its sessions) or `*`: stands in for identity policies.
    RoleLike,
    /// Names exactly P: final allow unless denied.
    Direct,
}

#[derive(Debug, Clone, PartialEq)]
enum CtxValue {
    Single(String),
    /// A JSON list, possibly empty.
    Multi(Vec<String>),
}

/// The request context with case-insensitive key lookup (pinned rule 5).
#[derive(Debug)]
struct Context {
    entries: Vec<(String, CtxValue)>,
}

impl Context {
    fn get(&self, key: &str) -> Option<&CtxValue> {
        let key = key.to_lowercase();
        self.entries.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    fn set_default(&mut self, key: &str, value: &str) {
        if self.get(key).is_none() {
            self.entries
                .push((key.to_lowercase(), CtxValue::Single(value.to_string())));
        }
    }
}

#[derive(Debug)]
struct Request<'a> {
    principal: Principal,
    action: String,
    resource: String,
    resource_account: Option<String>,
    context: Context,
    identity: Vec<&'a Value>,
    resource_policy: Option<&'a Value>,
    boundary: Option<&'a Value>,
    session: Option<&'a Value>,
    scps: Option<Vec<Vec<&'a Value>>>,
    rcps: Option<Vec<Vec<&'a Value>>>,
}

fn optional<'a>(scenario: &'a Value, key: &str) -> Option<&'a Value> {
    scenario.get(key).filter(|v| !v.is_null())
}

fn chain(value: Option<&Value>) -> Result<Option<Vec<Vec<&Value>>>, String> {
    let Some(value) = value else { return Ok(None) };
    let levels = value.as_array().ok_or("guardrail chain must be a list")?;
    let mut out = Vec::new();
    for level in levels {
        let level = level.as_array().ok_or("guardrail level must be a list")?;
        out.push(level.iter().collect());
    }
    Ok(Some(out))
}

fn context_string(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("bad context value {other}")),
    }
}

/// The account of a resource ARN, when the ARN names one.
fn arn_account(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() == 6 && parts[0] == "arn" && !parts[4].is_empty() {
        Some(parts[4].to_string())
    } else {
        None
    }
}

impl<'a> Request<'a> {
    fn parse(scenario: &'a Value) -> Result<Request<'a>, String> {
        let text = |key: &str| scenario.get(key).and_then(Value::as_str);
        let principal = Principal::parse(text("principal").ok_or("missing principal")?)?;
        let action = text("action").ok_or("missing action")?.to_string();
        let resource = optional(scenario, "resource")
            .map(|v| v.as_str().ok_or("resource must be a string"))
            .transpose()?
            .unwrap_or("*")
            .to_string();
        let resource_account = match optional(scenario, "resource_account") {
            Some(v) => Some(v.as_str().ok_or("bad resource_account")?.to_string()),
            None => arn_account(&resource).or_else(|| principal.account().map(str::to_string)),
        };
        let mut context = Context {
            entries: Vec::new(),
        };
        if let Some(map) = optional(scenario, "context") {
            let map = map.as_object().ok_or("context must be an object")?;
            for (key, value) in map {
                let value = match value {
                    Value::Array(items) => {
                        CtxValue::Multi(items.iter().map(context_string).collect::<Result<_, _>>()?)
                    }
                    other => CtxValue::Single(context_string(other)?),
                };
                context.entries.push((key.to_lowercase(), value));
            }
        }
        // Keys the engine derives unless the scenario gives them.
        match &principal {
            Principal::Root { account } => {
                context.set_default("aws:PrincipalArn", &format!("arn:aws:iam::{account}:root"));
                context.set_default("aws:PrincipalAccount", account);
                context.set_default("aws:PrincipalType", "Account");
                context.set_default("aws:userid", account);
            }
            Principal::User { account, name } => {
                context.set_default("aws:PrincipalArn", text("principal").unwrap_or_default());
                context.set_default("aws:PrincipalAccount", account);
                context.set_default("aws:PrincipalType", "User");
                context.set_default("aws:username", name);
            }
            Principal::Session { account, role, .. } => {
                context.set_default(
                    "aws:PrincipalArn",
                    &format!("arn:aws:iam::{account}:role/{role}"),
                );
                context.set_default("aws:PrincipalAccount", account);
                context.set_default("aws:PrincipalType", "AssumedRole");
            }
            Principal::Federated { account, .. } => {
                context.set_default("aws:PrincipalArn", text("principal").unwrap_or_default());
                context.set_default("aws:PrincipalAccount", account);
                context.set_default("aws:PrincipalType", "FederatedUser");
            }
            Principal::Anonymous => context.set_default("aws:PrincipalType", "Anonymous"),
            Principal::Service(_) => {}
        }
        if let Some(account) = &resource_account {
            context.set_default("aws:ResourceAccount", account);
        }
        let identity = match optional(scenario, "identity_policies") {
            Some(v) => v
                .as_array()
                .ok_or("identity_policies must be a list")?
                .iter()
                .collect(),
            None => Vec::new(),
        };
        Ok(Request {
            principal,
            action,
            resource,
            resource_account,
            context,
            identity,
            resource_policy: optional(scenario, "resource_policy"),
            boundary: optional(scenario, "permissions_boundary"),
            session: optional(scenario, "session_policy"),
            scps: chain(optional(scenario, "service_control_policies"))?,
            rcps: chain(optional(scenario, "resource_control_policies"))?,
        })
    }

    /// The decision procedure of section 1.2 with the pinned rules 1 and 9-14.
    fn decide(&self) -> Result<Outcome, String> {
        if self.action.eq_ignore_ascii_case("sts:GetCallerIdentity") {
            return Ok(Outcome::Allow);
        }
        let is_service = matches!(self.principal, Principal::Service(_));
        let is_anonymous = self.principal == Principal::Anonymous;
        let is_root = matches!(self.principal, Principal::Root { .. });
        let is_iam = !is_service && !is_anonymous;
        // Identity-side policies exist only for IAM principals other than root; session
        // policies only for sessions.
        let identity_side = is_iam && !is_root;
        let is_session = matches!(
            self.principal,
            Principal::Session { .. } | Principal::Federated { .. }
        );
        // SCPs never apply to service principals, and anonymous has no account to be in.
        let scps = if is_iam { self.scps.as_ref() } else { None };
        // RCPs do not apply to service principals either.
        let rcps = if is_service { None } else { self.rcps.as_ref() };

        // 1. Any applicable Deny anywhere.
        let mut denies = false;
        for level in scps.into_iter().chain(rcps).flatten() {
            for policy in level {
                denies |= self.evaluate(policy, PolicyKind::Guardrail)?.deny;
            }
        }
        let resource_result = match self.resource_policy {
            Some(policy) => self.evaluate(policy, PolicyKind::Resource)?,
            None => SetResult::default(),
        };
        denies |= resource_result.deny;
        let identity = self.evaluate_all(&self.identity)?;
        let boundary = self
            .boundary
            .map(|b| self.evaluate(b, PolicyKind::Plain))
            .transpose()?;
        let session = self
            .session
            .map(|s| self.evaluate(s, PolicyKind::Plain))
            .transpose()?;
        if identity_side {
            denies |= identity.deny;
            denies |= boundary.as_ref().is_some_and(|b| b.deny);
            if is_session {
                denies |= session.as_ref().is_some_and(|s| s.deny);
            }
        }
        if denies {
            return Ok(Outcome::ExplicitDeny);
        }

        // 2-3. Guardrail chains: every level needs an applicable Allow.
        for chain in rcps.into_iter().chain(scps) {
            for level in chain {
                let mut allowed = false;
                for policy in level {
                    allowed |= self.evaluate(policy, PolicyKind::Guardrail)?.allow;
                }
                if !allowed {
                    return Ok(Outcome::ImplicitDeny);
                }
            }
        }

        let grant = resource_result.grant;
        if is_service || is_anonymous {
            return Ok(if grant.is_some() {
                Outcome::Allow
            } else {
                Outcome::ImplicitDeny
            });
        }

        let is_trust = self.is_trust_request();
        let same_account = self.principal.account() == self.resource_account.as_deref();
        if is_root {
            // Root cannot assume roles; in its own account it needs nothing else; across
            // accounts the resource policy must allow it.
            let allowed = !is_trust && (same_account || grant.is_some());
            return Ok(if allowed {
                Outcome::Allow
            } else {
                Outcome::ImplicitDeny
            });
        }

        let identity_substitute = if same_account {
            // A trust policy must allow even in the same account.
            if is_trust && grant.is_none() {
                return Ok(Outcome::ImplicitDeny);
            }
            if grant == Some(Grant::Direct) {
                return Ok(Outcome::Allow);
            }
            grant == Some(Grant::RoleLike)
        } else {
            // Both sides must allow; no direct-grant shortcut.
            if grant.is_none() {
                return Ok(Outcome::ImplicitDeny);
            }
            false
        };
        if !identity_substitute && !identity.allow {
            return Ok(Outcome::ImplicitDeny);
        }
        if boundary.is_some_and(|b| !b.allow) {
            return Ok(Outcome::ImplicitDeny);
        }
        match (&self.principal, session) {
            (Principal::Session { .. } | Principal::Federated { .. }, Some(s)) if !s.allow => {
                return Ok(Outcome::ImplicitDeny);
            }
            // A federated user with no session policy has no permissions.
            (Principal::Federated { .. }, None) => return Ok(Outcome::ImplicitDeny),
            _ => {}
        }
        Ok(Outcome::Allow)
    }

    /// The role-assumption actions on a role ARN read the resource policy as a trust policy.
    fn is_trust_request(&self) -> bool {
        const TRUST_ACTIONS: [&str; 5] = [
            "sts:AssumeRole",
            "sts:AssumeRoleWithSAML",
            "sts:AssumeRoleWithWebIdentity",
            "sts:TagSession",
            "sts:SetSourceIdentity",
        ];
        let is_role = {
            let parts: Vec<&str> = self.resource.splitn(6, ':').collect();
            parts.len() == 6
                && parts[0] == "arn"
                && parts[2] == "iam"
                && parts[5].starts_with("role/")
        };
        is_role
            && TRUST_ACTIONS
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&self.action))
    }

    fn evaluate_all(&self, policies: &[&Value]) -> Result<SetResult, String> {
        let mut out = SetResult::default();
        for policy in policies {
            let r = self.evaluate(policy, PolicyKind::Plain)?;
            out.allow |= r.allow;
            out.deny |= r.deny;
        }
        Ok(out)
    }

    /// Evaluates one policy document against the request.
    fn evaluate(&self, policy: &Value, kind: PolicyKind) -> Result<SetResult, String> {
        let policy = policy.as_object().ok_or("policy must be an object")?;
        let variables = match policy.get("Version") {
            Some(Value::String(v)) if v == "2012-10-17" => true,
            Some(Value::String(v)) if v == "2008-10-17" => false,
            None => false,
            Some(other) => return Err(format!("bad Version {other}")),
        };
        let statements: Vec<&Value> = match policy.get("Statement") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => return Err("bad Statement".into()),
        };
        let mut out = SetResult::default();
        for statement in statements {
            let statement = statement.as_object().ok_or("statement must be an object")?;
            let deny = match statement.get("Effect").and_then(Value::as_str) {
                Some("Allow") => false,
                Some("Deny") => true,
                _ => return Err("bad Effect".into()),
            };
            let scope = Scope {
                req: self,
                variables,
            };
            // Principal first, since it also says how strong a grant is.
            let grant = match kind {
                PolicyKind::Plain => Some(Grant::Direct),
                PolicyKind::Resource | PolicyKind::Guardrail => {
                    match (statement.get("Principal"), statement.get("NotPrincipal")) {
                        (Some(p), None) => self.principal_grant(p)?,
                        // An Allow with NotPrincipal grants like `*` would: the docs say
                        // nothing of its strength, so it takes the weaker non-account reading.
                        (None, Some(np)) => {
                            let boundary_rule = deny && self.boundary.is_some();
                            if boundary_rule || self.principal_grant(np)?.is_none() {
                                Some(Grant::RoleLike)
                            } else {
                                None
                            }
                        }
                        // An RCP-style guardrail may leave the principal out: everyone.
                        (None, None) if kind == PolicyKind::Guardrail => Some(Grant::RoleLike),
                        _ => return Err("resource policy statement needs one principal".into()),
                    }
                }
            };
            let Some(grant) = grant else { continue };
            if !scope.action_applies(statement)?
                || !scope.resource_applies(statement)?
                || !scope.conditions_hold(statement.get("Condition"))?
            {
                continue;
            }
            if deny {
                out.deny = true;
            } else {
                out.allow = true;
                out.grant = out.grant.max(Some(grant));
            }
        }
        Ok(out)
    }

    /// Whether a Principal element names the request's principal, and how strongly.
    fn principal_grant(&self, element: &Value) -> Result<Option<Grant>, String> {
        if element.as_str() == Some("*") {
            return Ok(Some(Grant::RoleLike));
        }
        let map = element.as_object().ok_or("bad Principal")?;
        let mut best = None;
        for (key, entries) in map {
            for entry in string_list(entries)? {
                let g = match key.as_str() {
                    "AWS" => self.aws_entry_grant(&entry),
                    "Service" => match &self.principal {
                        Principal::Service(s) if *s == entry => Some(Grant::Direct),
                        _ => None,
                    },
                    // Federated and CanonicalUser entries match nothing in scenarios.
                    "Federated" | "CanonicalUser" => None,
                    other => return Err(format!("bad principal key {other}")),
                };
                best = best.max(g);
            }
        }
        Ok(best)
    }

    fn aws_entry_grant(&self, entry: &str) -> Option<Grant> {
        if entry == "*" {
            return Some(Grant::RoleLike);
        }
        let p = &self.principal;
        if is_account_id(entry) {
            return (p.account() == Some(entry)).then_some(Grant::Account);
        }
        let parts: Vec<&str> = entry.splitn(6, ':').collect();
        if parts.len() != 6 || parts[0] != "arn" {
            return None;
        }
        let (service, account, rest) = (parts[2], parts[4], parts[5]);
        let pieces: Vec<&str> = rest.split('/').collect();
        match (service, pieces.as_slice(), p) {
            ("iam", ["root"], _) => (p.account() == Some(account)).then_some(Grant::Account),
            (
                "iam",
                ["user", name],
                Principal::User {
                    account: a,
                    name: n,
                },
            ) if a == account && n == name => Some(Grant::Direct),
            (
                "iam",
                ["role", role],
                Principal::Session {
                    account: a,
                    role: r,
                    ..
                },
            ) if a == account && r == role => Some(Grant::RoleLike),
            (
                "sts",
                ["assumed-role", role, session],
                Principal::Session {
                    account: a,
                    role: r,
                    session: s,
                },
            ) if a == account && r == role && s == session => Some(Grant::Direct),
            (
                "sts",
                ["federated-user", name],
                Principal::Federated {
                    account: a,
                    name: n,
                },
            ) if a == account && n == name => Some(Grant::Direct),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PolicyKind {
    /// Identity, boundary, session policies and SCPs: no Principal element.
    Plain,
    /// Resource and trust policies: the Principal element must match.
    Resource,
    /// Guardrail chains (SCP and RCP): a Principal element, when present, must match.
    Guardrail,
}

#[derive(Debug, Clone, Copy, Default)]
struct SetResult {
    allow: bool,
    deny: bool,
    /// The strongest grant among applicable Allow statements (resource policies).
    grant: Option<Grant>,
}

fn string_list(value: &Value) -> Result<Vec<String>, String> {
    match value {
        Value::Array(items) => items.iter().map(policy_string).collect(),
        other => Ok(vec![policy_string(other)?]),
    }
}

/// Policy values may be written as JSON strings, numbers or booleans.
fn policy_string(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("bad policy value {other}")),
    }
}

/// One statement's view of the request: whether variables are live.
struct Scope<'r, 'a> {
    req: &'r Request<'a>,
    variables: bool,
}

impl Scope<'_, '_> {
    fn action_applies(&self, statement: &serde_json::Map<String, Value>) -> Result<bool, String> {
        let (list, negated) = match (statement.get("Action"), statement.get("NotAction")) {
            (Some(a), None) => (a, false),
            (None, Some(a)) => (a, true),
            _ => return Err("statement needs exactly one of Action/NotAction".into()),
        };
        let action = self.req.action.to_lowercase();
        let any = string_list(list)?.iter().any(|pattern| {
            let pattern = literal_pattern(&pattern.to_lowercase(), true);
            glob(&pattern, &action.chars().collect::<Vec<_>>())
        });
        Ok(any != negated)
    }

    fn resource_applies(&self, statement: &serde_json::Map<String, Value>) -> Result<bool, String> {
        let (list, negated) = match (statement.get("Resource"), statement.get("NotResource")) {
            (Some(r), None) => (r, false),
            (None, Some(r)) => (r, true),
            // Trust policies (and RCP-less forms) carry no Resource: every resource.
            (None, None) => return Ok(true),
            _ => return Err("statement has both Resource and NotResource".into()),
        };
        let any = string_list(list)?
            .iter()
            .any(|pattern| self.arn_matches(pattern, &self.req.resource, true));
        Ok(any != negated)
    }

    /// Segment-wise ARN matching (pinned rule 7), shared by Resource and the Arn operators.
    /// `star_pattern` says whether the bare pattern `*` matches anything.
    fn arn_matches(&self, pattern: &str, value: &str, star_pattern: bool) -> bool {
        if star_pattern && pattern == "*" {
            return true;
        }
        let value_parts: Vec<&str> = value.splitn(6, ':').collect();
        let pattern_parts = split_outside_variables(pattern);
        if value_parts.len() < 6 || pattern_parts.len() < 6 {
            return false;
        }
        pattern_parts.iter().zip(&value_parts).all(|(p, v)| {
            match self.expand(p, true) {
                Some(tokens) => glob(&tokens, &v.chars().collect::<Vec<_>>()),
                // An unresolvable variable: the value matches nothing.
                None => false,
            }
        })
    }

    /// Expands policy variables in `text`. Returns None when a variable has no value.
    /// With `wild`, the `*` and `?` written in the policy are wildcards; substituted text
    /// is always literal.
    fn expand(&self, text: &str, wild: bool) -> Option<Vec<Tok>> {
        if !self.variables {
            return Some(literal_pattern(text, wild));
        }
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            out.extend(literal_pattern(&rest[..start], wild));
            let inner = &rest[start + 2..start + len];
            rest = &rest[start + len + 1..];
            let value = match inner {
                "*" | "?" | "$" => inner.to_string(),
                _ => {
                    let (key, default) = match inner.split_once(',') {
                        Some((key, default)) => {
                            let default = default.trim();
                            let default = default
                                .strip_prefix('\'')
                                .and_then(|d| d.strip_suffix('\''))
                                .unwrap_or(default);
                            (key.trim(), Some(default))
                        }
                        None => (inner.trim(), None),
                    };
                    match self.req.context.get(key) {
                        Some(CtxValue::Single(v)) => v.clone(),
                        // Absent, empty or multivalued: no single value to substitute.
                        _ => default?.to_string(),
                    }
                }
            };
            out.extend(value.chars().map(Tok::Lit));
        }
        out.extend(literal_pattern(rest, wild));
        Some(out)
    }

    fn conditions_hold(&self, condition: Option<&Value>) -> Result<bool, String> {
        let Some(condition) = condition else {
            return Ok(true);
        };
        let blocks = condition.as_object().ok_or("Condition must be an object")?;
        for (operator, keys) in blocks {
            let keys = keys
                .as_object()
                .ok_or("condition block must be an object")?;
            for (key, values) in keys {
                if !self.condition_holds(operator, key, &string_list(values)?)? {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    fn condition_holds(
        &self,
        operator: &str,
        key: &str,
        values: &[String],
    ) -> Result<bool, String> {
        let (set, rest) = if let Some(r) = operator.strip_prefix("ForAllValues:") {
            (Some(SetOp::All), r)
        } else if let Some(r) = operator.strip_prefix("ForAnyValue:") {
            (Some(SetOp::Any), r)
        } else {
            (None, operator)
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(base) => (base, true),
            None => (rest, false),
        };
        let op = Operator::parse(base).ok_or_else(|| format!("unknown operator {operator}"))?;
        let context = self.req.context.get(key);
        // An empty list counts as absent for Null, IfExists and the set operators.
        let present_values: Option<Vec<String>> = match context {
            None => None,
            Some(CtxValue::Multi(v)) if v.is_empty() => None,
            Some(CtxValue::Single(v)) => Some(vec![v.clone()]),
            Some(CtxValue::Multi(v)) => Some(v.clone()),
        };
        if op == Operator::Null {
            return Ok(values.iter().any(|v| match parse_bool(v) {
                Some(true) => present_values.is_none(),
                Some(false) => present_values.is_some(),
                None => false,
            }));
        }
        // Pinned rule 2: an unresolvable variable anywhere in the block makes it false.
        let mut patterns = Vec::new();
        for value in values {
            let wild = matches!(op, Operator::StringLike | Operator::Arn);
            if op.takes_variables() {
                match self.expand(value, wild) {
                    Some(tokens) => patterns.push(tokens),
                    None => return Ok(false),
                }
            } else {
                patterns.push(literal_pattern(value, false));
            }
        }
        let negated = op.negated(base);
        // Whether one request value satisfies the operator against the policy values.
        let one = |request: &str| -> bool {
            if negated {
                patterns
                    .iter()
                    .all(|p| op.compare(p, request) == Some(false))
            } else {
                patterns
                    .iter()
                    .any(|p| op.compare(p, request) == Some(true))
            }
        };
        match set {
            Some(SetOp::All) => Ok(match &present_values {
                None => true,
                Some(items) => items.iter().all(|r| one(r)),
            }),
            Some(SetOp::Any) => Ok(match &present_values {
                None => if_exists,
                Some(items) => items.iter().any(|r| one(r)),
            }),
            None => Ok(match context {
                None => if_exists || negated,
                Some(CtxValue::Multi(items)) if items.is_empty() && if_exists => true,
                // A single-valued operator on a multivalued key is false.
                Some(CtxValue::Multi(_)) => false,
                Some(CtxValue::Single(v)) => one(v),
            }),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum SetOp {
    All,
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(std::cmp::Ordering, bool),
    NumericNe,
    Date(std::cmp::Ordering, bool),
    DateNe,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

impl Operator {
    /// Maps an operator name to its comparison; the negated names share the positive one.
    fn parse(name: &str) -> Option<Operator> {
        use std::cmp::Ordering::{Equal, Greater, Less};
        Some(match name {
            "StringEquals" | "StringNotEquals" => Operator::StringEquals,
            "StringEqualsIgnoreCase" | "StringNotEqualsIgnoreCase" => {
                Operator::StringEqualsIgnoreCase
            }
            "StringLike" | "StringNotLike" => Operator::StringLike,
            "NumericEquals" => Operator::Numeric(Equal, false),
            "NumericNotEquals" => Operator::NumericNe,
            "NumericLessThan" => Operator::Numeric(Less, false),
            "NumericLessThanEquals" => Operator::Numeric(Less, true),
            "NumericGreaterThan" => Operator::Numeric(Greater, false),
            "NumericGreaterThanEquals" => Operator::Numeric(Greater, true),
            "DateEquals" => Operator::Date(Equal, false),
            "DateNotEquals" => Operator::DateNe,
            "DateLessThan" => Operator::Date(Less, false),
            "DateLessThanEquals" => Operator::Date(Less, true),
            "DateGreaterThan" => Operator::Date(Greater, false),
            "DateGreaterThanEquals" => Operator::Date(Greater, true),
            "Bool" => Operator::Bool,
            "BinaryEquals" => Operator::Binary,
            "IpAddress" | "NotIpAddress" => Operator::Ip,
            "ArnEquals" | "ArnLike" | "ArnNotEquals" | "ArnNotLike" => Operator::Arn,
            "Null" => Operator::Null,
            _ => return None,
        })
    }

    fn negated(self, name: &str) -> bool {
        matches!(
            name,
            "StringNotEquals"
                | "StringNotEqualsIgnoreCase"
                | "StringNotLike"
                | "NumericNotEquals"
                | "DateNotEquals"
                | "NotIpAddress"
                | "ArnNotEquals"
                | "ArnNotLike"
        )
    }

    fn takes_variables(self) -> bool {
        matches!(
            self,
            Operator::StringEquals
                | Operator::StringEqualsIgnoreCase
                | Operator::StringLike
                | Operator::Arn
        )
    }

    /// For a negated operator, says whether the values differ (Some(false) = "not equal"
    /// holds); for a positive one, whether they match. None when either side is unreadable,
    /// which makes the comparison false either way (pinned rule 3).
    fn compare(self, policy: &[Tok], request: &str) -> Option<bool> {
        let policy_text: String = policy.iter().map(Tok::text).collect();
        match self {
            Operator::StringEquals => Some(policy_text == request),
            Operator::StringEqualsIgnoreCase => {
                Some(policy_text.to_lowercase() == request.to_lowercase())
            }
            Operator::StringLike => Some(glob(policy, &request.chars().collect::<Vec<_>>())),
            Operator::Numeric(ord, or_equal) => {
                let (r, p) = (parse_number(request)?, parse_number(&policy_text)?);
                let c = r.partial_cmp(&p)?;
                Some(c == ord || (or_equal && c == std::cmp::Ordering::Equal))
            }
            Operator::NumericNe => Some(parse_number(request)? == parse_number(&policy_text)?),
            Operator::Date(ord, or_equal) => {
                let c = parse_date(request)?.cmp(&parse_date(&policy_text)?);
                Some(c == ord || (or_equal && c == std::cmp::Ordering::Equal))
            }
            Operator::DateNe => Some(parse_date(request)? == parse_date(&policy_text)?),
            Operator::Bool => Some(parse_bool(request)? == parse_bool(&policy_text)?),
            Operator::Binary => Some(base64(request)? == base64(&policy_text)?),
            Operator::Ip => {
                let address: IpAddr = request.parse().ok()?;
                Some(cidr_contains(&policy_text, address)?)
            }
            // Readable only as ARNs on both sides.
            Operator::Arn => glob_arn(policy, request),
            Operator::Null => None,
        }
    }
}

/// Matches expanded ARN tokens segment by segment: the first five `:` written in the
/// pattern (not substituted ones) separate segments.
fn glob_arn(pattern: &[Tok], value: &str) -> Option<bool> {
    let mut segments: Vec<Vec<Tok>> = vec![Vec::new()];
    for tok in pattern {
        if *tok == Tok::Sep && segments.len() < 6 {
            segments.push(Vec::new());
        } else if let Some(last) = segments.last_mut() {
            last.push(if *tok == Tok::Sep {
                Tok::Lit(':')
            } else {
                *tok
            });
        }
    }
    let values: Vec<&str> = value.splitn(6, ':').collect();
    if segments.len() != 6 || values.len() != 6 {
        return None;
    }
    Some(
        segments
            .iter()
            .zip(&values)
            .all(|(p, v)| glob(p, &v.chars().collect::<Vec<_>>())),
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Lit(char),
    /// A `:` written in the policy text (a separator for ARN segments).
    Sep,
    One,
    Many,
}

impl Tok {
    fn text(&self) -> char {
        match self {
            Tok::Lit(c) => *c,
            Tok::Sep => ':',
            Tok::One => '?',
            Tok::Many => '*',
        }
    }
}

/// Policy text as tokens: with `wild`, `*` and `?` are wildcards.
fn literal_pattern(text: &str, wild: bool) -> Vec<Tok> {
    text.chars()
        .map(|c| match c {
            '*' if wild => Tok::Many,
            '?' if wild => Tok::One,
            ':' => Tok::Sep,
            c => Tok::Lit(c),
        })
        .collect()
}

/// Classic wildcard match: `*` any run (including empty), `?` exactly one character.
fn glob(pattern: &[Tok], text: &[char]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((Tok::Many, rest)) => (0..=text.len()).any(|skip| glob(rest, &text[skip..])),
        Some((tok, rest)) => match text.split_first() {
            None => false,
            Some((c, text_rest)) => {
                let ok = match tok {
                    Tok::One => true,
                    Tok::Lit(l) => l == c,
                    Tok::Sep => *c == ':',
                    Tok::Many => unreachable!(),
                };
                ok && glob(rest, text_rest)
            }
        },
    }
}

/// Splits an ARN pattern into at most six segments on colons outside `${...}`.
fn split_outside_variables(pattern: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut depth = false;
    let bytes = pattern.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if parts.len() == 5 {
            break;
        }
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => depth = true,
            b'}' => depth = false,
            b':' if !depth => {
                parts.push(&pattern[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&pattern[start..]);
    parts
}

fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// An integer or a plain decimal: `-?digits(.digits)?`.
fn parse_number(text: &str) -> Option<f64> {
    let body = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    text.parse().ok()
}

/// A date as nanoseconds since the epoch: epoch seconds, or ISO 8601
/// `YYYY-MM-DD[THH:MM:SS[.fff][Z|+HH:MM|-HH:MM]]`.
fn parse_date(text: &str) -> Option<i128> {
    let billion = 1_000_000_000i128;
    let body = text.strip_prefix('-').unwrap_or(text);
    if !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: i128 = text.parse().ok()?;
        return Some(seconds * billion);
    }
    let num = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (date, time) = match text.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let mut fields = date.split('-');
    let (y, m, d) = (fields.next()?, fields.next()?, fields.next()?);
    if fields.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d) = (num(y)?, num(m)?, num(d)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    let mut nanos = i128::from(days) * 86_400 * billion;
    if let Some(time) = time {
        let (clock, offset_seconds) = if let Some(c) = time.strip_suffix('Z') {
            (c, 0i64)
        } else if let Some(pos) = time.rfind(['+', '-']) {
            let (c, zone) = time.split_at(pos);
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let zone = &zone[1..];
            let (hh, mm) = zone
                .split_once(':')
                .unwrap_or((zone.get(..2)?, zone.get(2..)?));
            if hh.len() != 2 || mm.len() != 2 {
                return None;
            }
            (c, sign * (num(hh)? * 3600 + num(mm)? * 60))
        } else {
            (time, 0)
        };
        let (hms, fraction) = match clock.split_once('.') {
            Some((h, f)) => (h, Some(f)),
            None => (clock, None),
        };
        let mut parts = hms.split(':');
        let (h, mi, s) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || h.len() != 2 || mi.len() != 2 || s.len() != 2 {
            return None;
        }
        let (h, mi, s) = (num(h)?, num(mi)?, num(s)?);
        if h > 23 || mi > 59 || s > 60 {
            return None;
        }
        nanos += i128::from(h * 3600 + mi * 60 + s - offset_seconds) * billion;
        if let Some(f) = fraction {
            if f.is_empty() || f.len() > 9 || num(f).is_none() {
                return None;
            }
            let padded = format!("{f:0<9}");
            nanos += i128::from(num(&padded)?);
        }
    }
    Some(nanos)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Strict standard base64 with padding.
fn base64(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || !bytes.len().is_multiple_of(4) {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    let chunks = bytes.len() / 4;
    for (i, chunk) in bytes.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != chunks) {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = n << 6 | value(c)?;
        }
        n <<= 6 * pad as u32;
        let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&decoded[..3 - pad]);
    }
    Some(out)
}

/// Whether a CIDR (or bare address, a /32 or /128) contains `address`; None if unreadable.
fn cidr_contains(cidr: &str, address: IpAddr) -> Option<bool> {
    let (base, prefix) = match cidr.split_once('/') {
        Some((b, p)) => (b, Some(p)),
        None => (cidr, None),
    };
    let base: IpAddr = base.parse().ok()?;
    let width: u32 = if base.is_ipv4() { 32 } else { 128 };
    let prefix: u32 = match prefix {
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
        Some(_) => return None,
        None => width,
    };
    if prefix > width {
        return None;
    }
    let (base_bits, addr_bits) = match (base, address) {
        (IpAddr::V4(b), IpAddr::V4(a)) => (u128::from(u32::from(b)), u128::from(u32::from(a))),
        (IpAddr::V6(b), IpAddr::V6(a)) => (u128::from(b), u128::from(a)),
        // Different families are both readable but never contain each other.
        _ => return Some(false),
    };
    // Host bits set in the CIDR (203.0.113.7/24) are ignored, as the mask drops them.
    let shift = width - prefix;
    Some(shift >= 128 || base_bits >> shift == addr_bits >> shift)
}
