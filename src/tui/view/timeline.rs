//! The timeline: the audit trail across every credential over a window
//! that ends now. A density strip (Sparkline) on top, one lane per
//! credential drawn on a Canvas whose coordinates are cells, so that a
//! mark lands exactly in the column [`timeline::column`] gives it; a time
//! axis, the selected mark in words and a legend below. Every mark is a
//! symbol of its own: colour is a second channel only.

use std::borrow::Cow;

use chrono::Duration;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::Canvas;
use ratatui::widgets::{Block, Paragraph, Sparkline};

use super::style::{bold, dim, fg};
use crate::tui::app::App;
use crate::tui::timeline::{Lane, MarkKind, TimelinePane, Window, column, density};

/// The lanes' names take at most this many columns.
const NAME_MAX: usize = 20;

pub fn color_of(kind: MarkKind) -> Color {
    match kind {
        MarkKind::Failure => Color::Red,
        MarkKind::Revocation => Color::Magenta,
        MarkKind::Warning => Color::Yellow,
        MarkKind::Login => Color::Cyan,
        MarkKind::Refresh => Color::Green,
        MarkKind::Other => Color::Indexed(245),
    }
}

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let pane = &app.timeline;
    let whole = pane
        .whole_since
        .map(|t| format!(" (records from {} on)", t.format("%H:%M")))
        .unwrap_or_default();
    let title = format!(
        " Timeline · last {}{whole} · {} events in {} lanes · w: window ",
        pane.window.label(),
        pane.marks(),
        pane.lanes.len()
    );
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if !app.audit.loaded || pane.lanes.is_empty() {
        let text = if app.audit.loaded {
            format!(
                " No events in the last {} (w widens the window).",
                pane.window.label()
            )
        } else {
            " Reading the audit trail…".to_string()
        };
        frame.render_widget(Paragraph::new(Line::styled(text, dim(app.color))), inner);
        return;
    }
    let Parts {
        strip_name,
        strip_plot,
        names,
        plot,
        axis_plot,
        said,
        legend,
    } = parts(pane, inner);
    let name_w = names.width;
    let (c, now, window) = (app.color, app.now, pane.window);
    frame.render_widget(Paragraph::new(Line::styled("  events", dim(c))), strip_name);
    // Counted in update for the frame it was told of; a frame of another
    // size (a test drawing at several) is counted here.
    let counts = if pane.density.len() == usize::from(strip_plot.width) {
        Cow::Borrowed(&pane.density)
    } else {
        Cow::Owned(density(&pane.lanes, now, window, strip_plot.width))
    };
    frame.render_widget(
        Sparkline::default()
            .data(counts.as_slice())
            .style(fg(c, Color::Cyan)),
        strip_plot,
    );
    let start = first_lane(pane, plot.height);
    let shown = &pane.lanes[start..(start + usize::from(plot.height)).min(pane.lanes.len())];
    frame.render_widget(
        Paragraph::new(name_lines(pane, shown, start, name_w)),
        names,
    );
    draw_lanes(app, frame, plot, shown, start);
    frame.render_widget(
        Paragraph::new(axis_line(app, window, axis_plot.width)),
        axis_plot,
    );
    frame.render_widget(Paragraph::new(selected_line(pane, app)), said);
    frame.render_widget(Paragraph::new(legend_line(c)), legend);
}

/// Where each part of the timeline goes inside its border.
struct Parts {
    strip_name: Rect,
    strip_plot: Rect,
    names: Rect,
    plot: Rect,
    axis_plot: Rect,
    said: Rect,
    legend: Rect,
}

fn parts(pane: &TimelinePane, inner: Rect) -> Parts {
    // The lanes take the rows they need; what is left stays below.
    let room = inner.height.saturating_sub(4).max(1);
    let rows = (pane.lanes.len() as u16).clamp(1, room);
    let [strip, lanes, axis, said, legend, _] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(rows),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);
    let name_w = pane.name_chars.clamp(6, NAME_MAX) as u16 + 3;
    let split = |r: Rect| -> [Rect; 2] {
        Layout::horizontal([Constraint::Length(name_w), Constraint::Min(1)]).areas(r)
    };
    let [strip_name, strip_plot] = split(strip);
    let [names, plot] = split(lanes);
    let [_, axis_plot] = split(axis);
    Parts {
        strip_name,
        strip_plot,
        names,
        plot,
        axis_plot,
        said,
        legend,
    }
}

/// Where the lanes are plotted in a timeline drawn in `area`.
pub fn plot(pane: &TimelinePane, area: Rect) -> Rect {
    parts(pane, Block::bordered().inner(area)).plot
}

/// The mark (lane, mark) drawn nearest to cell (`x`, `y`) of a timeline
/// drawn in `area`: on the lane under the pointer, the mark whose column
/// is closest to the pointer's.
pub fn mark_at(app: &App, area: Rect, x: u16, y: u16) -> Option<(usize, usize)> {
    let pane = &app.timeline;
    if !app.audit.loaded || pane.lanes.is_empty() {
        return None;
    }
    let plot = plot(pane, area);
    if !plot.contains(ratatui::layout::Position { x, y }) {
        return None;
    }
    let lane = first_lane(pane, plot.height) + usize::from(y - plot.y);
    let pointer = i32::from(x - plot.x);
    let (mark, _) = pane
        .lanes
        .get(lane)?
        .marks
        .iter()
        .enumerate()
        .filter_map(|(i, m)| Some((i, column(m.at, app.now, pane.window, plot.width)?)))
        .min_by_key(|(_, col)| (i32::from(*col) - pointer).abs())?;
    Some((lane, mark))
}

/// The first lane shown in `height` rows: from the one `update` kept, as
/// little scrolling as keeps the selected lane in view (as the table
/// scrolls).
pub fn first_lane(pane: &TimelinePane, height: u16) -> usize {
    let selected = pane.cursor.map_or(0, |(l, _)| l);
    super::table::first_shown(pane.top, selected, pane.lanes.len(), usize::from(height))
}

fn name_lines(pane: &TimelinePane, shown: &[Lane], start: usize, width: u16) -> Vec<Line<'static>> {
    let room = usize::from(width).saturating_sub(3);
    shown
        .iter()
        .enumerate()
        .map(|(i, lane)| {
            let name = crate::report::fit(&lane.name, room);
            if pane.cursor.map(|(l, _)| l) == Some(start + i) {
                Line::styled(format!("▶ {name:<room$} "), bold())
            } else {
                Line::raw(format!("  {name:<room$} "))
            }
        })
        .collect()
}

/// The lanes on a Canvas whose bounds are its cells: x is the column,
/// y counts lanes from the bottom. A dim rule is each lane's baseline;
/// marks are printed over it from least to most important, and the
/// selected one last, reversed.
fn draw_lanes(app: &App, frame: &mut Frame, area: Rect, shown: &[Lane], start: usize) {
    let (c, now, pane) = (app.color, app.now, &app.timeline);
    let top = f64::from(area.height.saturating_sub(1).max(1));
    let right = f64::from(area.width.saturating_sub(1).max(1));
    let canvas = Canvas::default()
        .x_bounds([0.0, right])
        .y_bounds([0.0, top])
        .paint(|ctx| {
            for (i, lane) in shown.iter().enumerate() {
                let y = top - i as f64;
                ctx.print(
                    0.0,
                    y,
                    Span::styled("─".repeat(usize::from(area.width)), dim(c)),
                );
                let order = pane
                    .draw_order
                    .get(start + i)
                    .map_or(&[][..], Vec::as_slice);
                for &j in order {
                    let m = &lane.marks[j];
                    let Some(x) = column(m.at, now, pane.window, area.width) else {
                        continue;
                    };
                    if pane.cursor == Some((start + i, j)) {
                        continue;
                    }
                    let style = fg(c, color_of(m.kind));
                    ctx.print(f64::from(x), y, Span::styled(m.kind.symbol(), style));
                }
            }
            if let Some((l, m)) = pane
                .cursor
                .filter(|(l, _)| (start..start + shown.len()).contains(l))
            {
                let mark = &pane.lanes[l].marks[m];
                if let Some(x) = column(mark.at, now, pane.window, area.width) {
                    let style = fg(c, color_of(mark.kind))
                        .add_modifier(Modifier::REVERSED | Modifier::BOLD);
                    let y = top - (l - start) as f64;
                    ctx.print(f64::from(x), y, Span::styled(mark.kind.symbol(), style));
                }
            }
        });
    frame.render_widget(canvas, area);
}

/// Times under the plot: "now" at the right end, the window's start at
/// the left, round ticks between where they fit whole.
fn axis_line(app: &App, window: Window, width: u16) -> Line<'static> {
    let w = usize::from(width);
    let mut row = vec![' '; w];
    let now = app.now;
    let start = now - window.duration();
    let last = now.format("now %H:%M").to_string();
    let end = w.saturating_sub(last.chars().count());
    let step = match window {
        Window::Minutes15 => Duration::minutes(5),
        Window::Hour => Duration::minutes(15),
        Window::Day => Duration::hours(6),
    }
    .num_seconds();
    let first = start.timestamp() - start.timestamp().rem_euclid(step) + step;
    let ticks = std::iter::once(start).chain(
        (0..)
            .map(|k| first + k * step)
            .take_while(|t| *t < now.timestamp())
            .filter_map(|t| chrono::DateTime::from_timestamp(t, 0)),
    );
    let mut free_from = 0;
    let put = |row: &mut Vec<char>, pos: usize, text: &str| {
        for (k, ch) in text.chars().enumerate() {
            row[pos + k] = ch;
        }
    };
    for at in ticks {
        let text = at.format("%H:%M").to_string();
        let Some(col) = column(at, now, window, width) else {
            continue;
        };
        let pos = usize::from(col);
        // A label ends a space before the next, and before "now".
        if pos < free_from || pos + text.len() + 1 > end {
            continue;
        }
        put(&mut row, pos, &text);
        free_from = pos + text.len() + 1;
    }
    if last.chars().count() <= w {
        put(&mut row, end, &last);
    }
    Line::styled(row.into_iter().collect::<String>(), dim(app.color))
}

fn selected_line(pane: &TimelinePane, app: &App) -> Line<'static> {
    let Some((lane, mark)) = pane.selected() else {
        return Line::raw("");
    };
    Line::from(vec![
        Span::styled(format!(" ▶ {} ", lane.name), bold()),
        Span::raw(format!("{}  ", mark.at.format("%H:%M:%S"))),
        Span::styled(
            format!("{} {}", mark.kind.symbol(), mark.describe()),
            fg(app.color, color_of(mark.kind)),
        ),
        Span::styled("  ⏎ opens its detail", dim(app.color)),
    ])
}

fn legend_line(c: bool) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for kind in MarkKind::ALL {
        spans.push(Span::styled(kind.symbol(), fg(c, color_of(kind))));
        spans.push(Span::styled(format!(" {}  ", kind.word()), dim(c)));
    }
    Line::from(spans)
}
