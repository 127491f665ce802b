//! The terminal as the dashboard last drew it, and how the next frame
//! reaches it.
//!
//! ratatui's `Terminal::draw` clears a whole buffer, draws the whole view
//! into it and compares it with the last, cell by cell: three passes over
//! every cell of the screen for each frame. The dashboard is kept open all
//! day and redraws every second for its countdowns, most of which leave
//! all but a few dozen cells as they were. So the frame stays here from
//! one draw to the next, and [`view::patch`] draws on it only the cells
//! whose text changed; a whole frame is drawn (by ratatui, through a
//! `Terminal` whose backend is only a buffer) when the shape of the screen
//! changed: a key, another view, an overlay, a resize.

use ratatui::backend::{Backend, TestBackend};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

use super::app::App;
use super::view::{self, FrameMemo};

pub struct Screen {
    /// What the terminal shows, cell for cell.
    shown: Buffer,
    /// The frame being drawn: the last one, patched in place.
    next: Buffer,
    /// Draws whole frames: ratatui hands out a `Frame` only from a
    /// `Terminal`.
    whole: Terminal<TestBackend>,
    memo: FrameMemo,
    /// Cells sent to the terminal by the last frame.
    sent: usize,
    /// Frames drawn whole, since the start or the last resize.
    wholes: usize,
}

impl Screen {
    pub fn new(area: Rect) -> Screen {
        Screen {
            shown: Buffer::empty(area),
            next: Buffer::empty(area),
            whole: whole(area),
            memo: FrameMemo::default(),
            sent: 0,
            wholes: 0,
        }
    }

    /// Cells the last frame sent to the terminal.
    pub fn sent(&self) -> usize {
        self.sent
    }

    /// Frames drawn whole since the start or the last resize; the others
    /// were patched.
    pub fn whole_frames(&self) -> usize {
        self.wholes
    }

    /// What the terminal shows after the last [`Screen::draw`].
    pub fn shown(&self) -> &Buffer {
        &self.shown
    }

    /// Draws `app` on `out`, whose size is `area`: the cells that changed
    /// since the last frame, and only those reach the terminal. A new size
    /// clears the terminal and draws it whole.
    pub fn draw<B: Backend>(&mut self, app: &App, area: Rect, out: &mut B) -> Result<(), B::Error> {
        if area != self.shown.area {
            out.clear()?;
            *self = Screen::new(area);
        }
        self.sent = 0;
        match view::patch(app, &mut self.next, &mut self.memo) {
            Some(damage) => {
                // One write for the whole frame: each area's changes
                // (ratatui's diff, which knows wide characters), then the
                // terminal's copy brought up to date.
                let mut updates = Vec::new();
                for rect in &damage {
                    let before = part(&self.shown, *rect);
                    let after = part(&self.next, *rect);
                    updates.extend(
                        before
                            .diff(&after)
                            .into_iter()
                            .map(|(x, y, cell)| (x, y, cell.clone())),
                    );
                    for y in rect.top()..rect.bottom() {
                        let at = self.next.index_of(rect.x, y);
                        let row = at..at + usize::from(rect.width);
                        self.shown.content[row.clone()].clone_from_slice(&self.next.content[row]);
                    }
                }
                self.sent = updates.len();
                out.draw(updates.iter().map(|(x, y, cell)| (*x, *y, cell)))?;
            }
            None => {
                self.wholes += 1;
                let memo = &mut self.memo;
                let frame = match self.whole.draw(|f| view::view_with(app, f, memo)) {
                    Ok(frame) => frame,
                    Err(never) => match never {},
                };
                let updates = self.shown.diff(frame.buffer);
                self.sent = updates.len();
                out.draw(updates.into_iter())?;
                self.next.content.clone_from_slice(&frame.buffer.content);
                self.shown.content.clone_from_slice(&frame.buffer.content);
            }
        }
        out.flush()
    }
}

fn whole(area: Rect) -> Terminal<TestBackend> {
    let backend = TestBackend::new(area.width, area.height);
    match Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(area),
        },
    ) {
        Ok(terminal) => terminal,
        Err(never) => match never {},
    }
}

/// The cells of `buf` in `rect` (inside it), as a buffer of their own.
fn part(buf: &Buffer, rect: Rect) -> Buffer {
    let mut content = Vec::with_capacity(usize::from(rect.width) * usize::from(rect.height));
    for y in rect.top()..rect.bottom() {
        let at = buf.index_of(rect.x, y);
        content.extend_from_slice(&buf.content[at..at + usize::from(rect.width)]);
    }
    Buffer {
        area: rect,
        content,
    }
}
