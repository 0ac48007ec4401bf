//! Castellan's IAM and STS operations over the store: validation, quotas, authorization of
//! the caller, secrets and passwords. No HTTP here: the server hands in decoded wire
//! requests and an authenticated caller, and gets back wire responses or a [`ServiceError`].

mod authenticate;
mod authorize;
mod bounded;
mod caller;
mod catalogue;
mod certificate;
mod decide;
mod error;
mod federation;
mod fixtures;
mod guardrails;
mod iam;
mod ids;
mod marker;
mod organizations;
mod pages;
mod password;
mod public_key;
mod qr;
mod reads;
mod seal;
mod secret;
mod service;
mod session;
mod sign_in;
mod state;
mod sts;
mod throttle;
pub mod totp;
mod trust;
mod web_identity;

pub use authenticate::{Authenticated, AuthenticationError, Refused, claimed_service};
pub use bounded::Bound;
pub use caller::{Caller, Identity, RequestInfo, group_arn, role_arn, user_arn};
pub use catalogue::{Catalogue, ManagedPolicy};
pub use decide::{AUTHORIZE_ACTION, Answer, MatchedStatement, Question};
pub use error::{Denial, ServiceError, ServiceResult};
pub use federation::SamlSignIn;
pub use federation::{HttpsGet, HttpsGetResult};
pub use fixtures::{FixtureError, FixtureErrors, Fixtures};
pub use iam::{DocumentKind, check_document};
pub use ids::{
    IdKind, account_of_temporary_key, is_access_key_id, is_secret_access_key, new_access_key_id,
    new_account_id, new_console_password, new_secret_access_key, new_temporary_key_id,
    new_unique_id,
};
pub use pages::{PageKey, RenderedPage};
pub use password::{PasswordError, hash_password, verify_password};
/// The engine's types the decision API's callers build and read.
pub use policy::{ContextValue, Decision};
pub use seal::{MasterKey, SealError, Sealer};
pub use secret::Secret;
pub use service::{
    CacheLimits, CacheUsage, Clock, DEFAULT_PUBLIC_URL, KeyEntry, NewAccount,
    PASSWORD_FAILURES_PER_ADDRESS, PASSWORD_FAILURES_PER_USER, PasswordCheck, Sealed, Service,
};
pub use session::{Session, SessionKind, TokenProblem};
pub use sign_in::{
    CONSOLE_IDLE_SECONDS, CONSOLE_SESSION_SECONDS, ConsoleCaller, SignIn, SignInRequest,
};
/// Latency histograms, as `/metrics` reads them.
pub use store::metrics::{BUCKETS as LATENCY_BUCKETS, Histogram, HistogramSnapshot};
pub use throttle::{Throttle, ThrottleLimit};

/// The system's random source failed: nothing secret can be made, so the caller must fail
/// the request rather than fall back to anything weaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random source failed")]
pub struct RandomUnavailable;

/// Fills `buffer` from the operating system's random source.
pub(crate) fn random_bytes(buffer: &mut [u8]) -> Result<(), RandomUnavailable> {
    getrandom::fill(buffer).map_err(|_| RandomUnavailable)
}

impl From<RandomUnavailable> for ServiceError {
    fn from(error: RandomUnavailable) -> ServiceError {
        ServiceError::internal(&error)
    }
}
