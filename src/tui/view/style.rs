//! How status is told: a symbol and a word always, colour only on top
//! (and not at all under `NO_COLOR`).

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;

use crate::model::{Status, Zone};

/// A foreground colour, or nothing when colour is off.
pub fn fg(color: bool, c: Color) -> Style {
    if color {
        Style::default().fg(c)
    } else {
        Style::default()
    }
}

pub fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

/// The background of the selected row: dark enough that dim text on it
/// still reads (256-colour grey 237).
pub const SELECTED_BG: Color = Color::Indexed(237);

pub fn dim(color: bool) -> Style {
    if color {
        Style::default().fg(Color::Indexed(245))
    } else {
        Style::default()
    }
}

pub fn zone_color(zone: Zone) -> Color {
    match zone {
        Zone::Safe => Color::Green,
        Zone::Danger => Color::Yellow,
        Zone::Expired => Color::Red,
        Zone::None => Color::Blue,
    }
}

/// The symbol and the word of a status, the same in every view.
pub fn status_label(status: Status, paused: bool) -> (&'static str, &'static str, Color) {
    if paused {
        return ("⏸", "paused", Color::Magenta);
    }
    match status {
        Status::Healthy => ("✓", "ok", Color::Green),
        Status::Danger => ("▲", "danger", Color::Yellow),
        Status::Refreshing => ("↻", "refreshing", Color::Cyan),
        Status::Expired => ("✗", "expired", Color::Red),
        Status::Revoked => ("⊘", "revoked", Color::Red),
        Status::ScopeInsufficient => ("!", "scope", Color::Red),
        Status::RateLimited { .. } => ("⧗", "rate_limited", Color::Yellow),
        Status::TransientError { .. } => ("↯", "retrying", Color::Yellow),
        Status::NeedsLogin => ("✗", "needs_login", Color::Red),
        Status::UnknownExpiry => ("?", "no_expiry", Color::Yellow),
    }
}

/// Where a status word stands in the header: the ones that need a person
/// first after "ok".
pub fn urgency(word: &str) -> usize {
    const ORDER: [&str; 11] = [
        "ok",
        "danger",
        "refreshing",
        "expired",
        "needs_login",
        "revoked",
        "paused",
        "scope",
        "rate_limited",
        "retrying",
        "no_expiry",
    ];
    ORDER.iter().position(|w| *w == word).unwrap_or(ORDER.len())
}

pub fn status_span(color: bool, status: Status, paused: bool) -> Span<'static> {
    let (sym, word, c) = status_label(status, paused);
    Span::styled(format!("{sym} {word}"), fg(color, c))
}

/// Where the grant's end falls on the gauge: a glyph of its own, so that
/// it reads without colour too.
pub const CAP_MARK: &str = "╳";

/// The TTL gauge: elapsed life filled in the zone's colour, the refresh
/// point drawn as `┃` so that "how close to the 80 % mark" reads at a
/// glance, and the grant's end as [`CAP_MARK`] when it falls before the
/// token's own expiry (`cap`, a fraction of the lifetime).
/// Where a gauge `width` cells wide is filled to, and its refresh mark
/// and grant cap fall, from the fractions of the lifetime; `None` when it
/// is too narrow to draw. The gauge is a function of these and its zone.
pub fn gauge_marks(
    width: usize,
    (elapsed, refresh_at, cap): (f64, f64, Option<f64>),
) -> Option<(usize, usize, Option<usize>)> {
    if width < 3 {
        return None;
    }
    let filled = ((elapsed * width as f64).round() as usize).min(width);
    let mark = ((refresh_at * width as f64).round() as usize).min(width - 1);
    let cap = cap.map(|c| ((c * width as f64).round() as usize).min(width - 1));
    Some((filled, mark, cap))
}

pub fn gauge(
    color: bool,
    width: usize,
    (elapsed, refresh_at, cap): (Option<f64>, f64, Option<f64>),
    zone: Zone,
) -> Vec<Span<'static>> {
    let Some(elapsed) = elapsed else {
        return vec![Span::styled(format!("{:<width$}", "no expiry"), dim(color))];
    };
    let Some((filled, mark, cap)) = gauge_marks(width, (elapsed, refresh_at, cap)) else {
        return vec![Span::raw(" ".repeat(width))];
    };
    let paint = fg(color, zone_color(zone));
    (0..width)
        .map(|i| {
            // The grant's end wins a shared cell: it is the harder limit.
            if Some(i) == cap {
                Span::styled(CAP_MARK, fg(color, Color::Red).add_modifier(Modifier::BOLD))
            } else if i == mark {
                Span::styled("┃", bold())
            } else if i < filled {
                Span::styled("█", paint)
            } else {
                Span::styled("░", dim(color))
            }
        })
        .collect()
}
