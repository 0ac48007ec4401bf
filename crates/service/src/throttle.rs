//! Throttling of failed password checks: after `limit` failures of one key (a user, a source
//! address) within `window` seconds of the first, further attempts are refused until the
//! window has passed. One small type, so ChangePassword and the console's sign-in share it.

use std::sync::Mutex;

use crate::bounded::{Bound, BoundedMap};

/// How many failures a key may have within how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleLimit {
    /// Failures allowed within the window; the next attempt is refused.
    pub failures: u32,
    /// The window, in seconds from the first failure counted.
    pub window_seconds: i64,
}

/// The failures of one key in its current window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    started: i64,
    failures: u32,
}

/// Failed attempts per key, in a bounded map (a flood of keys evicts the oldest windows
/// rather than growing memory).
#[derive(Debug)]
pub struct Throttle {
    limit: ThrottleLimit,
    windows: BoundedMap<Window>,
    /// Serialises read-modify-write of one window (the map itself only guards each call).
    update: Mutex<()>,
}

impl Throttle {
    /// A throttle keeping at most `keys` windows.
    pub fn new(limit: ThrottleLimit, keys: usize) -> Throttle {
        Throttle {
            limit,
            windows: BoundedMap::new(Bound::entries(keys)),
            update: Mutex::new(()),
        }
    }

    fn current(&self, key: &str, now: i64) -> Option<Window> {
        self.windows
            .get(key)
            .filter(|w| now.saturating_sub(w.started) < self.limit.window_seconds)
    }

    /// Whether an attempt for `key` may go ahead at `now`.
    pub fn allows(&self, key: &str, now: i64) -> bool {
        self.current(key, now)
            .is_none_or(|w| w.failures < self.limit.failures)
    }

    /// Counts a failed attempt.
    pub fn failed(&self, key: &str, now: i64) {
        let _guard = self.update.lock();
        let window = match self.current(key, now) {
            Some(w) => Window {
                started: w.started,
                failures: w.failures.saturating_add(1),
            },
            None => Window {
                started: now,
                failures: 1,
            },
        };
        self.windows.insert(key, window);
    }

    /// Forgets a key's failures (a success of the user itself).
    pub fn succeeded(&self, key: &str) {
        let _guard = self.update.lock();
        if self.windows.get(key).is_some() {
            self.windows.insert(
                key,
                Window {
                    started: i64::MIN,
                    failures: 0,
                },
            );
        }
    }

    /// Forgets everything (a reset of the store).
    pub fn clear(&self) {
        self.windows.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_the_limit_until_the_window_passes() {
        let throttle = Throttle::new(
            ThrottleLimit {
                failures: 3,
                window_seconds: 60,
            },
            100,
        );
        for n in 0..3 {
            assert!(throttle.allows("u", 1_000 + n));
            throttle.failed("u", 1_000 + n);
        }
        assert!(!throttle.allows("u", 1_010));
        assert!(throttle.allows("other", 1_010));
        assert!(!throttle.allows("u", 1_059));
        assert!(throttle.allows("u", 1_060));
        throttle.failed("u", 1_060);
        throttle.succeeded("u");
        assert!(throttle.allows("u", 1_061));
    }
}
