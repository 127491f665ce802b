//! `s` cycles the table's order (expiry, name, status, last refresh);
//! credtop's own credentials stay grouped before other tools'.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent};

use credtop::engine::lane::LaneState;
use credtop::model::{Credential, FailureKind, Kind, Secret, Source};
use credtop::tui::{App, Attempt, Entry, Msg, SortKey, update};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 6, 7, 22).unwrap()
}

fn cred(name: &str, ttl_left_min: Option<i64>) -> Credential {
    Credential {
        name: name.into(),
        kind: Kind::OAuth,
        provider: "github".into(),
        account: None,
        scopes: vec![],
        created_at: now() - Duration::minutes(30),
        expires_at: ttl_left_min.map(|m| now() + Duration::minutes(m)),
        secret: Secret::new(format!("sort-{name}")),
        refresh_token: None,
        refresh_expires_at: None,
        token_type: None,
        source: Source::Store,
    }
}

fn names(app: &App) -> Vec<String> {
    app.visible().iter().map(|e| e.name().to_string()).collect()
}

fn app() -> App {
    let e = |c: &Credential| Entry::new(c, now(), None, 90, None);
    let mut late = e(&cred("a-late", Some(600)));
    late.history = vec![Attempt {
        at: now() - Duration::minutes(1),
        ok: true,
        latency_ms: Some(10),
        note: "daemon".into(),
    }];
    let mut early = e(&cred("b-early", Some(3)));
    early.history = vec![Attempt {
        at: now() - Duration::minutes(50),
        ok: true,
        latency_ms: Some(10),
        note: "daemon".into(),
    }];
    let gone = cred("c-expired", Some(-5));
    let paused_c = cred("d-paused", Some(25));
    let lane = LaneState {
        kind: FailureKind::CredentialRevoked,
        message: "revoked".into(),
        since: now(),
        retry_at: None,
        consecutive_failures: 1,
        paused: true,
        fingerprint: paused_c.secret.fingerprint(),
    };
    let paused = Entry::new(&paused_c, now(), None, 90, Some(&lane));
    let mut theirs = cred("0-claude", Some(1));
    theirs.source = Source::Discovered {
        tool: "claude".into(),
        location: "~/.claude/.credentials.json".into(),
        relogin: None,
        note: None,
    };
    let mut app = App::new(now(), "/tmp/h".into(), false);
    update(
        &mut app,
        Msg::Loaded {
            // Deliberately out of every order.
            entries: vec![e(&theirs), paused, e(&gone), early, late],
            problems: vec![],
            dependents: HashMap::new(),
        },
    );
    app
}

#[test]
fn s_cycles_expiry_name_status_last_refresh_with_own_credentials_first() {
    let mut app = app();
    assert_eq!(app.sort, SortKey::Name);
    assert_eq!(
        names(&app),
        ["a-late", "b-early", "c-expired", "d-paused", "0-claude"]
    );
    let press = |app: &mut App| update(app, Msg::Key(KeyEvent::from(KeyCode::Char('s'))));
    press(&mut app);
    assert_eq!(app.sort, SortKey::Status);
    assert_eq!(
        names(&app),
        ["c-expired", "d-paused", "b-early", "a-late", "0-claude"]
    );
    press(&mut app);
    assert_eq!(app.sort, SortKey::LastRefresh);
    assert_eq!(
        names(&app),
        ["a-late", "b-early", "c-expired", "d-paused", "0-claude"]
    );
    press(&mut app);
    assert_eq!(app.sort, SortKey::Expiry);
    assert_eq!(
        names(&app),
        ["c-expired", "b-early", "d-paused", "a-late", "0-claude"]
    );
    press(&mut app);
    assert_eq!(app.sort, SortKey::Name);
}

#[test]
fn the_selected_credential_stays_selected_when_the_order_changes() {
    let mut app = app();
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Char('j'))));
    assert_eq!(app.selected_entry().unwrap().name(), "b-early");
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Char('s'))));
    assert_eq!(app.selected_entry().unwrap().name(), "b-early");
    assert_eq!(app.selected, 2);
}
