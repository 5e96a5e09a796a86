//! LiteLLM's duration strings (`duration_parser.py`), for a key's `duration` and a budget's
//! `budget_duration`: a number then `s`, `m`, `h`, `d`, `w` or `mo` (calendar months), matched
//! at the start (anything after is ignored, as Python's `re.match` ignores it); or one of the
//! words `hourly`, `daily`, `weekly`, `monthly` (1h, 24h, 7d, 30d). A bare number is refused.

/// A parsed duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Seconds(u64),
    /// Calendar months: how long depends on where they start.
    Months(u32),
}

/// Why a duration string is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationError {
    /// It does not start with a number (LiteLLM's "Invalid duration format").
    Format,
    /// A number without a unit, or with another one.
    Unit(String),
}

impl std::fmt::Display for DurationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DurationError::Format => f.write_str("Invalid duration format"),
            DurationError::Unit(d) => {
                write!(f, "Unsupported duration unit, passed duration: {d}")
            }
        }
    }
}

impl std::error::Error for DurationError {}

/// Parses a duration as LiteLLM does.
pub fn parse(duration: &str) -> Result<Span, DurationError> {
    let text = match duration.trim().to_ascii_lowercase().as_str() {
        "hourly" => "1h",
        "daily" => "24h",
        "weekly" => "7d",
        "monthly" => "30d",
        _ => duration,
    };
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(DurationError::Format);
    }
    let value: u64 = text[..digits]
        .parse()
        .map_err(|_| DurationError::Unit(duration.to_owned()))?;
    let rest = &text[digits..];
    let scale = match rest.as_bytes().first() {
        _ if rest.starts_with("mo") => {
            let months =
                u32::try_from(value).map_err(|_| DurationError::Unit(duration.to_owned()))?;
            return Ok(Span::Months(months));
        }
        Some(b's') => 1,
        Some(b'm') => 60,
        Some(b'h') => 3600,
        Some(b'd') => 86_400,
        Some(b'w') => 604_800,
        _ => return Err(DurationError::Unit(duration.to_owned())),
    };
    value
        .checked_mul(scale)
        .map(Span::Seconds)
        .ok_or_else(|| DurationError::Unit(duration.to_owned()))
}

impl Span {
    /// The Unix time (seconds, UTC) this span after `start` ends: months move the calendar
    /// date, clamped to the target month's last day (LiteLLM's `_shift_months`).
    pub fn after(self, start: u64) -> u64 {
        match self {
            Span::Seconds(s) => start.saturating_add(s),
            Span::Months(m) => {
                let (days, secs) = (start / 86_400, start % 86_400);
                let (y, mo, d) = civil_from_days(days as i64);
                let total = y * 12 + i64::from(mo) - 1 + i64::from(m);
                let (year, month) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
                let day = d.min(days_in_month(year, month));
                (days_from_civil(year, month, day) as u64) * 86_400 + secs
            }
        }
    }
}

/// When a budget with this `budget_duration` next resets after `now`, snapped to boundaries
/// as LiteLLM's `get_budget_reset_time` snaps them (in UTC, at 00:00): a day to the next
/// midnight, a week to the next Monday, 30 days and `Nmo` to the first of a month, other
/// whole days to today's midnight plus the days, hours, minutes and seconds to the next
/// multiple of the span counted from midnight.
pub fn budget_reset_at(duration: &str, now: u64) -> Result<u64, DurationError> {
    const DAY: u64 = 86_400;
    let midnight = now - now % DAY;
    let first_of_month_after = |months: u32| {
        let (y, m, _) = civil_from_days((now / DAY) as i64);
        let total = y * 12 + i64::from(m) - 1 + i64::from(months.max(1));
        let (year, month) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
        days_from_civil(year, month, 1) as u64 * DAY
    };
    Ok(match parse(duration)? {
        Span::Months(m) => first_of_month_after(m),
        Span::Seconds(DAY) => midnight + DAY,
        Span::Seconds(s) if s == 7 * DAY => {
            // 1970-01-01 was a Thursday: Monday is day 4 of that week, counted from 0.
            let weekday = (now / DAY + 3) % 7;
            midnight + (7 - weekday) * DAY
        }
        Span::Seconds(s) if s == 30 * DAY => first_of_month_after(1),
        Span::Seconds(s) if s % DAY == 0 => midnight + s,
        Span::Seconds(0) => now,
        Span::Seconds(s) => midnight + ((now - midnight) / s + 1) * s,
    })
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The day count since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn litellms_units_and_words() {
        assert_eq!(parse("30s"), Ok(Span::Seconds(30)));
        assert_eq!(parse("5m"), Ok(Span::Seconds(300)));
        assert_eq!(parse("1h"), Ok(Span::Seconds(3600)));
        assert_eq!(parse("30d"), Ok(Span::Seconds(30 * 86_400)));
        assert_eq!(parse("2w"), Ok(Span::Seconds(2 * 604_800)));
        assert_eq!(parse("1mo"), Ok(Span::Months(1)));
        assert_eq!(parse("Daily"), Ok(Span::Seconds(86_400)));
        assert_eq!(parse("monthly"), Ok(Span::Seconds(30 * 86_400)));
        // `re.match` ignores what follows the unit.
        assert_eq!(parse("30dd"), Ok(Span::Seconds(30 * 86_400)));
        assert_eq!(parse("10"), Err(DurationError::Unit("10".into())));
        assert_eq!(parse("1y"), Err(DurationError::Unit("1y".into())));
        assert_eq!(parse("d"), Err(DurationError::Format));
        assert_eq!(parse(""), Err(DurationError::Format));
        assert_eq!(
            parse("99999999999999999999s"),
            Err(DurationError::Unit("99999999999999999999s".into()))
        );
    }

    #[test]
    fn budgets_reset_at_litellms_boundaries() {
        let day = |y, m, d| days_from_civil(y, m, d) as u64 * 86_400;
        // Tuesday 2026-12-01 15:53:26 UTC.
        let now = day(2026, 12, 1) + 15 * 3600 + 53 * 60 + 26;
        let at = |d: &str| budget_reset_at(d, now).unwrap();
        assert_eq!(at("1d"), day(2026, 12, 2));
        assert_eq!(at("daily"), day(2026, 12, 2));
        assert_eq!(at("7d"), day(2026, 12, 7));
        assert_eq!(at("weekly"), day(2026, 12, 7));
        assert_eq!(at("30d"), day(2027, 1, 1));
        assert_eq!(at("1mo"), day(2027, 1, 1));
        assert_eq!(at("3mo"), day(2027, 3, 1));
        assert_eq!(at("2d"), day(2026, 12, 3));
        assert_eq!(at("1h"), day(2026, 12, 1) + 16 * 3600);
        assert_eq!(at("5h"), day(2026, 12, 1) + 20 * 3600);
        assert_eq!(at("30m"), day(2026, 12, 1) + 16 * 3600);
        assert_eq!(at("10s"), now + 4);
        // A Monday resets on the next one.
        assert_eq!(
            budget_reset_at("7d", day(2026, 12, 7) + 1).unwrap(),
            day(2026, 12, 14)
        );
        assert!(budget_reset_at("soon", now).is_err());
    }

    #[test]
    fn months_move_the_calendar_date() {
        let day = |y, m, d| days_from_civil(y, m, d) as u64 * 86_400;
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        // 31 January + 1 month: the last day of February (a leap year here).
        assert_eq!(
            Span::Months(1).after(day(2024, 1, 31) + 5),
            day(2024, 2, 29) + 5
        );
        assert_eq!(Span::Months(12).after(day(2025, 12, 15)), day(2026, 12, 15));
        assert_eq!(Span::Months(2).after(day(2025, 11, 30)), day(2026, 1, 30));
    }
}
