//! The only place the dashboard's state changes.

use super::app::{Activity, App, EngineState, Notice, Overlay};
use super::msg::{Msg, Task};
use crate::engine::EngineEvent;

/// Applies `msg` to `app`; returns the background work it asks for.
pub fn update(app: &mut App, msg: Msg) -> Option<Task> {
    match msg {
        Msg::Key(key) => super::keymap::on_key(app, key),
        Msg::Resize => None,
        Msg::Tick(now) => {
            app.now = now;
            // Only the status order moves with the clock (a zone changes).
            if app.sort == super::sort::SortKey::Status {
                super::sort::apply(app);
            }
            None
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
            app.problems = problems;
            app.loaded = true;
            super::sort::sort_entries(app);
            reselect(app, keep.as_deref());
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
            Some(Task::Reload)
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
            // A credential added or removed by any credtop process changes
            // the count (and is no external change): read the rows again.
            let changed = app.engine != (EngineState::Running { lanes: count });
            app.engine = EngineState::Running { lanes: count };
            changed.then_some(Task::Reload)
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
            done(
                app,
                name,
                true,
                format!("refreshed in {} ms", latency.as_millis()),
            );
            Some(Task::Reload)
        }
        EngineEvent::RefreshNotNeeded { name } => {
            done(app, name, true, "fresh already".into());
            Some(Task::Reload)
        }
        EngineEvent::RefreshFailed { name, kind, .. } => {
            done(app, name.clone(), false, format!("refresh failed: {kind}"));
            Some(Task::Reload)
        }
        EngineEvent::LanePaused { name, kind } => {
            app.notice = Some(Notice {
                ok: false,
                text: format!("{name} paused ({kind}); it needs you: press l to log in again"),
            });
            Some(Task::Reload)
        }
        EngineEvent::RefreshedElsewhere { name, host } => {
            done(app, name, true, format!("refreshed by {host}"));
            Some(Task::Reload)
        }
        EngineEvent::Warning { .. } | EngineEvent::ExternalChange { .. } => Some(Task::Reload),
    }
}

/// After the rows changed, keep the same credential selected if it is
/// still there.
pub(super) fn reselect(app: &mut App, keep: Option<&str>) {
    let visible = app.visible();
    if let Some(i) = keep.and_then(|k| visible.iter().position(|e| e.name() == k)) {
        app.selected = i;
    }
    let len = app.visible().len();
    app.selected = app.selected.min(len.saturating_sub(1));
}

fn clamp_audit_scroll(app: &mut App) {
    let len = app.audit.visible().len();
    app.audit.scroll = app.audit.scroll.min(len.saturating_sub(1));
}
