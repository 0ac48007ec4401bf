//! Reading condition values as numbers, dates and booleans, strictly and without allocating.

/// Reads an integer or decimal (`-12`, `3.5`); nothing else (no exponent, no `inf`).
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
        return None;
    }
    text.parse().ok()
}

/// Reads `true` or `false` in any case.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// The years a date may name: AWS's legacy policy parser accepts `-292275054` as a year; the
/// bounds are those of a 64-bit count of milliseconds.
const YEARS: std::ops::RangeInclusive<i64> = -292_275_054..=292_278_993;

/// Reads a date as nanoseconds since the Unix epoch, in the shapes AWS's legacy policy parser
/// accepts. A bare run of digits is epoch seconds up to `i64::MAX` (`1700000000`). Anything
/// else is ISO 8601: a signed year of one to nine digits with optional month and day
/// (`2026-11-23`, `2026-11`, `-5`, and `01T`, the year 1), or eight digits `YYYYMMDD`; then
/// optionally `T` (either case) and a time of one- or two-digit fields (`T9`, `T14:00`,
/// `t2:00:00.593194`, basic `T140000`) with up to nine fractional digits; then optionally
/// `Z` or an offset of two-digit hours with optional minutes (`+23`, `+02:00`, `-0530`).
pub(crate) fn parse_date(text: &str) -> Option<i128> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: i64 = text.parse().ok()?;
        return Some(i128::from(seconds) * 1_000_000_000);
    }
    let mut cursor = Cursor {
        text: text.as_bytes(),
        at: 0,
    };
    let negative = cursor.eat(b'-');
    let leading = cursor.count_digits();
    let (year, month, day) = if leading == 8 && !negative && cursor.peek() != Some(b'-') {
        (
            i64::from(cursor.digits(4)?),
            cursor.digits(2)?,
            cursor.digits(2)?,
        )
    } else {
        let year = i64::from(cursor.some_digits(9)?);
        let (month, day) = if cursor.eat(b'-') {
            let month = cursor.some_digits(2)?;
            let day = if cursor.eat(b'-') {
                cursor.some_digits(2)?
            } else {
                1
            };
            (month, day)
        } else {
            (1, 1)
        };
        (if negative { -year } else { year }, month, day)
    };
    let (mut hour, mut minute, mut second, mut nanos) = (0, 0, 0, 0i128);
    if (cursor.eat(b'T') || cursor.eat(b't')) && cursor.peek_digit() {
        let run = cursor.count_digits();
        hour = cursor.digits(run.min(2))?;
        if run > 2 {
            // Basic format: `HHMM[SS]`.
            minute = cursor.digits(2)?;
            if cursor.peek_digit() {
                second = cursor.digits(2)?;
                nanos = cursor.fraction()?;
            }
        } else if cursor.eat(b':') {
            minute = cursor.some_digits(2)?;
            if cursor.eat(b':') {
                second = cursor.some_digits(2)?;
                nanos = cursor.fraction()?;
            }
        }
    }
    let offset_seconds: i64 = match cursor.next() {
        None | Some(b'Z' | b'z') => 0,
        Some(sign @ (b'+' | b'-')) => {
            let hours = cursor.digits(2)?;
            let colon = cursor.eat(b':');
            let minutes = if colon || cursor.peek_digit() {
                cursor.digits(2)?
            } else {
                0
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let total = i64::from(hours) * 3600 + i64::from(minutes) * 60;
            if sign == b'+' { total } else { -total }
        }
        Some(_) => return None,
    };
    if cursor.at != text.len()
        || !YEARS.contains(&year)
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds =
        days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)
            - offset_seconds;
    Some(i128::from(seconds) * 1_000_000_000 + nanos)
}

struct Cursor<'a> {
    text: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn next(&mut self) -> Option<u8> {
        let byte = *self.text.get(self.at)?;
        self.at += 1;
        Some(byte)
    }

    fn eat(&mut self, expected: u8) -> bool {
        if self.text.get(self.at) == Some(&expected) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn peek_digit(&self) -> bool {
        self.text.get(self.at).is_some_and(u8::is_ascii_digit)
    }

    fn digit(&mut self) -> Option<u8> {
        let byte = *self.text.get(self.at)?;
        if byte.is_ascii_digit() {
            self.at += 1;
            Some(byte - b'0')
        } else {
            None
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    /// How many digits follow, without reading them.
    fn count_digits(&self) -> usize {
        self.text
            .iter()
            .skip(self.at)
            .take_while(|b| b.is_ascii_digit())
            .count()
    }

    /// Exactly `count` digits.
    fn digits(&mut self, count: usize) -> Option<u32> {
        let mut value = 0u32;
        for _ in 0..count {
            value = value * 10 + u32::from(self.digit()?);
        }
        Some(value)
    }

    /// One to `max` digits; more is an error.
    fn some_digits(&mut self, max: usize) -> Option<u32> {
        let count = self.count_digits();
        if count == 0 || count > max {
            return None;
        }
        self.digits(count)
    }

    /// An optional `.` or `,` and one to nine digits of a second, as nanoseconds.
    fn fraction(&mut self) -> Option<i128> {
        if !(self.eat(b'.') || self.eat(b',')) {
            return Some(0);
        }
        let count = self.count_digits();
        let digits = i128::from(self.some_digits(9)?);
        Some(digits * 10i128.pow(9u32.saturating_sub(u32::try_from(count).ok()?)))
    }
}

fn is_leap(year: i64) -> bool {
    (year.rem_euclid(4) == 0 && year.rem_euclid(100) != 0) || year.rem_euclid(400) == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i128 = 1_000_000_000;

    #[test]
    fn numbers() {
        assert_eq!(parse_number("12"), Some(12.0));
        assert_eq!(parse_number("-1.5"), Some(-1.5));
        for bad in ["", "1e3", "inf", "NaN", ".5", "5.", "+1", " 1", "0x10"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_date("1700000000"), Some(1_700_000_000 * SECOND));
        assert_eq!(
            parse_date("2023-11-14T22:13:20Z"),
            Some(1_700_000_000 * SECOND)
        );
        assert_eq!(
            parse_date("2023-11-14T22:13:20.5Z"),
            Some(1_700_000_000 * SECOND + SECOND / 2)
        );
        assert_eq!(
            parse_date("2023-11-15T00:13:20+02:00"),
            Some(1_700_000_000 * SECOND)
        );
        assert_eq!(parse_date("2023-11-14"), Some(1_699_920_000 * SECOND));
        assert_eq!(parse_date("20231114T221320Z"), Some(1_700_000_000 * SECOND));
        for bad in [
            "",
            "2023-13-01",
            "2023-02-30",
            "yesterday",
            "2023-11-14T25:00:00Z",
            "2023-11-14X",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert_eq!(parse_date("2024-02-29"), Some(1_709_164_800 * SECOND));
    }

    /// The less common shapes AWS accepts read as the instant they name.
    #[test]
    fn lenient_iso_shapes() {
        let at = |text: &str| parse_date(text).unwrap_or_else(|| panic!("{text} unreadable"));
        let exact = at("2023-11-14T22:13:20Z");
        for same in [
            "2023-11-14t22:13:20z",
            "2023-11-14T22:13:20+00",
            "2023-11-15T00:13:20+02",
            "2023-11-14T20:13:20-0200",
            "2023-11-14T22:13:20.000000000Z",
            "2023-11-14T22:13:20,0Z",
            "2023-11-15t0:13:20+02:00",
            "2023-11-14T22:13:20",
            "20231114T221320",
        ] {
            assert_eq!(at(same), exact, "{same}");
        }
        let midnight = at("2023-11-14T00:00:00Z");
        for same in [
            "2023-11-14",
            "2023-11-14T",
            "2023-11-14T00Z",
            "2023-11-14T0:0Z",
        ] {
            assert_eq!(at(same), midnight, "{same}");
        }
        assert_eq!(at("2023-11"), at("2023-11-01T00:00:00Z"));
        assert_eq!(at("2023-1-5"), at("2023-01-05T00:00:00Z"));
        assert_eq!(at("2023"), 2023 * SECOND, "digits alone are epoch seconds");
        // A year alone, as AWS reads `01T`: 1 January of the year 1.
        assert_eq!(at("01T"), -62_135_596_800 * SECOND);
        assert_eq!(at("0001-01-01T00:00:00Z"), -62_135_596_800 * SECOND);
        assert!(at("-292275054") < at("-1") && at("-1") < at("01T"));
        assert_eq!(at("9223372036854775807"), i128::from(i64::MAX) * SECOND);
        assert_eq!(at("2023-11-14T22:13:20.123456789Z"), exact + 123_456_789);
        for bad in [
            "9223372036854775808",
            "-292275055",
            "234-13",
            "2016-12-13t2:00:00.593194+1",
            "2016-12-13t2:00:00.1999999999+10:59",
            "2023-11-14T22:13:60Z",
            "2023-11-14T22:60Z",
            "2023-11-14T22:13:20+24:00",
            "2023-11-14T22:13:20+02:60",
            "T10:00Z",
            "2023-11-14T22:13:20.Z",
            "1234567890-01-01",
            "2023-11-14 22:13:20Z",
            "+2023-11-14",
            "2023--14",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn bools() {
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("false"), Some(false));
        assert_eq!(parse_bool("yes"), None);
    }
}
