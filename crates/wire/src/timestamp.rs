//! Seconds-precision UTC timestamps in the ISO 8601 form the Query protocol uses.
//!
//! A tiny own type instead of chrono or time: the wire needs exactly one output format
//! (`2026-11-22T10:00:00Z`) and a lenient ISO 8601 parser, nothing else.

use std::fmt;
use std::str::FromStr;

/// A point in time, whole seconds since the Unix epoch, always rendered in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// Why a string is not an ISO 8601 date-time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid ISO 8601 timestamp `{0}`")]
pub struct TimestampError(String);

impl Timestamp {
    /// The timestamp `seconds` after 1970-01-01T00:00:00Z.
    #[must_use]
    pub const fn from_unix_seconds(seconds: i64) -> Self {
        Self(seconds)
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    #[must_use]
    pub const fn unix_seconds(self) -> i64 {
        self.0
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`; the fraction is dropped.
    ///
    /// # Errors
    /// When the text is not such a date-time or names an impossible date.
    pub fn parse_iso8601(text: &str) -> Result<Self, TimestampError> {
        parse(text.as_bytes()).ok_or_else(|| TimestampError(text.to_owned()))
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse_iso8601(text)
    }
}

impl Timestamp {
    /// `YYYY-MM-DDTHH:MM:SSZ` written digit by digit, for years 0-9999 (every real
    /// timestamp): answers carry several timestamps per entity and the formatting machinery
    /// showed in profiles. `None` for other years.
    pub(crate) fn iso8601_digits(self) -> Option<[u8; 20]> {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let Ok(year @ 0..=9999) = u16::try_from(year) else {
            return None;
        };
        let mut text = *b"0000-00-00T00:00:00Z";
        let fields = [
            (0, 4, i64::from(year)),
            (5, 2, month),
            (8, 2, day),
            (11, 2, secs / 3600),
            (14, 2, secs / 60 % 60),
            (17, 2, secs % 60),
        ];
        for (at, width, mut value) in fields {
            for slot in text.iter_mut().skip(at).take(width).rev() {
                *slot = b'0' + u8::try_from(value % 10).unwrap_or(0);
                value /= 10;
            }
        }
        Some(text)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(text) = self.iso8601_digits() {
            return f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?);
        }
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let (hour, minute, second) = (secs / 3600, secs / 60 % 60, secs % 60);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z"
        )
    }
}

fn parse(b: &[u8]) -> Option<Timestamp> {
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10), Some(b'T' | b't'))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    let mut rest = b.get(19..)?;
    if let Some((b'.', frac)) = rest.split_first() {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = frac.get(n..)?;
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits(&[*h1, *h2], 0, 2)?;
            let m = digits(&[*m1, *m2], 0, 2)?;
            if h > 23 || m > 59 {
                return None;
            }
            let off = h * 3600 + m * 60;
            if *sign == b'+' { off } else { -off }
        }
        _ => return None,
    };
    // Second 60 is accepted as a leap second and folds into the next minute, as AWS does.
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(Timestamp(
        days * 86_400 + hour * 3600 + minute * 60 + second - offset,
    ))
}

fn digits(b: &[u8], at: usize, len: usize) -> Option<i64> {
    let slice = b.get(at..at.checked_add(len)?)?;
    slice.iter().try_fold(0_i64, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic Gregorian
// calendar, branch-light, and total over the i64 day range reached from i64 seconds.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::Timestamp;

    #[test]
    fn digit_by_digit_formatting_equals_the_general_one() {
        // Every day from 1970 to 2200 at a varying second, and the edges of the fast path.
        let general = |t: i64| {
            let (year, month, day) = super::civil_from_days(t.div_euclid(86_400));
            let secs = t.rem_euclid(86_400);
            format!(
                "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
                secs / 3600,
                secs / 60 % 60,
                secs % 60
            )
        };
        let days = (0..84_000).map(|d: i64| d * 86_400 + (d * 7_919) % 86_400);
        let edges = [
            -62_167_219_200,
            -62_167_219_201,
            253_402_300_799,
            253_402_300_800,
        ];
        for t in days.chain(edges) {
            assert_eq!(
                Timestamp::from_unix_seconds(t).to_string(),
                general(t),
                "{t}"
            );
        }
    }

    #[test]
    fn formats_and_parses() {
        let t = Timestamp::from_unix_seconds(1_795_341_600);
        assert_eq!(t.to_string(), "2026-11-22T10:00:00Z");
        assert_eq!(Timestamp::parse_iso8601("2026-11-22T10:00:00Z"), Ok(t));
        assert_eq!(
            Timestamp::parse_iso8601("2026-11-22T10:00:00.123456Z"),
            Ok(t)
        );
        assert_eq!(Timestamp::parse_iso8601("2026-11-22T12:30:00+02:30"), Ok(t));
        assert_eq!(
            Timestamp::from_unix_seconds(0).to_string(),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            Timestamp::from_unix_seconds(-1).to_string(),
            "1969-12-31T23:59:59Z"
        );
        assert_eq!(
            Timestamp::parse_iso8601("2024-02-29T00:00:00Z").map(|t| t.to_string()),
            Ok("2024-02-29T00:00:00Z".to_owned())
        );
        for bad in [
            "",
            "2023-02-29T00:00:00Z",
            "2026-11-22 10:00:00Z",
            "2026-11-22T10:00:00",
            "2026-13-01T00:00:00Z",
            "2026-11-22T10:00:00.Z",
            "x026-11-22T10:00:00Z",
        ] {
            assert!(Timestamp::parse_iso8601(bad).is_err(), "{bad}");
        }
        // Extremes format without overflow.
        let _ = Timestamp::from_unix_seconds(i64::MIN).to_string();
        let _ = Timestamp::from_unix_seconds(i64::MAX).to_string();
    }
}
