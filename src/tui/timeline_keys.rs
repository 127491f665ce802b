//! Keys in the timeline view: h/l across time, j/k across lanes, `w` the
//! window, Enter opens the selected mark's credential in the detail pane.

use crossterm::event::KeyEvent;

use super::app::{App, Mode, Notice, Overlay};
use super::audit_feed::AUDIT_KEPT;
use super::bindings::{self, Action};
use super::msg::Task;

/// `t` from the table: the timeline, over the records the audit view
/// holds. The trail is read once; after that the follower reads only what
/// was appended while the table was shown.
pub(super) fn open(app: &mut App) -> Option<Task> {
    app.mode = Mode::Timeline;
    if !app.audit.loaded {
        // The load lays the timeline out when it arrives.
        return Some(Task::LoadAudit);
    }
    rebuild(app);
    Some(Task::FollowAudit)
}

/// Lays the timeline out again from the audit records and the clock.
pub(super) fn rebuild(app: &mut App) {
    app.timeline.rebuild(&app.audit.records, app.now);
    count(app);
    // The views hold the newest AUDIT_KEPT records: when older ones were
    // left out and the window reaches back past them, the title says so.
    let start = app.now - app.timeline.window.duration();
    app.timeline.whole_since = (app.audit.records.len() >= AUDIT_KEPT)
        .then(|| app.audit.records.iter().map(|r| r.ts).min())
        .flatten()
        .filter(|oldest| *oldest > start);
}

/// The density strip's counts, for the plot as wide as the frame last
/// told makes it: after the lanes, the clock or the frame changed.
pub(super) fn count(app: &mut App) {
    let columns = super::view::timeline_columns(app);
    let pane = &mut app.timeline;
    pane.density = super::timeline::density(&pane.lanes, app.now, pane.window, columns);
}

/// The timeline's keys, as [`bindings::TIMELINE`] binds them.
pub(super) fn on_key(app: &mut App, key: KeyEvent) -> Option<Task> {
    let action = bindings::action_in(bindings::TIMELINE, key.code)?;
    let pane = &mut app.timeline;
    match action {
        Action::Earlier => pane.step(false),
        Action::Later => pane.step(true),
        Action::Down => pane.change_lane(true),
        Action::Up => pane.change_lane(false),
        Action::Window => {
            pane.window = pane.window.next();
            rebuild(app);
        }
        Action::Detail => open_picked(app),
        Action::Reload => return Some(Task::LoadAudit),
        Action::Help => app.overlay = Some(Overlay::Help),
        Action::Quit => app.quit = true,
        Action::Back => app.mode = Mode::Table,
        _ => {}
    }
    None
}

/// Selects the picked mark's credential in the table and opens its detail
/// pane at that mark. A filter that hides the credential is cleared.
fn open_picked(app: &mut App) {
    let Some(picked) = app.timeline.picked() else {
        return;
    };
    let mut found = app.visible_index_of(&picked.name);
    if found.is_none() && !app.filter.value().is_empty() {
        app.filter.reset();
        app.derive();
        found = app.visible_index_of(&picked.name);
    }
    let Some(i) = found else {
        app.notice = Some(Notice {
            ok: false,
            text: format!(
                "{} is not in the table any more; its records stay in the audit trail (a)",
                picked.name
            ),
        });
        return;
    };
    app.selected = i;
    app.show_detail = true;
    app.mode = Mode::Table;
    app.picked = Some(picked);
}

#[cfg(test)]
#[path = "timeline_keys_tests.rs"]
mod tests;
