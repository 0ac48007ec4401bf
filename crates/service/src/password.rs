//! Console passwords: Argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane), stored as
//! PHC strings so the parameters can be raised later without invalidating old hashes.

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;
use zeroize::Zeroizing;

/// Why a password could not be hashed or checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// The stored hash is not a PHC string we can read.
    #[error("the stored password hash is malformed")]
    MalformedHash,
    /// Hashing failed (the random source, or parameters).
    #[error("the password could not be hashed")]
    Hashing,
    /// The blocking pool that runs Argon2 is gone (the runtime is shutting down).
    #[error("the password hashing pool is unavailable")]
    Unavailable,
}

fn argon2() -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|_| PasswordError::Hashing)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes `password` with a fresh salt; the result is a PHC string.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let salt = argon2::password_hash::try_generate_salt().map_err(|_| PasswordError::Hashing)?;
    let hash = argon2()?
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|_| PasswordError::Hashing)?;
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `hash` (constant time in the comparison).
pub fn verify_password(password: &str, hash: &str) -> Result<bool, PasswordError> {
    match argon2()?.verify_password(password.as_bytes(), hash) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(_) => Err(PasswordError::MalformedHash),
    }
}

/// Runs Argon2 (19 MiB and tens of milliseconds a call) off the async workers: on the
/// runtime's blocking pool, at most one call at once per core but one, so a wrong-password loop
/// queues here instead of stalling every other request. The RSA decryptions of encrypted SAML
/// assertions (also input anyone may send) share it.
#[derive(Clone, Debug)]
pub(crate) struct PasswordPool {
    permits: Arc<Semaphore>,
}

impl Default for PasswordPool {
    fn default() -> PasswordPool {
        // One core is left to the async workers, so requests that need no password keep
        // being served while passwords are checked (on one core, Argon2 gets it anyway).
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        PasswordPool {
            permits: Arc::new(Semaphore::new(cores.saturating_sub(1).max(1))),
        }
    }
}

impl PasswordPool {
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, PasswordError> + Send + 'static,
    ) -> Result<T, PasswordError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PasswordError::Unavailable)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| PasswordError::Unavailable)?
    }

    /// Other CPU-heavy work on unauthenticated input (an encrypted SAML assertion's RSA
    /// decryptions) on the same bounded pool.
    pub(crate) async fn run_heavy<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        self.run(move || Ok(work())).await
    }

    /// [`hash_password`] on the blocking pool.
    pub(crate) async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let password = Zeroizing::new(password.to_owned());
        self.run(move || hash_password(&password)).await
    }

    /// [`verify_password`] on the blocking pool.
    pub(crate) async fn verify(&self, password: &str, hash: &str) -> Result<bool, PasswordError> {
        let password = Zeroizing::new(password.to_owned());
        let hash = hash.to_owned();
        self.run(move || verify_password(&password, &hash)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(!hash.contains("correct horse"));
        assert_eq!(verify_password("correct horse", &hash), Ok(true));
        assert_eq!(verify_password("wrong horse", &hash), Ok(false));
        assert_ne!(hash, hash_password("correct horse").unwrap());
        assert_eq!(
            verify_password("x", "not a hash"),
            Err(PasswordError::MalformedHash)
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn finding_7_argon2_runs_off_the_async_workers() {
        let pool = PasswordPool::default();
        let here = std::thread::current().id();
        let there = pool.run(|| Ok(std::thread::current().id())).await.unwrap();
        assert_ne!(here, there);
        let hash = pool.hash("correct horse").await.unwrap();
        assert_eq!(pool.verify("correct horse", &hash).await, Ok(true));
        assert_eq!(pool.verify("wrong horse", &hash).await, Ok(false));
    }

    /// Four Argon2 verifications in flight on a single-threaded runtime: another task keeps
    /// running meanwhile (it could not if Argon2 ran on the runtime's thread). Prints the
    /// longest gap that task saw between two of its turns.
    #[tokio::test(flavor = "current_thread")]
    async fn finding_7_other_tasks_run_while_argon2_works() {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let hash = hash_password("correct horse").unwrap();
        let pool = PasswordPool::default();
        let in_flight = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let ticker = {
            let (in_flight, done) = (Arc::clone(&in_flight), Arc::clone(&done));
            tokio::spawn(async move {
                let (mut turns_during, mut longest, mut last) =
                    (0u64, std::time::Duration::ZERO, std::time::Instant::now());
                for _ in 0..50_000_000u64 {
                    if done.load(Ordering::SeqCst) {
                        break;
                    }
                    if in_flight.load(Ordering::SeqCst) > 0 {
                        turns_during += 1;
                    }
                    longest = longest.max(last.elapsed());
                    last = std::time::Instant::now();
                    tokio::task::yield_now().await;
                }
                (turns_during, longest)
            })
        };
        let checks = (0..4).map(|_| {
            let (pool, hash, in_flight) = (pool.clone(), hash.clone(), Arc::clone(&in_flight));
            async move {
                pool.run(move || {
                    in_flight.fetch_add(1, Ordering::SeqCst);
                    let result = verify_password("wrong horse", &hash);
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    result
                })
                .await
            }
        });
        let mut results = Vec::new();
        for check in checks.collect::<Vec<_>>() {
            results.push(tokio::spawn(check));
        }
        for result in results {
            assert_eq!(result.await.unwrap(), Ok(false));
        }
        done.store(true, Ordering::SeqCst);
        let (turns_during, longest) = ticker.await.unwrap();
        println!(
            "finding 7: another task ran {turns_during} times while Argon2 worked; longest gap between its turns {longest:?}"
        );
        assert!(turns_during > 0);
    }
}
