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
use crate::session::{ParsedPrincipal, Session, SessionKind};

/// The action of AssumeRoleWithWebIdentity, as trust policies name it.
pub(crate) const WEB_IDENTITY: &str = "sts:AssumeRoleWithWebIdentity";
/// At most this many session tags, as for AssumeRole.
const SESSION_TAGS: usize = 50;
/// The STS model's shapes of a session tag's key and value and of a source identity:
/// tokens and assertions carry them as claims and attributes, which no request decoder
/// checked.
const TAG_KEY: (usize, usize, &str) = (1, 128, "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+");
const TAG_VALUE: (usize, usize, &str) = (0, 256, "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*");
const SOURCE_IDENTITY: (usize, usize, &str) = (2, 64, "[\\w+=,.@-]*");
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

/// Whether `text` has the length (in characters) and pattern of an STS model shape.
fn fits_shape(text: &str, (min, max, pattern): (usize, usize, &str)) -> bool {
    (min..=max).contains(&text.chars().count()) && wire::matches_model_pattern(pattern, text)
}

/// The token's or assertion's fault: it carries session inputs AWS would not take.
fn unusable(what: &str) -> ServiceError {
    ServiceError::sts(
        wire::sts::Error::InvalidIdentityToken,
        format!("The identity token or assertion carries {what}"),
    )
}

/// Session tags and source identity as AWS bounds them: at most 50 tags, each key 1 to 128
/// and each value up to 256 characters of the model's tag alphabet, keys unique without
/// regard to case and none under the reserved `aws:` prefix, each transitive key among
/// them; a source identity of 2 to 64 characters of `[\w+=,.@-]` (readings 69 and 74).
fn check_tags(
    tags: &[(String, String)],
    transitive: &[String],
    source_identity: Option<&str>,
) -> ServiceResult<()> {
    if tags.len() > SESSION_TAGS {
        return Err(ServiceError::validation(format!(
            "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to {SESSION_TAGS}"
        )));
    }
    for (at, (key, value)) in tags.iter().enumerate() {
        let reserved = key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"));
        if reserved || !fits_shape(key, TAG_KEY) {
            return Err(unusable(
                "a session tag key that is not 1 to 128 characters of letters, digits, spaces and _.:/=+-@, or that starts with aws:",
            ));
        }
        if !fits_shape(value, TAG_VALUE) {
            return Err(unusable(
                "a session tag value that is not up to 256 characters of letters, digits, spaces and _.:/=+-@",
            ));
        }
        let earlier = tags.get(..at).unwrap_or_default();
        if earlier.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
            return Err(unusable(
                "two session tags whose keys differ only in letter case",
            ));
        }
    }
    if source_identity.is_some_and(|source| !fits_shape(source, SOURCE_IDENTITY)) {
        return Err(unusable(
            "a source identity that is not 2 to 64 characters of letters, digits and _+=,.@-",
        ));
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

/// The condition keys a role's trust policy must pin before it may trust `provider` at all.
/// AWS STS requires roles that trust Amazon Cognito identity pools from another account to
/// pin the pool (`cognito-identity.amazonaws.com:aud`) and the kind of identity (`:amr`);
/// to this server every identity pool is another account's (reading 67). "Pins" means the
/// trust policy refuses once the key is left out of the request's context: a condition that
/// holds without it (`...IfExists`, a negated operator) does not pin it.
fn keys_the_trust_must_pin(provider: &str) -> &'static [&'static str] {
    if provider == oidc::COGNITO {
        &[
            "cognito-identity.amazonaws.com:aud",
            "cognito-identity.amazonaws.com:amr",
        ]
    } else {
        &[]
    }
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
        self.check_fresh()?;
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
        check_tags(
            &asked.tags,
            &asked.transitive_tag_keys,
            asked.source_identity.as_deref(),
        )?;
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
        // AWS documents `aws:FederatedProvider` for sessions of OIDC providers only: in the
        // trust policy's context of AssumeRoleWithWebIdentity and in the session's later
        // requests (reading 56); a SAML session has none.
        let federated_provider = (asked.action == WEB_IDENTITY).then(|| asked.provider.clone());
        let mut context = Context::new();
        insert_request_facts(&mut context, info, self.clock().now());
        if let Some(provider) = &federated_provider {
            context.insert("aws:FederatedProvider", single(provider));
        }
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
        let allows = |action: &str, context: &Context| {
            let request = PolicyRequest {
                principal: &principal,
                action,
                resource: &arn,
                resource_account: Some(&role.account_id),
                context,
            };
            policy::authorize(&request, &policies).decision.is_allowed()
        };
        if !actions.iter().all(|action| allows(action, &context)) {
            return Err(not_authorized(asked.action));
        }
        // A trust policy that would let the provider in without a key it must pin trusts
        // too much: AWS refuses it as it refuses any other trust policy (reading 67).
        for key in keys_the_trust_must_pin(&asked.provider) {
            let without = Context::from_pairs(
                context
                    .iter()
                    .filter(|(name, _)| !name.eq_ignore_ascii_case(key))
                    .map(|(name, value)| (name.to_owned(), value.clone())),
            );
            if allows(asked.action, &without) {
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
                provider: federated_provider,
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
            principal: ParsedPrincipal::default(),
        };
        let credentials = self.issue(&session)?;
        self.record_role_use(&role.role_id, now, &info.region).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(key: &str, value: &str) -> (String, String) {
        (key.to_owned(), value.to_owned())
    }

    fn code(result: ServiceResult<()>) -> String {
        result
            .err()
            .map(|e| e.code().to_owned())
            .unwrap_or_default()
    }

    #[test]
    fn session_inputs_have_the_models_shapes() {
        let long_key = "k".repeat(128);
        let long_value = "v".repeat(256);
        let fine = [
            tag(&long_key, &long_value),
            tag("Équipe 1", ""),
            tag("a_b.c:d/e=f+g-h@i", "Ünïcode 42"),
        ];
        assert_eq!(code(check_tags(&fine, &[], Some("octo.cat@x"))), "");
        assert_eq!(code(check_tags(&[], &[], Some(&"s".repeat(64)))), "");
        for tags in [
            vec![tag(&"k".repeat(129), "v")],
            vec![tag("", "v")],
            vec![tag("k", &"v".repeat(257))],
            vec![tag("aws:team", "v")],
            vec![tag("AWS:team", "v")],
            vec![tag("team\t", "v")],
            vec![tag("team", "a\u{0}b")],
            vec![tag("team", "a"), tag("TEAM", "b")],
        ] {
            assert_eq!(
                code(check_tags(&tags, &[], None)),
                "InvalidIdentityToken",
                "{tags:?}"
            );
        }
        for source in ["o", "octo cat", "aws:x", &"s".repeat(65)] {
            assert_eq!(
                code(check_tags(&[], &[], Some(source))),
                "InvalidIdentityToken",
                "{source}"
            );
        }
    }

    #[test]
    fn only_cognito_needs_keys_pinned() {
        assert_eq!(
            keys_the_trust_must_pin("cognito-identity.amazonaws.com"),
            [
                "cognito-identity.amazonaws.com:aud",
                "cognito-identity.amazonaws.com:amr"
            ]
        );
        for provider in [
            "accounts.google.com",
            "arn:aws:iam::111111111111:oidc-provider/cognito-identity.amazonaws.com",
            "arn:aws:iam::111111111111:saml-provider/Cognito",
        ] {
            assert!(keys_the_trust_must_pin(provider).is_empty(), "{provider}");
        }
    }
}
