//! The credential table. Columns appear as the terminal widens: at 80
//! columns name, kind, status, gauge and expiry; from 100 the provider and
//! account; from 120 the last refresh.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table, TableState};

use super::style::{bold, dim, fg, gauge, status_span};
use crate::report::{human_duration, time_left};
use crate::tui::app::{Activity, App, Entry};

#[derive(Clone, Copy, PartialEq)]
enum Col {
    Name,
    Kind,
    Provider,
    Status,
    Gauge,
    Expires,
    LastRefresh,
}

/// `name_w` is the longest name shown: when the provider column is there
/// it takes the slack, otherwise the name does.
fn columns(width: u16, name_w: u16) -> Vec<(Col, &'static str, Constraint)> {
    let gauge_w = if width >= 120 { 20 } else { 12 };
    let name = if width >= 100 {
        Constraint::Length(name_w.clamp(10, 32))
    } else {
        Constraint::Min(12)
    };
    let mut cols = vec![
        (Col::Name, "NAME", name),
        (Col::Kind, "KIND", Constraint::Length(7)),
    ];
    if width >= 100 {
        cols.push((Col::Provider, "PROVIDER", Constraint::Min(18)));
    }
    cols.push((Col::Status, "STATUS", Constraint::Length(16)));
    cols.push((Col::Gauge, "TTL ┃80%", Constraint::Length(gauge_w)));
    cols.push((Col::Expires, "EXPIRES", Constraint::Length(12)));
    if width >= 120 {
        cols.push((Col::LastRefresh, "REFRESHED", Constraint::Length(11)));
    }
    cols
}

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let len = app.visible_len();
    let cols = columns(area.width, app.name_width as u16);
    let header = Row::new(cols.iter().map(|(_, title, _)| Cell::from(*title))).style(bold());
    // Only the rows that fit are built: with 10,000 credentials, building
    // every row on every one-second tick would cost megabytes and
    // milliseconds for nothing. The window keeps the selection in view
    // (at the bottom when scrolling down, as ratatui itself would).
    let height = usize::from(area.height.saturating_sub(3)).max(1);
    let start = app.selected.saturating_sub(height - 1).min(len);
    let end = (start + height).min(len);
    let rows = (start..end).filter_map(|i| app.visible_entry(i)).map(|e| {
        Row::new(
            cols.iter()
                .map(|(col, _, c)| cell(app, e, *col, constraint_len(*c))),
        )
    });
    let title = format!(" Credentials ({len}) ");
    let highlight = if app.color {
        Style::default()
            .bg(super::style::SELECTED_BG)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    };
    let table = Table::new(rows, cols.iter().map(|(_, _, c)| *c))
        .header(header)
        .block(Block::bordered().title(title))
        .row_highlight_style(highlight)
        .highlight_symbol("▶ ")
        .column_spacing(1);
    let mut state = TableState::default()
        .with_selected(Some(app.selected.saturating_sub(start)).filter(|_| len > 0));
    frame.render_stateful_widget(table, area, &mut state);
}

fn constraint_len(c: Constraint) -> usize {
    match c {
        Constraint::Length(n) => n as usize,
        _ => 0,
    }
}

fn cell(app: &App, e: &Entry, col: Col, width: usize) -> Cell<'static> {
    let now = app.now;
    match col {
        Col::Name => Cell::from(e.row.name.clone()),
        Col::Kind => Cell::from(e.row.kind.replace("api_key", "key")),
        Col::Provider => {
            let mut text = e.row.provider.clone();
            if let Some(a) = &e.row.account {
                text.push('/');
                text.push_str(a);
            }
            if !e.owned {
                text = format!("{text} (via {})", e.row.source);
            }
            Cell::from(text)
        }
        Col::Status => Cell::from(status_cell(app, e)),
        Col::Gauge => {
            let life = e.lifetime();
            Cell::from(Line::from(gauge(
                app.color,
                width,
                life.elapsed_fraction(now),
                life.refresh_at,
                e.zone(now),
            )))
        }
        Col::Expires => Cell::from(expiry_text(e, now)),
        Col::LastRefresh => Cell::from(Span::styled(
            e.last_refresh()
                .map(|a| format!("{} ago", human_duration(now - a.at)))
                .unwrap_or_else(|| "never".into()),
            dim(app.color),
        )),
    }
}

/// Progress or a fresh outcome replaces the status in place; otherwise the
/// credential's own status.
fn status_cell(app: &App, e: &Entry) -> Line<'static> {
    match app.activity_of(e.name()) {
        Some(Activity::Busy(what)) => Line::from(Span::styled(
            format!("↻ {what}"),
            fg(app.color, Color::Cyan),
        )),
        Some(Activity::Done {
            ok: false, text, ..
        }) => Line::from(Span::styled(format!("✗ {text}"), fg(app.color, Color::Red))),
        _ => Line::from(status_span(app.color, e.status(app.now), e.paused)),
    }
}

/// "in 42m 10s", "3h 02m ago", or the age of a key without expiry.
pub fn expiry_text(e: &Entry, now: chrono::DateTime<chrono::Utc>) -> String {
    match e.remaining(now) {
        Some(left) => time_left(left),
        None if e.row.rotation_due => format!("{}d, rotate", e.lifetime().age(now).num_days()),
        None => format!("age {}d", e.lifetime().age(now).num_days()),
    }
}
