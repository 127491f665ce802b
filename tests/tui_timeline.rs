//! The timeline (`t`) from a scripted audit trail: records appended to a
//! real audit.jsonl (hash-chained, as credtop writes it) and read back with
//! the audit view's own reader, drawn on a TestBackend at a fixed clock.
//! Snapshots under `tests/snapshots/`.

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

use credtop::audit::{Actor, AuditLog, AuditRecord, Event, Outcome, read_tail};
use credtop::model::{Credential, FailureKind, Kind, Secret, Source};
use credtop::tui::{App, EngineState, Entry, Mode, Msg, update, view};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 6, 7, 22).unwrap()
}

fn cred(name: &str, kind: Kind) -> Credential {
    Credential {
        name: name.into(),
        kind,
        provider: name.into(),
        account: None,
        scopes: vec![],
        created_at: now() - Duration::minutes(20),
        expires_at: Some(now() + Duration::minutes(40)),
        secret: Secret::new(format!("timeline-canary-{name}")),
        refresh_token: None,
        token_type: None,
        refresh_expires_at: None,
        source: Source::Store,
    }
}

/// (seconds before now, credential, event, outcome, failure kind)
type Script = (
    i64,
    Option<&'static str>,
    Event,
    Outcome,
    Option<FailureKind>,
);

/// An incident: google is revoked, notion fails twice then recovers,
/// linear is logged into and rotated, openai's key is read, a credential
/// deleted 40 minutes ago was revoked, and fleet records name no
/// credential.
const SCRIPT: &[Script] = &[
    (40 * 60, Some("old-token"), Event::Revoke, Outcome::Ok, None),
    (
        15 * 60,
        Some("github"),
        Event::RefreshSucceeded,
        Outcome::Ok,
        None,
    ),
    (
        14 * 60,
        Some("github"),
        Event::RefreshSucceeded,
        Outcome::Ok,
        None,
    ),
    (
        12 * 60,
        Some("google"),
        Event::WarningRaised,
        Outcome::Info,
        None,
    ),
    (
        11 * 60,
        Some("notion"),
        Event::RefreshFailed,
        Outcome::Failed,
        Some(FailureKind::Transient),
    ),
    (
        9 * 60,
        Some("google"),
        Event::RefreshFailed,
        Outcome::Failed,
        Some(FailureKind::CredentialRevoked),
    ),
    (
        9 * 60 - 1,
        Some("google"),
        Event::RevocationDetected,
        Outcome::Info,
        None,
    ),
    (
        8 * 60,
        Some("notion"),
        Event::RefreshFailed,
        Outcome::Failed,
        Some(FailureKind::Transient),
    ),
    (7 * 60, None, Event::FleetPulled, Outcome::Ok, None),
    (
        6 * 60,
        Some("linear"),
        Event::LoginCompleted,
        Outcome::Ok,
        None,
    ),
    (
        5 * 60,
        Some("notion"),
        Event::RefreshSucceeded,
        Outcome::Ok,
        None,
    ),
    (3 * 60, Some("linear"), Event::Rotate, Outcome::Ok, None),
    (
        2 * 60,
        Some("github"),
        Event::RefreshSucceeded,
        Outcome::Ok,
        None,
    ),
    (60, Some("openai"), Event::SecretRead, Outcome::Info, None),
    (30, Some("openai"), Event::SecretRead, Outcome::Info, None),
];

fn scripted_trail(home: &std::path::Path) -> AuditLog {
    std::fs::create_dir_all(home).unwrap();
    let log = AuditLog::new(home);
    for (ago, name, event, outcome, kind) in SCRIPT {
        let mut r = AuditRecord::new(*event, Actor::Daemon, *outcome);
        r.ts = now() - Duration::seconds(*ago);
        r.credential = name.map(str::to_string);
        r.kind = *kind;
        r.pid = 4242;
        log.append(&r).expect("record appended");
    }
    log
}

fn key(app: &mut App, code: KeyCode) {
    update(app, Msg::Key(KeyEvent::from(code)));
}

/// The dashboard with the timeline open over the scripted trail.
fn timeline(color: bool) -> App {
    let dir = tempfile::tempdir().unwrap();
    let log = scripted_trail(&dir.path().join("home"));
    let mut app = App::new(now(), "/home/demo/.agent".into(), color);
    app.engine = EngineState::Running { lanes: 5 };
    let entries = ["github", "google", "linear", "notion"]
        .iter()
        .map(|n| Entry::new(&cred(n, Kind::OAuth), now(), None, 90, None))
        .chain([Entry::new(
            &cred("openai", Kind::ApiKey),
            now(),
            None,
            90,
            None,
        )])
        .collect();
    update(
        &mut app,
        Msg::Loaded {
            entries,
            problems: vec![],
            dependents: Default::default(),
        },
    );
    key(&mut app, KeyCode::Char('t'));
    assert_eq!(app.mode, Mode::Timeline);
    let read = read_tail(&log, None, 1 << 20).expect("the trail reads back");
    assert_eq!(read.records.len(), SCRIPT.len());
    update(&mut app, Msg::AuditLoaded(read));
    app
}

fn buffer(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view(app, f)).unwrap();
    terminal.backend().buffer().clone()
}

fn draw(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view(app, f)).unwrap();
    let text = terminal.backend().to_string();
    assert!(
        !text.contains("timeline-canary"),
        "a secret on screen:\n{text}"
    );
    text
}

fn lane<'a>(screen: &'a str, name: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(&format!(" {name} ")) && l.contains('─'))
        .unwrap_or_else(|| panic!("no lane {name}:\n{screen}"))
}

#[test]
fn timeline_80x24() {
    let app = timeline(true);
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("last 15 m"), "{screen}");
    // The record at exactly the window's start is in; 40 minutes ago is not.
    assert!(!screen.contains("old-token"), "{screen}");
    assert_eq!(lane(&screen, "github").matches('↻').count(), 3, "{screen}");
    assert!(lane(&screen, "google").contains('✗'), "{screen}");
    assert!(lane(&screen, "google").contains('▲'), "{screen}");
    assert_eq!(lane(&screen, "notion").matches('✗').count(), 2, "{screen}");
    insta::assert_snapshot!("timeline_80x24", screen);
}

#[test]
fn timeline_140x40() {
    let app = timeline(true);
    insta::assert_snapshot!("timeline_140x40", draw(&app, 140, 40));
}

#[test]
fn timeline_no_color_80x24_tells_failures_by_symbol_alone() {
    let app = timeline(false);
    let buf = buffer(&app, 80, 24);
    for cell in buf.content() {
        assert_eq!(cell.fg, Color::Reset, "{cell:?}");
        assert_eq!(cell.bg, Color::Reset, "{cell:?}");
    }
    let screen = draw(&app, 80, 24);
    assert!(lane(&screen, "google").contains('✗'), "{screen}");
    assert!(
        screen.contains("✗ failure"),
        "the legend names it:\n{screen}"
    );
    insta::assert_snapshot!("timeline_no_color_80x24", screen);
}

#[test]
fn failures_are_red_when_colour_is_on() {
    let app = timeline(true);
    let buf = buffer(&app, 80, 24);
    let failures: Vec<_> = buf.content().iter().filter(|c| c.symbol() == "✗").collect();
    assert!(!failures.is_empty());
    assert!(failures.iter().all(|c| c.fg == Color::Red), "{failures:?}");
}

#[test]
fn the_hour_window_takes_the_older_revocation_in() {
    let mut app = timeline(true);
    key(&mut app, KeyCode::Char('w'));
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("last 1 h"), "{screen}");
    assert!(lane(&screen, "old-token").contains('⊘'), "{screen}");
    insta::assert_snapshot!("timeline_1h_80x24", screen);
}

#[test]
fn enter_opens_the_picked_event_in_the_detail_pane() {
    let mut app = timeline(true);
    // From the newest mark (openai's read), up to notion, then back in
    // time to its second failure.
    key(&mut app, KeyCode::Char('k'));
    key(&mut app, KeyCode::Char('h'));
    let picked = app
        .timeline
        .selected()
        .map(|(l, m)| (l.name.clone(), m.event));
    assert_eq!(picked, Some(("notion".into(), Event::RefreshFailed)));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Table);
    assert_eq!(app.selected_entry().map(|e| e.name()), Some("notion"));
    let screen = draw(&app, 80, 24);
    assert!(
        screen.contains("▶ 2026-12-02 05:59:22  ✗ refresh_failed ✗ failed (transient)"),
        "{screen}"
    );
    insta::assert_snapshot!("timeline_detail_80x24", screen);
}

#[test]
fn tiny_and_odd_sizes_draw_without_panicking() {
    let mut app = timeline(true);
    for window in 0..3 {
        for (w, h) in [
            (1, 1),
            (8, 4),
            (12, 6),
            (20, 5),
            (40, 10),
            (70, 16),
            (200, 50),
        ] {
            let screen = draw(&app, w, h);
            assert_eq!(screen.lines().count(), usize::from(h));
        }
        if window < 2 {
            key(&mut app, KeyCode::Char('w'));
        }
    }
}
