//! The decision procedure: policy types combined as AWS combines them.
//!
//! `authorize` is the hot path (no allocation); `explain` runs the same decision and also
//! lists every applicable statement, for the CLI, the simulator and audit.

use std::fmt;

use crate::compile::{LowerAction, PolicySet, Probe, SetOutcome, StatementRef};
use crate::context::Context;
use crate::document::Effect;
use crate::principal::{GrantKind, Principal, PrincipalKind};

/// The answer to "may this principal do this?".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Some policy allows and none denies.
    Allow,
    /// A statement denies explicitly.
    ExplicitDeny,
    /// Nothing allows (the default).
    ImplicitDeny,
}

impl Decision {
    /// `Allow`, `ExplicitDeny` or `ImplicitDeny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "Allow",
            Decision::ExplicitDeny => "ExplicitDeny",
            Decision::ImplicitDeny => "ImplicitDeny",
        }
    }

    /// Whether the request may proceed.
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The types of policy AWS names in its denial messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyType {
    /// Identity-based policies (inline and managed, of the user, its groups, or the role).
    Identity,
    /// A resource-based policy.
    Resource,
    /// A role trust policy.
    RoleTrust,
    /// A permissions boundary.
    PermissionsBoundary,
    /// Session policies.
    Session,
    /// Service control policies.
    ServiceControl,
    /// Resource control policies.
    ResourceControl,
}

impl PolicyType {
    /// AWS's words for the type, as in "no identity-based policy allows".
    pub fn description(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity-based policy",
            PolicyType::Resource => "resource-based policy",
            PolicyType::RoleTrust => "role trust policy",
            PolicyType::PermissionsBoundary => "permissions boundary",
            PolicyType::Session => "session policy",
            PolicyType::ServiceControl => "service control policy",
            PolicyType::ResourceControl => "resource control policy",
        }
    }

    /// The scenario and explanation name of the type.
    pub fn key(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity",
            PolicyType::Resource => "resource",
            PolicyType::RoleTrust => "trust",
            PolicyType::PermissionsBoundary => "boundary",
            PolicyType::Session => "session",
            PolicyType::ServiceControl => "scp",
            PolicyType::ResourceControl => "rcp",
        }
    }

    fn article(self) -> &'static str {
        if self == PolicyType::Identity {
            "an"
        } else {
            "a"
        }
    }
}

/// One request to authorize.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// Who asks.
    pub principal: &'a Principal,
    /// The action, such as `iam:CreateUser` (any case).
    pub action: &'a str,
    /// The resource ARN, or `*` for actions without one.
    pub resource: &'a str,
    /// The account that owns the resource; `None` when unknown (treated as the caller's).
    pub resource_account: Option<&'a str>,
    /// The condition keys of the request.
    pub context: &'a Context,
}

/// The policies that bear on a request. `None` means the type does not apply (no resource
/// policy, no boundary, no organization...).
#[derive(Clone, Copy, Debug, Default)]
pub struct Policies<'a> {
    /// The caller's identity-based policies.
    pub identity: Option<&'a PolicySet>,
    /// The resource's policy.
    pub resource: Option<&'a PolicySet>,
    /// Whether the resource policy is a role trust policy (it must allow even within the
    /// account).
    pub resource_is_trust: bool,
    /// The caller's permissions boundary.
    pub boundary: Option<&'a PolicySet>,
    /// The session's policies.
    pub session: Option<&'a PolicySet>,
    /// Service control policies of the caller's account, one set per level (root, OUs,
    /// account); `None` when the account is in no organization.
    pub service_control: Option<&'a [PolicySet]>,
    /// Resource control policies of the resource's account, one set per level.
    pub resource_control: Option<&'a [PolicySet]>,
}

/// Which policy decided, when one did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deciding {
    /// The policy type.
    pub policy_type: PolicyType,
    /// For guardrails, the level of the chain (0 = the organization root).
    pub level: usize,
    /// The deciding statement: the Deny for an explicit deny, the Allow for an allow; `None`
    /// for an implicit deny, where no statement matched.
    pub statement: Option<StatementRef>,
}

/// A decision with the policy type that decided it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Evaluation {
    /// The decision.
    pub decision: Decision,
    /// What decided; `None` for the decisions that no policy makes (root in its own account,
    /// `sts:GetCallerIdentity`).
    pub deciding: Option<Deciding>,
}

impl Evaluation {
    fn allow(deciding: Option<Deciding>) -> Evaluation {
        Evaluation {
            decision: Decision::Allow,
            deciding,
        }
    }

    fn implicit(policy_type: PolicyType, level: usize) -> Evaluation {
        Evaluation {
            decision: Decision::ImplicitDeny,
            deciding: Some(Deciding {
                policy_type,
                level,
                statement: None,
            }),
        }
    }

    /// AWS's AccessDenied message for a denial; `None` for an allow.
    pub fn denial_message(&self, request: &Request<'_>) -> Option<String> {
        let deciding = self.deciding?;
        let kind = deciding.policy_type;
        let head = format!(
            "User: {} is not authorized to perform: {} on resource: {}",
            request.principal.arn(),
            request.action,
            request.resource
        );
        match self.decision {
            Decision::Allow => None,
            Decision::ExplicitDeny => Some(format!(
                "{head} with an explicit deny in {} {}",
                kind.article(),
                kind.description()
            )),
            Decision::ImplicitDeny => Some(format!(
                "{head} because no {} allows the {} action",
                kind.description(),
                request.action
            )),
        }
    }
}

/// An applicable statement, for explanations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchedStatement {
    /// The policy type.
    pub policy_type: PolicyType,
    /// The guardrail level, 0 for other types.
    pub level: usize,
    /// The policy's label.
    pub policy: String,
    /// The statement's index in its policy.
    pub statement: u32,
    /// The statement's Sid.
    pub sid: Option<String>,
    /// Its effect.
    pub effect: Effect,
}

/// Decides a request. Never allocates and never panics.
pub fn authorize(request: &Request<'_>, policies: &Policies<'_>) -> Evaluation {
    let action = LowerAction::new(request.action);
    decide(request, policies, &probe(request, policies, &action))
}

fn probe<'a>(request: &Request<'a>, policies: &Policies<'_>, action: &'a LowerAction) -> Probe<'a> {
    Probe {
        principal: request.principal,
        has_boundary: policies.boundary.is_some(),
        action: action.as_str(),
        resource: request.resource,
        resource_parts: crate::arn::split(request.resource),
        context: request.context,
    }
}

/// Decides a request and lists every applicable statement of every policy that was given.
pub fn explain(
    request: &Request<'_>,
    policies: &Policies<'_>,
) -> (Evaluation, Vec<MatchedStatement>) {
    let action = LowerAction::new(request.action);
    let probe = probe(request, policies, &action);
    let evaluation = decide(request, policies, &probe);
    let mut matched = Vec::new();
    let resource_type = if policies.resource_is_trust {
        PolicyType::RoleTrust
    } else {
        PolicyType::Resource
    };
    let mut add = |set: &PolicySet, policy_type: PolicyType, level: usize| {
        for (at, effect) in set.applicable(&probe) {
            matched.push(MatchedStatement {
                policy_type,
                level,
                policy: set.policy_name(at.policy).unwrap_or_default().to_owned(),
                statement: at.statement,
                sid: set.sid(at).map(str::to_owned),
                effect,
            });
        }
    };
    for (level, set) in policies
        .service_control
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        add(set, PolicyType::ServiceControl, level);
    }
    for (level, set) in policies
        .resource_control
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        add(set, PolicyType::ResourceControl, level);
    }
    let singles = [
        (policies.resource, resource_type),
        (policies.identity, PolicyType::Identity),
        (policies.boundary, PolicyType::PermissionsBoundary),
        (policies.session, PolicyType::Session),
    ];
    for (set, policy_type) in singles {
        if let Some(set) = set {
            add(set, policy_type, 0);
        }
    }
    (evaluation, matched)
}

fn explicit(policy_type: PolicyType, level: usize, at: StatementRef) -> Evaluation {
    Evaluation {
        decision: Decision::ExplicitDeny,
        deciding: Some(Deciding {
            policy_type,
            level,
            statement: Some(at),
        }),
    }
}

fn decide(request: &Request<'_>, policies: &Policies<'_>, probe: &Probe<'_>) -> Evaluation {
    // GetCallerIdentity needs no permission and cannot be denied.
    if probe.action == "sts:getcalleridentity" {
        return Evaluation::allow(None);
    }
    let principal = request.principal;
    let is_service = matches!(principal.kind(), PrincipalKind::Service { .. });
    let is_root = *principal.kind() == PrincipalKind::Root;
    let iam_identity = principal.is_iam_identity();
    let scps_apply = (iam_identity || is_root) && !principal.is_service_linked_role();
    let resource_type = if policies.resource_is_trust {
        PolicyType::RoleTrust
    } else {
        PolicyType::Resource
    };
    let outcome = |set: Option<&PolicySet>| set.map(|s| s.outcome(probe));
    let scps = if scps_apply {
        policies.service_control
    } else {
        None
    };
    let rcps = if is_service {
        None
    } else {
        policies.resource_control
    };

    // 1. An explicit deny anywhere wins.
    let mut scp_allows = true;
    for (level, set) in scps.unwrap_or_default().iter().enumerate() {
        let result = set.outcome(probe);
        if let Some(at) = result.deny {
            return explicit(PolicyType::ServiceControl, level, at);
        }
        scp_allows &= result.allow.is_some();
    }
    let mut rcp_failed_level = None;
    for (level, set) in rcps.unwrap_or_default().iter().enumerate() {
        let result = set.outcome(probe);
        if let Some(at) = result.deny {
            return explicit(PolicyType::ResourceControl, level, at);
        }
        if result.allow.is_none() && rcp_failed_level.is_none() {
            rcp_failed_level = Some(level);
        }
    }
    let resource = outcome(policies.resource);
    if let Some(SetOutcome { deny: Some(at), .. }) = resource {
        return explicit(resource_type, 0, at);
    }
    let (identity, boundary, session) = if iam_identity {
        (
            outcome(policies.identity),
            outcome(policies.boundary),
            outcome(policies.session),
        )
    } else {
        (None, None, None)
    };
    for (result, policy_type) in [
        (identity, PolicyType::Identity),
        (boundary, PolicyType::PermissionsBoundary),
        (session, PolicyType::Session),
    ] {
        if let Some(SetOutcome { deny: Some(at), .. }) = result {
            return explicit(policy_type, 0, at);
        }
    }

    // 2-3. Guardrails: every level must allow.
    if let Some(level) = rcp_failed_level {
        return Evaluation::implicit(PolicyType::ResourceControl, level);
    }
    if !scp_allows {
        let level = scps
            .unwrap_or_default()
            .iter()
            .position(|set| set.outcome(probe).allow.is_none())
            .unwrap_or_default();
        return Evaluation::implicit(PolicyType::ServiceControl, level);
    }

    let resource_grant = resource.and_then(|r| r.allow);
    let resource_allow = || {
        resource_grant.map(|(at, _)| Deciding {
            policy_type: resource_type,
            level: 0,
            statement: Some(at),
        })
    };
    let same_account = match (principal.account(), request.resource_account) {
        (Some(mine), Some(theirs)) => mine == theirs,
        (Some(_), None) => true,
        (None, _) => false,
    };

    // AWS: "Roles may not be assumed by root accounts."
    if is_root && policies.resource_is_trust {
        return Evaluation::implicit(PolicyType::RoleTrust, 0);
    }

    // Callers without identity policies: root, anonymous, service principals.
    if !iam_identity {
        if is_root && same_account {
            return Evaluation::allow(None);
        }
        return match resource_grant {
            Some(_) => Evaluation::allow(resource_allow()),
            None => Evaluation::implicit(resource_type, 0),
        };
    }

    let allowed_by = |result: Option<SetOutcome>, policy_type| {
        result.and_then(|r| r.allow).map(|(at, _)| Deciding {
            policy_type,
            level: 0,
            statement: Some(at),
        })
    };
    let identity_allow = allowed_by(identity, PolicyType::Identity);
    let boundary_ok = policies.boundary.is_none()
        || allowed_by(boundary, PolicyType::PermissionsBoundary).is_some();
    let session_required = policies.session.is_some()
        || matches!(principal.kind(), PrincipalKind::FederatedUser { .. });
    let session_ok = !session_required || allowed_by(session, PolicyType::Session).is_some();
    // Boundary, then session policies: the order AWS names them in.
    let limits = || {
        if !boundary_ok {
            Some(Evaluation::implicit(PolicyType::PermissionsBoundary, 0))
        } else if !session_ok {
            Some(Evaluation::implicit(PolicyType::Session, 0))
        } else {
            None
        }
    };

    if !same_account {
        // Both sides must allow, with no shortcut.
        if identity_allow.is_none() {
            return Evaluation::implicit(PolicyType::Identity, 0);
        }
        if let Some(denied) = limits() {
            return denied;
        }
        return match resource_grant {
            Some(_) => Evaluation::allow(resource_allow()),
            None => Evaluation::implicit(resource_type, 0),
        };
    }

    let grant = resource_grant.map(|(_, grant)| grant);
    if policies.resource_is_trust && grant.is_none() {
        return Evaluation::implicit(PolicyType::RoleTrust, 0);
    }
    match grant {
        Some(GrantKind::Direct) => Evaluation::allow(resource_allow()),
        Some(GrantKind::RoleOrEveryone) => match limits() {
            Some(denied) => denied,
            None => Evaluation::allow(resource_allow()),
        },
        Some(GrantKind::Account) | None => {
            let Some(identity_allow) = identity_allow else {
                return Evaluation::implicit(PolicyType::Identity, 0);
            };
            match limits() {
                Some(denied) => denied,
                None => Evaluation::allow(Some(identity_allow)),
            }
        }
    }
}
