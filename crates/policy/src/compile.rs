//! Policies compiled for evaluation: statements indexed by action, values typed ahead of time.
//!
//! A `PolicySet` holds every statement of one policy type for one principal (for example a
//! user's inline, attached and group policies together), so one hash lookup finds the
//! statements naming the requested action exactly, and only wildcard and NotAction statements
//! are scanned.

use std::collections::HashMap;

use crate::arn::ArnPattern;
use crate::condition::Condition;
use crate::context::Context;
use crate::document::{ActionClause, Effect, PrincipalClause, ResourceClause};
use crate::principal::{GrantKind, Principal, PrincipalMatcher};
use crate::template::Template;
use crate::validate::Policy;

/// A statement of a policy set: which policy, and which statement in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StatementRef {
    /// The policy's index in the order the set was built from.
    pub policy: u32,
    /// The statement's index inside that policy.
    pub statement: u32,
}

#[derive(Clone, Debug)]
enum PrincipalRule {
    /// Identity-side policies have no principal element: the statement concerns the caller.
    Caller,
    Principal(PrincipalMatcher),
    NotPrincipal(PrincipalMatcher),
}

#[derive(Clone, Debug)]
enum ResourceRule {
    /// No resource element (trust policies): the resource is implied.
    Implied,
    Resource(Box<[ArnPattern]>),
    NotResource(Box<[ArnPattern]>),
}

#[derive(Clone, Debug)]
struct CompiledStatement {
    at: StatementRef,
    effect: Effect,
    principal: PrincipalRule,
    /// NotAction patterns; empty for Action statements, which are found through the index.
    not_actions: Box<[Template]>,
    resource: ResourceRule,
    conditions: Box<[Condition]>,
}

/// What one policy set says about a request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SetOutcome {
    /// An applicable Deny, if any.
    pub(crate) deny: Option<StatementRef>,
    /// The applicable Allow naming the caller most strongly, if any.
    pub(crate) allow: Option<(StatementRef, GrantKind)>,
}

/// The labels of a compiled policy, for explanations.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PolicyLabel {
    name: String,
    sids: Vec<Option<String>>,
}

/// Policies of one type compiled together for fast evaluation.
#[derive(Clone, Debug, Default)]
pub struct PolicySet {
    labels: Vec<PolicyLabel>,
    statements: Vec<CompiledStatement>,
    /// Lower-cased exact action names to the statements that list them.
    exact: HashMap<Box<str>, Vec<u32>>,
    /// Lower-cased action patterns with wildcards, by their literal service prefix
    /// (`s3:get*` under `s3`), so a request only tries its own service's patterns.
    wildcard_by_service: HashMap<Box<str>, Vec<(Template, u32)>>,
    /// Action patterns whose service prefix itself has a wildcard (`*`, `s*:get*`).
    wildcard_any_service: Vec<(Template, u32)>,
    /// Statements with NotAction.
    not_action: Vec<u32>,
    /// Whether any statement reads the request context (a condition, or a policy variable
    /// in a resource): a set that does not decides the same whatever the context holds.
    reads_context: bool,
}

/// A request action lower-cased into a stack buffer, so the index lookup does not allocate.
pub(crate) struct LowerAction {
    buffer: [u8; 128],
    len: usize,
    heap: Option<String>,
}

impl LowerAction {
    pub(crate) fn new(action: &str) -> LowerAction {
        let mut lower = LowerAction {
            buffer: [0; 128],
            len: 0,
            heap: None,
        };
        match lower.buffer.get_mut(..action.len()) {
            Some(slot) if action.is_ascii() => {
                slot.copy_from_slice(action.as_bytes());
                slot.make_ascii_lowercase();
                lower.len = action.len();
            }
            _ => lower.heap = Some(action.to_ascii_lowercase()),
        }
        lower
    }

    pub(crate) fn as_str(&self) -> &str {
        match &self.heap {
            Some(heap) => heap,
            None => self
                .buffer
                .get(..self.len)
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or_default(),
        }
    }
}

/// The request as a policy set sees it.
pub(crate) struct Probe<'a> {
    pub(crate) principal: &'a Principal,
    pub(crate) has_boundary: bool,
    pub(crate) action: &'a str,
    pub(crate) resource: &'a str,
    /// The resource split into its six ARN parts once per request (`None`: not an ARN).
    pub(crate) resource_parts: Option<[&'a str; 6]>,
    pub(crate) context: &'a Context,
}

impl PolicySet {
    /// Compiles `policies` (each with a label such as its name or ARN) into one set.
    pub fn new<'p>(policies: impl IntoIterator<Item = (String, &'p Policy)>) -> PolicySet {
        let mut set = PolicySet::default();
        for (name, policy) in policies {
            set.add(name, policy);
        }
        set
    }

    /// Adds one policy to the set.
    pub fn add(&mut self, name: String, policy: &Policy) {
        let policy_index = u32::try_from(self.labels.len()).unwrap_or(u32::MAX);
        let variables = policy.version().is_some_and(|v| v.has_variables());
        let mut sids = Vec::new();
        for (index, statement) in policy.statements().iter().enumerate() {
            sids.push(statement.sid.clone());
            let id = u32::try_from(self.statements.len()).unwrap_or(u32::MAX);
            let at = StatementRef {
                policy: policy_index,
                statement: u32::try_from(index).unwrap_or(u32::MAX),
            };
            let principal = match &statement.principal {
                None => PrincipalRule::Caller,
                Some(PrincipalClause::Principal(p)) => {
                    PrincipalRule::Principal(PrincipalMatcher::compile(p))
                }
                Some(PrincipalClause::NotPrincipal(p)) => {
                    PrincipalRule::NotPrincipal(PrincipalMatcher::compile(p))
                }
            };
            let resource = match &statement.resource {
                None => ResourceRule::Implied,
                Some(ResourceClause::Resource(list)) => ResourceRule::Resource(
                    list.iter()
                        .map(|r| ArnPattern::compile(r, variables))
                        .collect(),
                ),
                Some(ResourceClause::NotResource(list)) => ResourceRule::NotResource(
                    list.iter()
                        .map(|r| ArnPattern::compile(r, variables))
                        .collect(),
                ),
            };
            let mut not_actions = Box::default();
            match &statement.action {
                Some(ActionClause::Action(list)) => {
                    for action in list {
                        let lower = action.to_ascii_lowercase();
                        if lower.contains(['*', '?']) {
                            let pattern = (Template::compile(&lower, true, false), id);
                            match lower.split_once(':') {
                                Some((service, _)) if !service.contains(['*', '?']) => self
                                    .wildcard_by_service
                                    .entry(service.into())
                                    .or_default()
                                    .push(pattern),
                                _ => self.wildcard_any_service.push(pattern),
                            }
                        } else {
                            let ids = self.exact.entry(lower.into_boxed_str()).or_default();
                            if !ids.contains(&id) {
                                ids.push(id);
                            }
                        }
                    }
                }
                Some(ActionClause::NotAction(list)) => {
                    not_actions = list
                        .iter()
                        .map(|a| Template::compile(&a.to_ascii_lowercase(), true, false))
                        .collect();
                    self.not_action.push(id);
                }
                // Validation guarantees an action element; a statement without one matches
                // nothing.
                None => {}
            }
            let resource_variables = variables
                && match &statement.resource {
                    Some(ResourceClause::Resource(list) | ResourceClause::NotResource(list)) => {
                        list.iter().any(|r| r.contains("${"))
                    }
                    None => false,
                };
            self.reads_context |= resource_variables || !statement.conditions.is_empty();
            let conditions = statement
                .conditions
                .iter()
                .map(|c| Condition::compile(c, variables))
                .collect();
            self.statements.push(CompiledStatement {
                at,
                effect: statement.effect,
                principal,
                not_actions,
                resource,
                conditions,
            });
        }
        self.labels.push(PolicyLabel { name, sids });
    }

    /// Whether a decision of this set can depend on the request context: when it cannot,
    /// the caller may evaluate with an empty context and skip building one.
    pub fn reads_context(&self) -> bool {
        self.reads_context
    }

    /// Whether the set holds no policy.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The label a policy was added with.
    pub fn policy_name(&self, policy: u32) -> Option<&str> {
        self.labels.get(policy as usize).map(|l| l.name.as_str())
    }

    /// The Sid of a statement, if it has one.
    pub fn sid(&self, at: StatementRef) -> Option<&str> {
        self.labels
            .get(at.policy as usize)?
            .sids
            .get(at.statement as usize)?
            .as_deref()
    }

    /// Calls `visit` with every statement whose action element covers `action` (lower-cased).
    /// A statement may be visited more than once when several of its patterns match.
    fn candidates(&self, action: &str, mut visit: impl FnMut(&CompiledStatement) -> bool) {
        let empty = Context::new();
        let ids = self
            .exact
            .get(action)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let service = action
            .split_once(':')
            .map_or(action, |(service, _)| service);
        let same_service = self
            .wildcard_by_service
            .get(service)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let wild = same_service
            .iter()
            .chain(&self.wildcard_any_service)
            .filter(|(pattern, _)| pattern.matches(action, &empty, false) == Ok(true))
            .map(|(_, id)| id);
        let not = self.not_action.iter().filter(|id| {
            self.statements.get(**id as usize).is_some_and(|s| {
                !s.not_actions
                    .iter()
                    .any(|p| p.matches(action, &empty, false) == Ok(true))
            })
        });
        for id in ids.iter().chain(wild).chain(not) {
            if let Some(statement) = self.statements.get(*id as usize)
                && !visit(statement)
            {
                return;
            }
        }
    }

    /// Evaluates the set: an applicable Deny, and the strongest applicable Allow.
    pub(crate) fn outcome(&self, probe: &Probe<'_>) -> SetOutcome {
        let mut outcome = SetOutcome::default();
        self.candidates(probe.action, |statement| {
            if let Some(grant) = applies(statement, probe) {
                match statement.effect {
                    Effect::Deny => {
                        outcome.deny = Some(statement.at);
                        return false;
                    }
                    Effect::Allow => {
                        if outcome.allow.is_none_or(|(_, best)| grant > best) {
                            outcome.allow = Some((statement.at, grant));
                        }
                    }
                }
            }
            true
        });
        outcome
    }

    /// Every applicable statement, each once, in policy and statement order.
    pub(crate) fn applicable(&self, probe: &Probe<'_>) -> Vec<(StatementRef, Effect)> {
        let mut found = Vec::new();
        self.candidates(probe.action, |statement| {
            if applies(statement, probe).is_some()
                && !found.iter().any(|(at, _)| *at == statement.at)
            {
                found.push((statement.at, statement.effect));
            }
            true
        });
        found.sort_by_key(|(at, _)| (at.policy, at.statement));
        found
    }
}

/// Whether a statement whose action already matched applies to the request, and how strongly
/// it names the caller.
fn applies(statement: &CompiledStatement, probe: &Probe<'_>) -> Option<GrantKind> {
    let grant = match &statement.principal {
        PrincipalRule::Caller => GrantKind::Direct,
        PrincipalRule::Principal(matcher) => matcher.grant(probe.principal)?,
        PrincipalRule::NotPrincipal(matcher) => {
            // AWS: a Deny with NotPrincipal always denies a principal that has a permissions
            // boundary, whatever the NotPrincipal list names.
            let forced = statement.effect == Effect::Deny && probe.has_boundary;
            if !forced && matcher.grant(probe.principal).is_some() {
                return None;
            }
            GrantKind::RoleOrEveryone
        }
    };
    let resource_matches = |patterns: &[ArnPattern]| {
        patterns.iter().any(|p| {
            p.matches_split(probe.resource, probe.resource_parts.as_ref(), probe.context)
                == Ok(true)
        })
    };
    let resource_ok = match &statement.resource {
        ResourceRule::Implied => true,
        ResourceRule::Resource(patterns) => resource_matches(patterns),
        ResourceRule::NotResource(patterns) => !resource_matches(patterns),
    };
    if !resource_ok {
        return None;
    }
    statement
        .conditions
        .iter()
        .all(|c| c.evaluate(probe.context))
        .then_some(grant)
}
