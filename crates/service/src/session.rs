//! Temporary credentials: the session token is a sealed, self-contained record of the
//! session (who, which role, which session policies and tags, when it ends), so any node can
//! verify it with the master key alone, without a database read or write.

use serde::{Deserialize, Serialize};

use crate::error::{ServiceError, ServiceResult};
use crate::seal::Sealer;

/// The authenticated data that marks a sealed value as a session token.
const TOKEN_BINDING: &[u8] = b"castellan:session-token:v1";

/// What kind of session a token carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SessionKind {
    /// AssumeRole: a session of a role.
    Role {
        /// `arn:aws:iam::A:role/path/name`.
        role_arn: String,
        /// `AROA...`.
        role_id: String,
        /// The session name.
        session_name: String,
        /// Whether the caller was itself a role session (role chaining).
        chained: bool,
        /// The identity provider that federated the session (AssumeRoleWithWebIdentity,
        /// AssumeRoleWithSAML): its ARN or well-known name, for `aws:FederatedProvider`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider: Option<String>,
    },
    /// GetSessionToken: the user (or root) itself, with temporary keys.
    User {
        /// The user's id; `None` for the account root.
        user_id: Option<String>,
    },
    /// A console sign-in of a user (or of the root user when `None`). Never sealed into a
    /// token: console sessions live in the store; this kind gives their callers the
    /// session facts of the request context (issue time, MFA).
    Console {
        /// The user's id; `None` for the account root.
        user_id: Option<String>,
    },
    /// GetFederationToken: a federated user acting within an IAM user's permissions.
    Federated {
        /// The federated user name.
        name: String,
        /// The IAM user that asked for it.
        user_id: String,
    },
}

/// A temporary session, as sealed into its token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// `ASIA...`.
    pub access_key_id: String,
    /// The session's secret access key.
    pub secret: String,
    /// The account the session acts in.
    pub account_id: String,
    /// Role, user, or federated user.
    pub kind: SessionKind,
    /// Inline session policy text.
    pub policy: Option<String>,
    /// Managed session policy ARNs.
    pub policy_arns: Vec<String>,
    /// Session tags (key, value).
    pub tags: Vec<(String, String)>,
    /// Keys of tags that pass to chained sessions.
    pub transitive_tag_keys: Vec<String>,
    /// The source identity, fixed for the whole chain.
    pub source_identity: Option<String>,
    /// Whether the session was created with MFA.
    pub mfa: bool,
    /// When the MFA code was checked (epoch seconds), for `aws:MultiFactorAuthAge`; it
    /// stays with the sessions a session chains to. Tokens from before it fall back to
    /// their issue time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_at: Option<i64>,
    /// Issue time, epoch seconds.
    pub issued_at: i64,
    /// Expiry, epoch seconds.
    pub expires_at: i64,
    /// A role session as the engine sees it in the `aws` partition, parsed by the first
    /// request that needs it and kept with the opened token: it never changes (a role's name
    /// and path are fixed, and a role recreated under its name is another role, whose id the
    /// token does not carry). Not part of the token.
    #[serde(skip)]
    pub(crate) principal: ParsedPrincipal,
}

/// [`Session::principal`]: a cache, so not part of what makes two sessions equal.
#[derive(Clone, Debug, Default)]
pub(crate) struct ParsedPrincipal(std::sync::OnceLock<std::sync::Arc<policy::Principal>>);

impl ParsedPrincipal {
    /// The principal parsed before, or `parse`'s, kept for the next request.
    pub(crate) fn get_or_parse<E>(
        &self,
        parse: impl FnOnce() -> Result<policy::Principal, E>,
    ) -> Result<std::sync::Arc<policy::Principal>, E> {
        if let Some(parsed) = self.0.get() {
            return Ok(std::sync::Arc::clone(parsed));
        }
        let parsed = std::sync::Arc::new(parse()?);
        // Another request may have set it meanwhile: the same principal either way.
        let _ = self.0.set(std::sync::Arc::clone(&parsed));
        Ok(parsed)
    }
}

impl PartialEq for ParsedPrincipal {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for ParsedPrincipal {}

/// Why a token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenProblem {
    /// Not a token of ours, or tampered with.
    Invalid,
    /// Past its expiry.
    Expired,
}

/// The binding of tokens issued after `generation` resets of the store: the first
/// generation keeps the original binding, so tokens survive an upgrade.
fn token_binding(generation: u64) -> Vec<u8> {
    if generation == 0 {
        TOKEN_BINDING.to_vec()
    } else {
        let mut binding = TOKEN_BINDING.to_vec();
        binding.extend_from_slice(format!(":reset-{generation}").as_bytes());
        binding
    }
}

impl Session {
    /// The token text: base64 of the sealed JSON record, bound to the reset generation.
    pub(crate) fn seal(&self, sealer: &Sealer, generation: u64) -> ServiceResult<String> {
        let json = serde_json::to_vec(self).map_err(|e| ServiceError::internal(&e))?;
        let sealed = sealer
            .seal(&json, &token_binding(generation))
            .map_err(|e| ServiceError::internal(&e))?;
        Ok(data_encoding::BASE64.encode(&sealed))
    }

    /// Opens a token presented with `access_key_id` at time `now`.
    pub(crate) fn open(
        sealer: &Sealer,
        token: &str,
        access_key_id: &str,
        now: i64,
        generation: u64,
    ) -> Result<Session, TokenProblem> {
        let session = Session::open_kept(sealer, token, now, generation)?;
        if session.access_key_id != access_key_id {
            return Err(TokenProblem::Invalid);
        }
        Ok(session)
    }

    /// Opens a token the server kept itself (a federated console session's), which no
    /// access key presents.
    pub(crate) fn open_kept(
        sealer: &Sealer,
        token: &str,
        now: i64,
        generation: u64,
    ) -> Result<Session, TokenProblem> {
        let sealed = data_encoding::BASE64
            .decode(token.as_bytes())
            .map_err(|_| TokenProblem::Invalid)?;
        let json = sealer
            .open(&sealed, &token_binding(generation))
            .map_err(|_| TokenProblem::Invalid)?;
        let session: Session = serde_json::from_slice(&json).map_err(|_| TokenProblem::Invalid)?;
        if now >= session.expires_at {
            return Err(TokenProblem::Expired);
        }
        Ok(session)
    }
}

// The secret must never reach a log line or a Debug dump.
impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("access_key_id", &self.access_key_id)
            .field("account_id", &self.account_id)
            .field("kind", &self.kind)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}
