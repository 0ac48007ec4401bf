//! Castellan's IAM and STS operations over the store: validation, quotas, authorization of
//! the caller, secrets and passwords. No HTTP or XML types.
//!
//! Built so far: the security primitives every operation needs (sealed secrets under a
//! master key, AWS-style identifiers, Argon2id passwords). The operations themselves arrive
//! with the server.

mod ids;
mod password;
mod seal;
mod secret;

pub use ids::{IdKind, new_access_key_id, new_account_id, new_secret_access_key, new_unique_id};
pub use password::{PasswordError, hash_password, verify_password};
pub use seal::{MasterKey, SealError, Sealer};
pub use secret::Secret;

/// The system's random source failed: nothing secret can be made, so the caller must fail
/// the request rather than fall back to anything weaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random source failed")]
pub struct RandomUnavailable;

/// Fills `buffer` from the operating system's random source.
pub(crate) fn random_bytes(buffer: &mut [u8]) -> Result<(), RandomUnavailable> {
    getrandom::fill(buffer).map_err(|_| RandomUnavailable)
}
