//! STS: temporary credentials. GetCallerIdentity needs no permission and is never denied;
//! AssumeRole is decided by the role's trust policy and the caller's own policies, with the
//! same-account and cross-account rules of the engine.

use std::future::Future;
use std::sync::Arc;

use policy::{ContextValue, Policies, Policy, PolicyKind, Request as PolicyRequest};
use store::{RoleRecord, StoreError};
use wire::sts::{
    AssumeRoleRequest, AssumeRoleResponse, AssumedRoleUser, Credentials,
    DecodeAuthorizationMessageRequest, DecodeAuthorizationMessageResponse, FederatedUser,
    GetAccessKeyInfoRequest, GetAccessKeyInfoResponse, GetCallerIdentityRequest,
    GetCallerIdentityResponse, GetFederationTokenRequest, GetFederationTokenResponse,
    GetSessionTokenRequest, GetSessionTokenResponse, GetWebIdentityTokenRequest,
    GetWebIdentityTokenResponse, Operation, Request, Response,
};

use crate::authorize::{base_context, caller_policies, session_managed_policy, session_role};
use crate::caller::{Caller, Identity, role_arn};
use crate::error::{ServiceError, ServiceResult};
use crate::ids::{account_of_temporary_key, new_secret_access_key, new_temporary_key_id};
use crate::service::Service;
use crate::session::{ParsedPrincipal, Session, SessionKind};

/// Session policies (inline text plus managed ARNs) may not exceed this packed size.
const SESSION_POLICY_LIMIT: usize = 2_048;
/// At most this many managed session policies.
const SESSION_POLICY_ARNS: usize = 10;
/// Role chaining caps a session at one hour.
const CHAINED_MAX_SECONDS: i64 = 3_600;

/// A managed session policy that is neither AWS managed nor a policy of the session's
/// account (or does not exist): one answer for all, so nothing leaks across accounts.
fn unknown_session_policy(arn: &str) -> ServiceError {
    ServiceError::malformed_policy(format!(
        "Policy {arn} does not exist or is not a policy of the role's account."
    ))
}

/// AWS's denial text for when the engine gives none.
fn not_authorized(caller: &Caller, action: &str, resource: &str) -> String {
    format!(
        "User: {} is not authorized to perform: {action} on resource: {resource}",
        caller.arn()
    )
}

fn access_denied(caller: &Caller, action: &str, resource: &str) -> ServiceError {
    ServiceError::access_denied(not_authorized(caller, action, resource))
}

/// What temporary credentials are used to call: an IAM operation or an STS one.
#[derive(Clone, Copy)]
pub(crate) enum Called {
    Iam(wire::iam::Operation),
    Sts(Operation),
}

/// What a kind of temporary credentials may call (AWS's documented limits).
fn session_allows(caller: &Caller, called: Called) -> bool {
    let Some(session) = &caller.session else {
        return true;
    };
    match (&session.kind, called) {
        (SessionKind::Role { .. }, Called::Iam(_)) => true,
        (SessionKind::Role { .. }, Called::Sts(operation)) => !matches!(
            operation,
            Operation::GetSessionToken | Operation::GetFederationToken
        ),
        (SessionKind::User { .. }, Called::Iam(_)) => session.mfa,
        (SessionKind::User { .. }, Called::Sts(operation)) => {
            matches!(
                operation,
                Operation::AssumeRole | Operation::GetCallerIdentity
            ) || (session.mfa && operation != Operation::GetSessionToken)
        }
        // A person in the console may do what its policies allow, as with its own keys.
        (SessionKind::Console { .. }, _) => true,
        (SessionKind::Federated { .. }, Called::Iam(_)) => false,
        (SessionKind::Federated { .. }, Called::Sts(operation)) => {
            operation == Operation::GetCallerIdentity
        }
    }
}

/// A new role session's tags and source identity: the request's, plus what the calling
/// session passes along a chain.
struct SessionTags {
    tags: Vec<(String, String)>,
    transitive: Vec<String>,
    source_identity: Option<String>,
    /// The source identity comes from the calling session (keeping it needs no permission).
    inherited_source: bool,
}

fn session_tags(
    caller: &Caller,
    asked: Vec<wire::sts::Tag>,
    mut transitive: Vec<String>,
    asked_source: Option<&String>,
) -> ServiceResult<SessionTags> {
    let mut tags: Vec<(String, String)> = asked.into_iter().map(|t| (t.key, t.value)).collect();
    for key in &transitive {
        if !tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
            return Err(ServiceError::invalid_input(format!(
                "The transitive tag key {key} is not among the session tags."
            )));
        }
    }
    let mut inherited_source = None;
    if let Some(parent) = &caller.session {
        for key in &parent.transitive_tag_keys {
            if let Some((k, v)) = parent.tags.iter().find(|(k, _)| k == key) {
                if tags.iter().any(|(t, _)| t.eq_ignore_ascii_case(k)) {
                    return Err(ServiceError::invalid_input(format!(
                        "The session tag {k} is transitive from the calling session and cannot be set again."
                    )));
                }
                tags.push((k.clone(), v.clone()));
                transitive.push(k.clone());
            }
        }
        inherited_source = parent.source_identity.clone();
    }
    let source_identity = match (&inherited_source, asked_source) {
        (Some(inherited), Some(asked)) if inherited != asked => {
            return Err(ServiceError::access_denied(
                "The source identity cannot be changed once set in a role chain.",
            ));
        }
        (Some(inherited), _) => Some(inherited.clone()),
        (None, asked) => asked.cloned(),
    };
    Ok(SessionTags {
        tags,
        transitive,
        source_identity,
        inherited_source: inherited_source.is_some(),
    })
}

impl Service {
    /// Refuses what temporary credentials of the caller's kind may never call.
    pub(crate) fn check_session_limits(
        &self,
        caller: &Caller,
        called: Called,
    ) -> ServiceResult<()> {
        if session_allows(caller, called) {
            Ok(())
        } else {
            let action = match called {
                Called::Iam(operation) => operation.action(),
                Called::Sts(operation) => operation.action(),
            };
            Err(ServiceError::access_denied(format!(
                "User: {} is not authorized to perform: {action} with these temporary credentials",
                caller.arn()
            )))
        }
    }

    /// Runs one STS operation for an authenticated caller. No cache is dropped afterwards,
    /// whatever the models' access level says (AssumeRole is Write): sessions are sealed
    /// tokens, and the one store write, AssumeRole's role-use stamp, is usage data that no
    /// cache holds (like access keys' last-use stamps).
    pub async fn sts(&self, caller: &Caller, request: Request) -> ServiceResult<Response> {
        let operation = request.operation();
        if operation != Operation::GetCallerIdentity {
            self.check_session_limits(caller, Called::Sts(operation))?;
        }
        wire::sts::dispatch(self, caller, request).await
    }

    async fn get_caller_identity(
        &self,
        caller: &Caller,
    ) -> ServiceResult<GetCallerIdentityResponse> {
        Ok(GetCallerIdentityResponse {
            user_id: Some(caller.user_id()),
            account: Some(caller.account_id.clone()),
            arn: Some(caller.arn()),
        })
    }

    async fn get_access_key_info(
        &self,
        input: GetAccessKeyInfoRequest,
    ) -> ServiceResult<GetAccessKeyInfoResponse> {
        if let Some(account) = account_of_temporary_key(&input.access_key_id) {
            return Ok(GetAccessKeyInfoResponse {
                account: Some(account),
            });
        }
        let account = match self.reads().get_access_key(&input.access_key_id).await {
            Ok(key) => key.account_id,
            Err(StoreError::NoSuchEntity { .. }) => {
                return Err(ServiceError::invalid_input(format!(
                    "The access key {} is not known to this server.",
                    input.access_key_id
                )));
            }
            Err(other) => return Err(other.into()),
        };
        Ok(GetAccessKeyInfoResponse {
            account: Some(account),
        })
    }

    async fn decode_authorization_message(
        &self,
        caller: &Caller,
        input: DecodeAuthorizationMessageRequest,
    ) -> ServiceResult<DecodeAuthorizationMessageResponse> {
        self.allow_sts(caller, Operation::DecodeAuthorizationMessage.action(), "*")
            .await?;
        match crate::authorize::decode_denial(&self.sealer, &input.encoded_message) {
            Some((text, account)) if account == caller.account_id => {
                Ok(DecodeAuthorizationMessageResponse {
                    decoded_message: Some(text),
                })
            }
            _ => Err(ServiceError::sts(
                wire::sts::Error::InvalidAuthorizationMessage,
                "The message is not a valid authorization message of this account.",
            )),
        }
    }

    /// Validates session policies and returns (inline text, managed ARNs, packed size %).
    /// Managed session policies must be AWS managed or belong to `account` (the role's, or
    /// the federating user's): any other ARN gets one answer whether or not it exists, so
    /// AssumeRole is no oracle for another account's policy names.
    pub(crate) async fn session_policy_inputs(
        &self,
        account: &str,
        policy: Option<String>,
        policy_arns: Option<Vec<wire::sts::PolicyDescriptorType>>,
        tags: &[(String, String)],
    ) -> ServiceResult<(Option<String>, Vec<String>, Option<i32>)> {
        let arns: Vec<String> = policy_arns
            .unwrap_or_default()
            .into_iter()
            .filter_map(|d| d.arn)
            .collect();
        if arns.len() > SESSION_POLICY_ARNS {
            return Err(ServiceError::validation(format!(
                "1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to {SESSION_POLICY_ARNS}"
            )));
        }
        if let Some(text) = &policy {
            Policy::parse(text, PolicyKind::Session)?;
        }
        for arn in &arns {
            // A stored policy was validated as an identity policy (up to 6,144 characters);
            // the 2,048-character rule is the packed size's, counted below with the ARN.
            match session_managed_policy(self.reads(), account, arn).await {
                Ok(Some(_)) => {}
                Ok(None) => return Err(unknown_session_policy(arn)),
                Err(error) => return Err(error),
            }
        }
        let packed: usize = policy
            .as_deref()
            .map(|p| p.chars().filter(|c| !c.is_whitespace()).count())
            .unwrap_or_default()
            + arns.iter().map(String::len).sum::<usize>()
            + tags.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
        if packed > SESSION_POLICY_LIMIT {
            return Err(ServiceError::sts(
                wire::sts::Error::PackedPolicyTooLarge,
                format!(
                    "Packed size of consumed session policies and session tags exceeds the limit: {}%",
                    packed * 100 / SESSION_POLICY_LIMIT
                ),
            ));
        }
        let any = policy.is_some() || !arns.is_empty() || !tags.is_empty();
        let percent =
            i32::try_from(packed.saturating_mul(100).div_ceil(SESSION_POLICY_LIMIT)).unwrap_or(100);
        Ok((policy, arns, any.then_some(percent)))
    }

    /// Seals a new session and returns its credentials.
    pub(crate) fn issue(&self, session: &Session) -> ServiceResult<Credentials> {
        Ok(Credentials {
            access_key_id: session.access_key_id.clone(),
            secret_access_key: session.secret.clone(),
            session_token: session.seal(&self.sealer, self.generation())?,
            expiration: wire::Timestamp::from_unix_seconds(session.expires_at),
        })
    }

    async fn assume_role(
        &self,
        caller: &Caller,
        input: AssumeRoleRequest,
    ) -> ServiceResult<AssumeRoleResponse> {
        const ACTION: &str = Operation::AssumeRole.action();
        if caller.identity == Identity::Root {
            return Err(ServiceError::access_denied(
                "Roles may not be assumed by root accounts.",
            ));
        }
        let (role, arn) = self.role_to_assume(caller, &input.role_arn).await?;
        // The MFA code is checked (and spent) before the trust policy is read, whose
        // `aws:MultiFactorAuth*` conditions then see it.
        let mfa = (&input.serial_number, &input.token_code);
        let with_mfa = self.check_mfa_code(caller, mfa).await?;

        // Duration: the role's maximum, one hour when chaining.
        let chained = matches!(caller.identity, Identity::RoleSession { .. });
        let duration = i64::from(input.duration_seconds.unwrap_or(3_600));
        if chained && duration > CHAINED_MAX_SECONDS {
            return Err(ServiceError::validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            ));
        }
        if duration > role.max_session_duration {
            return Err(ServiceError::validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            ));
        }

        let asks_tags = input.tags.as_ref().is_some_and(|t| !t.is_empty());
        let session_tags = session_tags(
            caller,
            input.tags.unwrap_or_default(),
            input.transitive_tag_keys.clone().unwrap_or_default(),
            input.source_identity.as_ref(),
        )?;
        let (policy, policy_arns, packed) = self
            .session_policy_inputs(
                &role.account_id,
                input.policy,
                input.policy_arns,
                &session_tags.tags,
            )
            .await?;

        let mut actions = vec![ACTION];
        if asks_tags {
            actions.push("sts:TagSession");
        }
        if input.source_identity.is_some() && !session_tags.inherited_source {
            actions.push("sts:SetSourceIdentity");
        }
        let mut context = vec![(
            "sts:RoleSessionName",
            ContextValue::Single(input.role_session_name.clone()),
        )];
        if let Some(external) = &input.external_id {
            context.push(("sts:ExternalId", ContextValue::Single(external.clone())));
        }
        if let Some(source) = &input.source_identity {
            context.push(("sts:SourceIdentity", ContextValue::Single(source.clone())));
        }
        if with_mfa {
            context.push((
                "aws:MultiFactorAuthPresent",
                ContextValue::Single("true".into()),
            ));
            context.push(("aws:MultiFactorAuthAge", ContextValue::Single("0".into())));
        }
        self.trust_decision(caller, &role, &arn, &actions, context, &session_tags)
            .await?;
        let SessionTags {
            tags,
            transitive,
            source_identity,
            ..
        } = session_tags;

        let now = self.clock.seconds();
        let session = Session {
            access_key_id: new_temporary_key_id(&role.account_id)?,
            secret: new_secret_access_key()?.expose().to_owned(),
            account_id: role.account_id.clone(),
            kind: SessionKind::Role {
                role_arn: arn.clone(),
                role_id: role.role_id.clone(),
                session_name: input.role_session_name.clone(),
                chained,
                provider: None,
            },
            policy,
            policy_arns,
            tags,
            transitive_tag_keys: transitive,
            source_identity: source_identity.clone(),
            mfa: with_mfa || caller.session.as_ref().is_some_and(|s| s.mfa),
            mfa_at: if with_mfa {
                Some(now)
            } else {
                caller.session.as_ref().and_then(|s| s.mfa_at)
            },
            issued_at: now,
            expires_at: now + duration,
            principal: ParsedPrincipal::default(),
        };
        let credentials = self.issue(&session)?;
        self.record_role_use(&role.role_id, now, &caller.request.region)
            .await;
        Ok(AssumeRoleResponse {
            credentials: Some(credentials),
            assumed_role_user: Some(AssumedRoleUser {
                assumed_role_id: format!("{}:{}", role.role_id, input.role_session_name),
                arn: format!(
                    "arn:aws:sts::{}:assumed-role/{}/{}",
                    role.account_id, role.name, input.role_session_name
                ),
            }),
            packed_policy_size: packed,
            source_identity,
            session_token_utilization: None,
            session_token_size: None,
        })
    }

    /// The role an AssumeRole names, with its ARN. Text that is not an ARN is AWS's
    /// `ValidationError`; an ARN that names no role of this server (an unknown role, or not a
    /// role at all) reads as a plain denial, as in AWS.
    async fn role_to_assume(
        &self,
        caller: &Caller,
        role_arn_text: &str,
    ) -> ServiceResult<(RoleRecord, String)> {
        const ACTION: &str = Operation::AssumeRole.action();
        self.role_named_by(role_arn_text)
            .await?
            .ok_or_else(|| access_denied(caller, ACTION, role_arn_text))
    }

    /// The role a role ARN names, with its canonical ARN; `None` when it names no role of
    /// this server (an unknown role, another kind of resource, a path that differs). Text
    /// that is not an ARN is AWS's `ValidationError` "<text> is invalid".
    pub(crate) async fn role_named_by(
        &self,
        role_arn_text: &str,
    ) -> ServiceResult<Option<(RoleRecord, String)>> {
        let parsed = policy::Arn::parse(role_arn_text)
            .filter(|a| !a.partition.is_empty() && !a.service.is_empty() && !a.resource.is_empty())
            .ok_or_else(|| ServiceError::validation(format!("{role_arn_text} is invalid")))?;
        let Some(role_name) = parsed
            .resource
            .strip_prefix("role/")
            .filter(|_| parsed.service == "iam")
            .map(|path_and_name| path_and_name.rsplit('/').next().unwrap_or_default())
        else {
            return Ok(None);
        };
        let role = match self.reads().get_role(parsed.account, role_name).await {
            Ok(role) => role,
            Err(StoreError::NoSuchEntity { .. }) => return Ok(None),
            Err(other) => return Err(other.into()),
        };
        let arn = role_arn(&role.account_id, &role.path, &role.name);
        Ok((arn == role_arn_text).then_some((role, arn)))
    }

    /// The AssumeRole decision, for each action the request needs: the role's trust policy
    /// as the resource policy, the caller's own policies, boundary and session policies on
    /// the principal side, one engine decision each.
    async fn trust_decision(
        &self,
        caller: &Caller,
        role: &RoleRecord,
        arn: &str,
        actions: &[&str],
        request_context: Vec<(&str, ContextValue)>,
        session: &SessionTags,
    ) -> ServiceResult<()> {
        // The trust policy is bound to the identities it named when stored: a namesake of a
        // deleted principal is not the principal.
        let trust = self.trust_for(role, caller).await?;
        let caller_side = caller_policies(self.reads(), self.policy_cache(), caller).await?;
        let tags_of_caller = caller_side
            .compiled
            .as_ref()
            .map(|c| c.tags.clone())
            .unwrap_or_default();
        let mut context = base_context(caller, self.clock.now(), &tags_of_caller);
        let single = |text: &str| ContextValue::Single(text.to_owned());
        for (key, value) in request_context {
            context.insert(key, value);
        }
        let SessionTags {
            tags, transitive, ..
        } = session;
        for (key, value) in tags {
            context.insert(&format!("aws:RequestTag/{key}"), single(value));
        }
        if !tags.is_empty() {
            context.insert(
                "aws:TagKeys",
                ContextValue::Multi(tags.iter().map(|(k, _)| k.clone()).collect()),
            );
        }
        if !transitive.is_empty() {
            context.insert(
                "sts:TransitiveTagKeys",
                ContextValue::Multi(transitive.clone()),
            );
        }
        context.insert("aws:ResourceAccount", single(&role.account_id));
        // The caller's account's SCPs bind the caller, the role's account's RCPs the role.
        let cache = &self.policy_cache().guardrails;
        let caller_guard =
            crate::guardrails::guardrails(self.reads(), cache, &caller.account_id).await?;
        let role_guard =
            crate::guardrails::guardrails(self.reads(), cache, &role.account_id).await?;
        if let Some(guard) = &caller_guard {
            for (key, value) in guard.principal_context() {
                context.insert(key, value);
            }
        }
        if let Some(guard) = &role_guard {
            for (key, value) in guard.resource_context() {
                context.insert(key, value);
            }
        }
        // The engine works in the caller's partition, where the trust policy was written.
        let resource = caller.partition().swap(arn);
        let policies = Policies {
            identity: caller_side.compiled.as_ref().map(|c| &c.identity),
            boundary: caller_side
                .compiled
                .as_ref()
                .and_then(|c| c.boundary.as_ref()),
            session: caller_side.session.as_deref(),
            resource: Some(&*trust),
            resource_is_trust: true,
            service_control: caller_guard.as_ref().and_then(|g| g.scp.as_deref()),
            resource_control: role_guard.as_ref().and_then(|g| g.rcp.as_deref()),
        };
        for &action in actions {
            let request = PolicyRequest {
                principal: &caller_side.principal,
                action,
                resource: &resource,
                resource_account: Some(&role.account_id),
                context: &context,
            };
            let evaluation = policy::authorize(&request, &policies);
            if !evaluation.decision.is_allowed() {
                let message = crate::authorize::denial_message(caller, &evaluation, &request)
                    .unwrap_or_else(|| not_authorized(caller, action, arn));
                return Err(crate::authorize::denial(
                    self.denial_encoder(),
                    message,
                    caller,
                    &evaluation,
                    action,
                    &resource,
                    &context,
                ));
            }
        }
        Ok(())
    }

    async fn get_session_token(
        &self,
        caller: &Caller,
        input: GetSessionTokenRequest,
    ) -> ServiceResult<GetSessionTokenResponse> {
        let (user_id, max, default) = match &caller.identity {
            Identity::Root => (None, 3_600, 3_600),
            Identity::User(user) => (Some(user.user_id.clone()), 129_600, 43_200),
            _ => {
                return Err(ServiceError::access_denied(
                    "Cannot call GetSessionToken with session credentials",
                ));
            }
        };
        if caller.session.is_some() {
            return Err(ServiceError::access_denied(
                "Cannot call GetSessionToken with session credentials",
            ));
        }
        let mfa = (&input.serial_number, &input.token_code);
        let with_mfa = self.check_mfa_code(caller, mfa).await?;
        let duration = i64::from(input.duration_seconds.unwrap_or(default)).min(max);
        let now = self.clock.seconds();
        let session = Session {
            access_key_id: new_temporary_key_id(&caller.account_id)?,
            secret: new_secret_access_key()?.expose().to_owned(),
            account_id: caller.account_id.clone(),
            kind: SessionKind::User { user_id },
            policy: None,
            policy_arns: Vec::new(),
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            source_identity: None,
            mfa: with_mfa,
            mfa_at: with_mfa.then_some(now),
            issued_at: now,
            expires_at: now + duration,
            principal: ParsedPrincipal::default(),
        };
        Ok(GetSessionTokenResponse {
            credentials: Some(self.issue(&session)?),
            session_token_utilization: None,
            session_token_size: None,
        })
    }

    async fn get_federation_token(
        &self,
        caller: &Caller,
        input: GetFederationTokenRequest,
    ) -> ServiceResult<GetFederationTokenResponse> {
        let (user_id, max) = match &caller.identity {
            Identity::User(user) if caller.session.is_none() => (user.user_id.clone(), 129_600),
            Identity::Root if caller.session.is_none() => {
                return Err(ServiceError::access_denied(
                    "GetFederationToken by the root user is not supported by Castellan: call it as an IAM user.",
                ));
            }
            _ => {
                return Err(ServiceError::access_denied(
                    "Cannot call GetFederationToken with session credentials",
                ));
            }
        };
        let resource = format!(
            "arn:aws:sts::{}:federated-user/{}",
            caller.account_id, input.name
        );
        self.allow_sts(caller, Operation::GetFederationToken.action(), &resource)
            .await?;
        let tags: Vec<(String, String)> = input
            .tags
            .unwrap_or_default()
            .into_iter()
            .map(|t| (t.key, t.value))
            .collect();
        let (policy, policy_arns, packed) = self
            .session_policy_inputs(&caller.account_id, input.policy, input.policy_arns, &tags)
            .await?;
        let duration = i64::from(input.duration_seconds.unwrap_or(43_200)).min(max);
        let now = self.clock.seconds();
        let session = Session {
            access_key_id: new_temporary_key_id(&caller.account_id)?,
            secret: new_secret_access_key()?.expose().to_owned(),
            account_id: caller.account_id.clone(),
            kind: SessionKind::Federated {
                name: input.name.clone(),
                user_id,
            },
            policy,
            policy_arns,
            tags,
            transitive_tag_keys: Vec::new(),
            source_identity: None,
            mfa: false,
            mfa_at: None,
            issued_at: now,
            expires_at: now + duration,
            principal: ParsedPrincipal::default(),
        };
        Ok(GetFederationTokenResponse {
            credentials: Some(self.issue(&session)?),
            federated_user: Some(FederatedUser {
                federated_user_id: format!("{}:{}", caller.account_id, input.name),
                arn: resource,
            }),
            packed_policy_size: packed,
            session_token_utilization: None,
            session_token_size: None,
        })
    }

    async fn allow_sts(&self, caller: &Caller, action: &str, resource: &str) -> ServiceResult<()> {
        self.allow_action(caller, action, resource, Vec::new())
            .await
    }

    /// Opens the session a temporary key presents, for the SigV4 lookup (no I/O).
    pub fn open_session(
        &self,
        access_key_id: &str,
        token: &str,
    ) -> Result<Arc<Session>, crate::session::TokenProblem> {
        let now = self.clock.seconds();
        let generation = self.generation();
        if let Some(session) = self.opened_token(access_key_id, token, generation) {
            if now >= session.expires_at {
                return Err(crate::session::TokenProblem::Expired);
            }
            return Ok(session);
        }
        let session = Arc::new(Session::open(
            &self.sealer,
            token,
            access_key_id,
            now,
            generation,
        )?);
        self.keep_opened_token(access_key_id, token, generation, &session);
        Ok(session)
    }

    /// The caller behind a verified temporary key.
    pub async fn session_caller(
        &self,
        session: Arc<Session>,
        request: crate::caller::RequestInfo,
    ) -> ServiceResult<Caller> {
        let identity = match self.session_identity(&session).await {
            Ok(identity) => identity,
            // The role or user behind the session is gone: the token no longer names anyone.
            Err(error) if error.is_no_such_entity() => return Err(ServiceError::invalid_token()),
            Err(error) => return Err(error),
        };
        Ok(Caller {
            account_id: session.account_id.clone(),
            identity,
            access_key_id: session.access_key_id.clone(),
            request,
            session: Some(session),
        })
    }

    async fn session_identity(&self, session: &Session) -> ServiceResult<Identity> {
        Ok(match &session.kind {
            SessionKind::Role {
                role_id,
                session_name,
                ..
            } => Identity::RoleSession {
                role: session_role(self.reads(), self.policy_cache(), role_id).await?,
                session_name: session_name.clone(),
            },
            SessionKind::User { user_id: None } | SessionKind::Console { user_id: None } => {
                Identity::Root
            }
            SessionKind::User {
                user_id: Some(user_id),
            }
            | SessionKind::Console {
                user_id: Some(user_id),
            } => Identity::User(self.reads().get_user_by_id(user_id).await?),
            SessionKind::Federated { name, user_id } => Identity::FederatedUser {
                user: self.reads().get_user_by_id(user_id).await?,
                name: name.clone(),
            },
        })
    }

    /// Revokes every session of a role issued before now, as AWS's "revoke active sessions"
    /// does: an inline policy on the role denying everything to tokens issued earlier.
    pub async fn revoke_role_sessions(
        &self,
        account_id: &str,
        role_name: &str,
    ) -> ServiceResult<()> {
        let role = self.reads().get_role(account_id, role_name).await?;
        let now = wire::Timestamp::from_unix_seconds(self.clock.seconds());
        let document = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":["*"],"Resource":["*"],"Condition":{{"DateLessThan":{{"aws:TokenIssueTime":"{now}"}}}}}}]}}"#
        );
        self.store
            .put_inline_policy(
                &store::Principal::role(&role.role_id),
                "AWSRevokeOlderSessions",
                &policy::Policy::parse(&document, policy::PolicyKind::Identity)
                    .map_err(|e| ServiceError::internal(&e))?,
            )
            .await?;
        self.after_write().await;
        Ok(())
    }
}

/// The one implementation of the models' STS surface; operations not listed answer
/// `NotImplemented`.
impl wire::sts::StsOperations for Service {
    type Context = Caller;
    type Error = ServiceError;

    fn not_implemented(&self, operation: Operation) -> ServiceError {
        ServiceError::not_implemented(operation.name())
    }

    fn assume_role(
        &self,
        caller: &Caller,
        input: AssumeRoleRequest,
    ) -> impl Future<Output = ServiceResult<AssumeRoleResponse>> + Send {
        Service::assume_role(self, caller, input)
    }

    fn decode_authorization_message(
        &self,
        caller: &Caller,
        input: DecodeAuthorizationMessageRequest,
    ) -> impl Future<Output = ServiceResult<DecodeAuthorizationMessageResponse>> + Send {
        Service::decode_authorization_message(self, caller, input)
    }

    fn get_access_key_info(
        &self,
        _caller: &Caller,
        input: GetAccessKeyInfoRequest,
    ) -> impl Future<Output = ServiceResult<GetAccessKeyInfoResponse>> + Send {
        Service::get_access_key_info(self, input)
    }

    fn get_caller_identity(
        &self,
        caller: &Caller,
        _input: GetCallerIdentityRequest,
    ) -> impl Future<Output = ServiceResult<GetCallerIdentityResponse>> + Send {
        Service::get_caller_identity(self, caller)
    }

    fn get_federation_token(
        &self,
        caller: &Caller,
        input: GetFederationTokenRequest,
    ) -> impl Future<Output = ServiceResult<GetFederationTokenResponse>> + Send {
        Service::get_federation_token(self, caller, input)
    }

    fn get_session_token(
        &self,
        caller: &Caller,
        input: GetSessionTokenRequest,
    ) -> impl Future<Output = ServiceResult<GetSessionTokenResponse>> + Send {
        Service::get_session_token(self, caller, input)
    }

    fn get_web_identity_token(
        &self,
        caller: &Caller,
        input: GetWebIdentityTokenRequest,
    ) -> impl Future<Output = ServiceResult<GetWebIdentityTokenResponse>> + Send {
        Service::get_web_identity_token(self, caller, input)
    }
}
