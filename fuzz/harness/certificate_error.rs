//! A stand-in for the service's error type with the two constructors `certificate.rs` uses,
//! so that the `certificate_check` fuzz target and its replay compile that file by path
//! without the service crate (and its store and databases).

/// What a check refused: AWS's code and message.
#[derive(Debug)]
pub struct ServiceError {
    code: &'static str,
    message: String,
}

impl ServiceError {
    pub fn malformed_certificate(message: impl Into<String>) -> ServiceError {
        ServiceError {
            code: "MalformedCertificate",
            message: message.into(),
        }
    }

    pub fn key_pair_mismatch(message: impl Into<String>) -> ServiceError {
        ServiceError {
            code: "KeyPairMismatch",
            message: message.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn message(&self) -> String {
        self.message.clone()
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
