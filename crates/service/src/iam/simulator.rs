//! The policy simulator, IAM's own API: SimulateCustomPolicy, SimulatePrincipalPolicy,
//! GetContextKeysForCustomPolicy and GetContextKeysForPrincipalPolicy.
//!
//! The decision is the enforcement engine's, through the simulator procedure it shares with
//! the offline `castellan policy simulate` (`policy::Simulation`, over `policy::explain`),
//! over the policies the caller gives or, for a principal, gathered as enforcement gathers
//! them (`authorize::identity_sources`), with its organization's SCPs. What this module adds
//! is where the policies come from and AWS's result shape: which statements decided, named
//! as AWS names their policies, and where they sit in their text, which context keys the
//! policies read that the request did not give, and what the boundary and the SCPs alone
//! decide (readings 100-104).

use policy::{
    Context, Decision, MatchedSource, Policy, PolicyKind, PolicySet, Principal, TextPosition,
};
use wire::iam::{
    ContextEntry, ContextKeyTypeEnum, EvaluationResult, GetContextKeysForCustomPolicyRequest,
    GetContextKeysForPolicyResponse, GetContextKeysForPrincipalPolicyRequest, Operation,
    OrganizationsDecisionDetail, PermissionsBoundaryDecisionDetail, PolicyEvaluationDecisionType,
    PolicySourceType, Position, ResourceSpecificResult, SimulateCustomPolicyRequest,
    SimulatePolicyResponse, SimulatePrincipalPolicyRequest, Statement,
};

use crate::authorize::{
    IdentitySource, identity_sources, managed_policy, role_owners, user_owners,
};
use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::guardrails::guardrails;
use crate::service::Service;

/// The user a simulation runs as when neither `CallerArn` nor a simulated user names one
/// and the caller is not a user (reading 102).
const SIMULATED_USER: &str = "SimulatedUser";

/// A policy of the simulation, named as AWS names it in `MatchedStatements`.
struct Source {
    id: String,
    kind: PolicySourceType,
    /// For an inline policy, the name of the user, group or role it is embedded in.
    owner: Option<String>,
    policy: Policy,
}

/// Everything a simulation evaluates, whatever the operation.
struct Simulation {
    principal: Principal,
    /// The account of the simulated principal.
    account: String,
    identity: Vec<Source>,
    boundary: Vec<Source>,
    resource_policy: Option<Source>,
    /// The SCPs per level, when the principal's account is bound by some.
    scps: Option<Vec<PolicySet>>,
    context: Context,
    resource_owner: Option<String>,
}

/// The inputs both Simulate operations share.
struct Asked {
    actions: Vec<String>,
    resources: Vec<String>,
    max_items: Option<i32>,
    marker: Option<String>,
}

/// A policy given as text in a request: parsed as IAM parses identity policies, its
/// findings an `InvalidInput` (the error the operations' models name).
fn given(text: &str, kind: PolicyKind) -> ServiceResult<Policy> {
    Policy::parse(text, kind).map_err(|e| ServiceError::invalid_input(e.to_string()))
}

fn given_list(
    texts: &[String],
    kind: PolicyKind,
    list: &str,
    source: PolicySourceType,
) -> ServiceResult<Vec<Source>> {
    texts
        .iter()
        .enumerate()
        .map(|(at, text)| {
            Ok(Source {
                id: format!("{list}.{}", at + 1),
                kind: source,
                owner: None,
                policy: given(text, kind)?,
            })
        })
        .collect()
}

/// The request context from `ContextEntries`, each value checked against its type.
fn context_of(entries: &[ContextEntry]) -> ServiceResult<Context> {
    let mut context = Context::new();
    for entry in entries {
        let Some(name) = entry.context_key_name.as_deref().filter(|n| !n.is_empty()) else {
            return Err(ServiceError::invalid_input(
                "A context entry must name its key (ContextKeyName).",
            ));
        };
        let values = entry.context_key_values.clone().unwrap_or_default();
        let kind = entry.context_key_type.unwrap_or(ContextKeyTypeEnum::String);
        let value = policy::context_entry_value(name, kind.as_str(), values)
            .map_err(|e| ServiceError::invalid_input(e.to_string()))?;
        context.insert(name, value);
    }
    Ok(context)
}

/// The principal a policy names by ARN: a user, a role (simulated as a session of it), or
/// whatever else the engine reads as a principal.
fn principal_of(arn: &str) -> ServiceResult<Principal> {
    let invalid = |_| ServiceError::invalid_input(format!("Invalid ARN {arn}."));
    match iam_entity(arn) {
        Some((_, "user", _)) => Principal::user(arn).map_err(invalid),
        Some((_, "role", _)) => Principal::role_session(arn, "simulation").map_err(invalid),
        _ => Principal::parse(arn).map_err(invalid),
    }
}

/// `arn:aws:iam::<account>:<kind>/<path...>/<name>` split into account, kind and name.
fn iam_entity(arn: &str) -> Option<(&str, &str, &str)> {
    let arn = policy::Arn::parse(arn).filter(|arn| arn.service == "iam")?;
    let (kind, rest) = arn.resource.split_once('/')?;
    let name = rest.rsplit('/').next()?;
    Some((arn.account, kind, name))
}

fn decision_type(decision: Decision) -> PolicyEvaluationDecisionType {
    match decision {
        Decision::Allow => PolicyEvaluationDecisionType::Allowed,
        Decision::ExplicitDeny => PolicyEvaluationDecisionType::ExplicitDeny,
        Decision::ImplicitDeny => PolicyEvaluationDecisionType::ImplicitDeny,
    }
}

fn wire_position(position: TextPosition) -> Position {
    Position {
        line: i32::try_from(position.line).ok(),
        column: i32::try_from(position.column).ok(),
    }
}

/// One (action, resource) pair's result before it is shaped for the wire.
struct Outcome {
    decision: Decision,
    matched: Vec<Statement>,
    missing: Vec<String>,
    boundary_allows: Option<bool>,
    organizations_allow: Option<bool>,
}

impl Simulation {
    /// The engine's simulation of the pair (`policy::Simulation`), its matched statements
    /// named as `MatchedStatements` names them.
    fn evaluate(&self, action: &str, resource: &str) -> Outcome {
        let identity: Vec<&Policy> = self.identity.iter().map(|s| &s.policy).collect();
        let boundary: Vec<&Policy> = self.boundary.iter().map(|s| &s.policy).collect();
        let simulation = policy::Simulation {
            principal: &self.principal,
            identity: &identity,
            boundary: &boundary,
            resource: self.resource_policy.as_ref().map(|s| &s.policy),
            service_control: self.scps.as_deref(),
            context: &self.context,
            resource_account: self.resource_owner.as_deref().unwrap_or(&self.account),
        };
        let outcome = simulation.simulate(action, resource);
        let matched = outcome
            .matched
            .iter()
            .filter_map(|m| {
                let source = match m.source {
                    MatchedSource::Identity(at) => self.identity.get(at)?,
                    MatchedSource::Resource => self.resource_policy.as_ref()?,
                };
                Some(Statement {
                    source_policy_id: Some(source.id.clone()),
                    source_policy_type: Some(source.kind),
                    start_position: Some(wire_position(m.start)),
                    end_position: Some(wire_position(m.end)),
                })
            })
            .collect();
        Outcome {
            decision: outcome.decision,
            matched,
            missing: outcome.missing,
            boundary_allows: outcome.boundary_allows,
            organizations_allow: outcome.organizations_allow,
        }
    }

    /// Every (action, resource) pair, one page of them.
    fn run(&self, asked: &Asked) -> ServiceResult<SimulatePolicyResponse> {
        let max_items = match asked.max_items {
            None => 100,
            Some(n @ 1..=1000) => usize::try_from(n).unwrap_or(100),
            Some(_) => {
                return Err(ServiceError::invalid_input(
                    "MaxItems must be between 1 and 1000.",
                ));
            }
        };
        let start = match asked.marker.as_deref() {
            None => 0,
            Some(marker) => marker
                .parse::<usize>()
                .map_err(|_| ServiceError::invalid_input("Invalid Marker."))?,
        };
        let resources: Vec<&str> = if asked.resources.is_empty() {
            vec!["*"]
        } else {
            asked.resources.iter().map(String::as_str).collect()
        };
        let pairs: Vec<(&str, &str)> = asked
            .actions
            .iter()
            .flat_map(|action| resources.iter().map(move |r| (action.as_str(), *r)))
            .collect();
        if start > pairs.len() {
            return Err(ServiceError::invalid_input("Invalid Marker."));
        }
        let end = start.saturating_add(max_items).min(pairs.len());
        let results = pairs
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(|(action, resource)| self.result(action, resource))
            .collect();
        let truncated = end < pairs.len();
        Ok(SimulatePolicyResponse {
            evaluation_results: Some(results),
            is_truncated: Some(truncated),
            marker: truncated.then(|| end.to_string()),
        })
    }

    /// AWS's shape (reading 103): missing keys at the top for `*`, else in the one
    /// resource-specific result; decision details empty for a named resource.
    fn result(&self, action: &str, resource: &str) -> EvaluationResult {
        let outcome = self.evaluate(action, resource);
        let decision = decision_type(outcome.decision);
        let boundary = outcome
            .boundary_allows
            .map(|allowed| PermissionsBoundaryDecisionDetail {
                allowed_by_permissions_boundary: Some(allowed),
            });
        let organizations =
            outcome
                .organizations_allow
                .map(|allowed| OrganizationsDecisionDetail {
                    allowed_by_organizations: Some(allowed),
                });
        if resource == "*" {
            return EvaluationResult {
                eval_action_name: action.to_owned(),
                eval_resource_name: Some(resource.to_owned()),
                eval_decision: decision,
                matched_statements: Some(outcome.matched),
                missing_context_values: Some(outcome.missing),
                organizations_decision_detail: organizations,
                permissions_boundary_decision_detail: boundary,
                eval_decision_details: None,
                resource_specific_results: None,
            };
        }
        EvaluationResult {
            eval_action_name: action.to_owned(),
            eval_resource_name: Some(resource.to_owned()),
            eval_decision: decision,
            matched_statements: Some(outcome.matched.clone()),
            missing_context_values: Some(Vec::new()),
            organizations_decision_detail: organizations,
            permissions_boundary_decision_detail: boundary.clone(),
            eval_decision_details: Some(Default::default()),
            resource_specific_results: Some(vec![ResourceSpecificResult {
                eval_resource_name: resource.to_owned(),
                eval_resource_decision: decision,
                matched_statements: Some(outcome.matched),
                missing_context_values: Some(outcome.missing),
                eval_decision_details: Some(Default::default()),
                permissions_boundary_decision_detail: boundary,
            }]),
        }
    }
}

/// The keys of `policies`, each once, in order (GetContextKeysFor*).
fn context_keys<'a>(policies: impl Iterator<Item = &'a Policy>) -> GetContextKeysForPolicyResponse {
    let mut keys: Vec<String> = Vec::new();
    for key in policies.flat_map(Policy::context_keys) {
        if !keys.iter().any(|seen| seen.eq_ignore_ascii_case(&key)) {
            keys.push(key);
        }
    }
    GetContextKeysForPolicyResponse {
        context_key_names: Some(keys),
    }
}

fn check_actions(actions: &[String]) -> ServiceResult<()> {
    if actions.is_empty() {
        return Err(ServiceError::invalid_input(
            "ActionNames must name at least one action.",
        ));
    }
    Ok(())
}

impl Service {
    /// The identity policies and boundary of the user, group or role `arn` names, each
    /// named as AWS names it (reading 101).
    async fn principal_sources(
        &self,
        caller: &Caller,
        arn: &str,
    ) -> ServiceResult<(Vec<Source>, Vec<Source>)> {
        let no_such = || ServiceError::no_such_entity(format!("Entity {arn} does not exist."));
        let Some((account, kind, name)) = iam_entity(arn) else {
            return Err(ServiceError::invalid_input(format!(
                "Invalid ARN {arn}: a user, group or role ARN."
            )));
        };
        if account != caller.account_id {
            return Err(no_such());
        }
        let reads = self.reads();
        let not_found = |e: store::StoreError| match e {
            store::StoreError::NoSuchEntity { .. } => no_such(),
            other => other.into(),
        };
        let (owners, boundary_arn) = match kind {
            "user" => {
                let user = reads.get_user(account, name).await.map_err(not_found)?;
                let boundary = user.permissions_boundary_arn.clone();
                (user_owners(reads, &user).await?, boundary)
            }
            "role" => {
                let role = reads.get_role(account, name).await.map_err(not_found)?;
                let boundary = role.permissions_boundary_arn.clone();
                (role_owners(&role), boundary)
            }
            "group" => {
                let group = reads.get_group(account, name).await.map_err(not_found)?;
                let owner = store::Principal::group(&group.group_id);
                (vec![(owner, format!("group/{}", group.name))], None)
            }
            _ => return Err(no_such()),
        };
        let identity = identity_sources(reads, &owners)
            .await?
            .into_iter()
            .map(principal_source)
            .collect();
        let boundary = match boundary_arn {
            Some(arn) => vec![Source {
                kind: managed_kind(&arn),
                owner: None,
                id: arn.clone(),
                policy: managed_policy(reads, &arn, PolicyKind::Boundary).await?,
            }],
            None => Vec::new(),
        };
        Ok((identity, boundary))
    }

    pub(super) async fn simulate_custom_policy(
        &self,
        caller: &Caller,
        input: SimulateCustomPolicyRequest,
    ) -> ServiceResult<SimulatePolicyResponse> {
        self.allow(caller, Operation::SimulateCustomPolicy, "*", Vec::new())
            .await?;
        check_actions(&input.action_names)?;
        let identity = given_list(
            &input.policy_input_list,
            PolicyKind::Identity,
            "PolicyInputList",
            PolicySourceType::None,
        )?;
        let boundary = given_list(
            input
                .permissions_boundary_policy_input_list
                .as_deref()
                .unwrap_or_default(),
            PolicyKind::Boundary,
            "PermissionsBoundaryPolicyInputList",
            PolicySourceType::None,
        )?;
        let mut scps = Vec::new();
        for (level, entry) in input
            .ordered_organization_policy_input_list
            .iter()
            .flatten()
            .enumerate()
        {
            let mut set = PolicySet::default();
            for (at, text) in entry
                .service_control_policy_input_list
                .iter()
                .flatten()
                .enumerate()
            {
                set.add(
                    format!(
                        "OrderedOrganizationPolicyInputList.{}.{}",
                        level + 1,
                        at + 1
                    ),
                    &given(text, PolicyKind::ServiceControl)?,
                );
            }
            scps.push(set);
        }
        let principal = self.simulated_caller(
            caller,
            input.caller_arn.as_deref(),
            None,
            &input.resource_policy,
        )?;
        let simulation = Simulation {
            principal,
            account: caller.account_id.clone(),
            identity,
            boundary,
            resource_policy: resource_policy(input.resource_policy.as_deref())?,
            scps: (!scps.is_empty()).then_some(scps),
            context: context_of(input.context_entries.as_deref().unwrap_or_default())?,
            resource_owner: resource_owner(input.resource_owner.as_deref())?,
        };
        simulation.run(&Asked {
            actions: input.action_names,
            resources: input.resource_arns.unwrap_or_default(),
            max_items: input.max_items,
            marker: input.marker,
        })
    }

    /// The principal a simulation runs as: `CallerArn` when given, else the simulated
    /// principal (`source`), else the caller; a resource policy needs a user to name
    /// (reading 102).
    fn simulated_caller(
        &self,
        caller: &Caller,
        caller_arn: Option<&str>,
        source: Option<&str>,
        resource_policy: &Option<String>,
    ) -> ServiceResult<Principal> {
        if let Some(arn) = caller_arn {
            if !matches!(iam_entity(arn), Some((_, "user", _))) {
                return Err(ServiceError::invalid_input(format!(
                    "CallerArn {arn} must be the ARN of an IAM user."
                )));
            }
            return principal_of(arn);
        }
        let source_is_user =
            source.is_some_and(|arn| matches!(iam_entity(arn), Some((_, "user", _))));
        if resource_policy.is_some() && !source_is_user {
            return Err(ServiceError::invalid_input(
                "CallerArn is required when a ResourcePolicy is simulated for a principal other than an IAM user.",
            ));
        }
        match source {
            Some(arn) if !matches!(iam_entity(arn), Some((_, "group", _))) => principal_of(arn),
            // Policies are simulated for an IAM user, never for the root user (whom no
            // policy restricts in its own account): the calling user, else a stand-in user.
            _ => match &caller.identity {
                crate::caller::Identity::User(user) => principal_of(&caller.partition().swap(
                    &crate::caller::user_arn(&user.account_id, &user.path, &user.name),
                )),
                _ => principal_of(&caller.partition().swap(&crate::caller::user_arn(
                    &caller.account_id,
                    "/",
                    SIMULATED_USER,
                ))),
            },
        }
    }

    pub(super) async fn simulate_principal_policy(
        &self,
        caller: &Caller,
        input: SimulatePrincipalPolicyRequest,
    ) -> ServiceResult<SimulatePolicyResponse> {
        let source_arn = input.policy_source_arn.as_str();
        self.allow(
            caller,
            Operation::SimulatePrincipalPolicy,
            source_arn,
            Vec::new(),
        )
        .await?;
        check_actions(&input.action_names)?;
        let (mut identity, mut boundary) = self.principal_sources(caller, source_arn).await?;
        let excluded = |source: &Source| {
            input
                .policy_exclusion_list
                .iter()
                .flatten()
                .any(|excluded| {
                    let inline = excluded
                        .inline_policy_identifier
                        .as_ref()
                        .is_some_and(|named| {
                            named.policy_name == source.id
                                && source.owner.as_deref() == Some(named.attachment_name.as_str())
                                && named.attachment_type.as_str() == source.kind.as_str()
                        });
                    inline || excluded.policy_arn.as_deref() == Some(source.id.as_str())
                })
        };
        identity.retain(|source| !excluded(source));
        identity.extend(given_list(
            input.policy_input_list.as_deref().unwrap_or_default(),
            PolicyKind::Identity,
            "PolicyInputList",
            PolicySourceType::None,
        )?);
        if let Some(texts) = input.permissions_boundary_policy_input_list.as_deref() {
            // Given boundaries stand in for the principal's own (AWS: "the simulation uses
            // the boundary you provide instead of the one attached").
            boundary = given_list(
                texts,
                PolicyKind::Boundary,
                "PermissionsBoundaryPolicyInputList",
                PolicySourceType::None,
            )?;
        }
        let principal = self.simulated_caller(
            caller,
            input.caller_arn.as_deref(),
            Some(source_arn),
            &input.resource_policy,
        )?;
        let guard = guardrails(
            self.reads(),
            &self.policy_cache().guardrails,
            &caller.account_id,
        )
        .await?;
        let simulation = Simulation {
            principal,
            account: caller.account_id.clone(),
            identity,
            boundary,
            resource_policy: resource_policy(input.resource_policy.as_deref())?,
            scps: guard.and_then(|g| g.scp.clone()),
            context: context_of(input.context_entries.as_deref().unwrap_or_default())?,
            resource_owner: resource_owner(input.resource_owner.as_deref())?,
        };
        simulation.run(&Asked {
            actions: input.action_names,
            resources: input.resource_arns.unwrap_or_default(),
            max_items: input.max_items,
            marker: input.marker,
        })
    }

    pub(super) async fn get_context_keys_for_custom_policy(
        &self,
        caller: &Caller,
        input: GetContextKeysForCustomPolicyRequest,
    ) -> ServiceResult<GetContextKeysForPolicyResponse> {
        self.allow(
            caller,
            Operation::GetContextKeysForCustomPolicy,
            "*",
            Vec::new(),
        )
        .await?;
        let policies = input
            .policy_input_list
            .iter()
            .map(|text| given(text, PolicyKind::Identity))
            .collect::<ServiceResult<Vec<_>>>()?;
        Ok(context_keys(policies.iter()))
    }

    pub(super) async fn get_context_keys_for_principal_policy(
        &self,
        caller: &Caller,
        input: GetContextKeysForPrincipalPolicyRequest,
    ) -> ServiceResult<GetContextKeysForPolicyResponse> {
        let source_arn = input.policy_source_arn.as_str();
        self.allow(
            caller,
            Operation::GetContextKeysForPrincipalPolicy,
            source_arn,
            Vec::new(),
        )
        .await?;
        let (identity, _) = self.principal_sources(caller, source_arn).await?;
        let given = input
            .policy_input_list
            .iter()
            .flatten()
            .map(|text| given(text, PolicyKind::Identity))
            .collect::<ServiceResult<Vec<_>>>()?;
        Ok(context_keys(
            identity.iter().map(|s| &s.policy).chain(given.iter()),
        ))
    }
}

/// A principal's identity policy as `MatchedStatements` names it: an inline policy by its
/// name and its owner's kind, a managed one by its ARN (reading 101).
fn principal_source(source: IdentitySource) -> Source {
    let IdentitySource {
        label,
        owner,
        managed_arn,
        policy,
    } = source;
    match managed_arn {
        Some(arn) => Source {
            kind: managed_kind(&arn),
            id: arn,
            owner: None,
            policy,
        },
        None => {
            let (owner_kind, owner_name) = owner.split_once('/').unwrap_or_default();
            let kind = match owner_kind {
                "group" => PolicySourceType::Group,
                "role" => PolicySourceType::Role,
                _ => PolicySourceType::User,
            };
            let name = label.rsplit('/').next().unwrap_or_default().to_owned();
            Source {
                id: name,
                kind,
                owner: Some(owner_name.to_owned()),
                policy,
            }
        }
    }
}

fn managed_kind(arn: &str) -> PolicySourceType {
    if arn.contains(":iam::aws:policy/") {
        PolicySourceType::AwsManaged
    } else {
        PolicySourceType::UserManaged
    }
}

/// The account `ResourceOwner` names (its ARN or its ID, reading 110).
fn resource_owner(owner: Option<&str>) -> ServiceResult<Option<String>> {
    owner
        .map(|owner| {
            policy::owner_account(owner)
                .map(str::to_owned)
                .ok_or_else(|| {
                    ServiceError::invalid_input(format!("Invalid ResourceOwner {owner}."))
                })
        })
        .transpose()
}

fn resource_policy(text: Option<&str>) -> ServiceResult<Option<Source>> {
    text.map(|text| {
        Ok(Source {
            id: "ResourcePolicy".to_owned(),
            kind: PolicySourceType::Resource,
            owner: None,
            policy: given(text, PolicyKind::Resource)?,
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simulation(policies: &[&str], context: &[ContextEntry]) -> Simulation {
        let texts: Vec<String> = policies.iter().map(|p| (*p).to_owned()).collect();
        Simulation {
            principal: principal_of("arn:aws:iam::123456789012:user/alice")
                .unwrap_or_else(|e| panic!("{e:?}")),
            account: "123456789012".to_owned(),
            identity: given_list(
                &texts,
                PolicyKind::Identity,
                "PolicyInputList",
                PolicySourceType::None,
            )
            .unwrap_or_else(|e| panic!("{e:?}")),
            boundary: Vec::new(),
            resource_policy: None,
            scps: None,
            context: context_of(context).unwrap_or_else(|e| panic!("{e:?}")),
            resource_owner: None,
        }
    }

    fn date(value: &str) -> ContextEntry {
        ContextEntry {
            context_key_name: Some("aws:CurrentTime".to_owned()),
            context_key_values: Some(vec![value.to_owned()]),
            context_key_type: Some(ContextKeyTypeEnum::Date),
        }
    }

    const DATED: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}"#;

    #[test]
    fn a_condition_decides_by_the_given_context() {
        let later = simulation(&[DATED], &[date("2019-04-25T11:00:00Z")]);
        assert_eq!(
            later.evaluate("dynamodb:CreateBackup", "*").decision,
            Decision::Allow
        );
        let earlier = simulation(&[DATED], &[date("2014-04-25T11:00:00Z")]);
        let outcome = earlier.evaluate("dynamodb:CreateBackup", "*");
        assert_eq!(outcome.decision, Decision::ImplicitDeny);
        assert!(outcome.matched.is_empty());
        let none = simulation(&[DATED], &[]);
        let outcome = none.evaluate("dynamodb:CreateBackup", "*");
        assert_eq!(outcome.decision, Decision::ImplicitDeny);
        assert_eq!(outcome.missing, vec!["aws:CurrentTime".to_owned()]);
    }

    /// A scenario of the engine's corpus as the simulator would be asked it; `None` for
    /// what the simulator does not model (session policies, RCPs, trust policies).
    fn scenario_simulation(scenario: &serde_json::Value) -> Option<Simulation> {
        let map = scenario.as_object()?;
        let action = map.get("action")?.as_str()?.to_ascii_lowercase();
        let unmodelled = ["session_policy", "resource_control_policies"]
            .iter()
            .any(|key| map.get(*key).is_some_and(|v| !v.is_null()))
            || action.starts_with("sts:");
        if unmodelled {
            return None;
        }
        let text = |value: &serde_json::Value| value.to_string();
        let texts = |key: &str| -> Vec<String> {
            map.get(key)
                .and_then(|v| v.as_array())
                .map(|list| list.iter().map(text).collect())
                .unwrap_or_default()
        };
        let principal = Principal::parse(map.get("principal")?.as_str()?).ok()?;
        let resource = map.get("resource").and_then(|r| r.as_str()).unwrap_or("*");
        let owner = map
            .get("resource_account")
            .and_then(|a| a.as_str())
            .map(str::to_owned)
            .or_else(|| policy::Arn::parse(resource).map(|a| a.account.to_owned()))
            .filter(|a| !a.is_empty())
            .or_else(|| principal.account().map(str::to_owned));
        let entries: Vec<ContextEntry> = map
            .get("context")
            .and_then(|c| c.as_object())
            .map(|context| {
                context
                    .iter()
                    .map(|(key, value)| {
                        let (values, kind) = match value {
                            serde_json::Value::Array(items) => (
                                items
                                    .iter()
                                    .filter_map(|i| i.as_str())
                                    .map(str::to_owned)
                                    .collect(),
                                ContextKeyTypeEnum::StringList,
                            ),
                            other => (
                                vec![other.as_str().unwrap_or_default().to_owned()],
                                ContextKeyTypeEnum::String,
                            ),
                        };
                        ContextEntry {
                            context_key_name: Some(key.clone()),
                            context_key_values: Some(values),
                            context_key_type: Some(kind),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let scps = map
            .get("service_control_policies")
            .and_then(|v| v.as_array())
            .map(|levels| {
                levels
                    .iter()
                    .map(|level| {
                        let mut set = PolicySet::default();
                        for (at, document) in level.as_array().into_iter().flatten().enumerate() {
                            if let Ok(policy) = given(&text(document), PolicyKind::ServiceControl) {
                                set.add(format!("scp{at}"), &policy);
                            }
                        }
                        set
                    })
                    .collect()
            });
        let single = |key: &str| map.get(key).filter(|v| !v.is_null()).map(text);
        Some(Simulation {
            account: principal.account().unwrap_or_default().to_owned(),
            principal,
            identity: given_list(
                &texts("identity_policies"),
                PolicyKind::Identity,
                "PolicyInputList",
                PolicySourceType::None,
            )
            .ok()?,
            boundary: given_list(
                &single("permissions_boundary")
                    .into_iter()
                    .collect::<Vec<_>>(),
                PolicyKind::Boundary,
                "PermissionsBoundaryPolicyInputList",
                PolicySourceType::None,
            )
            .ok()?,
            resource_policy: resource_policy(single("resource_policy").as_deref()).ok()?,
            scps,
            context: context_of(&entries).ok()?,
            resource_owner: owner,
        })
    }

    /// The simulator decides every scenario of the engine's corpus it models as the
    /// engine's scenario evaluation does (the enforcement procedure, `policy::authorize`'s
    /// decision), and the corpus's expected decision.
    #[test]
    fn the_simulator_decides_the_corpus_as_enforcement() {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policy/tests/scenarios");
        let mut files = Vec::new();
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{e}"))
                .flatten()
            {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "json") {
                    files.push(path);
                }
            }
        }
        let (mut compared, mut skipped) = (0, 0);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
            let case: serde_json::Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
            let Some(scenario) = case.get("scenario") else {
                continue;
            };
            let Ok(enforced) = policy::evaluate_scenario(&scenario.to_string()) else {
                continue;
            };
            let Some(simulation) = scenario_simulation(scenario) else {
                skipped += 1;
                continue;
            };
            let action = scenario
                .get("action")
                .and_then(|a| a.as_str())
                .unwrap_or_default();
            let resource = scenario
                .get("resource")
                .and_then(|r| r.as_str())
                .unwrap_or("*");
            let simulated = simulation.evaluate(action, resource).decision;
            assert_eq!(simulated, enforced.decision, "{}", file.display());
            compared += 1;
        }
        eprintln!("{compared} scenarios compared, {skipped} not modelled");
        assert!(
            compared > 300,
            "only {compared} scenarios compared ({skipped} skipped)"
        );
    }
}
