//! The benchmark policy set rendered as Cedar, and the benchmark requests as Cedar requests.
//!
//! The translation keeps IAM's meaning for the requests the fixture makes:
//! - one Cedar policy per IAM statement: `permit` for Allow, `forbid` for Deny (Cedar's
//!   forbid-overrides-permit and default deny are IAM's rules inside one account);
//! - the user is `User::"alice"`, a member of `Group::"..."` entities; a policy attached to a
//!   group constrains `principal in Group::"..."`;
//! - actions are `Action::"service:name"` entities, lower-cased because IAM action names are
//!   case-insensitive; a wildcard action such as `s3:Get*` is an action group that every
//!   matching request action is a member of (Cedar has no pattern on actions, so the
//!   expansion is done once, when the entities are built, and is not timed);
//! - `NotAction` is `when { !(action in [...]) }`;
//! - resources are `Resource::"<arn>"` entities with an `arn` attribute, matched with `like`;
//!   `${aws:username}` is written out as the user's name, since a `like` pattern is literal;
//! - each condition reads the context attribute named after the IAM key, guarded by `has`
//!   because IAM's positive operators are false when the key is absent; IP addresses and
//!   times use Cedar's `ipaddr` and `datetime` extensions.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision as CedarDecision, Entities, Entity, EntityUid, PolicySet,
    Request, RestrictedExpression,
};
use policy::Decision;

use crate::fixture::{
    self, Actions, Attachment, Case, Condition, Document, Effect, Environment, Statement,
};

/// A Cedar string literal.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        if ch == '"' || ch == '\\' {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('"');
    out
}

fn action_uid_text(action: &str) -> String {
    format!("Action::{}", quote(&action.to_ascii_lowercase()))
}

/// `[Action::"a", Action::"b*"]`.
fn action_list(actions: &[String]) -> String {
    let items: Vec<String> = actions.iter().map(|a| action_uid_text(a)).collect();
    format!("[{}]", items.join(", "))
}

/// An IAM resource pattern as a Cedar `like` pattern: `*` stays the wildcard, the policy
/// variable is written out.
fn like_pattern(resource: &str) -> String {
    quote(&resource.replace("${aws:username}", fixture::USER))
}

fn condition_expression(condition: &Condition) -> String {
    let guard = |key: &str, test: String| format!("(context has {k} && {test})", k = quote(key));
    match condition {
        Condition::StringEquals(key, values) => {
            let alternatives: Vec<String> = values
                .iter()
                .map(|v| format!("context[{}] == {}", quote(key), quote(v)))
                .collect();
            guard(key, format!("({})", alternatives.join(" || ")))
        }
        Condition::IpAddress(key, networks) => {
            let alternatives: Vec<String> = networks
                .iter()
                .map(|n| format!("context[{}].isInRange(ip({}))", quote(key), quote(n)))
                .collect();
            guard(key, format!("({})", alternatives.join(" || ")))
        }
        Condition::Bool(key, value) => guard(key, format!("context[{}] == {value}", quote(key))),
        Condition::DateLessThan(key, time) => guard(
            key,
            format!("context[{}] < datetime({})", quote(key), quote(time)),
        ),
    }
}

fn statement_policy(document: &Document, statement: &Statement) -> String {
    let effect = match statement.effect {
        Effect::Allow => "permit",
        Effect::Deny => "forbid",
    };
    let principal = match document.attachment {
        Attachment::User => format!("principal == User::{}", quote(fixture::USER)),
        Attachment::Group(group) => format!("principal in Group::{}", quote(group)),
    };
    let mut when = Vec::new();
    let action = match &statement.actions {
        Actions::Action(list) if list.iter().any(|a| a == "*") => "action".to_owned(),
        Actions::Action(list) => format!("action in {}", action_list(list)),
        Actions::NotAction(list) => {
            if list.iter().any(|a| a == "*") {
                when.push("false".to_owned());
            } else {
                when.push(format!("!(action in {})", action_list(list)));
            }
            "action".to_owned()
        }
    };
    if !statement.resources.iter().any(|r| r == "*") {
        let alternatives: Vec<String> = statement
            .resources
            .iter()
            .map(|r| format!("resource.arn like {}", like_pattern(r)))
            .collect();
        when.push(format!("({})", alternatives.join(" || ")));
    }
    when.extend(statement.conditions.iter().map(condition_expression));
    let mut text = format!(
        "@id({})\n{effect} (\n  {principal},\n  {action},\n  resource\n)",
        quote(&format!("{}/{}", document.name, statement.sid))
    );
    if !when.is_empty() {
        let _ = write!(text, "\nwhen {{\n  {}\n}}", when.join("\n  && "));
    }
    text.push_str(";\n");
    text
}

/// The whole policy set as Cedar source, one policy per IAM statement.
pub fn policy_text(documents: &[Document]) -> String {
    documents
        .iter()
        .flat_map(|d| d.statements.iter().map(move |s| statement_policy(d, s)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `text` matches `pattern`, where `*` is any run and everything else is literal.
fn glob(pattern: &str, text: &str) -> bool {
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty();
    };
    // Leftmost placement of each middle piece is never worse for a `*`-only glob.
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = rest.get(at + piece.len()..).unwrap_or_default(),
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

fn uid(type_name: &str, id: &str) -> Result<EntityUid, String> {
    EntityUid::from_str(&format!("{type_name}::{}", quote(id))).map_err(|e| e.to_string())
}

/// The Cedar side of the comparison: everything built once, outside the timed loop.
#[derive(Debug)]
pub struct CedarFixture {
    /// The hundred policies.
    pub policies: PolicySet,
    /// The user, its groups, the request actions with their groups, the resources.
    pub entities: Entities,
    /// The authorizer.
    pub authorizer: Authorizer,
}

impl CedarFixture {
    /// Translates `documents` and builds the entities that `cases` need.
    pub fn new(documents: &[Document], cases: &[Case]) -> Result<CedarFixture, String> {
        let source = policy_text(documents);
        let policies = PolicySet::from_str(&source).map_err(|e| format!("{e:?}"))?;

        // Every wildcard action pattern is an action group.
        let mut groups = BTreeSet::new();
        for statement in documents.iter().flat_map(|d| d.statements.iter()) {
            let (Actions::Action(list) | Actions::NotAction(list)) = &statement.actions;
            groups.extend(
                list.iter()
                    .filter(|a| a.contains('*') && a.as_str() != "*")
                    .map(|a| a.to_ascii_lowercase()),
            );
        }

        let mut entities = Vec::new();
        let group_uids = fixture::GROUPS
            .iter()
            .map(|g| uid("Group", g))
            .collect::<Result<HashSet<_>, _>>()?;
        for group in &group_uids {
            entities.push(Entity::new_no_attrs(group.clone(), HashSet::new()));
        }
        let user = Entity::new(
            uid("User", fixture::USER)?,
            HashMap::from([(
                "name".to_owned(),
                RestrictedExpression::new_string(fixture::USER.to_owned()),
            )]),
            group_uids,
        )
        .map_err(|e| e.to_string())?;
        entities.push(user);
        for group in &groups {
            entities.push(Entity::new_no_attrs(uid("Action", group)?, HashSet::new()));
        }
        let mut actions = BTreeMap::new();
        let mut resources = BTreeSet::new();
        for case in cases {
            let action = case.action.to_ascii_lowercase();
            let parents = groups
                .iter()
                .filter(|g| glob(g, &action))
                .map(|g| uid("Action", g))
                .collect::<Result<HashSet<_>, _>>()?;
            actions.insert(action, parents);
            resources.insert(case.resource.clone());
        }
        for (action, parents) in actions {
            if !groups.contains(&action) {
                entities.push(Entity::new_no_attrs(uid("Action", &action)?, parents));
            }
        }
        for resource in resources {
            let entity = Entity::new(
                uid("Resource", &resource)?,
                HashMap::from([(
                    "arn".to_owned(),
                    RestrictedExpression::new_string(resource.clone()),
                )]),
                HashSet::new(),
            )
            .map_err(|e| e.to_string())?;
            entities.push(entity);
        }
        let entities = Entities::from_entities(entities, None).map_err(|e| e.to_string())?;
        Ok(CedarFixture {
            policies,
            entities,
            authorizer: Authorizer::new(),
        })
    }

    /// The Cedar request for a case.
    pub fn request(&self, case: &Case) -> Result<Request, String> {
        Request::new(
            uid("User", fixture::USER)?,
            uid("Action", &case.action.to_ascii_lowercase())?,
            uid("Resource", &case.resource)?,
            context(&case.environment)?,
            None,
        )
        .map_err(|e| e.to_string())
    }

    /// Cedar's answer, told apart as IAM does: a Deny that some `forbid` decided is explicit.
    pub fn decide(&self, request: &Request) -> Result<Decision, String> {
        let response = self
            .authorizer
            .is_authorized(request, &self.policies, &self.entities);
        let errors: Vec<String> = response
            .diagnostics()
            .errors()
            .map(ToString::to_string)
            .collect();
        if !errors.is_empty() {
            return Err(errors.join("; "));
        }
        Ok(match response.decision() {
            CedarDecision::Allow => Decision::Allow,
            CedarDecision::Deny if response.diagnostics().reason().next().is_some() => {
                Decision::ExplicitDeny
            }
            CedarDecision::Deny => Decision::ImplicitDeny,
        })
    }
}

fn context(environment: &Environment) -> Result<Context, String> {
    Context::from_pairs([
        (
            fixture::TEAM.to_owned(),
            RestrictedExpression::new_string(environment.team.to_owned()),
        ),
        (
            fixture::SOURCE_IP.to_owned(),
            RestrictedExpression::new_ip(environment.source_ip),
        ),
        (
            fixture::SECURE_TRANSPORT.to_owned(),
            RestrictedExpression::new_bool(environment.secure_transport),
        ),
        (
            fixture::CURRENT_TIME.to_owned(),
            RestrictedExpression::new_datetime(environment.current_time),
        ),
        (
            fixture::MFA.to_owned(),
            RestrictedExpression::new_bool(environment.mfa),
        ),
    ])
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs() {
        assert!(glob("s3:get*", "s3:getobject"));
        assert!(glob("s3:*object", "s3:getobject"));
        assert!(glob("iam:*sshpublickey*", "iam:uploadsshpublickey"));
        assert!(glob("s3:*", "s3:"));
        assert!(!glob("s3:get*", "s3:putobject"));
        assert!(!glob("a*b*c", "acb"));
        assert!(glob("a*b*c", "abbc"));
        assert!(glob("abc", "abc"));
        assert!(!glob("abc", "abcd"));
    }
}
