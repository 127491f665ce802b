//! A grant's hard end on screen: a second marker on the TTL gauge where
//! the cap falls inside the token's lifetime (a glyph of its own, so it
//! reads under `NO_COLOR`), "grant ends … (in …)" in the detail pane, and
//! `needs_login` with the reason once it has passed. Drawn through the
//! read model on a TestBackend at a fixed clock.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use credtop::model::{Credential, Kind, Secret, Source};
use credtop::report::collect_rows;
use credtop::store::Store;
use credtop::tui::{App, EngineState, Entry, Msg, update, view};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 6, 7, 22).unwrap()
}

/// A GitHub App grant: a token of 60 minutes, 10 minutes old, whose grant
/// ends `cap_min` minutes from now.
fn grant(name: &str, cap_min: i64) -> Credential {
    let created_at = now() - Duration::minutes(10);
    Credential {
        name: name.into(),
        kind: Kind::OAuth,
        provider: "github".into(),
        account: None,
        scopes: vec![],
        created_at,
        expires_at: Some(created_at + Duration::minutes(60)),
        secret: Secret::new(format!("cap-canary-{name}")),
        refresh_token: Some(Secret::new("cap-canary-rt")),
        refresh_expires_at: Some(now() + Duration::minutes(cap_min)),
        token_type: Some("bearer".into()),
        source: Source::Store,
    }
}

/// Three grants: one ending inside the token's life (at 40 of its 60
/// minutes), one ending in five days, one that ended five minutes ago.
fn app_with_caps(dir: &std::path::Path) -> App {
    let home = dir.join("home");
    let store = Store::open(&home).unwrap();
    credtop::store::write_atomic(
        &home.join("providers.toml"),
        b"[providers.github]\nclient_id = \"Iv1.test\"\n",
    )
    .unwrap();
    for c in [
        grant("gh-app", 30),
        grant("gh-far", 5 * 24 * 60),
        grant("gh-ended", -5),
    ] {
        store.save(&c).unwrap();
    }
    let (rows, problems) = collect_rows(&store, now());
    assert!(problems.is_empty(), "{problems:?}");
    let mut app = App::new(now(), "/home/demo/.agent".into(), false);
    app.engine = EngineState::Running { lanes: 3 };
    update(
        &mut app,
        Msg::Loaded {
            entries: rows.into_iter().map(Entry::from_row).collect(),
            problems: vec![],
            dependents: HashMap::new(),
        },
    );
    app
}

fn draw(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view(app, f)).unwrap();
    let text = terminal.backend().to_string();
    assert!(
        !text.contains("cap-canary"),
        "a secret reached the screen:\n{text}"
    );
    text
}

fn row<'a>(screen: &'a str, name: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(&format!(" {name} ")))
        .unwrap_or_else(|| panic!("no row {name}:\n{screen}"))
}

fn open_detail(app: &mut App, down: usize) {
    for _ in 0..down {
        update(app, Msg::Key(KeyEvent::from(KeyCode::Char('j'))));
    }
    update(app, Msg::Key(KeyEvent::from(KeyCode::Enter)));
}

#[test]
fn the_cap_is_a_second_marker_on_the_gauge_only_inside_the_tokens_life() {
    let dir = tempfile::tempdir().unwrap();
    let screen = draw(&app_with_caps(dir.path()), 100, 30);
    let marks = |name: &str| row(&screen, name).matches('╳').count();
    assert_eq!(marks("gh-app"), 1, "{screen}");
    assert_eq!(marks("gh-far"), 0, "{screen}");
    assert!(row(&screen, "gh-app").contains('┃'), "the 80 % mark stays");
    assert!(row(&screen, "gh-ended").contains("needs_login"), "{screen}");
}

#[test]
fn the_detail_pane_says_when_the_grant_ends() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app_with_caps(dir.path());
    // Sorted by name: gh-app, gh-ended, gh-far.
    open_detail(&mut app, 0);
    let screen = draw(&app, 80, 24);
    assert!(
        screen.contains("grant ends 2026-12-02 06:37:22 (in 30m 00s)"),
        "{screen}"
    );
    insta::assert_snapshot!("caps_detail_80x24", screen);
}

#[test]
fn a_grant_past_its_end_needs_a_login_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app_with_caps(dir.path());
    open_detail(&mut app, 1);
    let screen = draw(&app, 100, 30);
    assert!(
        screen.contains("grant ended 2026-12-02 06:02:22 (5m 00s ago)"),
        "{screen}"
    );
    assert!(
        screen.contains("grant ended 2026-12-02 06:02Z; log in again"),
        "{screen}"
    );
    insta::assert_snapshot!("caps_ended_100x30", screen);
}
