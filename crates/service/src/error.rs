//! The one error type of every operation: an error shape of the models (IAM, STS, or common to
//! both) with AWS's message, a denial with the engine's decision, or an internal failure.
//!
//! Codes and statuses come from the `wire` crate (generated from the models, or its
//! hand-written common errors); nothing here writes one. The server turns a `ServiceError`
//! into a response in one place, and logs internal failures there with the request id.

use store::StoreError;
use wire::{CommonError, INTERNAL_FAILURE_MESSAGE, iam, organizations, sts};

/// An operation's failure, as AWS would report it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// An error shape of the IAM model.
    #[error("{}: {message}", error.code())]
    Iam { error: iam::Error, message: String },
    /// An error shape of the STS model.
    #[error("{}: {message}", error.code())]
    Sts { error: sts::Error, message: String },
    /// An error shape of the Organizations model, with its `Reason` when the shape has one.
    #[error("{}: {message}", error.code())]
    Organizations {
        error: organizations::Error,
        message: String,
        reason: Option<&'static str>,
    },
    /// An error common to the Query APIs (validation, a refusal that is not the policy
    /// engine's, an unknown token, an operation not built).
    #[error("{}: {message}", error.code())]
    Common { error: CommonError, message: String },
    /// The policy engine denied the caller (`AccessDenied`).
    #[error("{}: {}", CommonError::AccessDenied.code(), .0.message())]
    Denied(Denial),
    /// A failure of ours. `detail` goes to the log only; the client gets AWS's
    /// `ServiceFailure` with its generic message.
    #[error("internal failure: {detail}")]
    Internal { detail: String },
}

/// A decision of the policy engine that refused the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// Whether a statement denied explicitly; `false` when nothing allowed. Behaviour that
    /// AWS grants unless denied explicitly (`AllowUsersToChangePassword`) reads this.
    pub explicit: bool,
    /// AWS's message, naming the policy type that decided.
    pub message: String,
    /// With `--encode-authorization-messages`: the decision sealed for
    /// DecodeAuthorizationMessage, appended to the message as AWS does.
    pub encoded: Option<String>,
}

impl Denial {
    /// The message as sent: AWS's text, then the encoded authorization message if any.
    #[must_use]
    pub fn message(&self) -> String {
        match &self.encoded {
            Some(encoded) => format!(
                "{} Encoded authorization failure message: {encoded}",
                self.message
            ),
            None => self.message.clone(),
        }
    }
}

impl ServiceError {
    /// An error of the IAM model.
    pub fn iam(error: iam::Error, message: impl Into<String>) -> ServiceError {
        ServiceError::Iam {
            error,
            message: message.into(),
        }
    }

    /// An error of the STS model.
    pub fn sts(error: sts::Error, message: impl Into<String>) -> ServiceError {
        ServiceError::Sts {
            error,
            message: message.into(),
        }
    }

    /// An error of the Organizations model.
    pub fn organizations(error: organizations::Error, message: impl Into<String>) -> ServiceError {
        ServiceError::Organizations {
            error,
            message: message.into(),
            reason: None,
        }
    }

    /// An error of the Organizations model with its `Reason` (`ConstraintViolationException`,
    /// `InvalidInputException`).
    pub fn organizations_because(
        error: organizations::Error,
        reason: &'static str,
        message: impl Into<String>,
    ) -> ServiceError {
        ServiceError::Organizations {
            error,
            message: message.into(),
            reason: Some(reason),
        }
    }

    /// The `Reason` sent with this error, when it has one.
    #[must_use]
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            ServiceError::Organizations { reason, .. } => *reason,
            _ => None,
        }
    }

    /// An error common to both APIs.
    pub fn common(error: CommonError, message: impl Into<String>) -> ServiceError {
        ServiceError::Common {
            error,
            message: message.into(),
        }
    }

    /// `AccessDenied` (403) from a rule of the service rather than the policy engine (the
    /// root user assuming a role, a wrong old password, what temporary credentials may call).
    pub fn access_denied(message: impl Into<String>) -> ServiceError {
        ServiceError::common(CommonError::AccessDenied, message)
    }

    /// `NoSuchEntity` (404).
    pub fn no_such_entity(message: impl Into<String>) -> ServiceError {
        ServiceError::iam(iam::Error::NoSuchEntity, message)
    }

    /// `EntityAlreadyExists` (409).
    pub fn entity_already_exists(message: impl Into<String>) -> ServiceError {
        ServiceError::iam(iam::Error::EntityAlreadyExists, message)
    }

    /// `DeleteConflict` (409).
    pub fn delete_conflict(message: impl Into<String>) -> ServiceError {
        ServiceError::iam(iam::Error::DeleteConflict, message)
    }

    /// `InvalidAuthenticationCode` (403): MFA codes that do not check.
    pub fn invalid_authentication_code() -> ServiceError {
        ServiceError::iam(
            iam::Error::InvalidAuthenticationCode,
            "Authentication code for device is not valid.",
        )
    }

    /// `InvalidInput` (400).
    pub fn invalid_input(message: impl Into<String>) -> ServiceError {
        ServiceError::iam(iam::Error::InvalidInput, message)
    }

    /// `LimitExceeded` (409).
    pub fn limit_exceeded(message: impl Into<String>) -> ServiceError {
        ServiceError::iam(iam::Error::LimitExceeded, message)
    }

    /// `MalformedPolicyDocument` (400).
    pub fn malformed_policy(message: impl Into<String>) -> ServiceError {
        ServiceError::iam(iam::Error::MalformedPolicyDocument, message)
    }

    /// `MalformedCertificate` (400).
    pub fn malformed_certificate(message: impl Into<String>) -> ServiceError {
        ServiceError::iam(iam::Error::MalformedCertificate, message)
    }

    /// `KeyPairMismatch` (400).
    pub fn key_pair_mismatch(message: impl Into<String>) -> ServiceError {
        ServiceError::iam(iam::Error::KeyPairMismatch, message)
    }

    /// `ValidationError` (400).
    pub fn validation(message: impl Into<String>) -> ServiceError {
        ServiceError::common(CommonError::ValidationError, message)
    }

    /// `InvalidClientTokenId` (403): a token or key that names no one.
    pub fn invalid_token() -> ServiceError {
        ServiceError::common(
            CommonError::InvalidClientTokenId,
            "The security token included in the request is invalid",
        )
    }

    /// `NotImplemented` (501): an operation of the models that Castellan does not offer yet.
    pub fn not_implemented(operation: &str) -> ServiceError {
        ServiceError::common(
            CommonError::NotImplemented,
            format!("Castellan does not implement {operation} yet."),
        )
    }

    /// `ServiceFailure` (500); the detail goes to the log (with the request id, by the
    /// server), never to the client.
    pub fn internal(detail: &dyn std::fmt::Display) -> ServiceError {
        ServiceError::Internal {
            detail: detail.to_string(),
        }
    }

    /// The `<Code>` sent for this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::Iam { error, .. } => error.code(),
            ServiceError::Sts { error, .. } => error.code(),
            ServiceError::Organizations { error, .. } => error.code(),
            ServiceError::Common { error, .. } => error.code(),
            ServiceError::Denied(_) => CommonError::AccessDenied.code(),
            ServiceError::Internal { .. } => iam::Error::ServiceFailure.code(),
        }
    }

    /// The HTTP status sent for this error by `service` (only the common errors' statuses
    /// may depend on it).
    #[must_use]
    pub fn status(&self, service: wire::Service) -> u16 {
        match self {
            ServiceError::Iam { error, .. } => error.status(),
            ServiceError::Sts { error, .. } => error.status(),
            ServiceError::Organizations { error, .. } => error.status(),
            ServiceError::Common { error, .. } => error.status(service),
            ServiceError::Denied(_) => CommonError::AccessDenied.status(service),
            ServiceError::Internal { .. } => iam::Error::ServiceFailure.status(),
        }
    }

    /// The `<Message>` sent for this error: never an internal failure's detail.
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            ServiceError::Iam { message, .. }
            | ServiceError::Sts { message, .. }
            | ServiceError::Organizations { message, .. }
            | ServiceError::Common { message, .. } => message.clone(),
            ServiceError::Denied(denial) => denial.message(),
            ServiceError::Internal { .. } => INTERNAL_FAILURE_MESSAGE.to_owned(),
        }
    }

    /// The `<Message>` for a request living in `partition`: the ARNs it quotes are canonical
    /// (`aws`) and move into the request's partition, except in a malformed-document message,
    /// which quotes the caller's own document as written.
    #[must_use]
    pub fn message_in(&self, partition: wire::Partition) -> String {
        let message = self.message();
        let quotes_document = matches!(
            self,
            ServiceError::Iam {
                error: iam::Error::MalformedPolicyDocument,
                ..
            } | ServiceError::Sts {
                error: sts::Error::MalformedPolicyDocument,
                ..
            } | ServiceError::Organizations {
                error: organizations::Error::MalformedPolicyDocument,
                ..
            }
        );
        if quotes_document {
            return message;
        }
        partition.swap_within(&message).into_owned()
    }

    /// Whether the caller was refused, by the policy engine or by a rule of the service.
    #[must_use]
    pub fn is_access_denied(&self) -> bool {
        matches!(
            self,
            ServiceError::Denied(_)
                | ServiceError::Common {
                    error: CommonError::AccessDenied,
                    ..
                }
        )
    }

    /// Whether this is `InvalidClientTokenId`: a token or key that names no one (any more).
    #[must_use]
    pub fn is_invalid_token(&self) -> bool {
        matches!(
            self,
            ServiceError::Common {
                error: CommonError::InvalidClientTokenId,
                ..
            }
        )
    }

    /// Whether this is an internal failure (a fault of the server, not of the request).
    #[must_use]
    pub fn is_internal(&self) -> bool {
        matches!(self, ServiceError::Internal { .. })
    }

    /// Whether this is `NoSuchEntity`.
    #[must_use]
    pub fn is_no_such_entity(&self) -> bool {
        matches!(
            self,
            ServiceError::Iam {
                error: iam::Error::NoSuchEntity,
                ..
            }
        )
    }
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> ServiceError {
        let message = error.to_string();
        let shape = match error {
            StoreError::NoSuchEntity { .. } => iam::Error::NoSuchEntity,
            StoreError::EntityAlreadyExists { .. } => iam::Error::EntityAlreadyExists,
            StoreError::LimitExceeded { .. } => iam::Error::LimitExceeded,
            StoreError::DeleteConflict { .. } => iam::Error::DeleteConflict,
            StoreError::Organizations(why) => return crate::organizations::refusal(why),
            StoreError::Backend(backend) => return ServiceError::internal(&backend),
        };
        ServiceError::iam(shape, message)
    }
}

impl From<policy::PolicyError> for ServiceError {
    fn from(error: policy::PolicyError) -> ServiceError {
        match error.first() {
            Some(finding) => {
                let message = finding.message.clone();
                match finding.code {
                    policy::FindingCode::MalformedPolicyDocument => {
                        ServiceError::malformed_policy(message)
                    }
                    policy::FindingCode::LimitExceeded => ServiceError::limit_exceeded(message),
                    policy::FindingCode::ValidationError => ServiceError::validation(message),
                }
            }
            None => ServiceError::malformed_policy("Syntax errors in policy."),
        }
    }
}

/// The result of an operation.
pub type ServiceResult<T> = Result<T, ServiceError>;
