//! The credential table. Columns appear as the terminal widens: at 80
//! columns name, kind, status, gauge and expiry; from 100 the provider and
//! account; from 120 the last refresh.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Widget};

use super::style::{bold, dim, fg, gauge, status_label, zone_color};
use crate::model::Zone;
use crate::report::{fit, human_duration, time_left};
use crate::tui::app::{Activity, App, Entry};

#[derive(Clone, Copy, PartialEq)]
enum Col {
    Name,
    Kind,
    Provider,
    Zone,
    Status,
    Gauge,
    Expires,
    LastRefresh,
}

impl Col {
    /// Whether the column's text can change with the clock alone.
    fn moves_with_clock(self) -> bool {
        !matches!(self, Col::Name | Col::Kind | Col::Provider)
    }
}

/// `name_w` is the longest name shown: when the provider column is there
/// it takes the slack, otherwise the name does.
fn columns(
    width: u16,
    name_w: u16,
    provider_w: u16,
    status_w: u16,
) -> Vec<(Col, &'static str, Constraint)> {
    let gauge_w = if width >= 140 { 20 } else { 12 };
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
        cols.push((
            Col::Provider,
            "PROVIDER",
            Constraint::Length(provider_w.clamp(8, 32)),
        ));
    }
    cols.push((Col::Zone, "ZONE", Constraint::Length(7)));
    // The status takes the slack: its reasons are what an incident needs.
    cols.push((Col::Status, "STATUS", Constraint::Min(status_w)));
    cols.push((Col::Gauge, "TTL ┃80%", Constraint::Length(gauge_w)));
    cols.push((Col::Expires, "EXPIRES", Constraint::Length(12)));
    if width >= 120 {
        cols.push((Col::LastRefresh, "REFRESHED", Constraint::Length(11)));
    }
    cols
}

/// The rows of the table drawn in `area`: the first visible row shown and
/// how many rows fit (inside the borders, under the column titles). Only
/// the rows that fit are built: with 10,000 credentials, building every
/// row on every one-second tick would cost megabytes and milliseconds for
/// nothing. The window keeps the selection in view (at the bottom when
/// scrolling down, as ratatui itself would; at the top when scrolling up).
///
/// From the first row shown last time it scrolls as little as keeps the
/// selection in view, and leaves no empty rows below when it can.
pub fn window(app: &App, area: Rect) -> (usize, usize) {
    let height = usize::from(area.height.saturating_sub(3)).max(1);
    let start = first_shown(app.table_top, app.selected, app.visible_len(), height);
    (start, height)
}

/// The first of `len` rows shown `height` at a time, when `top` was the
/// first shown last time and `selected` must be in view: as little
/// scrolling as keeps it there, no empty rows below when it can. The
/// timeline's lanes scroll by the same rule.
pub fn first_shown(top: usize, selected: usize, len: usize, height: usize) -> usize {
    let height = height.max(1);
    top.min(len.saturating_sub(height))
        .max(selected.saturating_sub(height - 1))
        .min(selected.min(len))
}

/// The visible row drawn at cell (`x`, `y`) of a table drawn in `area`:
/// not the borders, not the column titles, not the empty space below
/// the last row.
pub fn row_at(app: &App, area: Rect, x: u16, y: u16) -> Option<usize> {
    let inside = x > area.x && x + 1 < area.right() && y > area.y + 1 && y + 1 < area.bottom();
    if !inside {
        return None;
    }
    let (start, height) = window(app, area);
    let offset = usize::from(y - area.y - 2);
    let row = start + offset;
    (offset < height && row < app.visible_len()).then_some(row)
}

/// What a table drawn in `area` shows where: the rows in view, the
/// columns and where each falls, the selected row among them.
struct Plan<'a> {
    window: Vec<&'a Entry>,
    /// Each row's status and provider text, worked out once for the
    /// columns' widths and drawn from there.
    said: Vec<Said>,
    cols: Vec<(Col, &'static str, Constraint)>,
    title: String,
    inner: Rect,
    rects: std::rc::Rc<[Rect]>,
    selected: Option<usize>,
    symbol_w: u16,
}

/// Everything but the cells' text: while it holds, a frame differs from
/// the last one only in cells, and [`patch`] draws just those.
#[derive(Clone, PartialEq)]
struct Shape {
    area: Rect,
    widths: Vec<Constraint>,
    title: String,
    rows: usize,
    selected: Option<usize>,
}

fn plan<'a>(app: &'a App, area: Rect) -> Plan<'a> {
    let len = app.visible_len();
    let (start, height) = window(app, area);
    let end = (start + height).min(len);
    let window: Vec<&Entry> = (start..end).filter_map(|i| app.visible_entry(i)).collect();
    let name_w = app.name_width as u16;
    // The status column is as wide as the longest text in view, as far as
    // the other columns leave room; longer reasons end in "…".
    let said: Vec<Said> = window
        .iter()
        .map(|e| Said {
            status: status_text(app, e),
            provider: provider_text(e),
        })
        .collect();
    let content = said
        .iter()
        .map(|s| s.status.0.chars().count())
        .max()
        .unwrap_or(0);
    let provider_w = said
        .iter()
        .map(|s| s.provider.chars().count())
        .max()
        .unwrap_or(0) as u16;
    let others = columns(area.width, name_w, provider_w, 0);
    // Borders, the highlight symbol and one space between columns.
    let used: u16 = others
        .iter()
        .map(|(_, _, c)| constraint_min(*c))
        .sum::<u16>()
        + 4
        + others.len() as u16;
    let room = area.width.saturating_sub(used);
    let status_w = (content as u16).min(room).max(8);
    let cols = columns(area.width, name_w, provider_w, status_w);
    let inner = Block::bordered().inner(area);
    // As ratatui's `Table` lays a row out: the highlight symbol's column
    // (while a row is selected), then the columns one space apart.
    let selected =
        (!window.is_empty()).then(|| app.selected.saturating_sub(start).min(window.len() - 1));
    let symbol_w = if selected.is_some() {
        Line::from(HIGHLIGHT_SYMBOL).width() as u16
    } else {
        0
    };
    let [_, columns_area] =
        Layout::horizontal([Constraint::Length(symbol_w), Constraint::Fill(0)]).areas(inner);
    let rects = Layout::horizontal(cols.iter().map(|(_, _, c)| *c))
        .flex(Flex::Start)
        .spacing(1)
        .split(columns_area);
    let rows = usize::from(inner.height.saturating_sub(1));
    Plan {
        window: window.into_iter().take(rows).collect(),
        said,
        cols,
        title: format!(" Credentials ({len}) · by {} ", app.sort.as_str()),
        inner,
        rects,
        selected,
        symbol_w,
    }
}

impl Plan<'_> {
    fn shape(&self, area: Rect) -> Shape {
        Shape {
            area,
            widths: self.cols.iter().map(|(_, _, c)| *c).collect(),
            title: self.title.clone(),
            rows: self.window.len(),
            selected: self.selected,
        }
    }

    /// Each cell in view but those `skip` leaves out (by slot and
    /// column): its slot in the memo, its text and where it goes.
    fn cells<'p>(
        &'p self,
        app: &'p App,
        skip: impl Fn(usize, Col) -> bool + Copy + 'p,
    ) -> impl Iterator<Item = (usize, Text<'static>, Rect)> + 'p {
        let n = self.cols.len();
        self.window
            .iter()
            .zip(&self.said)
            .enumerate()
            .flat_map(move |(i, (e, said))| {
                let y = self.inner.y + 1 + i as u16;
                self.cols
                    .iter()
                    .zip(self.rects.iter())
                    .enumerate()
                    .filter(move |(c, ((col, _, _), _))| !skip(i * n + c, *col))
                    .map(move |(c, ((col, _, constraint), rect))| {
                        let text = cell(app, e, said, *col, constraint_len(*constraint));
                        (
                            i * n + c,
                            text,
                            Rect {
                                y,
                                height: 1,
                                ..*rect
                            },
                        )
                    })
            })
    }

    /// Remembers which credential each row showed, and as of which
    /// change to the rows.
    fn note_rows(&self, app: &App, memo: &mut TableMemo) {
        memo.names.clear();
        memo.names
            .extend(self.window.iter().map(|e| e.name().to_string()));
        memo.changes = Some(app.changes);
    }
}

pub fn draw(app: &App, frame: &mut Frame, area: Rect, memo: &mut TableMemo) {
    let plan = plan(app, area);
    frame.render_widget(Block::bordered().title(plan.title.as_str()), area);
    memo.shape = None;
    if plan.inner.is_empty() {
        return;
    }
    let buf = frame.buffer_mut();
    let header = Rect {
        height: 1,
        ..plan.inner
    };
    buf.set_style(header, bold());
    for ((_, title, _), rect) in plan.cols.iter().zip(plan.rects.iter()) {
        Text::from(*title).render(
            Rect {
                y: header.y,
                ..*rect
            },
            buf,
        );
    }
    memo.begin(plan.cols.len());
    for (slot, text, rect) in plan.cells(app, |_, _| false) {
        memo.draw(slot, text, rect, buf);
    }
    if let Some(i) = plan.selected {
        let row = Rect {
            y: plan.inner.y + 1 + i as u16,
            height: 1,
            ..plan.inner
        };
        Line::from(HIGHLIGHT_SYMBOL).render(
            Rect {
                width: plan.symbol_w,
                ..row
            },
            buf,
        );
        buf.set_style(row, highlight(app.color));
    }
    memo.shape = Some(plan.shape(area));
    memo.keys.clear();
    plan.note_rows(app, memo);
}

/// Draws on `buf`, which holds the last frame drawn with `memo`, only the
/// cells whose text changed, and returns where it drew; `None` when the
/// table's shape changed (another column width, row count, selection,
/// title), which only a whole frame draws.
pub fn patch(app: &App, buf: &mut Buffer, area: Rect, memo: &mut TableMemo) -> Option<Vec<Rect>> {
    let plan = plan(app, area);
    if memo.shape.as_ref() != Some(&plan.shape(area)) {
        return None;
    }
    memo.begin(plan.cols.len());
    // Only the clock moved since the last frame (no message but ticks):
    // a row that shows the same credential shows the same name, kind and
    // provider, which are not even worked out again.
    let ticks_only = memo.changes == Some(app.changes);
    let names = std::mem::take(&mut memo.names);
    let n = plan.cols.len();
    // A cell that moves with the clock and whose key is what it was is
    // not built, compared or drawn.
    let keys = std::mem::take(&mut memo.keys);
    let next_keys: Vec<Option<Key>> = (0..plan.window.len() * n)
        .map(|slot| {
            let (e, (col, _, constraint)) = (plan.window.get(slot / n)?, plan.cols.get(slot % n)?);
            let said = plan.said.get(slot / n)?;
            clock_key(app, e, said, *col, constraint_len(*constraint))
        })
        .collect();
    let skip = |slot: usize, col: Col| {
        let i = slot / n;
        let same_row = names.get(i).map(String::as_str) == plan.window.get(i).map(|e| e.name());
        let key = next_keys.get(slot).and_then(Option::as_ref);
        (ticks_only && !col.moves_with_clock() && same_row)
            || (key.is_some() && keys.get(slot).and_then(Option::as_ref) == key)
    };
    let mut damage = Vec::new();
    for (slot, text, rect) in plan.cells(app, skip) {
        let selected = plan.selected == Some(slot / n);
        if let Some(drawn) = memo.redraw(slot, text, rect, buf) {
            if selected {
                buf.set_style(drawn, highlight(app.color));
            }
            damage.push(drawn);
        }
    }
    memo.keys = next_keys;
    plan.note_rows(app, memo);
    Some(damage)
}

/// Drawn before the selected row, as ratatui's `Table` would.
const HIGHLIGHT_SYMBOL: &str = "▶ ";

fn highlight(color: bool) -> Style {
    if color {
        Style::default()
            .bg(super::style::SELECTED_BG)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    }
}

/// The table's cells as drawn in the last frame, by row on screen and
/// column: a cell whose text and width are what they were is copied, not
/// drawn again. On the one-second tick that is every cell but the
/// countdowns, so the table costs what changed rather than the whole
/// screen ([`patch`]).
///
/// Copying is exact: a cell's cells are a function of its text and width
/// alone, drawn on a cleared buffer (ratatui clears before every frame),
/// and the highlight is laid over the selected row after the copy.
#[derive(Default)]
pub struct TableMemo {
    /// The shape of the table last drawn whole, while no whole frame has
    /// drawn anything else since.
    shape: Option<Shape>,
    /// The credential each row showed last frame, and [`App::changes`]
    /// then.
    names: Vec<String>,
    changes: Option<u64>,
    /// By slot, what a cell that moves with the clock was drawn from
    /// ([`clock_key`]), as of the last patched frame.
    keys: Vec<Option<Key>>,
    columns: usize,
    slots: Vec<Option<Drawn>>,
}

struct Drawn {
    text: Text<'static>,
    cells: Vec<ratatui::buffer::Cell>,
}

impl TableMemo {
    fn begin(&mut self, columns: usize) {
        if columns != self.columns {
            self.slots.clear();
            self.columns = columns;
        }
    }

    /// Like [`TableMemo::draw`] on a buffer that already holds the last
    /// frame: an unchanged cell is left as it is; a changed one is
    /// cleared and drawn, and its area returned.
    fn redraw(
        &mut self,
        slot: usize,
        text: Text<'static>,
        area: Rect,
        buf: &mut Buffer,
    ) -> Option<Rect> {
        let area = area.intersection(buf.area);
        let unchanged = self
            .slots
            .get(slot)
            .and_then(Option::as_ref)
            .is_some_and(|d| d.cells.len() == usize::from(area.width) && d.text == text);
        if unchanged || area.is_empty() {
            return None;
        }
        let at = buf.index_of(area.x, area.y);
        for cell in &mut buf.content[at..at + usize::from(area.width)] {
            cell.reset();
        }
        self.draw(slot, text, area, buf);
        Some(area)
    }

    fn draw(&mut self, slot: usize, text: Text<'static>, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() {
            return;
        }
        let at = buf.index_of(area.x, area.y);
        let span = at..at + usize::from(area.width);
        if self.slots.len() <= slot {
            self.slots.resize_with(slot + 1, || None);
        }
        if let Some(Some(drawn)) = self.slots.get(slot)
            && drawn.cells.len() == span.len()
            && drawn.text == text
        {
            buf.content[span].clone_from_slice(&drawn.cells);
            return;
        }
        (&text).render(area, buf);
        self.slots[slot] = Some(Drawn {
            cells: buf.content[span].to_vec(),
            text,
        });
    }
}

fn constraint_min(c: Constraint) -> u16 {
    match c {
        Constraint::Length(n) | Constraint::Min(n) => n,
        _ => 0,
    }
}

fn constraint_len(c: Constraint) -> usize {
    match c {
        Constraint::Length(n) | Constraint::Min(n) => n as usize,
        _ => 0,
    }
}

/// What a cell that moves with the clock is drawn from, in full: the
/// same key, the same cells (its width is the shape's, which a patched
/// frame keeps). A zone or gauge is a few numbers packed; the status is
/// the row's words, already worked out for the columns' widths; the
/// times are their text, a dozen characters. Comparing these costs a
/// fraction of building the cell's `Text` and comparing that, which is
/// what a cell without a key costs every frame.
#[derive(PartialEq)]
enum Key {
    Marks(u64),
    Words(String, Style),
}

fn clock_key(app: &App, e: &Entry, said: &Said, col: Col, width: usize) -> Option<Key> {
    let zone = || e.zone(app.now) as u64 | u64::from(app.color) << 7;
    match col {
        Col::Zone => Some(Key::Marks(zone())),
        Col::Gauge => {
            let life = e.lifetime();
            let Some(elapsed) = life.elapsed_fraction(app.now) else {
                return Some(Key::Marks(1 << 63));
            };
            let cap = e.row.refresh_expires_at.and_then(|c| life.position(c));
            let (filled, mark, cap) =
                super::style::gauge_marks(width, (elapsed, life.refresh_at, cap))?;
            let cap = cap.map_or(0, |c| c as u64 + 1);
            Some(Key::Marks(
                zone() | (filled as u64) << 8 | (mark as u64) << 24 | cap << 40,
            ))
        }
        Col::Status => {
            let (text, color) = &said.status;
            Some(Key::Words(text.clone(), fg(app.color, *color)))
        }
        Col::Expires => Some(Key::Words(expiry_text(e, app.now), Style::default())),
        Col::LastRefresh => Some(Key::Words(last_refresh_text(e, app.now), dim(app.color))),
        Col::Name | Col::Kind | Col::Provider => None,
    }
}

/// A row's words that also decide the columns' widths.
struct Said {
    status: (String, Color),
    provider: String,
}

fn cell(app: &App, e: &Entry, said: &Said, col: Col, width: usize) -> Text<'static> {
    let now = app.now;
    match col {
        Col::Name => Text::from(e.row.name.clone()),
        Col::Kind => Text::from(e.row.kind.replace("api_key", "key")),
        Col::Provider => Text::from(fit(&said.provider, width)),
        Col::Zone => {
            let zone = e.zone(now);
            Text::from(Span::styled(zone.as_str(), fg(app.color, zone_color(zone))))
        }
        Col::Status => {
            let (text, color) = &said.status;
            Text::from(Span::styled(fit(text, width), fg(app.color, *color)))
        }
        Col::Gauge => {
            let life = e.lifetime();
            let cap = e.row.refresh_expires_at.and_then(|c| life.position(c));
            Text::from(Line::from(gauge(
                app.color,
                width,
                (life.elapsed_fraction(now), life.refresh_at, cap),
                e.zone(now),
            )))
        }
        Col::Expires => Text::from(fit(&expiry_text(e, now), width)),
        Col::LastRefresh => Text::from(Span::styled(last_refresh_text(e, now), dim(app.color))),
    }
}

/// "3m 10s ago", or "never".
fn last_refresh_text(e: &Entry, now: chrono::DateTime<chrono::Utc>) -> String {
    e.last_refresh()
        .map(|a| format!("{} ago", human_duration(now - a.at)))
        .unwrap_or_else(|| "never".into())
}

/// "github/alice", "anthropic/alice (via claude)".
fn provider_text(e: &Entry) -> String {
    let mut text = e.row.provider.clone();
    if let Some(a) = &e.row.account {
        text.push('/');
        text.push_str(a);
    }
    if !e.owned {
        text = format!("{text} (via {})", e.row.source);
    }
    text
}

/// The symbol and word a row's status is told with, and counted under in
/// the header: progress while an action runs, else the status.
pub fn shown_status<'a>(app: &'a App, e: &Entry) -> (&'static str, &'a str, Color) {
    match app.activity_of(e.name()) {
        Some(Activity::Busy(what)) => ("↻", what.trim_end_matches('…'), Color::Cyan),
        _ => status_label(e.status(app.now), e.paused),
    }
}

/// The status in a symbol and the word the header counts it under, then
/// why, when there is something to say: a reason credtop cannot refresh
/// it, or a fresh outcome. An expired row never says "refresh failed": it
/// is expired, whatever the last attempt was.
pub fn status_text(app: &App, e: &Entry) -> (String, Color) {
    let (sym, word, color) = shown_status(app, e);
    let why = match app.activity_of(e.name()) {
        Some(Activity::Busy(_)) => return (format!("{sym} {word}…"), color),
        _ if e.row.cannot_refresh.is_some() => e.row.cannot_refresh.as_deref(),
        Some(Activity::Done { ok: false, .. }) if e.zone(app.now) == Zone::Expired => None,
        Some(Activity::Done { text, .. }) => Some(text.as_str()),
        None => None,
    };
    match why {
        Some(why) => (format!("{sym} {word}: {why}"), color),
        None => (format!("{sym} {word}"), color),
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
