//! Federation into roles: the two STS operations that take no signature (an identity
//! provider's token or assertion is the credential), and the role session they share.
//! `oidc.rs` checks web identity tokens, `saml.rs` SAML assertions; both end here, in
//! [`Service::assume_federated`]: the role's trust policy decides for the provider as
//! principal, and a role session is sealed.

mod assertion;
mod c14n;
pub(crate) mod jwks;
pub(crate) mod jwt;
mod oidc;
mod saml;
mod saml_keys;
mod saml_sign_in;
mod xmldsig;
mod xmlenc;

pub use saml_sign_in::SamlSignIn;

pub(crate) use jwks::KeyFetcher;
pub use jwks::{HttpsGet, HttpsGetResult};

use policy::{Context, ContextValue, Policies, Principal, Request as PolicyRequest};
use wire::sts::{AssumedRoleUser, Credentials, PolicyDescriptorType, Request, Response};

use crate::authorize::insert_request_facts;
use crate::caller::RequestInfo;
use crate::error::{ServiceError, ServiceResult};
use crate::ids::{new_secret_access_key, new_temporary_key_id};
use crate::service::Service;
use crate::session::{Session, SessionKind};

/// At most this many session tags, as for AssumeRole.
const SESSION_TAGS: usize = 50;
/// A session lives one hour unless the request says otherwise.
const DEFAULT_DURATION: i32 = 3_600;

/// What a verified token or assertion asks for: the role, the provider that vouches for
/// the caller, and what the session will carry.
#[derive(Debug)]
pub(crate) struct FederatedAssume {
    /// The role ARN as the request gave it.
    pub role_arn: String,
    /// The provider as a trust policy's `Federated` entry names it: an OIDC or SAML
    /// provider ARN, or a well-known provider's name (`accounts.google.com`).
    pub provider: String,
    /// `sts:AssumeRoleWithWebIdentity` or `sts:AssumeRoleWithSAML`.
    pub action: &'static str,
    /// The session name (from the request, or from the assertion's attribute).
    pub session_name: String,
    /// The request's (or the assertion's) duration.
    pub duration_seconds: Option<i32>,
    /// The inline session policy.
    pub policy: Option<String>,
    /// The managed session policies.
    pub policy_arns: Option<Vec<PolicyDescriptorType>>,
    /// Session tags from the token's or assertion's claims.
    pub tags: Vec<(String, String)>,
    /// Which of them pass on to chained sessions.
    pub transitive_tag_keys: Vec<String>,
    /// The source identity the token or assertion sets.
    pub source_identity: Option<String>,
    /// The provider's condition keys (`<host>:aud`, `saml:sub`, ...), for the trust policy.
    pub context: Vec<(String, ContextValue)>,
}

/// The session a federated caller gets.
#[derive(Debug)]
pub(crate) struct FederatedSession {
    /// The session as sealed into the credentials' token (a console sign-in keeps it).
    pub session: Session,
    pub credentials: Credentials,
    pub assumed_role_user: AssumedRoleUser,
    pub packed_policy_size: Option<i32>,
    pub source_identity: Option<String>,
}

/// AWS's one answer for every refusal of the role (unknown, not trusted): the caller learns
/// nothing about which roles exist.
fn not_authorized(action: &str) -> ServiceError {
    ServiceError::access_denied(format!("Not authorized to perform {action}"))
}

/// Session tags as AWS bounds them: at most 50, each transitive key among them.
fn check_tags(tags: &[(String, String)], transitive: &[String]) -> ServiceResult<()> {
    if tags.len() > SESSION_TAGS {
        return Err(ServiceError::validation(format!(
            "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to {SESSION_TAGS}"
        )));
    }
    for key in transitive {
        if !tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
            return Err(ServiceError::invalid_input(format!(
                "The transitive tag key {key} is not among the session tags."
            )));
        }
    }
    Ok(())
}

impl Service {
    /// Runs one of the STS operations that AWS serves without a signature:
    /// AssumeRoleWithWebIdentity and AssumeRoleWithSAML. Any other operation needs a signed
    /// request (the server routes only these two here).
    pub async fn sts_unsigned(
        &self,
        info: RequestInfo,
        request: Request,
    ) -> ServiceResult<Response> {
        match request {
            Request::AssumeRoleWithWebIdentity(input) => self
                .assume_role_with_web_identity(&info, input)
                .await
                .map(Response::AssumeRoleWithWebIdentity),
            Request::AssumeRoleWithSAML(input) => self
                .assume_role_with_saml(&info, input)
                .await
                .map(Response::AssumeRoleWithSAML),
            other => Err(ServiceError::not_implemented(other.operation().name())),
        }
    }

    /// The role session a verified token or assertion asks for, if the role's trust policy
    /// lets its provider in: duration within the role's maximum, session policies and tags
    /// checked as for AssumeRole, `sts:TagSession` and `sts:SetSourceIdentity` decided too.
    pub(crate) async fn assume_federated(
        &self,
        info: &RequestInfo,
        asked: FederatedAssume,
    ) -> ServiceResult<FederatedSession> {
        let Some((role, arn)) = self.role_named_by(&asked.role_arn).await? else {
            return Err(not_authorized(asked.action));
        };
        let duration = i64::from(asked.duration_seconds.unwrap_or(DEFAULT_DURATION));
        if duration > role.max_session_duration {
            return Err(ServiceError::validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            ));
        }
        check_tags(&asked.tags, &asked.transitive_tag_keys)?;
        let (policy, policy_arns, packed) = self
            .session_policy_inputs(
                &role.account_id,
                asked.policy,
                asked.policy_arns,
                &asked.tags,
            )
            .await?;

        let mut actions = vec![asked.action];
        if !asked.tags.is_empty() {
            actions.push("sts:TagSession");
        }
        if asked.source_identity.is_some() {
            actions.push("sts:SetSourceIdentity");
        }
        let single = |text: &str| ContextValue::Single(text.to_owned());
        let mut context = Context::new();
        insert_request_facts(&mut context, info, self.clock().now());
        for (key, value) in &asked.context {
            context.insert(key, value.clone());
        }
        context.insert("sts:RoleSessionName", single(&asked.session_name));
        if let Some(source) = &asked.source_identity {
            context.insert("sts:SourceIdentity", single(source));
        }
        for (key, value) in &asked.tags {
            context.insert(&format!("aws:RequestTag/{key}"), single(value));
        }
        if !asked.tags.is_empty() {
            context.insert(
                "aws:TagKeys",
                ContextValue::Multi(asked.tags.iter().map(|(k, _)| k.clone()).collect()),
            );
        }
        if !asked.transitive_tag_keys.is_empty() {
            context.insert(
                "sts:TransitiveTagKeys",
                ContextValue::Multi(asked.transitive_tag_keys.clone()),
            );
        }
        context.insert("aws:ResourceAccount", single(&role.account_id));

        // A provider has no identity policies: the trust policy alone decides. Federated
        // entries are not bound to unique ids (providers have none), so the role's cached
        // trust policy serves.
        let trust = self.trust_of(&role)?;
        let principal = Principal::identity_provider(&asked.provider);
        let policies = Policies {
            resource: Some(&*trust),
            resource_is_trust: true,
            ..Policies::default()
        };
        for &action in &actions {
            let request = PolicyRequest {
                principal: &principal,
                action,
                resource: &arn,
                resource_account: Some(&role.account_id),
                context: &context,
            };
            if !policy::authorize(&request, &policies).decision.is_allowed() {
                return Err(not_authorized(asked.action));
            }
        }

        let now = self.clock().seconds();
        let session = Session {
            access_key_id: new_temporary_key_id(&role.account_id)?,
            secret: new_secret_access_key()?.expose().to_owned(),
            account_id: role.account_id.clone(),
            kind: SessionKind::Role {
                role_arn: arn.clone(),
                role_id: role.role_id.clone(),
                session_name: asked.session_name.clone(),
                chained: false,
                provider: Some(asked.provider),
            },
            policy,
            policy_arns,
            tags: asked.tags,
            transitive_tag_keys: asked.transitive_tag_keys,
            source_identity: asked.source_identity.clone(),
            mfa: false,
            mfa_at: None,
            issued_at: now,
            expires_at: now + duration,
        };
        let credentials = self.issue(&session)?;
        if let Err(error) = self
            .store
            .record_role_use(&role.role_id, now, &info.region)
            .await
        {
            tracing::warn!(%error, "could not record role use");
        }
        Ok(FederatedSession {
            session,
            credentials,
            assumed_role_user: AssumedRoleUser {
                assumed_role_id: format!("{}:{}", role.role_id, asked.session_name),
                arn: format!(
                    "arn:aws:sts::{}:assumed-role/{}/{}",
                    role.account_id, role.name, asked.session_name
                ),
            },
            packed_policy_size: packed,
            source_identity: asked.source_identity,
        })
    }
}
