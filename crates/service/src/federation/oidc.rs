//! AssumeRoleWithWebIdentity: an OIDC provider's JWT, verified, as the credential for a role
//! session. The token's `iss` names the provider (an IAM OIDC provider of the role's
//! account, or one of the providers AWS trusts by name) and must be the `issuer` of the
//! discovery document the keys come from; its signature is verified with the issuer's
//! published keys; `aud`/`azp` must be one of the provider's client ids; `exp`, `nbf` and
//! `iat` are held to the clock; then the role's trust policy decides with the provider's
//! condition keys.

use policy::ContextValue;
use serde_json::{Map, Value};
use store::StoreError;
use wire::sts::{
    self as sts_wire, AssumeRoleWithWebIdentityRequest, AssumeRoleWithWebIdentityResponse,
};

use super::jwt::{self, Jwt};
use super::{FederatedAssume, FederatedSession, WEB_IDENTITY};
use crate::caller::RequestInfo;
use crate::error::{ServiceError, ServiceResult};
use crate::service::Service;

/// How far a token's `nbf` or `iat` may lie ahead of our clock (reading 65). `exp` gets no
/// allowance: an expired token is expired.
pub(crate) const SKEW_SECONDS: i64 = 300;
/// The claim that carries session tags, as AWS documents it.
const TAGS_CLAIM: &str = "https://aws.amazon.com/tags";
/// The claim that sets the session's source identity.
const SOURCE_IDENTITY_CLAIM: &str = "https://aws.amazon.com/source_identity";
/// Providers AWS trusts by name: a trust policy names them as `"Federated":
/// "accounts.google.com"`, no IAM provider exists for them, and the trust policy's
/// `<name>:aud` condition is what pins the application (there is no client id list).
const WELL_KNOWN: [&str; 2] = ["accounts.google.com", COGNITO];
/// Amazon Cognito identity pools' issuer, whose roles must pin the pool (reading 67).
pub(crate) const COGNITO: &str = "cognito-identity.amazonaws.com";

fn invalid_token(message: impl Into<String>) -> ServiceError {
    ServiceError::sts(sts_wire::Error::InvalidIdentityToken, message)
}

/// The provider a token's issuer resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Issuer {
    /// Where the keys are: the `https://` issuer URL, host lower-cased, without trailing
    /// slash.
    pub url: String,
    /// What the discovery document's `issuer` must be, exactly: the token's `iss` (for a
    /// well-known provider, its `https://` URL, as Google's ID tokens may leave the scheme
    /// out of `iss`).
    pub iss: String,
    /// The prefix of the condition keys (`localhost:8443/realms/x`, `accounts.google.com`).
    pub key_prefix: String,
    /// The trust policy's `Federated` value: the provider's ARN, or the well-known name.
    pub principal: String,
    /// The provider's client ids; `None` for a well-known provider (the trust policy pins
    /// the audience instead).
    pub client_ids: Option<Vec<String>>,
}

/// The provider resource an `iss` names: the URL without `https://` and trailing slash,
/// the host lower-cased, the port kept (`https://LocalHost:8443/x/` → `localhost:8443/x`).
/// `None` when `iss` is not an https URL with a host.
pub(crate) fn issuer_resource(iss: &str) -> Option<String> {
    let rest = iss.strip_prefix("https://")?.trim_end_matches('/');
    let (authority, path) = match rest.find('/') {
        Some(at) => (rest.get(..at)?, rest.get(at..)?),
        None => (rest, ""),
    };
    if authority.is_empty() || authority.contains(['@', '?', '#']) || path.contains(['?', '#']) {
        return None;
    }
    Some(format!("{}{path}", authority.to_ascii_lowercase()))
}

/// A well-known provider named by `iss` (Google issues `accounts.google.com` with and
/// without the scheme).
fn well_known(iss: &str) -> Option<&'static str> {
    let host = iss.strip_prefix("https://").unwrap_or(iss);
    WELL_KNOWN.into_iter().find(|name| *name == host)
}

/// A claim that is a string, or an array of strings (`aud`, `amr`): its values, or `None`
/// for any other shape.
fn strings(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(text) => Some(vec![text.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

fn seconds_claim(claims: &Map<String, Value>, name: &str) -> ServiceResult<Option<i64>> {
    match claims.get(name) {
        None => Ok(None),
        // NumericDate may carry a fraction; whole seconds are what is compared.
        Some(Value::Number(number)) => number
            .as_i64()
            .or_else(|| {
                number
                    .as_f64()
                    .filter(|f| f.is_finite() && f.abs() < 1e15)
                    .map(|f| f.floor() as i64)
            })
            .map(Some)
            .ok_or_else(|| invalid_token(format!("The token's {name} claim is not a time"))),
        Some(_) => Err(invalid_token(format!(
            "The token's {name} claim is not a time"
        ))),
    }
}

/// What a verified token's claims give the session.
#[derive(Debug, PartialEq)]
pub(crate) struct Claims {
    pub subject: String,
    /// The client id the token was issued to, as the response names it.
    pub audience: String,
    pub context: Vec<(String, ContextValue)>,
    pub tags: Vec<(String, String)>,
    pub transitive_tag_keys: Vec<String>,
    pub source_identity: Option<String>,
}

/// The claims checks after the signature: times against `now`, the audience against the
/// provider's client ids, `sub`, and the condition keys, tags and source identity.
pub(crate) fn check_claims(
    claims: &Map<String, Value>,
    issuer: &Issuer,
    now: i64,
) -> ServiceResult<Claims> {
    let exp =
        seconds_claim(claims, "exp")?.ok_or_else(|| invalid_token("The token has no exp claim"))?;
    if now >= exp {
        return Err(ServiceError::sts(
            sts_wire::Error::ExpiredToken,
            format!(
                "Token expired: current date/time {now} must be before the expiration date/time {exp}"
            ),
        ));
    }
    if seconds_claim(claims, "nbf")?.is_some_and(|nbf| nbf > now.saturating_add(SKEW_SECONDS)) {
        return Err(invalid_token("Token is not yet valid (nbf)"));
    }
    if seconds_claim(claims, "iat")?.is_some_and(|iat| iat > now.saturating_add(SKEW_SECONDS)) {
        return Err(invalid_token("Token was issued in the future (iat)"));
    }

    let aud = claims
        .get("aud")
        .and_then(strings)
        .filter(|aud| !aud.is_empty())
        .ok_or_else(|| invalid_token("The token has no aud claim"))?;
    let azp = match claims.get("azp") {
        None => None,
        Some(Value::String(azp)) => Some(azp.clone()),
        Some(_) => return Err(invalid_token("The token's azp claim is not a string")),
    };
    let audience = match &issuer.client_ids {
        Some(client_ids) => aud
            .iter()
            .chain(azp.iter())
            .find(|candidate| client_ids.iter().any(|id| id == *candidate))
            .cloned()
            .ok_or_else(|| invalid_token("Incorrect token audience"))?,
        None => azp
            .clone()
            .or_else(|| aud.first().cloned())
            .unwrap_or_default(),
    };
    let subject = match claims.get("sub") {
        Some(Value::String(sub)) if !sub.is_empty() => sub.clone(),
        _ => return Err(invalid_token("The token has no sub claim")),
    };

    let prefix = &issuer.key_prefix;
    let multi = |values: Vec<String>| match <[String; 1]>::try_from(values) {
        Ok([one]) => ContextValue::Single(one),
        Err(values) => ContextValue::Multi(values),
    };
    let mut context = vec![(
        format!("{prefix}:sub"),
        ContextValue::Single(subject.clone()),
    )];
    // `:aud` is the authorized party when the token names one, else the audience; the
    // audience then stays visible as `:oaud`.
    match &azp {
        Some(azp) => {
            context.push((format!("{prefix}:aud"), ContextValue::Single(azp.clone())));
            context.push((format!("{prefix}:oaud"), multi(aud.clone())));
        }
        None => context.push((format!("{prefix}:aud"), multi(aud.clone()))),
    }
    if let Some(amr) = claims.get("amr") {
        let amr =
            strings(amr).ok_or_else(|| invalid_token("The token's amr claim is malformed"))?;
        context.push((format!("{prefix}:amr"), multi(amr)));
    }

    let (tags, transitive_tag_keys) = session_tags(claims)?;
    let source_identity = match claims.get(SOURCE_IDENTITY_CLAIM) {
        None => None,
        Some(Value::String(source)) => Some(source.clone()),
        Some(_) => {
            return Err(invalid_token(format!(
                "The token's {SOURCE_IDENTITY_CLAIM} claim is not a string"
            )));
        }
    };
    Ok(Claims {
        subject,
        audience,
        context,
        tags,
        transitive_tag_keys,
        source_identity,
    })
}

/// Session tags (key, value) and the keys among them that pass on to chained sessions.
type SessionTags = (Vec<(String, String)>, Vec<String>);

/// Session tags from the `https://aws.amazon.com/tags` claim: `principal_tags` maps each key
/// to an array holding its one value; `transitive_tag_keys` lists keys among them.
fn session_tags(claims: &Map<String, Value>) -> ServiceResult<SessionTags> {
    let Some(claim) = claims.get(TAGS_CLAIM) else {
        return Ok((Vec::new(), Vec::new()));
    };
    let malformed = || invalid_token(format!("The token's {TAGS_CLAIM} claim is malformed"));
    let claim = claim.as_object().ok_or_else(malformed)?;
    let mut tags = Vec::new();
    if let Some(principal_tags) = claim.get("principal_tags") {
        for (key, value) in principal_tags.as_object().ok_or_else(malformed)? {
            let value = match value {
                Value::Array(values) => match values.as_slice() {
                    [Value::String(one)] => one.clone(),
                    _ => return Err(malformed()),
                },
                _ => return Err(malformed()),
            };
            tags.push((key.clone(), value));
        }
    }
    let transitive = match claim.get("transitive_tag_keys") {
        None => Vec::new(),
        Some(keys) => strings(keys).ok_or_else(malformed)?,
    };
    Ok((tags, transitive))
}

impl Service {
    /// AssumeRoleWithWebIdentity: the token verified against its issuer's keys and the
    /// provider's client ids, then the role's trust policy asked with the provider's keys.
    pub(crate) async fn assume_role_with_web_identity(
        &self,
        info: &RequestInfo,
        input: AssumeRoleWithWebIdentityRequest,
    ) -> ServiceResult<AssumeRoleWithWebIdentityResponse> {
        // OAuth 2.0 access tokens (Login with Amazon, Facebook) are checked by calling the
        // provider's own API with the application's secret, which this server does not hold:
        // refused rather than taken on trust (reading 67).
        if let Some(provider_id) = &input.provider_id {
            return Err(invalid_token(format!(
                "Access tokens of {provider_id} cannot be verified by this service; pass an OpenID Connect ID token without ProviderId"
            )));
        }
        let role_arn = policy::Arn::parse(&input.role_arn)
            .filter(|arn| !arn.partition.is_empty() && !arn.account.is_empty())
            .ok_or_else(|| ServiceError::validation(format!("{} is invalid", input.role_arn)))?;
        let (partition, account_id) = (role_arn.partition.to_owned(), role_arn.account.to_owned());

        let token = jwt::parse(&input.web_identity_token).map_err(|error| match error {
            jwt::JwtError::Malformed => invalid_token("The web identity token is not a well-formed JWT"),
            jwt::JwtError::Algorithm => invalid_token(
                "The web identity token's signing algorithm is not accepted (RS256, RS384, RS512, ES256, ES384)",
            ),
            jwt::JwtError::Kind => invalid_token(
                "The web identity token is not an ID token or access token (typ, cty or enc)",
            ),
        })?;
        let iss = match token.claims.get("iss") {
            Some(Value::String(iss)) => iss.clone(),
            _ => return Err(invalid_token("The token has no iss claim")),
        };
        let issuer = self.issuer(&partition, &account_id, &iss).await?;
        self.verify_signature(&token, &issuer).await?;
        let checked = check_claims(&token.claims, &issuer, self.clock().seconds())?;

        let session = self
            .assume_federated(
                info,
                FederatedAssume {
                    role_arn: input.role_arn,
                    provider: issuer.principal.clone(),
                    action: WEB_IDENTITY,
                    session_name: input.role_session_name,
                    duration_seconds: input.duration_seconds,
                    policy: input.policy,
                    policy_arns: input.policy_arns,
                    tags: checked.tags,
                    transitive_tag_keys: checked.transitive_tag_keys,
                    source_identity: checked.source_identity,
                    context: checked.context,
                },
            )
            .await?;
        Ok(response(
            session,
            checked.subject,
            issuer.principal,
            checked.audience,
        ))
    }

    /// The provider `iss` names: a well-known provider, or the role account's IAM OIDC
    /// provider for that URL.
    async fn issuer(&self, partition: &str, account_id: &str, iss: &str) -> ServiceResult<Issuer> {
        if let Some(name) = well_known(iss) {
            return Ok(Issuer {
                url: format!("https://{name}"),
                iss: format!("https://{name}"),
                key_prefix: name.to_owned(),
                principal: name.to_owned(),
                client_ids: None,
            });
        }
        let not_found = || {
            invalid_token(format!(
                "No OpenIDConnect provider found in your account for {iss}"
            ))
        };
        let resource = issuer_resource(iss).ok_or_else(not_found)?;
        let client_ids = self
            .oidc_provider_client_ids(account_id, &resource)
            .await?
            .ok_or_else(not_found)?;
        // The keys are fetched from, and cached under, the provider's URL (host lower-cased,
        // no trailing slash): spellings of one `iss` share one fetch, so made-up spellings
        // cannot make the server fetch again and again.
        Ok(Issuer {
            url: format!("https://{resource}"),
            iss: iss.to_owned(),
            principal: format!("arn:{partition}:iam::{account_id}:oidc-provider/{resource}"),
            key_prefix: resource,
            client_ids: Some(client_ids),
        })
    }

    /// The signature checked with the issuer's keys; keys fetched again once when none of
    /// the cached ones fits the token's `kid` (the issuer may have rotated). The keys are
    /// the token's issuer's only if its discovery document names exactly the token's `iss`
    /// (Discovery 1.0 section 4.3, Core 1.0 section 3.1.3.7): `https://idp/` and
    /// `https://idp` are one IAM provider (reading 63) but one issuer only.
    async fn verify_signature(&self, token: &Jwt, issuer: &Issuer) -> ServiceResult<()> {
        let now = self.clock().seconds();
        let unreachable = |error: super::jwks::FetchError| {
            tracing::info!(issuer = %issuer.url, error = %error.0, "OIDC keys not fetched");
            ServiceError::sts(
                sts_wire::Error::IDPCommunicationError,
                "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements",
            )
        };
        let mut published = self
            .key_fetcher
            .keys(&issuer.url, now, false)
            .await
            .map_err(unreachable)?;
        same_issuer(&published, issuer)?;
        if !published.keys.iter().any(|key| token.fits(key)) {
            published = self
                .key_fetcher
                .keys(&issuer.url, now, true)
                .await
                .map_err(unreachable)?;
            same_issuer(&published, issuer)?;
        }
        let fitting: Vec<_> = published
            .keys
            .iter()
            .filter(|key| token.fits(key))
            .collect();
        if fitting.is_empty() {
            return Err(invalid_token(
                "No key of the identity provider matches the token's kid and algorithm",
            ));
        }
        if fitting.into_iter().any(|key| token.verify(key)) {
            Ok(())
        } else {
            Err(invalid_token(
                "The web identity token's signature is not valid",
            ))
        }
    }
}

/// The discovery document must name exactly the issuer the token claims (reading 66): a
/// mismatch is the token's fault, not a passing fault of the issuer, so it is not the
/// retryable `IDPCommunicationError`.
fn same_issuer(published: &super::jwks::Published, issuer: &Issuer) -> ServiceResult<()> {
    if *published.issuer == *issuer.iss {
        Ok(())
    } else {
        Err(invalid_token(format!(
            "The token's issuer {} is not the issuer named by its OpenID Connect discovery document",
            issuer.iss
        )))
    }
}

impl Service {
    /// The client ids of the account's OIDC provider for `resource`, `None` when the
    /// account has no such provider.
    async fn oidc_provider_client_ids(
        &self,
        account_id: &str,
        resource: &str,
    ) -> ServiceResult<Option<Vec<String>>> {
        match self.reads().get_oidc_provider(account_id, resource).await {
            Ok(provider) => Ok(Some(provider.client_ids)),
            Err(StoreError::NoSuchEntity { .. }) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }
}

fn response(
    session: FederatedSession,
    subject: String,
    provider: String,
    audience: String,
) -> AssumeRoleWithWebIdentityResponse {
    AssumeRoleWithWebIdentityResponse {
        credentials: Some(session.credentials),
        subject_from_web_identity_token: Some(subject),
        assumed_role_user: Some(session.assumed_role_user),
        packed_policy_size: session.packed_policy_size,
        provider: Some(provider),
        audience: Some(audience),
        source_identity: session.source_identity,
        session_token_utilization: None,
        session_token_size: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;

    fn issuer() -> Issuer {
        Issuer {
            url: "https://localhost:8443".to_owned(),
            iss: "https://localhost:8443".to_owned(),
            key_prefix: "localhost:8443".to_owned(),
            principal: "arn:aws:iam::123456789012:oidc-provider/localhost:8443".to_owned(),
            client_ids: Some(vec!["sts.amazonaws.com".to_owned()]),
        }
    }

    fn claims(extra: Value) -> Map<String, Value> {
        let mut base = json!({
            "iss": "https://localhost:8443", "aud": "sts.amazonaws.com",
            "sub": "repo:octo/app:ref:refs/heads/main", "exp": NOW + 60, "iat": NOW - 10,
        });
        if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                if v.is_null() {
                    base.remove(k);
                } else {
                    base.insert(k.clone(), v.clone());
                }
            }
        }
        base.as_object().cloned().unwrap_or_default()
    }

    fn code(result: ServiceResult<Claims>) -> String {
        result
            .err()
            .map(|e| e.code().to_owned())
            .unwrap_or_default()
    }

    #[test]
    fn a_good_token_gives_the_provider_keys() {
        let checked = check_claims(&claims(json!({})), &issuer(), NOW);
        let checked = checked.map_err(|e| e.to_string());
        assert!(
            checked
                .as_ref()
                .is_ok_and(|c| c.audience == "sts.amazonaws.com"
                    && c.subject == "repo:octo/app:ref:refs/heads/main"
                    && c.context.contains(&(
                        "localhost:8443:sub".to_owned(),
                        ContextValue::Single("repo:octo/app:ref:refs/heads/main".to_owned())
                    ))
                    && c.context.contains(&(
                        "localhost:8443:aud".to_owned(),
                        ContextValue::Single("sts.amazonaws.com".to_owned())
                    ))),
            "{checked:?}"
        );
    }

    #[test]
    fn times_are_held_to_the_clock() {
        assert_eq!(
            code(check_claims(&claims(json!({"exp": NOW})), &issuer(), NOW)),
            "ExpiredTokenException"
        );
        assert_eq!(
            code(check_claims(&claims(json!({"exp": null})), &issuer(), NOW)),
            "InvalidIdentityToken"
        );
        assert_eq!(
            code(check_claims(
                &claims(json!({"exp": "tomorrow"})),
                &issuer(),
                NOW
            )),
            "InvalidIdentityToken"
        );
        // Within the skew, an iat or nbf slightly ahead passes; past it, refused.
        assert!(check_claims(&claims(json!({"iat": NOW + SKEW_SECONDS})), &issuer(), NOW).is_ok());
        assert_eq!(
            code(check_claims(
                &claims(json!({"iat": NOW + SKEW_SECONDS + 1})),
                &issuer(),
                NOW
            )),
            "InvalidIdentityToken"
        );
        assert_eq!(
            code(check_claims(
                &claims(json!({"nbf": NOW + SKEW_SECONDS + 1})),
                &issuer(),
                NOW
            )),
            "InvalidIdentityToken"
        );
    }

    #[test]
    fn the_audience_must_be_a_client_id() {
        for aud in [
            json!("other"),
            json!([]),
            json!(["a", "b"]),
            json!(7),
            Value::Null,
        ] {
            let result = check_claims(&claims(json!({"aud": aud})), &issuer(), NOW);
            assert_eq!(code(result), "InvalidIdentityToken", "{aud}");
        }
        let listed = check_claims(
            &claims(json!({"aud": ["x", "sts.amazonaws.com"]})),
            &issuer(),
            NOW,
        );
        assert!(listed.is_ok_and(|c| c.audience == "sts.amazonaws.com"));
        // With azp, `:aud` is azp and the audience moves to `:oaud`.
        let azp = check_claims(
            &claims(json!({"aud": "x", "azp": "sts.amazonaws.com"})),
            &issuer(),
            NOW,
        );
        assert!(azp.is_ok_and(|c| c.context.contains(&(
            "localhost:8443:oaud".to_owned(),
            ContextValue::Single("x".to_owned())
        ))));
    }

    #[test]
    fn sub_tags_and_source_identity() {
        assert_eq!(
            code(check_claims(&claims(json!({"sub": ""})), &issuer(), NOW)),
            "InvalidIdentityToken"
        );
        let tagged = check_claims(
            &claims(
                json!({TAGS_CLAIM: {"principal_tags": {"team": ["ci"]}, "transitive_tag_keys": ["team"]},
                SOURCE_IDENTITY_CLAIM: "octo"}),
            ),
            &issuer(),
            NOW,
        );
        assert!(
            tagged.is_ok_and(|c| c.tags == [("team".to_owned(), "ci".to_owned())]
                && c.transitive_tag_keys == ["team"]
                && c.source_identity.as_deref() == Some("octo"))
        );
        for bad in [
            json!("x"),
            json!({"principal_tags": {"team": "ci"}}),
            json!({"principal_tags": {"team": ["a", "b"]}}),
        ] {
            assert_eq!(
                code(check_claims(
                    &claims(json!({TAGS_CLAIM: bad})),
                    &issuer(),
                    NOW
                )),
                "InvalidIdentityToken"
            );
        }
    }

    #[test]
    fn issuer_urls_keep_their_port_and_path() {
        assert_eq!(
            issuer_resource("https://LocalHost:8443/"),
            Some("localhost:8443".to_owned())
        );
        assert_eq!(
            issuer_resource("https://idp.example/realms/X"),
            Some("idp.example/realms/X".to_owned())
        );
        for bad in [
            "http://localhost",
            "https://",
            "localhost:8443",
            "https://a@b/",
            "https://a/?x",
        ] {
            assert_eq!(issuer_resource(bad), None, "{bad}");
        }
        assert_eq!(
            well_known("accounts.google.com"),
            Some("accounts.google.com")
        );
        assert_eq!(
            well_known("https://cognito-identity.amazonaws.com"),
            Some("cognito-identity.amazonaws.com")
        );
        assert_eq!(well_known("https://accounts.google.com.evil"), None);
    }
}
