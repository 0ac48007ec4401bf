//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): HMAC-SHA1, 30-second steps,
//! six digits. Pure: the caller brings the time (the service's clock) and remembers which
//! step it accepted last.

use std::ops::RangeInclusive;

use subtle::ConstantTimeEq;

/// Seconds per time step (RFC 6238's default `X`, what authenticator apps use).
pub const STEP_SECONDS: i64 = 30;

/// Digits of a code.
pub const DIGITS: u32 = 6;

/// The time step `seconds` since the epoch fall in (`T0` = 0).
pub fn step_at(seconds: i64) -> i64 {
    seconds.div_euclid(STEP_SECONDS)
}

/// HOTP (RFC 4226 section 5.3): the dynamically truncated HMAC-SHA1 of `counter`, reduced to
/// `digits` decimal digits and zero-padded.
pub fn hotp(seed: &[u8], counter: u64, digits: u32) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, seed);
    let tag = ring::hmac::sign(&key, &counter.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0f);
    let word = mac
        .get(offset..offset + 4)
        .and_then(|bytes| <[u8; 4]>::try_from(bytes).ok())
        .map_or(0, u32::from_be_bytes)
        & 0x7fff_ffff;
    let modulus = 10u64.pow(digits.min(9));
    let value = u64::from(word) % modulus;
    format!("{value:0width$}", width = digits.min(9) as usize)
}

/// The code of time step `step` (six digits).
pub fn code_at_step(seed: &[u8], step: i64) -> String {
    hotp(seed, u64::try_from(step).unwrap_or(0), DIGITS)
}

/// The code at `seconds` since the epoch (six digits).
pub fn code(seed: &[u8], seconds: i64) -> String {
    code_at_step(seed, step_at(seconds))
}

/// The latest step of `steps` whose code is `given`. Every candidate is computed and compared
/// in constant time, so how long this takes tells nothing about which step matched.
pub fn matching_step(seed: &[u8], given: &str, steps: RangeInclusive<i64>) -> Option<i64> {
    let mut found = None;
    for step in steps {
        let expected = code_at_step(seed, step);
        if bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
            found = Some(step);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_is_thirty_seconds_from_the_epoch() {
        assert_eq!(step_at(0), 0);
        assert_eq!(step_at(29), 0);
        assert_eq!(step_at(30), 1);
        assert_eq!(step_at(-1), -1);
    }

    #[test]
    fn the_latest_matching_step_wins_and_others_do_not_match() {
        let seed = b"12345678901234567890";
        let code = code_at_step(seed, 41);
        assert_eq!(matching_step(seed, &code, 40..=42), Some(41));
        assert_eq!(matching_step(seed, &code, 42..=44), None);
        assert_eq!(matching_step(seed, "12345", 0..=100), None);
    }
}
