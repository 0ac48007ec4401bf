//! Outbound web identity federation: the account's signing key (made on enable, sealed at
//! rest), the JWTs that STS GetWebIdentityToken vends, and the issuer's public OpenID
//! discovery documents, which the server serves without authentication as AWS's issuer does.

use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use policy::ContextValue;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Map, Value, json};
use store::SigningKeyRecord;
use wire::sts::{GetWebIdentityTokenRequest, GetWebIdentityTokenResponse};
use zeroize::Zeroizing;

use crate::authorize::caller_policies;
use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::random_bytes;
use crate::seal::Sealer;
use crate::service::Service;

/// The algorithm every key of this server signs with (ring makes P-384 keys; it cannot make
/// RSA keys, so RS256 is refused: see ARCHITECTURE.md, reading 38).
const ES384: &str = "ES384";
/// The algorithms AWS accepts for `SigningAlgorithm`.
const AWS_ALGORITHMS: [&str; 2] = ["RS256", ES384];
/// Issuers live at `<public url>/oidc/<issuer id>`.
const ISSUER_PATH: &str = "/oidc/";
/// AWS nests its own claims and the request's tags under this claim.
const AWS_CLAIMS: &str = "https://sts.amazonaws.com/";
/// A token lives 300 seconds unless the request says otherwise (AWS's default).
const DEFAULT_DURATION: i32 = 300;

/// Each sealed private key is bound to its key id, so a ciphertext moved to another row
/// does not open.
fn key_binding(key_id: &str) -> String {
    format!("outbound-signing-key:{key_id}")
}

/// A failure of the crypto library (no detail: ring's errors carry none).
fn crypto_failure(what: &str) -> ServiceError {
    ServiceError::internal(&format!("outbound federation: {what} failed"))
}

/// 16 random bytes in lower-case hex: issuer ids, key ids, token ids.
fn random_id() -> ServiceResult<String> {
    let mut bytes = [0u8; 16];
    random_bytes(&mut bytes)?;
    Ok(HEXLOWER.encode(&bytes))
}

/// A new ES384 signing key for `account_id`: its PKCS#8 private key sealed, its public key
/// as a JWK.
pub(crate) fn new_signing_key(
    sealer: &Sealer,
    account_id: &str,
    now: i64,
) -> ServiceResult<SigningKeyRecord> {
    let rng = SystemRandom::new();
    // ring's document (a plain array) is not wiped when it goes: keep it only long enough
    // to copy it into a buffer that is.
    let pkcs8 = Zeroizing::new(
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng)
            .map_err(|_| crypto_failure("key generation"))?
            .as_ref()
            .to_vec(),
    );
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &pkcs8, &rng)
        .map_err(|_| crypto_failure("key reading"))?;
    let key_id = random_id()?;
    let public_jwk = p384_jwk(&key_id, pair.public_key().as_ref())?;
    let sealed = sealer
        .seal(&pkcs8, key_binding(&key_id).as_bytes())
        .map_err(|e| ServiceError::internal(&e))?;
    Ok(SigningKeyRecord {
        key_id,
        account_id: account_id.to_owned(),
        algorithm: ES384.to_owned(),
        private_key_ciphertext: sealed,
        public_jwk,
        created_at: now,
    })
}

/// The JWK (RFC 7518 section 6.2) of an uncompressed P-384 point, `04 || x || y`.
fn p384_jwk(key_id: &str, point: &[u8]) -> ServiceResult<String> {
    let Some((4, coordinates)) = point.split_first() else {
        return Err(crypto_failure("public key encoding"));
    };
    if coordinates.len() != 96 {
        return Err(crypto_failure("public key encoding"));
    }
    let (x, y) = coordinates.split_at(48);
    Ok(json!({
        "kty": "EC",
        "crv": "P-384",
        "x": BASE64URL_NOPAD.encode(x),
        "y": BASE64URL_NOPAD.encode(y),
        "use": "sig",
        "alg": ES384,
        "kid": key_id,
    })
    .to_string())
}

/// A compact JWS of `claims` signed with `key` (opened only for this signature).
fn sign(sealer: &Sealer, key: &SigningKeyRecord, claims: &Value) -> ServiceResult<String> {
    let header = json!({"alg": key.algorithm, "typ": "JWT", "kid": key.key_id});
    let input = format!(
        "{}.{}",
        BASE64URL_NOPAD.encode(header.to_string().as_bytes()),
        BASE64URL_NOPAD.encode(claims.to_string().as_bytes())
    );
    let pkcs8 = sealer
        .open(
            &key.private_key_ciphertext,
            key_binding(&key.key_id).as_bytes(),
        )
        .map_err(|e| ServiceError::internal(&e))?;
    let rng = SystemRandom::new();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &pkcs8, &rng)
        .map_err(|_| crypto_failure("key reading"))?;
    // The FIXED encoding is r || s, 48 bytes each: what JWS (RFC 7518 section 3.4) wants.
    let signature = pair
        .sign(&rng, input.as_bytes())
        .map_err(|_| crypto_failure("signing"))?;
    Ok(format!(
        "{input}.{}",
        BASE64URL_NOPAD.encode(signature.as_ref())
    ))
}

/// What a token says: the standard claims, then AWS's under its namespace.
struct TokenFacts<'a> {
    issuer: String,
    audience: &'a [String],
    issued_at: i64,
    expires_at: i64,
    tags: &'a [(String, String)],
    principal_tags: Vec<(String, String)>,
}

/// Tags as a JSON object (keys are unique: IAM and the request both refuse case variants).
fn tag_object(tags: &[(String, String)]) -> Value {
    Value::Object(tags.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

fn claims(caller: &Caller, facts: &TokenFacts<'_>) -> ServiceResult<Value> {
    // One audience is a string, several an array (both are RFC 7519's `aud`).
    let audience = match facts.audience {
        [one] => json!(one),
        many => json!(many),
    };
    // The token leaves the server as it is: its ARNs are the caller's partition's already.
    let principal = caller
        .partition()
        .swap(&caller.principal_arn())
        .into_owned();
    let mut aws = Map::new();
    aws.insert("aws_account".into(), json!(caller.account_id));
    aws.insert("source_region".into(), json!(caller.request.region));
    aws.insert("principal_id".into(), json!(principal));
    if !facts.principal_tags.is_empty() {
        aws.insert("principal_tags".into(), tag_object(&facts.principal_tags));
    }
    if !facts.tags.is_empty() {
        aws.insert("request_tags".into(), tag_object(facts.tags));
    }
    Ok(json!({
        "iss": facts.issuer,
        "sub": principal,
        "aud": audience,
        "iat": facts.issued_at,
        "nbf": facts.issued_at,
        "exp": facts.expires_at,
        "jti": random_id()?,
        AWS_CLAIMS: Value::Object(aws),
    }))
}

/// The request's tags as pairs; keys compare case-insensitively, so two spellings of one
/// key are refused (they would be one claim).
fn request_tags(tags: Option<Vec<wire::sts::Tag>>) -> ServiceResult<Vec<(String, String)>> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for tag in tags.unwrap_or_default() {
        if pairs.iter().any(|(k, _)| k.eq_ignore_ascii_case(&tag.key)) {
            return Err(ServiceError::validation(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        pairs.push((tag.key, tag.value));
    }
    Ok(pairs)
}

/// The request context of the tag keys: `aws:RequestTag/<key>` and `aws:TagKeys`.
fn tag_context(tags: &[(String, String)]) -> Vec<(String, ContextValue)> {
    let mut context: Vec<(String, ContextValue)> = tags
        .iter()
        .map(|(k, v)| {
            (
                format!("aws:RequestTag/{k}"),
                ContextValue::Single(v.clone()),
            )
        })
        .collect();
    context.push((
        "aws:TagKeys".to_owned(),
        ContextValue::Multi(tags.iter().map(|(k, _)| k.clone()).collect()),
    ));
    context
}

impl Service {
    /// The issuer URL of the issuer id, under this server's public URL.
    pub(crate) fn issuer_url(&self, issuer_id: &str) -> String {
        format!("{}{ISSUER_PATH}{issuer_id}", self.public_url)
    }

    /// A new issuer id and signing key for `account_id` (what Enable stores the first time).
    pub(crate) fn new_issuer(&self, account_id: &str) -> ServiceResult<(String, SigningKeyRecord)> {
        let key = new_signing_key(&self.sealer, account_id, self.clock.seconds())?;
        Ok((random_id()?, key))
    }

    /// The OpenID discovery document of an issuer (`<issuer>/.well-known/openid-configuration`);
    /// `None` when no account has that issuer. Public: no caller, no authorization.
    pub async fn openid_configuration(&self, issuer_id: &str) -> ServiceResult<Option<String>> {
        if self
            .reads()
            .outbound_federation_by_issuer(issuer_id)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let issuer = self.issuer_url(issuer_id);
        Ok(Some(
            json!({
                "issuer": issuer,
                "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": [ES384],
                "claims_supported": ["iss", "sub", "aud", "iat", "nbf", "exp", "jti"],
            })
            .to_string(),
        ))
    }

    /// The public keys of an issuer as a JWK set (`<issuer>/.well-known/jwks.json`); `None`
    /// when no account has that issuer. Kept while the feature is disabled, so tokens
    /// already issued still verify.
    pub async fn jwks(&self, issuer_id: &str) -> ServiceResult<Option<String>> {
        let Some(federation) = self
            .reads()
            .outbound_federation_by_issuer(issuer_id)
            .await?
        else {
            return Ok(None);
        };
        let mut keys = Vec::new();
        for key in self
            .reads()
            .list_outbound_signing_keys(&federation.account_id)
            .await?
        {
            let jwk: Value =
                serde_json::from_str(&key.public_jwk).map_err(|e| ServiceError::internal(&e))?;
            keys.push(jwk);
        }
        Ok(Some(json!({ "keys": keys }).to_string()))
    }

    /// STS GetWebIdentityToken: a JWT naming the caller, signed with its account's key.
    pub(crate) async fn get_web_identity_token(
        &self,
        caller: &Caller,
        input: GetWebIdentityTokenRequest,
    ) -> ServiceResult<GetWebIdentityTokenResponse> {
        let algorithm = input.signing_algorithm;
        if !AWS_ALGORITHMS.contains(&algorithm.as_str()) {
            return Err(ServiceError::validation(
                "1 validation error detected: Value at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RS256, ES384]",
            ));
        }
        let duration = input.duration_seconds.unwrap_or(DEFAULT_DURATION);
        let tags = request_tags(input.tags)?;
        self.allow_web_identity_token(caller, &input.audience, duration, &algorithm, &tags)
            .await?;

        let federation = self
            .reads()
            .get_outbound_federation(&caller.account_id)
            .await?
            .filter(|f| f.enabled)
            .ok_or_else(|| {
                ServiceError::sts(
                    wire::sts::Error::OutboundWebIdentityFederationDisabled,
                    "The outbound web identity federation feature is not enabled for this account.",
                )
            })?;
        let keys = self
            .reads()
            .list_outbound_signing_keys(&caller.account_id)
            .await?;
        let Some(key) = keys.iter().rev().find(|k| k.algorithm == algorithm) else {
            return Err(ServiceError::validation(format!(
                "SigningAlgorithm {algorithm} is not supported by this server; use {ES384}."
            )));
        };

        let issued_at = self.clock.seconds();
        let expires_at = issued_at + i64::from(duration);
        let facts = TokenFacts {
            issuer: self.issuer_url(&federation.issuer_id),
            audience: &input.audience,
            issued_at,
            expires_at,
            tags: &tags,
            principal_tags: self.principal_tags(caller).await?,
        };
        let token = sign(&self.sealer, key, &claims(caller, &facts)?)?;
        Ok(GetWebIdentityTokenResponse {
            web_identity_token: Some(token),
            expiration: Some(wire::Timestamp::from_unix_seconds(expires_at)),
        })
    }

    /// The caller's tags as `aws:PrincipalTag` sees them: the user's or role's own, a
    /// session's tags replacing those of the same key.
    async fn principal_tags(&self, caller: &Caller) -> ServiceResult<Vec<(String, String)>> {
        let side = caller_policies(self.reads(), self.policy_cache(), caller).await?;
        let mut tags = side
            .compiled
            .as_ref()
            .map(|c| c.tags.clone())
            .unwrap_or_default();
        for (key, value) in caller.session.iter().flat_map(|s| s.tags.iter()) {
            tags.retain(|(k, _)| !k.eq_ignore_ascii_case(key));
            tags.push((key.clone(), value.clone()));
        }
        Ok(tags)
    }

    /// `sts:GetWebIdentityToken` with the keys AWS documents for it, and
    /// `sts:TagGetWebIdentityToken` too when the request carries tags.
    async fn allow_web_identity_token(
        &self,
        caller: &Caller,
        audience: &[String],
        duration: i32,
        algorithm: &str,
        tags: &[(String, String)],
    ) -> ServiceResult<()> {
        let mut context = vec![
            (
                "sts:IdentityTokenAudience".to_owned(),
                ContextValue::Multi(audience.to_vec()),
            ),
            (
                "sts:DurationSeconds".to_owned(),
                ContextValue::Single(duration.to_string()),
            ),
            (
                "sts:SigningAlgorithm".to_owned(),
                ContextValue::Single(algorithm.to_owned()),
            ),
        ];
        if tags.is_empty() {
            return self
                .allow_action(caller, "sts:GetWebIdentityToken", "*", context)
                .await;
        }
        context.extend(tag_context(tags));
        self.allow_action(caller, "sts:GetWebIdentityToken", "*", context)
            .await?;
        self.allow_action(caller, "sts:TagGetWebIdentityToken", "*", tag_context(tags))
            .await
    }
}
