//! Errors on the wire: the services, the protocol-level error codes that no model lists, and
//! the `<ErrorResponse>` body every failure is sent as.

use crate::xml;

/// Which API a request is for; fixes the XML namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    Iam,
    Sts,
    /// AWS Organizations, in the JSON 1.1 protocol.
    Organizations,
}

impl Service {
    /// The XML namespace of responses, e.g. `https://iam.amazonaws.com/doc/2010-05-08/`.
    #[must_use]
    pub const fn namespace(self) -> &'static str {
        match self {
            Self::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
            Self::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
            // JSON bodies have no namespace.
            Self::Organizations => "",
        }
    }

    /// The API version clients send as `Version`.
    #[must_use]
    pub const fn version(self) -> &'static str {
        match self {
            Self::Iam => "2010-05-08",
            Self::Sts => "2011-06-15",
            Self::Organizations => "2016-11-28",
        }
    }
}

/// Error codes common to every Query API (authentication, protocol, throttling), and those
/// the HTTP layer answers itself (no route, a body too large or too slow): the models list
/// only each operation's own errors, so these are written by hand. Every code and status that
/// is not in the models is here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommonError {
    ValidationError,
    InvalidAction,
    MissingAction,
    MissingParameter,
    InvalidParameterValue,
    MalformedQueryString,
    AccessDenied,
    InvalidClientTokenId,
    SignatureDoesNotMatch,
    IncompleteSignature,
    MissingAuthenticationToken,
    ExpiredToken,
    RequestExpired,
    Throttling,
    InternalFailure,
    ServiceUnavailable,
    /// An operation of the models that Castellan does not offer yet.
    NotImplemented,
    /// No route at the request's path.
    NotFound,
    /// A route that does not take the request's method.
    MethodNotAllowed,
    /// The body did not arrive within the body timeout.
    RequestTimeout,
    /// The body exceeds the size limit.
    RequestEntityTooLarge,
    /// The body could not be read.
    MalformedHttpRequest,
}

/// AWS's message for an internal failure; the detail goes only to the log.
pub const INTERNAL_FAILURE_MESSAGE: &str =
    "The request processing has failed because of an unknown error, exception or failure.";

impl CommonError {
    /// The `<Code>` text.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::ValidationError => "ValidationError",
            Self::InvalidAction => "InvalidAction",
            Self::MissingAction => "MissingAction",
            Self::MissingParameter => "MissingParameter",
            Self::InvalidParameterValue => "InvalidParameterValue",
            Self::MalformedQueryString => "MalformedQueryString",
            Self::AccessDenied => "AccessDenied",
            Self::InvalidClientTokenId => "InvalidClientTokenId",
            Self::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            Self::IncompleteSignature => "IncompleteSignature",
            Self::MissingAuthenticationToken => "MissingAuthenticationToken",
            Self::ExpiredToken => "ExpiredToken",
            Self::RequestExpired => "RequestExpired",
            Self::Throttling => "Throttling",
            Self::InternalFailure => "InternalFailure",
            Self::ServiceUnavailable => "ServiceUnavailable",
            Self::NotImplemented => "NotImplemented",
            Self::NotFound => "NotFound",
            Self::MethodNotAllowed => "MethodNotAllowed",
            Self::RequestTimeout => "RequestTimeoutException",
            Self::RequestEntityTooLarge => "RequestEntityTooLargeException",
            Self::MalformedHttpRequest => "MalformedHttpRequestException",
        }
    }

    /// The HTTP status AWS sends it with. Only `ExpiredToken` differs between the services
    /// (400 from STS, 403 from IAM).
    #[must_use]
    pub const fn status(self, service: Service) -> u16 {
        match self {
            Self::AccessDenied
            | Self::InvalidClientTokenId
            | Self::SignatureDoesNotMatch
            | Self::MissingAuthenticationToken => 403,
            Self::ExpiredToken => match service {
                Service::Iam => 403,
                Service::Sts | Service::Organizations => 400,
            },
            Self::MalformedQueryString | Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::RequestTimeout => 408,
            Self::RequestEntityTooLarge => 413,
            Self::InternalFailure => 500,
            Self::NotImplemented => 501,
            Self::ServiceUnavailable => 503,
            Self::ValidationError
            | Self::MalformedHttpRequest
            | Self::InvalidAction
            | Self::MissingAction
            | Self::MissingParameter
            | Self::InvalidParameterValue
            | Self::IncompleteSignature
            | Self::RequestExpired
            | Self::Throttling => 400,
        }
    }
}

/// The code a JSON-protocol service answers for a Query API's common error code: the
/// authentication failures have names of their own there (`UnrecognizedClientException` for
/// `InvalidClientTokenId`, ...), and a model constraint failure is Organizations'
/// `InvalidInputException`. Codes of the model itself pass unchanged.
#[must_use]
pub fn json_code(code: &str) -> &str {
    match code {
        "InvalidClientTokenId" => "UnrecognizedClientException",
        "SignatureDoesNotMatch" => "InvalidSignatureException",
        "IncompleteSignature" => "IncompleteSignatureException",
        "MissingAuthenticationToken" => "MissingAuthenticationTokenException",
        "ExpiredToken" => "ExpiredTokenException",
        "AccessDenied" => "AccessDeniedException",
        "ValidationError" => "InvalidInputException",
        "Throttling" => "ThrottlingException",
        "InternalFailure" | "ServiceFailure" => "ServiceException",
        "ServiceUnavailable" => "ServiceUnavailableException",
        "InvalidAction" | "MissingAction" => "UnknownOperationException",
        "MalformedQueryString" | "InvalidParameterValue" | "MissingParameter" => {
            "SerializationException"
        }
        other => other,
    }
}

/// The body of a failed request to a JSON-protocol service: `{"__type": code, "Message":
/// message}`, with `Reason` when the error has one, the code as [`json_code`] names it.
#[must_use]
pub fn encode_json_error(code: &str, message: &str, reason: Option<&str>) -> String {
    crate::json::error(json_code(code), message, reason)
}

/// The body of a failed request:
/// `<ErrorResponse xmlns=..><Error><Type>Sender</Type><Code>..</Code><Message>..</Message>
/// </Error><RequestId>..</RequestId></ErrorResponse>`. `Type` is `Receiver` for a 5xx
/// `status`, `Sender` otherwise.
#[must_use]
pub fn encode_error(
    service: Service,
    code: &str,
    status: u16,
    message: &str,
    request_id: &str,
) -> String {
    xml::error(service, code, status, message, request_id)
}
