//! The only place the dashboard's state changes.

use super::app::{Activity, App, EngineState, Mode, Notice, Overlay};
use super::msg::{Msg, Task};
use crate::audit::AuditRead;
use crate::engine::EngineEvent;

/// Applies `msg` to `app`; returns the background work it asks for.
/// Filtering and counting run here, when rows, filter or clock changed,
/// so that drawing a frame derives nothing.
pub fn update(app: &mut App, msg: Msg) -> Option<Task> {
    if !matches!(msg, Msg::Tick(_)) {
        app.changes = app.changes.wrapping_add(1);
    }
    let task = step(app, msg);
    // The table scrolls as little as keeps the selection in view, so a
    // click does not move the rows under the pointer.
    if let Some(top) = super::view::table_top(app) {
        app.table_top = top;
    }
    // The timeline's lanes scroll the same way.
    if let Some(top) = super::view::timeline_top(app) {
        app.timeline.top = top;
    }
    task
}

fn step(app: &mut App, msg: Msg) -> Option<Task> {
    if let Msg::Key(key) = msg {
        let filter = app.filter.value().to_string();
        let task = super::keymap::on_key(app, key);
        if app.filter.value() != filter {
            app.derive();
            reselect(app, None);
        }
        return task;
    }
    apply(app, msg)
}

fn apply(app: &mut App, msg: Msg) -> Option<Task> {
    match msg {
        Msg::Key(_) => None,
        Msg::Resize(frame) => {
            app.frame = frame;
            if app.mode == Mode::Timeline {
                super::timeline_keys::count(app);
            }
            None
        }
        Msg::Mouse(event) => super::mouse::on_mouse(app, event),
        Msg::Tick(now) => {
            app.now = now;
            // Only the status order moves with the clock (a zone changes).
            if app.sort == super::sort::SortKey::Status {
                super::sort::sort_entries(app);
            }
            app.derive();
            // The timeline's window ends now: it slides with the clock.
            if app.mode == Mode::Timeline {
                super::timeline_keys::rebuild(app);
            }
            // While a view of the trail is open, it follows the trail.
            let following = matches!(app.mode, Mode::Audit | Mode::Timeline);
            (following && app.audit.loaded).then_some(Task::FollowAudit)
        }
        Msg::Engine(event) => on_engine(app, event),
        Msg::EngineLagged => Some(Task::Reload),
        Msg::Loaded {
            entries,
            problems,
            dependents,
        } => {
            let keep = app.selected_entry().map(|e| e.name().to_string());
            app.entries = entries;
            app.dependents = dependents;
            app.store_problems = problems;
            app.found_problems.clear();
            app.loaded = true;
            rows_changed(app, keep.as_deref());
            None
        }
        Msg::Reread {
            name,
            entry,
            problem,
        } => {
            let keep = app.selected_entry().map(|e| e.name().to_string());
            super::merge::one(app, &name, entry.map(|e| *e), problem);
            rows_changed(app, keep.as_deref());
            None
        }
        Msg::Discovered {
            entries,
            problems,
            dependents,
        } => {
            let keep = app.selected_entry().map(|e| e.name().to_string());
            super::merge::discovered(app, entries);
            app.found_problems = problems;
            app.dependents = dependents;
            rows_changed(app, keep.as_deref());
            None
        }
        Msg::AuditChain(broken) => {
            app.audit_broken = broken;
            None
        }
        Msg::Providers(names) => {
            app.providers = names;
            None
        }
        Msg::AuditLoaded(read) => {
            let mut records = read.records;
            records.reverse();
            app.audit.records = records;
            app.audit.unreadable_lines = read.unreadable_lines;
            app.audit.loaded = true;
            clamp_audit_scroll(app);
            rebuild_shown_timeline(app);
            None
        }
        Msg::AuditAppended(read) => {
            appended(app, read);
            None
        }
        Msg::LoginPrompt {
            provider,
            url,
            user_code,
        } => {
            app.overlay = Some(Overlay::LoginUrl {
                provider,
                url,
                user_code,
            });
            None
        }
        Msg::ActionDone { name, ok, text } => {
            let row = name.clone();
            if matches!(app.overlay, Some(Overlay::LoginUrl { .. })) {
                app.overlay = None;
            }
            app.activity.insert(
                name,
                Activity::Done {
                    ok,
                    text: text.clone(),
                    at: app.now,
                },
            );
            app.notice = Some(Notice { ok, text });
            Some(Task::ReloadOne { name: row })
        }
        Msg::Notice { ok, text } => {
            app.notice = Some(Notice { ok, text });
            None
        }
        Msg::Quit => {
            app.quit = true;
            None
        }
    }
}

fn on_engine(app: &mut App, event: EngineEvent) -> Option<Task> {
    let done = |app: &mut App, name: String, ok: bool, text: String| {
        app.activity.insert(
            name,
            Activity::Done {
                ok,
                text,
                at: app.now,
            },
        );
    };
    match event {
        EngineEvent::Loaded { count } => {
            // The count follows adds and deletes made anywhere; their rows
            // come with the per-credential events. The first one: the
            // engine watches the store since before its first pass, and a
            // change made between the dashboard's first read and then
            // (a `credtop rotate` right after the table showed) is read now.
            let first = matches!(app.engine, EngineState::Starting);
            app.engine = EngineState::Running { lanes: count };
            first.then_some(Task::Reload)
        }
        EngineEvent::Stopped => {
            app.engine = EngineState::Stopped;
            None
        }
        EngineEvent::RefreshStarted { name } => {
            app.activity
                .insert(name, Activity::Busy("refreshing…".into()));
            None
        }
        EngineEvent::RefreshSucceeded { name, latency, .. } => {
            let text = format!("refreshed in {} ms", latency.as_millis());
            done(app, name.clone(), true, text);
            Some(Task::ReloadOne { name })
        }
        EngineEvent::RefreshNotNeeded { name } => {
            done(app, name.clone(), true, "fresh already".into());
            Some(Task::ReloadOne { name })
        }
        EngineEvent::RefreshFailed { name, kind, .. } => {
            done(app, name.clone(), false, format!("refresh failed: {kind}"));
            Some(Task::ReloadOne { name })
        }
        EngineEvent::LanePaused { name, kind } => {
            app.notice = Some(Notice {
                ok: false,
                text: format!("{name} paused ({kind}); it needs you: press l to log in again"),
            });
            Some(Task::ReloadOne { name })
        }
        EngineEvent::RefreshedElsewhere { name, host } => {
            done(app, name.clone(), true, format!("refreshed by {host}"));
            Some(Task::ReloadOne { name })
        }
        // Whoever wrote it (this dashboard, the daemon, a CLI call, another
        // tool): the credential is read again. The audit trail alone says
        // whose write it was.
        EngineEvent::Warning { name, .. }
        | EngineEvent::ExternalChange { name, .. }
        | EngineEvent::CredentialChanged { name } => Some(Task::ReloadOne { name }),
    }
}

/// The rows changed: problems, filter and counts follow, and the same
/// credential stays selected if it is still there.
fn rows_changed(app: &mut App, keep: Option<&str>) {
    app.problems = app
        .store_problems
        .iter()
        .chain(&app.found_problems)
        .cloned()
        .collect();
    super::sort::sort_entries(app);
    app.derive();
    reselect(app, keep);
}

/// Keeps the same credential selected if it is still there, and the
/// selection inside the rows.
pub(super) fn reselect(app: &mut App, keep: Option<&str>) {
    if let Some(i) = keep.and_then(|k| app.visible_index_of(k)) {
        app.selected = i;
    }
    app.selected = app.selected.min(app.visible_len().saturating_sub(1));
}

/// New records go on top (the views show newest first); a reader scrolled
/// down keeps the same record selected; the oldest go past the limit.
fn appended(app: &mut App, read: AuditRead) {
    let before = app.audit.visible().len();
    let mut records = read.records;
    records.reverse();
    records.append(&mut app.audit.records);
    records.truncate(super::audit_feed::AUDIT_KEPT);
    app.audit.records = records;
    app.audit.unreadable_lines += read.unreadable_lines;
    if app.audit.scroll > 0 {
        app.audit.scroll += app.audit.visible().len().saturating_sub(before);
    }
    clamp_audit_scroll(app);
    rebuild_shown_timeline(app);
}

/// The timeline is laid out only while it is shown (and when it opens):
/// records arriving for the audit view alone leave it be.
fn rebuild_shown_timeline(app: &mut App) {
    if app.mode == Mode::Timeline {
        super::timeline_keys::rebuild(app);
    }
}

fn clamp_audit_scroll(app: &mut App) {
    let len = app.audit.visible().len();
    app.audit.scroll = app.audit.scroll.min(len.saturating_sub(1));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What changed before the engine watched the store is read once the
    /// engine has started; later lane counts need no full read.
    #[test]
    fn the_engines_first_pass_asks_for_one_full_read() {
        let mut app = App::new(chrono::Utc::now(), "/nonexistent".into(), false);
        let loaded = |count| Msg::Engine(EngineEvent::Loaded { count });
        assert!(matches!(update(&mut app, loaded(3)), Some(Task::Reload)));
        assert!(matches!(app.engine, EngineState::Running { lanes: 3 }));
        assert!(update(&mut app, loaded(4)).is_none());
        assert!(matches!(app.engine, EngineState::Running { lanes: 4 }));
    }
}
