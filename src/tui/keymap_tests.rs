//! The key map, through `update`.

use super::*;
use crate::model::{Credential, Source};
use crate::tui::{Msg, update};
use chrono::{TimeZone, Utc};
use crossterm::event::KeyEvent;

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::from(KeyCode::Char(c)))
}

fn app_with(names: &[&str]) -> App {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
    let mut app = App::new(now, "/tmp/h".into(), false);
    let entries = names
        .iter()
        .map(|n| {
            let cred = Credential {
                name: n.to_string(),
                kind: Kind::ApiKey,
                provider: format!("{n}-inc"),
                account: None,
                scopes: vec![],
                created_at: now,
                expires_at: None,
                secret: Secret::new("s"),
                refresh_token: None,
                refresh_expires_at: None,
                token_type: None,
                source: Source::Store,
            };
            super::super::Entry::new(&cred, now, None, 90, None)
        })
        .collect();
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

#[test]
fn selection_stays_inside_the_rows() {
    let mut app = app_with(&["a", "b", "c"]);
    for _ in 0..5 {
        update(&mut app, key('j'));
    }
    assert_eq!(app.selected, 2);
    update(&mut app, key('g'));
    assert_eq!(app.selected, 0);
    update(&mut app, key('k'));
    assert_eq!(app.selected, 0);
    update(&mut app, key('G'));
    assert_eq!(app.selected, 2);
}

#[test]
fn filter_narrows_and_escape_clears_it() {
    let mut app = app_with(&["alpha", "beta", "gamma"]);
    update(&mut app, key('/'));
    for c in "bet".chars() {
        update(&mut app, key(c));
    }
    assert_eq!(app.visible().len(), 1);
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Esc)));
    assert_eq!(app.visible().len(), 3);
    assert!(!app.filter_editing);
}

#[test]
fn revoke_waits_for_yes() {
    let mut app = app_with(&["alpha"]);
    assert!(update(&mut app, key('x')).is_none());
    assert!(matches!(app.overlay, Some(Overlay::ConfirmRevoke { .. })));
    assert!(update(&mut app, key('n')).is_none());
    assert!(app.overlay.is_none());
    update(&mut app, key('x'));
    let cmd = update(&mut app, key('y'));
    assert!(matches!(cmd, Some(Task::Revoke { ref name }) if name == "alpha"));
}

#[test]
fn keys_typed_into_a_dialog_do_not_quit() {
    let mut app = app_with(&["alpha"]);
    update(&mut app, key('R'));
    update(&mut app, key('q'));
    assert!(!app.quit);
    let cmd = update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Enter)));
    assert!(matches!(cmd, Some(Task::RotateKey { .. })));
    update(&mut app, key('q'));
    assert!(app.quit);
}

#[test]
fn a_key_typed_for_rotation_never_shows_in_debug_output() {
    let mut app = app_with(&["alpha"]);
    update(&mut app, key('R'));
    for c in "sk-canary-42".chars() {
        update(&mut app, key(c));
    }
    let shown = format!("{:?}", app.overlay);
    assert!(!shown.contains("sk-canary"), "{shown}");
    assert!(shown.contains("12 characters, hidden"), "{shown}");
    let cmd = update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Enter)));
    assert!(!format!("{cmd:?}").contains("sk-canary"));
}

#[test]
fn ctrl_c_quits_from_anywhere() {
    let mut app = app_with(&["alpha"]);
    update(&mut app, key('/'));
    update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    );
    assert!(app.quit);
}
