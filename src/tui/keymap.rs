//! The key map: what each key does in each mode and dialog. Keys typed
//! into a dialog or the filter go there, never to the table behind.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::app::{Activity, App, Mode, Notice, Overlay};
use super::bindings::{self, Action};
use super::msg::Task;
use crate::model::{Kind, Secret};

fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c')
}

pub(super) fn on_key(app: &mut App, key: KeyEvent) -> Option<Task> {
    if is_ctrl_c(&key) {
        app.quit = true;
        return None;
    }
    if app.overlay.is_some() {
        return on_overlay_key(app, key);
    }
    match app.mode {
        Mode::Audit => on_audit_key(app, key),
        Mode::Timeline => super::timeline_keys::on_key(app, key),
        Mode::Table if app.filter_editing => {
            on_filter_key(app, key);
            None
        }
        Mode::Table => on_table_key(app, key),
    }
}

fn on_filter_key(app: &mut App, key: KeyEvent) {
    match key.code {
        KeyCode::Esc => {
            app.filter.reset();
            app.filter_editing = false;
        }
        KeyCode::Enter => app.filter_editing = false,
        _ => {
            app.filter.handle_event(&Event::Key(key));
        }
    }
}

/// Where a movement key takes a position `at` among `len` rows.
fn moved(at: usize, len: usize, action: Action) -> usize {
    let last = len.saturating_sub(1);
    match action {
        Action::Down => (at + 1).min(last),
        Action::Up => at.saturating_sub(1),
        Action::First => 0,
        Action::Last => last,
        Action::PageDown => (at + 10).min(last),
        Action::PageUp => at.saturating_sub(10),
        _ => at,
    }
}

/// The table's selection, moved by keys and the wheel alike.
pub(super) fn move_selection(app: &mut App, action: Action) {
    app.selected = moved(app.selected, app.visible_len(), action);
}

/// The audit view's selected record, moved by keys and the wheel alike.
pub(super) fn move_audit(app: &mut App, action: Action) {
    app.audit.scroll = moved(app.audit.scroll, app.audit.visible().len(), action);
}

fn is_movement(action: Action) -> bool {
    use Action::*;
    matches!(action, Down | Up | First | Last | PageDown | PageUp)
}

fn on_table_key(app: &mut App, key: KeyEvent) -> Option<Task> {
    if key.code == KeyCode::Esc {
        // Esc undoes what is open: the filter first, then the detail pane.
        if app.filter.value().is_empty() {
            app.show_detail = false;
            app.picked = None;
        } else {
            app.filter.reset();
        }
        return None;
    }
    let action = bindings::action(key.code)?;
    match action {
        Action::Down
        | Action::Up
        | Action::First
        | Action::Last
        | Action::PageDown
        | Action::PageUp => move_selection(app, action),
        Action::Quit => app.quit = true,
        Action::Help => app.overlay = Some(Overlay::Help),
        Action::Filter => app.filter_editing = true,
        Action::Sort => {
            app.sort = app.sort.next();
            super::sort::apply(app);
        }
        Action::Detail => app.show_detail = !app.show_detail,
        Action::Audit => {
            app.mode = Mode::Audit;
            app.audit.scroll = 0;
            // Read once; after that only what was appended meanwhile.
            return Some(if app.audit.loaded {
                Task::FollowAudit
            } else {
                Task::LoadAudit
            });
        }
        Action::Timeline => return super::timeline_keys::open(app),
        Action::Login => return start_login(app, false),
        Action::LoginDevice => return start_login(app, true),
        Action::Refresh => return start_refresh(app),
        Action::Rotate => return start_rotate(app),
        Action::Revoke => {
            if let Some(name) = owned_selection(app, "revoke") {
                app.overlay = Some(Overlay::ConfirmRevoke { name });
            }
        }
        Action::Logout => confirm_logout(app),
        // The timeline's own actions have no key on the table.
        Action::Earlier | Action::Later | Action::Window | Action::Reload | Action::Back => {}
    }
    None
}

/// `d`: every credential of the selected one's provider, after a y/n.
fn confirm_logout(app: &mut App) {
    let Some(name) = owned_selection(app, "log out of") else {
        return;
    };
    let provider = app
        .selected_entry()
        .map(|e| e.row.provider.clone())
        .unwrap_or_default();
    let names = app
        .entries
        .iter()
        .filter(|e| e.owned && e.row.provider == provider)
        .map(|e| e.name().to_string())
        .collect::<Vec<_>>();
    let names = if names.is_empty() { vec![name] } else { names };
    app.overlay = Some(Overlay::ConfirmLogout { provider, names });
}

/// The selected credential's name when credtop may act on it; otherwise a
/// notice saying why not.
fn owned_selection(app: &mut App, verb: &str) -> Option<String> {
    let Some(entry) = app.selected_entry() else {
        app.notice = Some(Notice {
            ok: false,
            text: format!("nothing selected to {verb}"),
        });
        return None;
    };
    if entry.owned {
        return Some(entry.name().to_string());
    }
    let text = format!(
        "{} belongs to {}; credtop only reads it{}",
        entry.name(),
        entry.row.source,
        entry
            .relogin
            .as_deref()
            .map(|c| format!(" (renew it with `{c}`)"))
            .unwrap_or_default()
    );
    app.notice = Some(Notice { ok: false, text });
    None
}

fn busy(app: &mut App, name: &str, what: &str) {
    app.activity
        .insert(name.to_string(), Activity::Busy(what.to_string()));
}

fn start_refresh(app: &mut App) -> Option<Task> {
    let name = owned_selection(app, "refresh")?;
    let refreshable = app.selected_entry().is_some_and(|e| e.row.refreshable);
    if !refreshable {
        app.notice = Some(Notice {
            ok: false,
            text: format!("{name} has no refresh token: press l to log in again or R to rotate it"),
        });
        return None;
    }
    busy(app, &name, "refreshing…");
    Some(Task::Refresh { name })
}

/// `l` logs in through the browser (PKCE); `L` with the device flow, for
/// SSH sessions where the loopback redirect cannot reach this host.
fn start_login(app: &mut App, device: bool) -> Option<Task> {
    let target = app
        .selected_entry()
        .filter(|e| e.owned && matches!(e.kind, Kind::OAuth | Kind::Cloud))
        .map(|e| (e.row.provider.clone(), e.name().to_string()));
    match target {
        Some((provider, name)) => {
            busy(app, &name, "logging in…");
            Some(Task::Login {
                provider,
                name: Some(name),
                device,
            })
        }
        None => {
            app.overlay = Some(Overlay::AskProvider {
                input: Input::default(),
                device,
                pick: 0,
            });
            None
        }
    }
}

fn start_rotate(app: &mut App) -> Option<Task> {
    let name = owned_selection(app, "rotate")?;
    let entry = app.selected_entry()?;
    if matches!(entry.kind, Kind::OAuth | Kind::Cloud) {
        let provider = entry.row.provider.clone();
        busy(app, &name, "rotating…");
        return Some(Task::RotateOAuth { name, provider });
    }
    app.overlay = Some(Overlay::RotateKey {
        name,
        input: Input::default(),
    });
    None
}

fn on_overlay_key(app: &mut App, key: KeyEvent) -> Option<Task> {
    let overlay = app.overlay.take()?;
    let yes = matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y'));
    let cancel = key.code == KeyCode::Esc;
    match overlay {
        // Any key closes help; a login keeps running when its dialog closes.
        Overlay::Help | Overlay::LoginUrl { .. } => None,
        Overlay::ConfirmRevoke { name } if yes => {
            busy(app, &name, "revoking…");
            Some(Task::Revoke { name })
        }
        Overlay::ConfirmLogout { provider, names } if yes => {
            for n in &names {
                busy(app, n, "logging out…");
            }
            Some(Task::Logout { provider, names })
        }
        Overlay::ConfirmRevoke { .. } | Overlay::ConfirmLogout { .. } => None,
        Overlay::AskProvider {
            mut input,
            device,
            mut pick,
        } => {
            if cancel {
                return None;
            }
            // With nothing typed, j/k (and the arrows) pick a configured
            // provider; any other character starts typing a name.
            let picking = input.value().is_empty() && !app.providers.is_empty();
            let last = app.providers.len().saturating_sub(1);
            match key.code {
                KeyCode::Char('j') | KeyCode::Down if picking => pick = (pick + 1).min(last),
                KeyCode::Char('k') | KeyCode::Up if picking => pick = pick.saturating_sub(1),
                KeyCode::Enter => {}
                _ => {
                    input.handle_event(&Event::Key(key));
                }
            }
            if key.code != KeyCode::Enter {
                app.overlay = Some(Overlay::AskProvider {
                    input,
                    device,
                    pick,
                });
                return None;
            }
            let typed = input.value().trim().to_string();
            let provider = if typed.is_empty() {
                app.providers.get(pick).cloned().unwrap_or_default()
            } else {
                typed
            };
            if provider.is_empty() {
                return None;
            }
            busy(app, &provider, "logging in…");
            Some(Task::Login {
                provider,
                name: None,
                device,
            })
        }
        Overlay::RotateKey { name, mut input } => {
            if cancel {
                return None;
            }
            if key.code != KeyCode::Enter {
                input.handle_event(&Event::Key(key));
                app.overlay = Some(Overlay::RotateKey { name, input });
                return None;
            }
            let secret = Secret::new(input.value_and_reset());
            if secret.is_empty() {
                return None;
            }
            busy(app, &name, "rotating…");
            Some(Task::RotateKey { name, secret })
        }
    }
}

fn on_audit_key(app: &mut App, key: KeyEvent) -> Option<Task> {
    if app.audit.editing {
        match key.code {
            KeyCode::Esc => {
                app.audit.filter.reset();
                app.audit.editing = false;
            }
            KeyCode::Enter => app.audit.editing = false,
            _ => {
                app.audit.filter.handle_event(&Event::Key(key));
            }
        }
        app.audit.scroll = 0;
        return None;
    }
    // The table's movement keys move the audit view's selection too.
    if let Some(action) = bindings::action(key.code).filter(|a| is_movement(*a)) {
        move_audit(app, action);
        return None;
    }
    match key.code {
        KeyCode::Char('/') => app.audit.editing = true,
        KeyCode::Char('?') => app.overlay = Some(Overlay::Help),
        KeyCode::Char('q') => app.quit = true,
        KeyCode::Char('r') => return Some(Task::LoadAudit),
        KeyCode::Esc if !app.audit.filter.value().is_empty() => {
            app.audit.filter.reset();
            app.audit.scroll = 0;
        }
        KeyCode::Esc | KeyCode::Char('a') => app.mode = Mode::Table,
        _ => {}
    }
    None
}

#[cfg(test)]
#[path = "keymap_tests.rs"]
mod tests;
