//! The detail pane of the selected credential: metadata, scopes, where it
//! comes from, its refresh history, the MCP servers that depend on it and
//! the processes that read it lately (`secret_read`).
//! Fingerprints only; a token never reaches the screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::fields::{field_lines, joined, plain};
use super::style::{bold, dim, fg, status_span};
use super::table::expiry_text;
use crate::tui::app::{App, Entry};

const TIME: &str = "%Y-%m-%d %H:%M:%S";

/// A remote MCP server's credential: its resource, token type, the
/// bridges connected now and the last typed failure one of them met.
fn remote_mcp(r: &crate::report::StatusRow, width: usize) -> Vec<Line<'static>> {
    let Some(resource) = &r.resource else {
        return Vec::new();
    };
    let bridges = format!(
        "{} connected now, {} tokens",
        r.bridges.unwrap_or(0),
        r.token_type.as_deref().unwrap_or("Bearer")
    );
    let mut lines = field_lines("resource", plain([resource.clone()]), width);
    lines.extend(field_lines("bridges", plain([bridges]), width));
    if let Some(f) = &r.last_failure {
        lines.extend(field_lines("last failure", plain([f.clone()]), width));
    }
    lines
}

pub fn draw(app: &App, e: &Entry, frame: &mut Frame, area: Rect) {
    let c = app.color;
    let r = &e.row;
    let width = usize::from(area.width.saturating_sub(2));
    let mut lines = picked_lines(app, e);
    lines.extend(fields(app, e, width));
    let deps = app.dependents_of(&r.name);
    lines.extend(field_lines(
        "MCP servers",
        if deps.is_empty() {
            plain(["none known".to_string()])
        } else {
            plain(deps.iter().cloned())
        },
        width,
    ));
    lines.push(Line::styled("Refresh history (newest first)", bold()));
    if e.history.is_empty() {
        lines.push(Line::styled("  no refresh recorded", dim(c)));
    }
    for a in &e.history {
        let (sym, word, color) = if a.ok {
            ("✓", "ok", Color::Green)
        } else {
            ("✗", "failed", Color::Red)
        };
        lines.push(Line::from(vec![
            Span::raw(format!("  {}  ", a.at.format(TIME))),
            Span::styled(format!("{sym} {word:<6}"), fg(c, color)),
            Span::raw(format!(
                " {:>7}  {}",
                a.latency_ms.map_or("-".into(), |ms| format!("{ms} ms")),
                a.note
            )),
        ]));
    }
    if !e.readers.is_empty() {
        lines.push(Line::styled("Read by (newest first)", bold()));
    }
    for rd in &e.readers {
        lines.push(Line::from(vec![
            Span::raw(format!("  {}  ", rd.at.format(TIME))),
            Span::raw(format!(
                "{} (pid {})",
                rd.comm.as_deref().unwrap_or("?"),
                rd.pid
            )),
            Span::styled(
                rd.task
                    .as_ref()
                    .map_or(String::new(), |t| format!("  task {t}")),
                dim(c),
            ),
        ]));
    }
    let block = Block::bordered().title(format!(" {} ", r.name));
    // No wrapping: field_lines broke the lines between values already.
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The mark picked on the timeline, first so that a compact pane shows
/// it: that record highlighted, then the ones before it on its lane.
fn picked_lines(app: &App, e: &Entry) -> Vec<Line<'static>> {
    let Some(p) = app.picked.as_ref().filter(|p| p.name == e.name()) else {
        return Vec::new();
    };
    let c = app.color;
    let line = |m: &crate::tui::Mark, prefix: &str| {
        Line::from(vec![
            Span::raw(format!("{prefix}{}  ", m.at.format(TIME))),
            Span::styled(
                format!("{} {}", m.kind.symbol(), m.describe()),
                fg(c, super::timeline::color_of(m.kind)),
            ),
        ])
    };
    let mut lines = vec![Line::styled(
        format!("At {} (picked on the timeline; t)", p.mark.at.format(TIME)),
        bold(),
    )];
    lines.push(line(&p.mark, "▶ ").style(Style::default().add_modifier(Modifier::REVERSED)));
    lines.extend(p.before.iter().map(|m| line(m, "  ")));
    lines
}

/// The labelled fields, each value whole on its line.
fn fields(app: &App, e: &Entry, width: usize) -> Vec<Line<'static>> {
    let (c, now, r) = (app.color, app.now, &e.row);
    let mut status = vec![status_span(c, e.status(now), e.paused)];
    if let Some(why) = &r.cannot_refresh {
        status[0].content = format!("{}: {why}", status[0].content).into();
    }
    status.push(Span::raw(format!("zone {}", e.zone(now).as_str())));
    status.push(Span::raw(format!("expires {}", expiry_text(e, now))));
    let refresh = match e.lifetime().refresh_point() {
        Some(p) => vec![
            format!(
                "{} ({:.0} % of TTL),",
                p.format(TIME),
                e.lifetime().refresh_at * 100.0
            ),
            if r.refreshable {
                "refreshable"
            } else {
                "not refreshable"
            }
            .to_string(),
        ],
        None => vec!["no expiry: rotate by age".to_string()],
    };
    let scopes = if r.scopes.is_empty() {
        vec!["none".to_string()]
    } else {
        r.scopes.clone()
    };
    let expires = r
        .expires_at
        .map_or("never".into(), |t| t.format(TIME).to_string());
    let mut lifetime = vec![
        format!("created {}", r.created_at.format(TIME)),
        format!("expires {expires}"),
    ];
    lifetime.extend(r.grant_end_text(now));
    let mut lines = Vec::new();
    for (label, values) in [
        (
            "identity",
            plain([r.name.clone(), format!("({}, {})", r.kind, account(e))]),
        ),
        ("status", status),
        ("lifetime", plain(lifetime)),
        ("refresh at", plain(refresh)),
        ("fingerprint", plain([r.fingerprint.clone()])),
        ("scopes", plain(scopes)),
        ("source", plain([source(e)])),
    ] {
        lines.extend(field_lines(label, values, width));
    }
    lines.extend(remote_mcp(r, width));
    if let Some(msg) = &e.lane_message {
        let pre = if e.paused {
            "paused until you act: "
        } else {
            ""
        };
        // A sentence: it may break between its words.
        let words = format!("{pre}{msg}")
            .split(' ')
            .map(|w| Span::styled(w.to_string(), fg(c, Color::Red)))
            .collect();
        lines.extend(joined("lane", words, width, " "));
    }
    lines
}

fn account(e: &Entry) -> String {
    match &e.row.account {
        Some(a) => format!("{}/{a}", e.row.provider),
        None => e.row.provider.clone(),
    }
}

fn source(e: &Entry) -> String {
    match (&e.origin, &e.relogin) {
        (Some(location), Some(relogin)) => {
            format!(
                "{} at {location} (read-only; renew: {relogin})",
                e.row.source
            )
        }
        (Some(location), None) => format!("{} at {location} (read-only)", e.row.source),
        _ => format!("{} store", e.row.source),
    }
}
