//! The audit view's filter narrows by credential and event exactly as
//! `credtop audit --credential NAME --event NAME` does (audit::RecordFilter).

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent};

use credtop::audit::{Actor, AuditRead, AuditRecord, Event, Outcome, RecordFilter};
use credtop::tui::{App, Msg, update};

fn rec(event: Event, name: &str) -> AuditRecord {
    let mut r = AuditRecord::new(event, Actor::Daemon, Outcome::Info);
    r.credential = Some(name.into());
    r
}

fn records() -> Vec<AuditRecord> {
    vec![
        rec(Event::RefreshSucceeded, "github"),
        rec(Event::RefreshFailed, "github"),
        // A substring of another name: an exact filter must not take it.
        rec(Event::RefreshFailed, "github-work"),
        rec(Event::RefreshFailed, "google"),
        rec(Event::WarningRaised, "google"),
    ]
}

fn typed(filter: &str) -> Vec<(String, Event)> {
    let now = Utc.with_ymd_and_hms(2026, 12, 2, 6, 0, 0).unwrap();
    let mut app = App::new(now, "/tmp/h".into(), false);
    let key = |app: &mut App, c: KeyCode| update(app, Msg::Key(KeyEvent::from(c)));
    key(&mut app, KeyCode::Char('a'));
    update(
        &mut app,
        Msg::AuditLoaded(AuditRead {
            records: records(),
            unreadable_lines: 0,
        }),
    );
    key(&mut app, KeyCode::Char('/'));
    for c in filter.chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    app.audit
        .visible()
        .iter()
        .map(|r| (r.credential.clone().unwrap_or_default(), r.event))
        .collect()
}

fn cli(credentials: &[&str], events: &[Event]) -> Vec<(String, Event)> {
    let filter = RecordFilter {
        credentials: credentials.iter().map(|c| c.to_string()).collect(),
        events: events.to_vec(),
    };
    // The view shows newest first: the loaded records reversed.
    let mut out: Vec<_> = records()
        .into_iter()
        .filter(|r| filter.matches(r))
        .map(|r| (r.credential.unwrap_or_default(), r.event))
        .collect();
    out.reverse();
    out
}

#[test]
fn credential_and_event_terms_select_as_the_cli_does() {
    assert_eq!(typed("credential:github"), cli(&["github"], &[]));
    assert_eq!(typed("credential:github").len(), 2);
    assert_eq!(
        typed("event:refresh_failed"),
        cli(&[], &[Event::RefreshFailed])
    );
    assert_eq!(
        typed("credential:google event:refresh_failed"),
        cli(&["google"], &[Event::RefreshFailed])
    );
    // Plain words still match substrings, as before.
    assert_eq!(typed("github").len(), 3);
    // An event that does not exist matches nothing rather than everything.
    assert!(typed("event:no_such_event").is_empty());
}
