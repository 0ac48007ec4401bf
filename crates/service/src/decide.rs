//! The decision API's service half: who a question is about (an ARN, a long-term access key
//! id, or the signer of a forwarded request), whether the asker may ask
//! (`castellan:Authorize` on that principal's ARN), and the decision itself, by the engine
//! enforcement uses, over the principal's policies, its organization's guardrails and an
//! optional resource policy.

use std::sync::Arc;

use policy::{Context, ContextValue, Decision, Policies, Policy, PolicyKind, PolicySet, Request};
use store::StoreError;

use crate::authorize::{CallerPolicies, Extra, authorize, caller_policies, denial_message};
use crate::caller::{Caller, Identity, RequestInfo};
use crate::error::{ServiceError, ServiceResult};
use crate::guardrails::guardrails;
use crate::service::Service;

/// The action a decision API caller needs, on the ARN of the principal it asks about.
pub const AUTHORIZE_ACTION: &str = "castellan:Authorize";

/// The session name a role named by its ARN is decided as.
const ROLE_SESSION_NAME: &str = "castellan-decision";

/// Services whose resources resource control policies guard (AWS's list); for others an
/// organization's RCPs do not apply.
const RCP_SERVICES: &[&str] = &[
    "s3",
    "sts",
    "kms",
    "sqs",
    "secretsmanager",
    "ecr",
    "cognito-identity",
    "aoss",
    "logs",
    "dynamodb",
];

/// One question: may the principal do `action` on `resource`?
#[derive(Debug, Clone, Default)]
pub struct Question {
    /// `service:Action`.
    pub action: String,
    /// The resource ARN, or `*`.
    pub resource: String,
    /// Condition keys of the request, beyond what Castellan knows of the principal (which a
    /// key given here replaces).
    pub context: Vec<(String, ContextValue)>,
    /// The resource's own policy (JSON), if it has one.
    pub resource_policy: Option<String>,
    /// The account that owns the resource, when its ARN does not say (S3 buckets); by
    /// default the ARN's, else the principal's.
    pub resource_account: Option<String>,
}

/// A statement that bears on the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    /// `identity`, `resource`, `boundary`, `session`, `scp` or `rcp`.
    pub policy_type: &'static str,
    /// The policy's label: its ARN, `<kind>/<owner>/<name>` for an inline policy, or
    /// `ResourcePolicy`.
    pub policy: String,
    /// The statement's index in its policy (from 0).
    pub statement: u32,
    pub sid: Option<String>,
    /// `Allow` or `Deny`.
    pub effect: &'static str,
}

/// The answer to a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub decision: Decision,
    /// The principal decided for.
    pub principal_arn: String,
    pub account_id: String,
    pub matched: Vec<MatchedStatement>,
    /// AWS's AccessDenied message when the decision is a denial.
    pub message: Option<String>,
}

impl Service {
    /// The principal a reference names, as a caller with `info`'s request facts: a user,
    /// role (decided as a session of it), assumed-role session or root ARN, or a long-term
    /// access key id (its user, or its account's root). A temporary key is known only with
    /// its session token: its questions come as forwarded requests.
    pub async fn principal_named(
        &self,
        reference: &str,
        info: RequestInfo,
    ) -> ServiceResult<Caller> {
        let reference = reference.trim();
        if !reference.starts_with("arn:") {
            return self.principal_of_key(reference, info).await;
        }
        let unknown = || {
            ServiceError::invalid_input(format!(
                "The principal {reference} is not a user, role, assumed-role or root ARN."
            ))
        };
        let parts: Vec<&str> = reference.splitn(6, ':').collect();
        let [_, _, service, _, account, resource] = parts[..] else {
            return Err(unknown());
        };
        let reads = self.reads();
        let identity = match (service, resource.split_once('/')) {
            ("iam", None) if resource == "root" => {
                reads.get_account(account).await?;
                Identity::Root
            }
            ("iam", Some(("user", path_name))) => {
                let (path, name) = split_path(path_name);
                let user = reads.get_user(account, name).await?;
                if user.path != path {
                    return Err(StoreError::NoSuchEntity {
                        kind: store::EntityKind::User,
                        name: name.to_owned(),
                    }
                    .into());
                }
                Identity::User(user)
            }
            ("iam", Some(("role", path_name))) => {
                let (path, name) = split_path(path_name);
                let role = reads.get_role(account, name).await?;
                if role.path != path {
                    return Err(StoreError::NoSuchEntity {
                        kind: store::EntityKind::Role,
                        name: name.to_owned(),
                    }
                    .into());
                }
                Identity::RoleSession {
                    role: Arc::new(role),
                    session_name: ROLE_SESSION_NAME.to_owned(),
                }
            }
            ("sts", Some(("assumed-role", role_session))) => {
                let (role_name, session_name) = role_session.split_once('/').ok_or_else(unknown)?;
                let role = reads.get_role(account, role_name).await?;
                Identity::RoleSession {
                    role: Arc::new(role),
                    session_name: session_name.to_owned(),
                }
            }
            _ => return Err(unknown()),
        };
        Ok(Caller {
            account_id: account.to_owned(),
            identity,
            access_key_id: String::new(),
            request: info,
            session: None,
        })
    }

    async fn principal_of_key(
        &self,
        access_key_id: &str,
        info: RequestInfo,
    ) -> ServiceResult<Caller> {
        if access_key_id.starts_with("ASIA") {
            return Err(ServiceError::invalid_input(
                "A temporary access key is known only with its session token: forward the \
                 signed request instead.",
            ));
        }
        let Some(key) = self.signing_key(access_key_id).await? else {
            return Err(ServiceError::invalid_input(format!(
                "The access key {access_key_id} does not exist."
            )));
        };
        // Asking about a key is not a use of it: no last-used stamp.
        let identity = match &key.user_id {
            None => Identity::Root,
            Some(user_id) => Identity::User(self.reads().get_user_by_id(user_id).await?),
        };
        Ok(Caller {
            account_id: key.account_id.clone(),
            identity,
            access_key_id: key.access_key_id.clone(),
            request: info,
            session: None,
        })
    }

    /// Whether `asker` may ask about `principal`: `castellan:Authorize` on the principal's
    /// ARN (its role's for a session), within the asker's own account.
    pub async fn allow_question(&self, asker: &Caller, principal: &Caller) -> ServiceResult<()> {
        let arn = principal.principal_arn();
        if principal.account_id != asker.account_id {
            return Err(ServiceError::access_denied(format!(
                "User: {} is not authorized to perform: {AUTHORIZE_ACTION} on resource: {arn} \
                 because the principal is in another account",
                asker.arn()
            )));
        }
        authorize(
            self.reads(),
            self.policy_cache(),
            None,
            asker,
            self.clock.now(),
            AUTHORIZE_ACTION,
            &arn,
            Extra::default(),
        )
        .await
    }

    /// Decides `question` for `principal`, as enforcement decides: its identity policies,
    /// boundary and session policies, its organization's SCPs, the resource account's RCPs
    /// (for the services they guard) and the resource policy given.
    pub async fn decide(&self, principal: &Caller, question: &Question) -> ServiceResult<Answer> {
        let resource_policy = question
            .resource_policy
            .as_deref()
            .map(|text| {
                Policy::parse(text, PolicyKind::Resource)
                    .map_err(|e| ServiceError::malformed_policy(e.to_string()))
            })
            .transpose()?;
        let resource_set = resource_policy
            .as_ref()
            .map(|policy| PolicySet::new([("ResourcePolicy".to_owned(), policy)]));
        let resource_account = question
            .resource_account
            .clone()
            .or_else(|| account_of(&question.resource))
            .unwrap_or_else(|| principal.account_id.clone());
        let reads = self.reads();
        let cache = self.policy_cache();
        let root = principal.identity == Identity::Root;
        let policies = if root {
            None
        } else {
            Some(caller_policies(reads, cache, principal).await?)
        };
        let scps = guardrails(reads, &cache.guardrails, &principal.account_id).await?;
        let rcps = if RCP_SERVICES.contains(&service_of(&question.action).as_str()) {
            guardrails(reads, &cache.guardrails, &resource_account).await?
        } else {
            None
        };
        let mut context = self.decision_context(principal, policies.as_ref());
        for (key, value) in scps
            .iter()
            .flat_map(|g| g.principal_context())
            .chain(rcps.iter().flat_map(|g| g.resource_context()))
        {
            context.insert(key, value);
        }
        for (key, value) in &question.context {
            context.insert(key, value.clone());
        }
        let root_principal;
        let engine_principal = match &policies {
            Some(policies) => &policies.principal,
            None => {
                root_principal = policy::Principal::parse(&principal.arn())
                    .map_err(|e| ServiceError::internal(&e))?;
                &root_principal
            }
        };
        let request = Request {
            principal: engine_principal,
            action: &question.action,
            resource: &question.resource,
            resource_account: Some(&resource_account),
            context: &context,
        };
        // The root user is not restricted by its own account's policies nor, as in
        // enforcement, by SCPs; allow-all stands for its identity policies, so other
        // accounts' RCPs and resource policies still decide.
        let everything = root.then(allow_everything).flatten();
        let sets = Policies {
            identity: policies
                .as_ref()
                .and_then(|p| p.compiled.as_ref().map(|c| &c.identity))
                .or(everything.as_ref()),
            boundary: policies
                .as_ref()
                .and_then(|p| p.compiled.as_ref().and_then(|c| c.boundary.as_ref())),
            session: policies.as_ref().and_then(|p| p.session.as_deref()),
            resource: resource_set.as_ref(),
            service_control: if root {
                None
            } else {
                scps.as_deref().and_then(|g| g.scp.as_deref())
            },
            resource_control: rcps.as_deref().and_then(|g| g.rcp.as_deref()),
            ..Policies::default()
        };
        let (evaluation, matched) = policy::explain(&request, &sets);
        let message = if evaluation.decision.is_allowed() {
            None
        } else {
            denial_message(principal, &evaluation, &request)
        };
        Ok(Answer {
            decision: evaluation.decision,
            principal_arn: principal.arn(),
            account_id: principal.account_id.clone(),
            matched: matched
                .into_iter()
                .map(|m| MatchedStatement {
                    policy_type: m.policy_type.key(),
                    policy: m.policy,
                    statement: m.statement,
                    sid: m.sid,
                    effect: match m.effect {
                        policy::Effect::Allow => "Allow",
                        policy::Effect::Deny => "Deny",
                    },
                })
                .collect(),
            message,
        })
    }

    /// What Castellan knows of the principal (as enforcement builds it) and of the request:
    /// its time, and for a forwarded request its region. Whether the original request came
    /// over TLS is the asker's to say (`aws:SecureTransport` in the question's context):
    /// Castellan saw only the asker's connection.
    fn decision_context(&self, principal: &Caller, policies: Option<&CallerPolicies>) -> Context {
        let tags = policies
            .and_then(|p| p.compiled.as_ref())
            .map_or(&[][..], |c| &c.tags[..]);
        let context = crate::authorize::base_context(principal, self.clock.now(), tags);
        Context::from_pairs(
            context
                .iter()
                .filter(|(key, _)| *key != "aws:SecureTransport")
                .map(|(key, value)| (key.to_owned(), value.clone()))
                .collect::<Vec<_>>(),
        )
    }
}

/// `path/name` of an entity ARN's resource part, split as IAM stores it (`/a/b/`, `name`).
fn split_path(path_name: &str) -> (String, &str) {
    match path_name.rsplit_once('/') {
        Some((path, name)) => (format!("/{path}/"), name),
        None => ("/".to_owned(), path_name),
    }
}

/// The account an ARN names, if it names one.
fn account_of(arn: &str) -> Option<String> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then(|| account.to_owned())
}

/// The lower-cased service prefix of `service:Action`.
fn service_of(action: &str) -> String {
    action
        .split_once(':')
        .map_or("", |(service, _)| service)
        .to_ascii_lowercase()
}

fn allow_everything() -> Option<PolicySet> {
    let text =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    Policy::parse(text, PolicyKind::Identity)
        .ok()
        .map(|policy| PolicySet::new([("root".to_owned(), &policy)]))
}
