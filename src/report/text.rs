//! Words and numbers for people, the same in `credtop status`, `check`,
//! `token` and the dashboard.

use chrono::Duration;

pub use crate::model::relogin_command;

/// `3h 12m`, `45s`, `2d 4h`: a duration for people.
pub fn human_duration(d: Duration) -> String {
    let s = d.num_seconds().unsigned_abs();
    let (days, hours, mins, secs) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    match (days, hours, mins) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, _) => format!("{mins}m {secs:02}s"),
        (0, _, _) => format!("{hours}h {mins:02}m"),
        _ => format!("{days}d {hours}h"),
    }
}

/// Time to expiry: "in 42m 10s" ahead, "3h 02m ago" once past.
pub fn time_left(remaining: Duration) -> String {
    if remaining > Duration::zero() {
        format!("in {}", human_duration(remaining))
    } else {
        format!("{} ago", human_duration(remaining))
    }
}

/// `text` cut to `width` characters for a narrow column: a cut ends in
/// "…" and falls between words ("120d, rotate" becomes "120d,…", never
/// "120d, rot…"); only a single word wider than the column is cut inside.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let room: String = text.chars().take(width - 1).collect();
    // The next character decides whether `room` ends on a whole word.
    let next = text.chars().nth(width - 1);
    let cut = if next.is_some_and(char::is_whitespace) {
        room.trim_end()
    } else {
        match room.rfind(char::is_whitespace) {
            Some(i) => room[..i].trim_end(),
            None => room.as_str(),
        }
    };
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        let cases = [
            (45, "45s"),
            (42 * 60 + 10, "42m 10s"),
            (3 * 3600 + 2 * 60, "3h 02m"),
            (2 * 86_400 + 4 * 3600, "2d 4h"),
        ];
        for (secs, text) in cases {
            assert_eq!(human_duration(Duration::seconds(secs)), text);
            assert_eq!(human_duration(Duration::seconds(-secs)), text);
        }
    }

    #[test]
    fn expiry_is_ahead_or_ago() {
        assert_eq!(time_left(Duration::seconds(90)), "in 1m 30s");
        assert_eq!(time_left(Duration::seconds(-90)), "1m 30s ago");
        assert_eq!(time_left(Duration::zero()), "0s ago");
    }

    #[test]
    fn a_cut_ends_in_an_ellipsis_between_words() {
        assert_eq!(fit("120d, rotate", 12), "120d, rotate");
        assert_eq!(fit("120d, rotate", 11), "120d,…");
        assert_eq!(fit("120d, rotate", 8), "120d,…");
        assert_eq!(fit("120d, rotate", 6), "120d,…");
        assert_eq!(fit("a b", 2), "a…");
        assert_eq!(fit("paused: no provider", 15), "paused: no…");
        // One word wider than the column can only be cut inside.
        assert_eq!(fit("refreshing", 5), "refr…");
        assert_eq!(fit("anything", 0), "");
        for w in 0..20 {
            assert!(
                fit("▲ danger: no provider 'google' configured", w)
                    .chars()
                    .count()
                    <= w
            );
        }
    }

    #[test]
    fn a_second_account_is_named_in_its_hint() {
        assert_eq!(relogin_command("acme", "acme"), "credtop login acme");
        assert_eq!(
            relogin_command("acme", "acme-work"),
            "credtop login acme --name acme-work"
        );
    }
}
