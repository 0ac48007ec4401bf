//! UTC calendar arithmetic and the ISO 8601 basic format (`20150830T123600Z`) SigV4 uses.
//!
//! Hand-written rather than pulled from a date crate: SigV4 needs one fixed format, whole
//! seconds and UTC only, and the conversion is a few lines of integer arithmetic.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, negative before it.
pub(crate) type UnixSeconds = i64;

/// Converts a `SystemTime` to whole seconds since the epoch (saturating far outside ±292e9 years).
pub(crate) fn unix_seconds(t: SystemTime) -> UnixSeconds {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            // Round towards negative infinity so that a time 0.5 s before the epoch is -1, not 0.
            let d = e.duration();
            let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            if d.subsec_nanos() > 0 {
                secs.saturating_neg().saturating_sub(1)
            } else {
                secs.saturating_neg()
            }
        }
    }
}

/// Converts whole seconds since the epoch back to a `SystemTime`.
pub(crate) fn system_time(secs: UnixSeconds) -> SystemTime {
    let magnitude = Duration::from_secs(secs.unsigned_abs());
    if secs >= 0 {
        UNIX_EPOCH.checked_add(magnitude).unwrap_or(UNIX_EPOCH)
    } else {
        UNIX_EPOCH.checked_sub(magnitude).unwrap_or(UNIX_EPOCH)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (inverse of [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Both values are small by construction (1..=31, 1..=12).
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Reads `N` ASCII digits as a number, or `None` if any byte is not a digit.
fn digits<const N: usize>(bytes: &[u8]) -> Option<u32> {
    let chunk: &[u8; N] = bytes.get(..N)?.try_into().ok()?;
    chunk.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// Parses `YYYYMMDD'T'HHMMSS'Z'` strictly (16 bytes, a real calendar date, UTC only).
pub(crate) fn parse_basic(s: &str) -> Option<UnixSeconds> {
    let b = s.as_bytes();
    if b.len() != 16 || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
        return None;
    }
    let year = digits::<4>(b)?;
    let month = digits::<2>(b.get(4..)?)?;
    let day = digits::<2>(b.get(6..)?)?;
    let hour = digits::<2>(b.get(9..)?)?;
    let minute = digits::<2>(b.get(11..)?)?;
    let second = digits::<2>(b.get(13..)?)?;
    let year = i64::from(year);
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + i64::from(hour * 3600 + minute * 60 + second))
}

/// Formats seconds since the epoch as `YYYYMMDD'T'HHMMSS'Z'` (used in AWS's clock messages).
pub(crate) fn format_basic(secs: UnixSeconds) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_known_instants() {
        for (text, secs) in [
            ("19700101T000000Z", 0),
            ("20150830T123600Z", 1_440_938_160),
            ("20000229T235959Z", 951_868_799),
            ("20260101T000000Z", 1_767_225_600),
            ("19691231T235959Z", -1),
        ] {
            assert_eq!(parse_basic(text), Some(secs), "{text}");
            assert_eq!(format_basic(secs), text);
        }
    }

    #[test]
    fn rejects_malformed_dates() {
        for text in [
            "",
            "20150830T123600",
            "20150830T123600z",
            "20150830 123600Z",
            "2015-08-30T12:36:00Z",
            "20150230T123600Z",
            "20190229T000000Z",
            "20151330T123600Z",
            "20150830T243600Z",
            "20150830T126000Z",
            "20150830T123660Z",
            "+0150830T123600Z",
            "2015083０T12360Z",
        ] {
            assert_eq!(parse_basic(text), None, "{text}");
        }
    }

    #[test]
    fn system_time_round_trip() {
        for secs in [0, 1, -1, 1_440_938_160, -86_401] {
            assert_eq!(unix_seconds(system_time(secs)), secs);
        }
        let half_before = UNIX_EPOCH - Duration::from_millis(500);
        assert_eq!(unix_seconds(half_before), -1);
    }
}
