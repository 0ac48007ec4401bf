//! Why a request was not authenticated, in AWS's words: each variant knows its AWS error code,
//! HTTP status and exact message, so the server maps it to the wire in one place.

use thiserror::Error;

/// AWS's message for a signature that does not match.
pub(crate) const MSG_SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// A failed authentication. `Display` is AWS's message, verbatim (which is why these messages
/// are not in the lower-case style of the project's other errors).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Neither an `Authorization` header nor an `X-Amz-Algorithm` query parameter.
    #[error("Request is missing Authentication Token")]
    MissingAuthenticationToken,
    /// The signature information is malformed or incomplete.
    #[error("{0}")]
    IncompleteSignature(String),
    /// The signature is wrong, stale, not yet valid, or scoped to the wrong place.
    #[error("{0}")]
    SignatureDoesNotMatch(String),
    /// The access key id is not known.
    #[error("The AWS access key provided does not exist in our records.")]
    UnknownAccessKey,
    /// The key is inactive, or the session token is invalid for it.
    #[error("The security token included in the request is invalid")]
    InvalidClientToken,
    /// The session token has expired. `service` is the scope's service: STS answers 400, IAM 403.
    #[error("The security token included in the request is expired")]
    ExpiredToken {
        /// The credential scope's service.
        service: String,
    },
    /// A presigned URL used after `X-Amz-Date + X-Amz-Expires`.
    #[error("Request has expired")]
    RequestExpired,
    /// The key lookup itself failed (the credential store is down): not the caller's fault.
    #[error("The request processing has failed because of an unknown error, exception or failure.")]
    ServiceFailure,
}

impl AuthError {
    /// AWS's error code, e.g. `SignatureDoesNotMatch`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingAuthenticationToken => "MissingAuthenticationToken",
            Self::IncompleteSignature(_) => "IncompleteSignature",
            Self::SignatureDoesNotMatch(_) => "SignatureDoesNotMatch",
            Self::UnknownAccessKey | Self::InvalidClientToken => "InvalidClientTokenId",
            Self::ExpiredToken { .. } => "ExpiredToken",
            Self::RequestExpired => "AccessDenied",
            Self::ServiceFailure => "ServiceFailure",
        }
    }

    /// The HTTP status AWS answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::IncompleteSignature(_) => 400,
            Self::ExpiredToken { service } if service == "sts" => 400,
            Self::ServiceFailure => 500,
            _ => 403,
        }
    }

    /// AWS's message (the same text as `Display`).
    pub fn message(&self) -> String {
        self.to_string()
    }

    pub(crate) fn mismatch() -> Self {
        Self::SignatureDoesNotMatch(MSG_SIGNATURE_MISMATCH.to_owned())
    }
}

/// What the caller's key lookup can answer instead of a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LookupError {
    /// No such access key id.
    #[error("unknown access key")]
    UnknownKey,
    /// The key exists but is inactive.
    #[error("inactive access key")]
    InactiveKey,
    /// The session token is missing (temporary key), malformed, or not this key's.
    #[error("invalid session token")]
    InvalidSessionToken,
    /// The session token was valid but has expired.
    #[error("expired session token")]
    ExpiredSessionToken,
    /// The credential store could not be read.
    #[error("credential store unavailable")]
    Unavailable,
}

impl LookupError {
    pub(crate) fn into_auth_error(self, service: &str) -> AuthError {
        match self {
            Self::UnknownKey => AuthError::UnknownAccessKey,
            Self::InactiveKey | Self::InvalidSessionToken => AuthError::InvalidClientToken,
            Self::ExpiredSessionToken => AuthError::ExpiredToken {
                service: service.to_owned(),
            },
            Self::Unavailable => AuthError::ServiceFailure,
        }
    }
}
