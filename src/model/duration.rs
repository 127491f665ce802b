//! Durations as operators type them (`credtop audit --since 2h`,
//! providers.toml's `session_cap = "7d"`).

use chrono::Duration;

/// `90s`, `15m`, `1h`, `2d`, `1w`, or combinations such as `1h30m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration; use e.g. 30s, 15m, 1h, 2d, 1h30m");
    let mut total = Duration::zero();
    let mut digits = String::new();
    for ch in text.trim().chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        let n: i64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        let part = match ch {
            's' => Duration::try_seconds(n),
            'm' => Duration::try_minutes(n),
            'h' => Duration::try_hours(n),
            'd' => Duration::try_days(n),
            'w' => Duration::try_weeks(n),
            _ => return Err(bad()),
        };
        total = part
            .and_then(|p| total.checked_add(&p))
            .ok_or_else(|| format!("{text:?} is longer than credtop can count"))?;
    }
    if !digits.is_empty() || total <= Duration::zero() {
        return Err(bad());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_weeks_read_as_session_caps_are_written() {
        assert_eq!(parse_duration("7d").unwrap(), Duration::days(7));
        assert_eq!(parse_duration("12h").unwrap(), Duration::hours(12));
        assert_eq!(parse_duration("26w").unwrap(), Duration::weeks(26));
        assert!(parse_duration("7 days").is_err());
    }
}
