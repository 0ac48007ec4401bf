//! Authentication in one call: the signer a request claims (read by the verifier's own
//! parser), its key or session, SigV4 verification, and the caller behind the key.

use std::sync::Arc;

use sigv4::{AuthError, Claim, LookupError, SecretKey, Verifier};
use wire::Service as WireService;

use crate::caller::{Caller, RequestInfo};
use crate::error::ServiceError;
use crate::service::{KeyEntry, Service};
use crate::session::{Session, TokenProblem};

/// A verified request's caller and the service its signature scope names.
#[derive(Debug)]
pub struct Authenticated {
    /// Who signed the request, with the request's facts (scope region and service included).
    pub caller: Caller,
    /// The API the request is for: the service of the verified scope.
    pub service: WireService,
}

/// Why a request was not authenticated.
#[derive(Debug)]
pub enum AuthenticationError {
    /// The signature, its scope or the key it names was refused by the verifier.
    Signature(AuthError),
    /// The key or the caller behind it could not be read, or no longer exists.
    Service(ServiceError),
}

/// A refusal, with the API whose error namespace reports it.
#[derive(Debug)]
pub struct Refused {
    /// The service the request's credential scope claims (IAM when it names none).
    pub service: WireService,
    /// What went wrong.
    pub error: AuthenticationError,
}

/// The API a scope's service names: STS for `sts`, Organizations for `organizations`, IAM
/// otherwise (the verifier refuses any service but these three).
fn api_of(service: &str) -> WireService {
    match service {
        "sts" => WireService::Sts,
        "organizations" => WireService::Organizations,
        _ => WireService::Iam,
    }
}

/// The API a request's credential scope claims, before anything is verified: for error
/// namespaces (a body refused before it is read whole, for instance).
pub fn claimed_service(request: &sigv4::Request<'_>) -> WireService {
    sigv4::claim(request).map_or(WireService::Iam, |claim| api_of(&claim.service))
}

/// The key material a claim leads to, fetched before the synchronous verifier asks for it.
enum Found {
    /// A temporary key: its session opened from the token (no store access).
    Session(Result<Arc<Session>, TokenProblem>),
    /// A long-term key, when one exists under the id.
    Key(Option<Arc<KeyEntry>>),
    /// Nothing was claimed (the verifier reports why).
    Nothing,
}

impl Service {
    /// Authenticates `request` at the service clock's time with `verifier` (whose signing-key
    /// cache the caller shares across requests). `client` carries the client's facts
    /// (address, TLS, user agent); its region and service are replaced by the verified scope's.
    pub async fn authenticate(
        &self,
        verifier: &Verifier,
        request: &sigv4::Request<'_>,
        client: RequestInfo,
    ) -> Result<Authenticated, Refused> {
        self.authenticate_payload(verifier, request, None, client)
            .await
    }

    /// Authenticates a request that another server received and forwarded without its body
    /// (the decision API): `body_sha256` is the hex SHA-256 of the body it read. The scope may
    /// name any service `verifier` accepts; the caller's request facts carry it.
    pub async fn authenticate_forwarded(
        &self,
        verifier: &Verifier,
        request: &sigv4::Request<'_>,
        body_sha256: &str,
        client: RequestInfo,
    ) -> Result<Caller, Refused> {
        self.authenticate_payload(verifier, request, Some(body_sha256), client)
            .await
            .map(|authenticated| authenticated.caller)
    }

    async fn authenticate_payload(
        &self,
        verifier: &Verifier,
        request: &sigv4::Request<'_>,
        body_sha256: Option<&str>,
        client: RequestInfo,
    ) -> Result<Authenticated, Refused> {
        let claim = sigv4::claim(request);
        let claimed = claim
            .as_ref()
            .map_or(WireService::Iam, |claim| api_of(&claim.service));
        let refuse = |service: WireService, error: AuthenticationError| Refused { service, error };
        self.check_fresh()
            .map_err(|e| refuse(claimed, AuthenticationError::Service(e)))?;
        let found = self
            .find_key(claim.as_ref())
            .await
            .map_err(|e| refuse(claimed, AuthenticationError::Service(e)))?;
        let lookup = |asked: &sigv4::KeyRequest<'_>| match &found {
            Found::Session(Ok(session)) if session.access_key_id == asked.access_key_id => {
                Ok(SecretKey::new(session.secret.clone()))
            }
            Found::Session(Err(TokenProblem::Expired)) => Err(LookupError::ExpiredSessionToken),
            Found::Session(_) => Err(LookupError::InvalidSessionToken),
            Found::Key(Some(entry)) if entry.access_key_id == asked.access_key_id => {
                if !entry.active {
                    Err(LookupError::InactiveKey)
                } else if asked.session_token.is_some() {
                    // A long-term key with a token: no session belongs to it.
                    Err(LookupError::InvalidSessionToken)
                } else {
                    Ok(entry.secret.clone())
                }
            }
            Found::Key(_) | Found::Nothing => Err(LookupError::UnknownKey),
        };
        let now = self.clock().now();
        let verified = match body_sha256 {
            None => verifier.verify(request, now, lookup),
            Some(hash) => verifier.verify_forwarded(request, hash, now, lookup),
        }
        .map_err(|e| refuse(claimed, AuthenticationError::Signature(e)))?;
        let service = api_of(&verified.service);
        let info = RequestInfo {
            region: verified.region,
            service: verified.service,
            ..client
        };
        let caller = match found {
            Found::Session(Ok(session)) => self.session_caller(session, info).await,
            Found::Key(Some(entry)) => self.caller(&entry, info).await,
            Found::Session(Err(_)) | Found::Key(None) | Found::Nothing => {
                Err(ServiceError::invalid_token())
            }
        }
        .map_err(|e| refuse(service, AuthenticationError::Service(e)))?;
        Ok(Authenticated { caller, service })
    }

    /// The session (for a temporary key with a token) or the key (from cache or store) that
    /// a claim names.
    async fn find_key(&self, claim: Option<&Claim>) -> Result<Found, ServiceError> {
        let Some(claim) = claim else {
            return Ok(Found::Nothing);
        };
        match &claim.session_token {
            Some(token) if claim.access_key_id.starts_with("ASIA") => Ok(Found::Session(
                self.open_session(&claim.access_key_id, token),
            )),
            _ => Ok(Found::Key(self.signing_key(&claim.access_key_id).await?)),
        }
    }
}
