//! The one error type of every operation: an AWS error code, its HTTP status and message.
//!
//! Domain errors (store, policy validation) are mapped here, in one place; the server only
//! encodes what it is given. Internal failures never reach clients in detail.

use store::StoreError;

/// An operation's failure, as AWS would report it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ServiceError {
    /// AWS's error code, such as `NoSuchEntity`.
    pub code: &'static str,
    /// The HTTP status AWS sends with it.
    pub status: u16,
    /// AWS's message.
    pub message: String,
}

impl ServiceError {
    fn new(code: &'static str, status: u16, message: impl Into<String>) -> ServiceError {
        ServiceError {
            code,
            status,
            message: message.into(),
        }
    }

    /// `AccessDenied` (403).
    pub fn access_denied(message: impl Into<String>) -> ServiceError {
        ServiceError::new("AccessDenied", 403, message)
    }

    /// `NoSuchEntity` (404).
    pub fn no_such_entity(message: impl Into<String>) -> ServiceError {
        ServiceError::new("NoSuchEntity", 404, message)
    }

    /// `InvalidInput` (400).
    pub fn invalid_input(message: impl Into<String>) -> ServiceError {
        ServiceError::new("InvalidInput", 400, message)
    }

    /// `LimitExceeded` (409).
    pub fn limit_exceeded(message: impl Into<String>) -> ServiceError {
        ServiceError::new("LimitExceeded", 409, message)
    }

    /// `MalformedPolicyDocument` (400).
    pub fn malformed_policy(message: impl Into<String>) -> ServiceError {
        ServiceError::new("MalformedPolicyDocument", 400, message)
    }

    /// `ValidationError` (400).
    pub fn validation(message: impl Into<String>) -> ServiceError {
        ServiceError::new("ValidationError", 400, message)
    }

    /// `NotImplemented` (501): an operation of the models that Castellan does not offer yet.
    pub fn not_implemented(operation: &str) -> ServiceError {
        ServiceError::new(
            "NotImplemented",
            501,
            format!("Castellan does not implement {operation} yet."),
        )
    }

    /// `ServiceFailure` (500); the detail goes to the log, never to the client.
    pub fn internal(detail: &dyn std::fmt::Display) -> ServiceError {
        tracing::error!(%detail, "internal failure");
        ServiceError::new(
            "ServiceFailure",
            500,
            "The request processing has failed because of an unknown error, exception or failure.",
        )
    }
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> ServiceError {
        let message = error.to_string();
        match error {
            StoreError::NoSuchEntity { .. } => ServiceError::new("NoSuchEntity", 404, message),
            StoreError::EntityAlreadyExists { .. } => {
                ServiceError::new("EntityAlreadyExists", 409, message)
            }
            StoreError::LimitExceeded { .. } => ServiceError::new("LimitExceeded", 409, message),
            StoreError::DeleteConflict { .. } => ServiceError::new("DeleteConflict", 409, message),
            StoreError::Backend(backend) => ServiceError::internal(&backend),
        }
    }
}

impl From<policy::PolicyError> for ServiceError {
    fn from(error: policy::PolicyError) -> ServiceError {
        match error.first() {
            Some(finding) => {
                let (code, status) = match finding.code {
                    policy::FindingCode::MalformedPolicyDocument => {
                        ("MalformedPolicyDocument", 400)
                    }
                    policy::FindingCode::LimitExceeded => ("LimitExceeded", 409),
                    policy::FindingCode::ValidationError => ("ValidationError", 400),
                };
                ServiceError::new(code, status, finding.message.clone())
            }
            None => ServiceError::malformed_policy("Syntax errors in policy."),
        }
    }
}

/// The result of an operation.
pub type ServiceResult<T> = Result<T, ServiceError>;
