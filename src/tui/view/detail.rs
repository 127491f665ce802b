//! The detail pane of the selected credential: metadata, scopes, where it
//! comes from, its refresh history, the MCP servers that depend on it and
//! the processes that read it lately (`secret_read`).
//! Fingerprints only; a token never reaches the screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::style::{bold, dim, fg, status_span};
use super::table::expiry_text;
use crate::tui::app::{App, Entry};

const TIME: &str = "%Y-%m-%d %H:%M:%S";

fn field(label: &str, value: impl Into<String>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:>12} "), bold()),
        Span::raw(value.into()),
    ])
}

pub fn draw(app: &App, e: &Entry, frame: &mut Frame, area: Rect) {
    let c = app.color;
    let now = app.now;
    let r = &e.row;
    let mut lines = vec![
        field(
            "identity",
            format!("{} ({}, {})", r.name, r.kind, account(e)),
        ),
        Line::from(vec![
            Span::styled(format!("{:>12} ", "status"), bold()),
            status_span(c, e.status(now), e.paused),
            Span::raw(
                r.cannot_refresh
                    .as_deref()
                    .map_or(String::new(), |why| format!(": {why}")),
            ),
            Span::raw(format!(
                "  zone {}  expires {}",
                e.zone(now).as_str(),
                expiry_text(e, now)
            )),
        ]),
        field(
            "lifetime",
            format!(
                "created {}  expires {}",
                r.created_at.format(TIME),
                r.expires_at
                    .map_or("never".into(), |t| t.format(TIME).to_string())
            ),
        ),
        field(
            "refresh at",
            match e.lifetime().refresh_point() {
                Some(p) => format!(
                    "{} ({:.0} % of TTL){}",
                    p.format(TIME),
                    e.lifetime().refresh_at * 100.0,
                    if r.refreshable {
                        ", refreshable"
                    } else {
                        ", not refreshable"
                    }
                ),
                None => "no expiry: rotate by age".into(),
            },
        ),
        field("fingerprint", r.fingerprint.clone()),
        field(
            "scopes",
            if r.scopes.is_empty() {
                "none".to_string()
            } else {
                r.scopes.join(" ")
            },
        ),
        field("source", source(e)),
    ];
    if let Some(msg) = &e.lane_message {
        lines.push(Line::from(vec![
            Span::styled(format!("{:>12} ", "lane"), bold()),
            Span::styled(
                format!(
                    "{}{msg}",
                    if e.paused {
                        "paused until you act: "
                    } else {
                        ""
                    }
                ),
                fg(c, Color::Red),
            ),
        ]));
    }
    let deps = app.dependents_of(&r.name);
    lines.push(field(
        "MCP servers",
        if deps.is_empty() {
            "none known".to_string()
        } else {
            deps.join(", ")
        },
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
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
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
