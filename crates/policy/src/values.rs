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

/// Reads a date as nanoseconds since the Unix epoch: a bare run of digits is epoch seconds
/// (`1700000000`); otherwise ISO 8601
/// (`2026-11-23`, `2026-11-23T14:00Z`, `2026-11-23T14:00:00.5+02:00`, `20261123T140000Z`).
pub(crate) fn parse_date(text: &str) -> Option<i128> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: i128 = text.parse().ok()?;
        return Some(seconds * 1_000_000_000);
    }
    let mut cursor = Cursor {
        text: text.as_bytes(),
        at: 0,
    };
    let year = cursor.digits(4)?;
    let extended = cursor.eat(b'-');
    let month = cursor.digits(2)?;
    if extended && !cursor.eat(b'-') {
        return None;
    }
    let day = cursor.digits(2)?;
    let (mut hour, mut minute, mut second, mut nanos) = (0, 0, 0, 0i128);
    if cursor.eat(b'T') || cursor.eat(b't') {
        hour = cursor.digits(2)?;
        let colon = cursor.eat(b':');
        minute = cursor.digits(2)?;
        if (colon && cursor.eat(b':')) || (!colon && cursor.peek_digit()) {
            second = cursor.digits(2)?;
            if cursor.eat(b'.') || cursor.eat(b',') {
                let start = cursor.at;
                let mut scale = 100_000_000i128;
                while let Some(d) = cursor.digit() {
                    nanos += i128::from(d) * scale;
                    scale /= 10;
                }
                if cursor.at == start {
                    return None;
                }
            }
        }
    }
    let offset_seconds: i64 = match cursor.next() {
        None => 0,
        Some(b'Z' | b'z') => 0,
        Some(sign @ (b'+' | b'-')) => {
            let hours = cursor.digits(2)?;
            cursor.eat(b':');
            let minutes = cursor.digits(2)?;
            let total = i64::from(hours) * 3600 + i64::from(minutes) * 60;
            if sign == b'+' { total } else { -total }
        }
        Some(_) => return None,
    };
    if cursor.at != text.len()
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
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

    fn digits(&mut self, count: usize) -> Option<u32> {
        let mut value = 0u32;
        for _ in 0..count {
            value = value * 10 + u32::from(self.digit()?);
        }
        Some(value)
    }
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u32, month: u32) -> u32 {
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

    #[test]
    fn bools() {
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("false"), Some(false));
        assert_eq!(parse_bool("yes"), None);
    }
}
