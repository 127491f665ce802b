//! The mouse, as update sees it: a left click on a table row selects it,
//! one on a timeline lane the mark nearest the pointer; the wheel moves
//! the selection (the table's, the audit view's, the
//! timeline's lane). Everything else the mouse does is ignored, and the
//! runtime does not even turn it into a message (no redraw per motion).

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

use super::app::{App, Mode};
use super::bindings::Action;
use super::keymap;
use super::msg::Task;

/// Whether the runtime passes `event` on as a message at all.
pub fn wanted(event: &MouseEvent) -> bool {
    matches!(
        event.kind,
        MouseEventKind::Down(MouseButton::Left)
            | MouseEventKind::ScrollDown
            | MouseEventKind::ScrollUp
    )
}

pub(super) fn on_mouse(app: &mut App, event: MouseEvent) -> Option<Task> {
    // A dialog is modal: the rows behind it do not take clicks.
    if app.overlay.is_some() || app.filter_editing || app.audit.editing {
        return None;
    }
    match event.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            let (x, y) = (event.column, event.row);
            if let Some(row) = super::view::table_row_at(app, x, y) {
                app.selected = row;
            }
            if let Some(mark) = super::view::timeline_mark_at(app, x, y) {
                app.timeline.cursor = Some(mark);
            }
        }
        MouseEventKind::ScrollDown => scroll(app, true),
        MouseEventKind::ScrollUp => scroll(app, false),
        _ => {}
    }
    None
}

/// One wheel notch: one row (or lane) down or up, inside the rows, as
/// the keys move it.
fn scroll(app: &mut App, down: bool) {
    let action = if down { Action::Down } else { Action::Up };
    match app.mode {
        Mode::Table => keymap::move_selection(app, action),
        Mode::Audit => keymap::move_audit(app, action),
        Mode::Timeline => app.timeline.change_lane(down),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use ratatui::layout::Rect;

    use super::*;
    use crate::model::{Credential, Kind, Secret, Source};
    use crate::tui::{Entry, Msg, update};

    fn app(rows: usize) -> App {
        let now = Utc.with_ymd_and_hms(2026, 12, 2, 6, 0, 0).unwrap();
        let mut app = App::new(now, "/tmp/h".into(), false);
        let entries = (0..rows)
            .map(|i| {
                let cred = Credential {
                    name: format!("cred-{i:02}"),
                    kind: Kind::ApiKey,
                    provider: "p".into(),
                    account: None,
                    scopes: vec![],
                    created_at: now,
                    expires_at: None,
                    secret: Secret::new("s"),
                    refresh_token: None,
                    token_type: None,
                    refresh_expires_at: None,
                    source: Source::Store,
                };
                Entry::new(&cred, now, None, 90, None)
            })
            .collect();
        update(&mut app, Msg::Resize(FRAME));
        update(
            &mut app,
            Msg::Loaded {
                entries,
                problems: vec![],
                dependents: Default::default(),
            },
        );
        app
    }

    const FRAME: Rect = Rect::new(0, 0, 80, 24);

    fn mouse(kind: MouseEventKind, column: u16, row: u16) -> Msg {
        Msg::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    }

    fn click(app: &mut App, column: u16, row: u16) {
        update(
            app,
            mouse(MouseEventKind::Down(MouseButton::Left), column, row),
        );
    }

    fn key(app: &mut App, code: KeyCode) {
        update(app, Msg::Key(KeyEvent::from(code)));
    }

    // At 80x24: the header is row 0, the table's border row 1, its column
    // titles row 2, its first credential row 3, its last border row 21
    // (18 credential rows: 3..=20).

    #[test]
    fn a_click_selects_the_row_under_it() {
        let mut app = app(5);
        click(&mut app, 10, 5);
        assert_eq!(app.selected, 2);
        click(&mut app, 10, 3);
        assert_eq!(app.selected, 0);
    }

    #[test]
    fn titles_borders_and_empty_space_take_no_click() {
        let mut app = app(5);
        click(&mut app, 10, 4);
        for (x, y) in [
            (10, 2),
            (10, 1),
            (0, 4),
            (79, 4),
            (10, 8),
            (10, 21),
            (10, 23),
        ] {
            click(&mut app, x, y);
            assert_eq!(app.selected, 1, "a click at ({x}, {y}) moved the selection");
        }
    }

    #[test]
    fn a_click_counts_the_rows_scrolled_past() {
        let mut app = app(40);
        key(&mut app, KeyCode::End);
        // 18 rows fit and the last (39) is at the bottom: rows 22..=39.
        click(&mut app, 10, 3);
        assert_eq!(app.selected, 22);
        click(&mut app, 10, 20);
        assert_eq!(app.selected, 39);
        // The rows stayed where they were under the pointer, and moving
        // up from the bottom row does not scroll them either.
        assert_eq!(app.table_top, 22);
        key(&mut app, KeyCode::Char('k'));
        assert_eq!(app.table_top, 22);
        click(&mut app, 10, 3);
        key(&mut app, KeyCode::Char('k'));
        assert_eq!((app.selected, app.table_top), (21, 21), "up by one row");
    }

    #[test]
    fn with_the_detail_pane_open_only_the_table_part_takes_clicks() {
        let mut app = app(5);
        key(&mut app, KeyCode::Enter);
        assert!(app.show_detail);
        // The table gets 5 + 3 rows at the top; the detail pane the rest.
        click(&mut app, 10, 7);
        assert_eq!(app.selected, 4);
        click(&mut app, 10, 12);
        assert_eq!(
            app.selected, 4,
            "a click in the detail pane selects nothing"
        );
    }

    #[test]
    fn the_wheel_moves_the_selection_inside_the_rows() {
        let mut app = app(3);
        for _ in 0..5 {
            update(&mut app, mouse(MouseEventKind::ScrollDown, 10, 10));
        }
        assert_eq!(app.selected, 2);
        update(&mut app, mouse(MouseEventKind::ScrollUp, 10, 10));
        assert_eq!(app.selected, 1);
    }

    #[test]
    fn dialogs_and_other_views_take_no_clicks() {
        let mut app = app(5);
        key(&mut app, KeyCode::Char('?'));
        click(&mut app, 10, 6);
        assert_eq!(app.selected, 0);
        key(&mut app, KeyCode::Esc);
        key(&mut app, KeyCode::Char('a'));
        click(&mut app, 10, 6);
        assert_eq!(app.selected, 0);
    }

    #[test]
    fn motion_and_other_buttons_are_not_messages() {
        let ev = |kind| MouseEvent {
            kind,
            column: 0,
            row: 0,
            modifiers: KeyModifiers::NONE,
        };
        assert!(wanted(&ev(MouseEventKind::Down(MouseButton::Left))));
        assert!(wanted(&ev(MouseEventKind::ScrollUp)));
        assert!(!wanted(&ev(MouseEventKind::Moved)));
        assert!(!wanted(&ev(MouseEventKind::Up(MouseButton::Left))));
        assert!(!wanted(&ev(MouseEventKind::Drag(MouseButton::Left))));
    }
}
