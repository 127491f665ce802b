//! Drawing: a pure function of [`App`]. No I/O, no clock reads.

mod audit;
mod detail;
mod fields;
mod first_run;
mod overlay;
mod style;
mod table;
mod timeline;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::app::{App, EngineState, Mode};
use style::{bold, dim, fg};

/// Wide enough to put the detail pane beside the table instead of under it.
const SIDE_BY_SIDE_WIDTH: u16 = 140;

/// A body shorter than this (a terminal under about 20 rows) is laid out
/// compact.
const COMPACT_HEIGHT: u16 = 17;

/// The header, body, notice and hint rows of a frame.
fn frame_layout(area: Rect) -> [Rect; 4] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// What the last frame drew, kept from frame to frame by the runtime:
/// the table's cells (see [`table::TableMemo`]) and the one-line rows
/// around it, so that the next frame can draw only what changed
/// ([`patch`]).
#[derive(Default)]
pub struct FrameMemo {
    table: table::TableMemo,
    /// The header's two halves, the notice and the hints, where each was
    /// drawn; `None` until a whole frame of the table mode draws them.
    lines: Option<[(Rect, Line<'static>); 4]>,
}

/// Draws `app` from nothing: what tests and one-off frames use.
pub fn view(app: &App, frame: &mut Frame) {
    view_with(app, frame, &mut FrameMemo::default());
}

/// Draws `app`, copying from `memo` what has not changed since it was
/// drawn with the same memo; the frame is the same as [`view`]'s.
pub fn view_with(app: &App, frame: &mut Frame, memo: &mut FrameMemo) {
    let lines = lines(app, frame.area());
    for (area, line) in &lines[..2] {
        frame.render_widget(Paragraph::new(line.clone()), *area);
    }
    let [_, body, _, _] = frame_layout(frame.area());
    match app.mode {
        Mode::Audit => audit::draw(app, frame, body),
        Mode::Table => draw_table_mode(app, frame, body, memo),
        Mode::Timeline => timeline::draw(app, frame, body),
    }
    for (area, line) in &lines[2..] {
        frame.render_widget(Paragraph::new(line.clone()), *area);
    }
    overlay::draw(app, frame);
    memo.lines = patchable(app).then_some(lines);
}

/// The one-line rows around the body, and where each goes: the header's
/// left and right, the notice, the hints.
fn lines(app: &App, area: Rect) -> [(Rect, Line<'static>); 4] {
    let [header, _, notice, hints] = frame_layout(area);
    let right = header_right(app, header.width);
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(right.width() as u16)])
            .areas(header);
    [
        (left_area, header_line(app, left_area.width)),
        (right_area, right),
        (notice, notice_line(app)),
        (hints, hint_line(app, hints.width)),
    ]
}

/// Whether [`patch`] can draw the next frame: the table alone in the
/// body, nothing over it.
fn patchable(app: &App) -> bool {
    app.mode == Mode::Table
        && app.loaded
        && !app.entries.is_empty()
        && app.overlay.is_none()
        && !(app.show_detail && app.selected_entry().is_some())
}

/// Draws on `buf`, which holds the last frame drawn with `memo` (by
/// [`view_with`] or by this), only what changed since: the countdowns
/// that moved, a row the engine changed, the clock. Returns the areas
/// drawn, to be sent to the terminal; `None` when the frame's shape
/// changed (another mode, an overlay, the detail pane, a column width,
/// the selection, the size), which only a whole frame draws.
///
/// With 200 credentials counting down at 160x50, a tick redraws the 45
/// countdowns in view and the clock, and about 56 of the screen's 8,000
/// cells reach the terminal (benches/dashboard_frame.rs), where a whole
/// frame clears, draws and compares all 8,000.
pub fn patch(app: &App, buf: &mut Buffer, memo: &mut FrameMemo) -> Option<Vec<Rect>> {
    let area = buf.area;
    if !patchable(app) {
        return None;
    }
    let lines = lines(app, area);
    let old = memo.lines.as_ref()?;
    if lines.iter().zip(old.iter()).any(|((a, _), (b, _))| a != b) {
        return None;
    }
    let [_, body, _, _] = frame_layout(area);
    let (table_area, _) = table_mode_layout(app, body);
    let mut damage = table::patch(app, buf, table_area, &mut memo.table)?;
    for ((area, line), (_, before)) in lines.iter().zip(old.iter()) {
        if line != before {
            for x in area.left()..area.right() {
                buf[(x, area.y)].reset();
            }
            Paragraph::new(line.clone()).render(*area, buf);
            damage.push(*area);
        }
    }
    memo.lines = Some(lines);
    Some(damage)
}

fn draw_table_mode(app: &App, frame: &mut Frame, area: Rect, memo: &mut FrameMemo) {
    if !app.loaded {
        frame.render_widget(
            Paragraph::new(Line::styled(" Reading the store…", dim(app.color))),
            area,
        );
        return;
    }
    if app.entries.is_empty() {
        first_run::draw(app, frame, area);
        return;
    }
    let (table_area, detail_area) = table_mode_layout(app, area);
    table::draw(app, frame, table_area, &mut memo.table);
    if let (Some(entry), Some(detail_area)) = (app.selected_entry(), detail_area) {
        detail::draw(app, entry, frame, detail_area);
    }
}

/// Where the table and, when open, the detail pane go in the body.
fn table_mode_layout(app: &App, area: Rect) -> (Rect, Option<Rect>) {
    if !app.show_detail || app.selected_entry().is_none() {
        return (area, None);
    }
    if area.width >= SIDE_BY_SIDE_WIDTH {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
                .areas(area);
        return (left, Some(right));
    }
    // The table keeps the selected row in view; the detail gets the
    // rest. Below COMPACT_HEIGHT the detail shrinks to its first
    // lines (identity, status), so it never squeezes the table.
    let share = if area.height < COMPACT_HEIGHT {
        area.height.saturating_sub(4)
    } else {
        area.height * 2 / 5
    };
    let rows = (app.visible_len() as u16 + 3).min(share).max(5);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(rows), Constraint::Min(3)]).areas(area);
    (top, Some(bottom))
}

/// Where the table is drawn in the terminal's area as last told, when
/// the table is on screen.
fn table_area(app: &App) -> Option<Rect> {
    let drawn = app.mode == Mode::Table && app.loaded && !app.entries.is_empty();
    if !drawn || app.frame.is_empty() {
        return None;
    }
    let [_, body, _, _] = frame_layout(app.frame);
    Some(table_mode_layout(app, body).0)
}

/// The table row (an index into the visible rows) drawn at cell
/// (`x`, `y`): the same layout the frame is drawn with, so a click
/// selects what the person sees under the pointer.
pub(crate) fn table_row_at(app: &App, x: u16, y: u16) -> Option<usize> {
    table::row_at(app, table_area(app)?, x, y)
}

/// The timeline's mark nearest to cell (`x`, `y`), when the timeline is
/// on screen and a lane is under it.
pub(crate) fn timeline_mark_at(app: &App, x: u16, y: u16) -> Option<(usize, usize)> {
    if app.mode != Mode::Timeline || app.frame.is_empty() {
        return None;
    }
    let [_, body, _, _] = frame_layout(app.frame);
    timeline::mark_at(app, body, x, y)
}

/// Where the timeline's lanes are drawn in the terminal's area as last
/// told, when the timeline is on screen.
fn timeline_plot(app: &App) -> Option<Rect> {
    if app.mode != Mode::Timeline || app.frame.is_empty() {
        return None;
    }
    let [_, body, _, _] = frame_layout(app.frame);
    Some(timeline::plot(&app.timeline, body))
}

/// How many columns the timeline's plot (and density strip) has, for
/// `update` to count marks into; 0 when the timeline is not on screen.
pub(crate) fn timeline_columns(app: &App) -> u16 {
    timeline_plot(app).map_or(0, |r| r.width)
}

/// The first lane the timeline will show, for `update` to keep.
pub(crate) fn timeline_top(app: &App) -> Option<usize> {
    let plot = timeline_plot(app)?;
    Some(timeline::first_lane(&app.timeline, plot.height))
}

/// The first row the table will show, for `update` to keep.
pub(crate) fn table_top(app: &App) -> Option<usize> {
    Some(table::window(app, table_area(app)?).0)
}

/// The count of each status word the rows show, in the rows' own words
/// and symbols, so the header and the table cannot disagree.
/// Where the words do not fit, the counts go without them ("▲ 1"), then
/// end in "…".
fn header_line(app: &App, width: u16) -> Line<'static> {
    let c = app.color;
    let mut spans = vec![Span::styled(" credtop ", bold())];
    let mut counts: Vec<(&str, &str, Color, usize)> = vec![("✓", "ok", Color::Green, 0)];
    for e in &app.entries {
        let (sym, word, color) = table::shown_status(app, e);
        match counts.iter_mut().find(|(_, w, _, _)| *w == word) {
            Some(seen) => seen.3 += 1,
            None => counts.push((sym, word, color, 1)),
        }
    }
    // A fixed order (ok first, then by how much it needs you) keeps the
    // header from jumping as rows change.
    counts[1..].sort_by_key(|(_, word, _, _)| style::urgency(word));
    let long: usize = counts
        .iter()
        .map(|(_, w, _, n)| format!(" x {n} {w}").chars().count())
        .sum();
    let with_words = long + 9 <= usize::from(width);
    let mut used = 9;
    for (sym, word, color, n) in counts {
        let text = if with_words {
            format!(" {sym} {n} {word}")
        } else {
            format!(" {sym} {n}")
        };
        used += text.chars().count();
        if used + 1 > usize::from(width) {
            spans.push(Span::raw(" …"));
            break;
        }
        spans.push(Span::styled(text, fg(c, color)));
    }
    Line::from(spans)
}

/// The engine's state and the clock, right-aligned; shorter when narrow.
fn header_right(app: &App, width: u16) -> Line<'static> {
    let engine = match (&app.engine, width >= 110) {
        (EngineState::Starting, _) => "engine starting".to_string(),
        (EngineState::Running { lanes }, true) => format!("engine running, {lanes} lanes"),
        (EngineState::Running { .. }, false) => "engine on".to_string(),
        (EngineState::Stopped, _) => "engine stopped".to_string(),
    };
    Line::from(vec![
        Span::styled(format!("│ {engine} │ "), dim(app.color)),
        Span::raw(app.now.format("%H:%M:%S UTC ").to_string()),
    ])
}

fn notice_line(app: &App) -> Line<'static> {
    if let Some(why) = &app.audit_broken {
        // Red background when colour is on; the words stand alone without.
        let style = if app.color {
            ratatui::style::Style::default()
                .fg(Color::White)
                .bg(Color::Red)
        } else {
            ratatui::style::Style::default()
        };
        return Line::styled(
            format!(" ⚠ AUDIT TRAIL BROKEN: {why}; run credtop audit verify"),
            style.add_modifier(ratatui::style::Modifier::BOLD),
        );
    }
    if app.mode == Mode::Table && (app.filter_editing || !app.filter.value().is_empty()) {
        let cursor = if app.filter_editing { "▏" } else { "" };
        return Line::from(vec![
            Span::styled(" filter: ", bold()),
            Span::raw(format!("{}{cursor}", app.filter.value())),
            Span::styled(
                format!("  ({} of {})", app.visible_len(), app.entries.len()),
                dim(app.color),
            ),
        ]);
    }
    if let Some(problem) = app.problems.first() {
        let more = match app.problems.len() {
            1 => String::new(),
            n => format!(" (+{} more)", n - 1),
        };
        return Line::styled(format!(" ! {problem}{more}"), fg(app.color, Color::Red));
    }
    match &app.notice {
        Some(n) => {
            let (sym, color) = if n.ok {
                ("✓", Color::Green)
            } else {
                ("✗", Color::Red)
            };
            Line::styled(format!(" {sym} {}", n.text), fg(app.color, color))
        }
        None => Line::raw(""),
    }
}

/// In the audit view, the keys that work there.
const AUDIT_HINTS: &[(&str, &str)] = &[
    ("j/k", "scroll"),
    ("/", "filter"),
    ("r", "reload"),
    ("a", "back"),
    ("?", "help"),
    ("q", "quit"),
];

fn hint_line(app: &App, width: u16) -> Line<'static> {
    let hints: Vec<(&str, &str)> = match app.mode {
        Mode::Audit => AUDIT_HINTS.to_vec(),
        Mode::Timeline => crate::tui::bindings::hints_in(crate::tui::bindings::TIMELINE, width)
            .map(|h| (h.key, h.word))
            .collect(),
        Mode::Table => crate::tui::bindings::hints(width)
            .map(|h| (h.key, h.word))
            .collect(),
    };
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for (k, what) in hints {
        // A hint that does not fit whole is left out, never cut.
        used += k.chars().count() + what.chars().count() + 3;
        if used > usize::from(width) + 2 {
            break;
        }
        spans.push(Span::styled(k.to_string(), bold()));
        spans.push(Span::styled(format!(" {what}  "), dim(app.color)));
    }
    Line::from(spans)
}
