//! Every row says its zone in words beside its status, the header counts
//! what the rows say, and a credential credtop cannot refresh says why.
//! Drawn on a TestBackend at a fixed clock; snapshots under
//! `tests/snapshots/`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use credtop::engine::lane::LaneState;
use credtop::model::{Credential, FailureKind, Kind, Secret, Source};
use credtop::report::collect_rows;
use credtop::store::Store;
use credtop::tui::{Activity, App, EngineState, Entry, Msg, update, view};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 6, 7, 22).unwrap()
}

fn cred(name: &str, kind: Kind, provider: &str, age_min: i64, ttl_min: Option<i64>) -> Credential {
    let created_at = now() - Duration::minutes(age_min);
    Credential {
        name: name.into(),
        kind,
        provider: provider.into(),
        account: None,
        scopes: vec![],
        created_at,
        expires_at: ttl_min.map(|t| created_at + Duration::minutes(t)),
        secret: Secret::new(format!("zone-canary-{name}")),
        refresh_token: (kind == Kind::OAuth).then(|| Secret::new("zone-canary-rt")),
        refresh_expires_at: None,
        token_type: None,
        source: Source::Store,
    }
}

/// One credential in each zone, the danger one without a configured
/// provider (the "google" 10 minutes from expiry), the expired one
/// just after a failed attempt, and a paused one.
fn incident() -> App {
    let safe = Entry::new(
        &cred("github", Kind::OAuth, "github", 5, Some(60)),
        now(),
        None,
        90,
        None,
    );
    let mut google = Entry::new(
        &cred("google", Kind::OAuth, "google", 50, Some(60)),
        now(),
        None,
        90,
        None,
    );
    google.row.cannot_refresh = Some("no provider 'google' configured".into());
    let expired = Entry::new(
        &cred("linear", Kind::OAuth, "linear", 90, Some(60)),
        now(),
        None,
        90,
        None,
    );
    let key = Entry::new(
        &cred("openai", Kind::ApiKey, "openai", 60 * 24 * 3, None),
        now(),
        None,
        90,
        None,
    );
    let notion = cred("notion", Kind::OAuth, "notion", 30, Some(60));
    let lane = LaneState {
        kind: FailureKind::CredentialExpired,
        message: "notion answered invalid_grant; log in again".into(),
        since: now() - Duration::minutes(7),
        retry_at: None,
        consecutive_failures: 1,
        paused: true,
        fingerprint: notion.secret.fingerprint(),
    };
    let paused = Entry::new(&notion, now(), None, 90, Some(&lane));
    let mut app = App::new(now(), "/home/demo/.agent".into(), false);
    app.engine = EngineState::Running { lanes: 5 };
    update(
        &mut app,
        Msg::Loaded {
            entries: vec![safe, google, expired, key, paused],
            problems: vec![],
            dependents: HashMap::new(),
        },
    );
    app.activity.insert(
        "linear".into(),
        Activity::Done {
            ok: false,
            text: "refresh failed: credential_expired".into(),
            at: now() - Duration::seconds(2),
        },
    );
    app
}

fn draw(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view(app, f)).unwrap();
    let text = terminal.backend().to_string();
    assert!(
        !text.contains("zone-canary"),
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

#[test]
fn each_row_says_its_zone_in_words_without_colour() {
    let app = incident();
    let screen = draw(&app, 120, 24);
    for (name, zone) in [
        ("github", "safe"),
        ("google", "danger"),
        ("linear", "expired"),
        ("openai", "none"),
        ("notion", "safe"),
    ] {
        let line = row(&screen, name);
        assert!(
            line.contains(&format!(" {zone} ")),
            "{name} should say {zone}: {line}"
        );
    }
    // The reason replaces a "refresh failed" no refresh was behind.
    assert!(
        row(&screen, "google").contains("no provider 'google' configured"),
        "{screen}"
    );
    // An expired row says expired, not the attempt that failed.
    assert!(
        !row(&screen, "linear").contains("refresh failed"),
        "{screen}"
    );
    assert!(row(&screen, "linear").contains("✗ expired"), "{screen}");
    insta::assert_snapshot!("zones_no_color_120x24", screen);
}

#[test]
fn no_color_draws_zones_in_default_colours_only() {
    let app = incident();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| view(&app, f)).unwrap();
    for cell in terminal.backend().buffer().content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset, "{cell:?}");
    }
    let screen = draw(&app, 80, 24);
    // Narrow: the reason is cut between words and ends in "…".
    let google = row(&screen, "google");
    assert!(
        google.contains("danger: no…") || google.contains("danger: no provider…"),
        "{google}"
    );
    insta::assert_snapshot!("zones_no_color_80x24", screen);
}

/// Every "<symbol> <n> <word>" of the header matches the rows that show
/// that symbol and word in their status.
#[test]
fn header_counts_agree_with_the_rows() {
    let app = incident();
    let screen = draw(&app, 140, 24);
    let header = screen.lines().next().unwrap().split('│').next().unwrap();
    let table: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains(" oauth ") || l.contains(" key "))
        .collect();
    assert_eq!(table.len(), 5, "{screen}");
    let words: Vec<&str> = header.split_whitespace().collect();
    let mut total = 0;
    for w in words.windows(3) {
        let Ok(n) = w[1].parse::<usize>() else {
            continue;
        };
        let told = format!("{} {}", w[0], w[2]);
        let shown = table.iter().filter(|l| l.contains(&told)).count();
        assert_eq!(
            n, shown,
            "header says {n} {told}, rows show {shown}:\n{screen}"
        );
        total += n;
    }
    assert_eq!(total, 5, "every row is counted once:\n{screen}");
}

/// The read model, from a real store: a refresh token whose provider is
/// not in providers.toml is named, and stops being so once it is.
#[test]
fn the_read_model_names_a_provider_that_is_not_configured() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let store = Store::open(&home).unwrap();
    store
        .save(&cred("google", Kind::OAuth, "google", 50, Some(60)))
        .unwrap();
    let mut key = cred("openai", Kind::ApiKey, "openai", 5, None);
    key.refresh_token = None;
    store.save(&key).unwrap();
    let (rows, _) = collect_rows(&store, now());
    let reason = |rows: &[credtop::report::StatusRow], n: &str| {
        rows.iter()
            .find(|r| r.name == n)
            .unwrap()
            .cannot_refresh
            .clone()
    };
    assert_eq!(
        reason(&rows, "google").as_deref(),
        Some("no provider 'google' configured")
    );
    assert_eq!(reason(&rows, "openai"), None);

    let toml = "[providers.google]\nclient_id = \"x\"\ntoken_url = \"http://127.0.0.1:9/token\"\n";
    let path = home.join("providers.toml");
    std::fs::write(&path, toml).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (rows, problems) = collect_rows(&store, now());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(reason(&rows, "google"), None);
}

/// The sizes people use, detail pane open on a credential whose reason and
/// rotation hint are the longest texts: columns by content, values whole,
/// "…" between words, and a compact layout below 20 rows.
#[test]
fn every_size_people_use_with_the_detail_open() {
    for (w, h) in [(70, 16), (80, 24), (100, 30), (140, 40), (200, 50)] {
        let mut app = incident();
        update(
            &mut app,
            Msg::Key(crossterm::event::KeyEvent::from(
                crossterm::event::KeyCode::Char('j'),
            )),
        );
        update(
            &mut app,
            Msg::Key(crossterm::event::KeyEvent::from(
                crossterm::event::KeyCode::Enter,
            )),
        );
        let screen = draw(&app, w, h);
        // All five rows stay in the table, whatever the detail takes.
        for name in ["github", "google", "linear", "openai", "notion"] {
            row(&screen, name);
        }
        // A date and its time stay on one line.
        for line in screen.lines() {
            assert!(
                !line
                    .trim_end_matches(['"', '│', ' '])
                    .ends_with("2026-12-02"),
                "{line}"
            );
        }
        insta::assert_snapshot!(format!("size_{w}x{h}"), screen);
    }
}

fn key(app: &mut App, code: crossterm::event::KeyCode) -> Option<credtop::tui::Task> {
    update(app, Msg::Key(crossterm::event::KeyEvent::from(code)))
}

/// providers.toml describes two providers and the store is empty: the
/// first-run screen offers them, and `l` picks one with j/k and Enter.
#[test]
fn first_run_and_login_offer_the_configured_providers() {
    use crossterm::event::KeyCode;
    let mut app = App::new(now(), "/home/demo/.agent".into(), false);
    update(
        &mut app,
        Msg::Providers(vec!["github".into(), "google".into()]),
    );
    update(
        &mut app,
        Msg::Loaded {
            entries: vec![],
            problems: vec![],
            dependents: HashMap::new(),
        },
    );
    let screen = draw(&app, 80, 24);
    assert!(!screen.contains("describe a provider"), "{screen}");
    insta::assert_snapshot!("first_run_with_providers_80x24", screen);
    key(&mut app, KeyCode::Char('l'));
    key(&mut app, KeyCode::Char('j'));
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("▶ google"), "{screen}");
    insta::assert_snapshot!("login_pick_provider_80x24", screen);
    // j past the end stays on the last; k goes back up and down again.
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('k'));
    key(&mut app, KeyCode::Char('j'));
    match key(&mut app, KeyCode::Enter) {
        Some(credtop::tui::Task::Login { provider, name, .. }) => {
            assert_eq!(provider, "google");
            assert_eq!(name, None);
        }
        other => panic!("expected a login, got {other:?}"),
    }
}

/// A typed name wins over the pick (a provider not in providers.toml yet).
#[test]
fn a_typed_provider_name_wins_over_the_pick() {
    use crossterm::event::KeyCode;
    let mut app = App::new(now(), "/home/demo/.agent".into(), false);
    update(&mut app, Msg::Providers(vec!["github".into()]));
    key(&mut app, KeyCode::Char('l'));
    for c in "acme".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    match key(&mut app, KeyCode::Enter) {
        Some(credtop::tui::Task::Login { provider, .. }) => assert_eq!(provider, "acme"),
        other => panic!("expected a login, got {other:?}"),
    }
}

#[test]
fn a_broken_audit_chain_is_a_banner() {
    let mut app = incident();
    update(
        &mut app,
        Msg::AuditChain(Some(
            "line 6: a record without a hash inside the chain".into(),
        )),
    );
    let screen = draw(&app, 100, 24);
    assert!(screen.contains("AUDIT TRAIL BROKEN: line 6"), "{screen}");
    insta::assert_snapshot!("audit_broken_100x24", screen);
    update(&mut app, Msg::AuditChain(None));
    assert!(!draw(&app, 100, 24).contains("AUDIT TRAIL BROKEN"));
}
