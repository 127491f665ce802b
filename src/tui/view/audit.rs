//! The audit view: the trail newest first, for a quick read during an
//! incident.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, Cell, Row, Table, TableState};

use super::style::{bold, dim, fg};
use crate::audit::{AuditRecord, Outcome};
use crate::tui::app::App;
use crate::tui::audit_feed::outcome_label;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let c = app.color;
    let pane = &app.audit;
    let visible = pane.visible();
    let wide = area.width >= 120;
    let mut widths = vec![
        Constraint::Length(if wide { 19 } else { 14 }),
        Constraint::Length(19),
        Constraint::Length(14),
        Constraint::Length(8),
    ];
    let mut titles = vec!["TIME", "EVENT", "CREDENTIAL", "OUTCOME"];
    if wide {
        widths.push(Constraint::Length(16));
        titles.push("ACTOR");
    }
    widths.push(Constraint::Min(10));
    titles.push("DETAIL");
    let rows = visible.iter().map(|r| row(r, wide, c));
    let filter = pane.filter.value();
    let mut title = format!(" Audit trail ({} of {}", visible.len(), pane.records.len());
    if pane.unreadable_lines > 0 {
        title.push_str(&format!(", {} unreadable lines", pane.unreadable_lines));
    }
    title.push_str(") ");
    if pane.editing || !filter.is_empty() {
        title.push_str(&format!(
            "filter: {filter}{} ",
            if pane.editing { "▏" } else { "" }
        ));
    }
    if !pane.loaded {
        title = " Audit trail (reading…) ".into();
    }
    let highlight = if c {
        Style::default().bg(super::style::SELECTED_BG)
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    };
    let table = Table::new(rows, widths)
        .header(Row::new(titles).style(bold()))
        .block(Block::bordered().title(title))
        .row_highlight_style(highlight)
        .column_spacing(1);
    let selected = (!visible.is_empty()).then_some(pane.scroll);
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut state);
}

fn row(r: &AuditRecord, wide: bool, c: bool) -> Row<'static> {
    let ts = if wide {
        r.ts.format("%Y-%m-%d %H:%M:%S")
    } else {
        r.ts.format("%m-%d %H:%M:%S")
    };
    let outcome = outcome_label(r.outcome);
    let color = match r.outcome {
        Outcome::Ok => Color::Green,
        Outcome::Failed => Color::Red,
        Outcome::Skipped => Color::DarkGray,
        Outcome::Info => Color::Blue,
    };
    let mut detail = Vec::new();
    if let Some(k) = r.kind {
        detail.push(k.as_str().to_string());
    }
    if let Some(ms) = r.latency_ms {
        detail.push(format!("{ms} ms"));
    }
    if let Some(task) = &r.task {
        detail.push(format!("task {task}"));
    }
    if let Some(caller) = &r.caller {
        let comm = caller.comm.as_deref().unwrap_or("?");
        detail.push(format!("by {comm} ({})", caller.pid));
    }
    if let Some(d) = &r.detail {
        detail.push(d.clone());
    }
    if let Some(fp) = &r.fingerprint {
        detail.push(fp.0.clone());
    }
    let mut cells = vec![
        Cell::from(ts.to_string()),
        Cell::from(r.event.as_str()),
        Cell::from(r.credential.clone().unwrap_or_else(|| "-".into())),
        Cell::from(Span::styled(outcome, fg(c, color))),
    ];
    if wide {
        cells.push(Cell::from(Span::styled(
            format!("{:?} {}", r.actor, r.pid).to_lowercase(),
            dim(c),
        )));
    }
    cells.push(Cell::from(detail.join(" · ")));
    Row::new(cells)
}
