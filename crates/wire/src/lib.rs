//! The AWS Query protocol for IAM and STS: form parameters into typed, validated inputs, and
//! typed outputs into XML bodies; and the JSON 1.1 protocol for Organizations (JSON bodies in
//! and out, `QueryParams::from_json`); types generated from the pinned AWS models.
//!
//! Pure: no I/O, no async, no HTTP types. A server reads the `Action`, picks the service's
//! `Operation`, decodes a `Request`, and answers with a `Response` or an error body:
//!
//! ```
//! use wire::{QueryParams, iam};
//!
//! let params = QueryParams::from_pairs([("Action", "GetUser"), ("UserName", "alice")]);
//! let op = params.get("Action").and_then(iam::Operation::from_action);
//! assert_eq!(op, Some(iam::Operation::GetUser));
//! let request = iam::Operation::GetUser.decode(&params);
//! assert!(matches!(request, Ok(iam::Request::GetUser(ref input))
//!     if input.user_name.as_deref() == Some("alice")));
//! ```

mod base64;
mod decode;
mod error;
mod generated;
mod json;
mod partition;
mod pattern;
mod timestamp;
mod xml;

pub use decode::{QueryParams, ValidationError, ValidationErrors};
pub use error::{
    CommonError, INTERNAL_FAILURE_MESSAGE, Service, encode_error, encode_json_error, json_code,
};
pub use generated::{access, iam, organizations, sts};
pub use json::{JsonBodyError, invalid_input_reason};
pub use partition::Partition;
pub use timestamp::{Timestamp, TimestampError};

/// Whether all of `text` matches `pattern`, written in the models' pattern dialect, as the
/// decoder checks members. For values that reach a service without a request member to
/// decode them (the claims of a web identity token, the attributes of a SAML assertion); a
/// pattern the dialect cannot express matches nothing.
///
/// ```
/// let tag_key = "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+";
/// assert!(wire::matches_model_pattern(tag_key, "Équipe 1"));
/// assert!(!wire::matches_model_pattern(tag_key, "team\n"));
/// assert!(!wire::matches_model_pattern("[\\w+=,.@-]*", "octo cat"));
/// ```
#[must_use]
pub fn matches_model_pattern(pattern: &str, text: &str) -> bool {
    pattern::Pattern::new(pattern).is_ok_and(|pattern| pattern.is_match(text))
}
