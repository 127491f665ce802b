//! Every screen of the dashboard, drawn on a TestBackend at a fixed clock
//! and compared with its reviewed snapshot under `tests/snapshots/`.
//! Each drawing is also searched for the secrets it was built from.

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::support;
use credtop::audit::{Actor, AuditRead, AuditRecord, Event, Outcome};
use credtop::engine::lane::LaneState;
use credtop::model::{Credential, FailureKind, Kind, Secret, Source};
use credtop::tui::{Activity, App, Attempt, Entry, Msg, Overlay, Reader, update, view};

const CANARY: &str = "canary-7f3a";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 9, 26, 53).unwrap()
}

fn cred(
    name: &str,
    kind: Kind,
    provider: &str,
    age: Duration,
    ttl: Option<Duration>,
) -> Credential {
    let created_at = now() - age;
    Credential {
        name: name.into(),
        kind,
        provider: provider.into(),
        account: (kind == Kind::OAuth).then(|| "alice".to_string()),
        scopes: if kind == Kind::OAuth {
            vec!["repo".into(), "read:org".into()]
        } else {
            vec![]
        },
        created_at,
        expires_at: ttl.map(|t| created_at + t),
        secret: Secret::new(format!("{CANARY}-{name}")),
        refresh_token: (kind == Kind::OAuth).then(|| Secret::new(format!("{CANARY}-rt-{name}"))),
        refresh_expires_at: None,
        token_type: Some("Bearer".into()),
        source: Source::Store,
    }
}

fn entry(c: &Credential) -> Entry {
    Entry::new(c, now(), None, 90, None)
}

fn lane(c: &Credential, kind: FailureKind, paused: bool) -> LaneState {
    LaneState {
        kind,
        message: format!("{} answered invalid_grant; log in again", c.provider),
        since: now() - Duration::minutes(7),
        retry_at: None,
        consecutive_failures: 1,
        paused,
        fingerprint: c.secret.fingerprint(),
    }
}

fn m(n: i64) -> Duration {
    Duration::minutes(n)
}

/// A store with one credential in each zone.
fn mixed() -> Vec<Entry> {
    let mut github = entry(&cred("github", Kind::OAuth, "github", m(20), Some(m(60))));
    github.history = vec![
        attempt(m(20), true, 301, "daemon"),
        attempt(m(62), false, 5004, "transient"),
        attempt(m(80), true, 287, "dashboard"),
    ];
    vec![
        entry(&cred(
            "anthropic",
            Kind::ApiKey,
            "anthropic",
            Duration::days(120),
            None,
        )),
        entry(&cred("gcloud", Kind::Cloud, "gcloud", m(10), Some(m(60)))),
        github,
        entry(&cred(
            "gitlab-pat",
            Kind::Pat,
            "gitlab",
            Duration::days(85),
            Some(Duration::days(90)),
        )),
        entry(&cred("google", Kind::OAuth, "google", m(50), Some(m(60)))),
        entry(&cred(
            "openai",
            Kind::ApiKey,
            "openai",
            Duration::days(30),
            None,
        )),
    ]
}

fn attempt(ago: Duration, ok: bool, ms: u64, note: &str) -> Attempt {
    Attempt {
        at: now() - ago,
        ok,
        latency_ms: Some(ms),
        note: note.into(),
    }
}

fn app(entries: Vec<Entry>) -> App {
    support::dashboard::loaded(now(), entries, true)
}

fn keys(app: &mut App, keys: &str) {
    for c in keys.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\x1b' => KeyCode::Esc,
            c => KeyCode::Char(c),
        };
        update(app, Msg::Key(KeyEvent::from(code)));
    }
}

fn draw(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view(app, f)).unwrap();
    let text = terminal.backend().to_string();
    assert!(
        !text.contains(CANARY),
        "a secret reached the screen:\n{text}"
    );
    text
}

fn snap(name: &str, app: &App, width: u16, height: u16) {
    insta::assert_snapshot!(name, draw(app, width, height));
}

#[test]
fn first_run_screen_tells_how_to_add_a_provider_or_a_key() {
    snap("first_run_80x24", &app(vec![]), 80, 24);
}

#[test]
fn mixed_zones_at_80x24() {
    snap("mixed_80x24", &app(mixed()), 80, 24);
}

#[test]
fn mixed_zones_wide_shows_provider_and_last_refresh() {
    snap("mixed_160x40", &app(mixed()), 160, 40);
}

#[test]
fn danger_and_expired_with_progress_and_outcome_in_place() {
    let google = cred("google", Kind::OAuth, "google", m(55), Some(m(60)));
    let linear = cred("linear", Kind::OAuth, "linear", m(180), Some(m(120)));
    let mut linear_nr = linear.clone();
    linear_nr.refresh_token = None;
    let pat = cred(
        "gitlab-pat",
        Kind::Pat,
        "gitlab",
        Duration::days(95),
        Some(Duration::days(90)),
    );
    let gh = cred("github", Kind::OAuth, "github", m(52), Some(m(60)));
    let mut a = app(vec![
        entry(&gh),
        entry(&pat),
        entry(&google),
        entry(&linear_nr),
    ]);
    a.activity
        .insert("github".into(), Activity::Busy("refreshing…".into()));
    a.activity.insert(
        "google".into(),
        Activity::Done {
            ok: false,
            text: "refresh failed: transient".into(),
            at: now() - Duration::seconds(3),
        },
    );
    a.notice = Some(credtop::tui::Notice {
        ok: false,
        text: "google: refresh failed (transient): provider answered 503".into(),
    });
    snap("danger_expired_80x24", &a, 80, 24);
}

fn revoked_and_paused() -> App {
    let slack = cred(
        "slack",
        Kind::OAuth,
        "slack",
        Duration::hours(4),
        Some(Duration::hours(24)),
    );
    let notion = cred("notion", Kind::OAuth, "notion", m(30), Some(m(60)));
    let slack_e = Entry::new(
        &slack,
        now(),
        None,
        90,
        Some(&lane(&slack, FailureKind::CredentialRevoked, false)),
    );
    let notion_e = Entry::new(
        &notion,
        now(),
        None,
        90,
        Some(&lane(&notion, FailureKind::CredentialExpired, true)),
    );
    let mut found = cred("claude-code", Kind::OAuth, "anthropic", m(5), Some(m(480)));
    found.source = Source::Discovered {
        tool: "claude".into(),
        location: "~/.claude/.credentials.json".into(),
        relogin: Some("claude /login".into()),
        note: None,
    };
    let mut entries = mixed();
    entries.truncate(2);
    entries.extend([slack_e, notion_e, entry(&found)]);
    app(entries)
}

#[test]
fn revoked_paused_and_discovered_rows() {
    snap("revoked_paused_80x24", &revoked_and_paused(), 80, 24);
    snap("revoked_paused_160x40", &revoked_and_paused(), 160, 40);
}

#[test]
fn revoke_asks_for_confirmation_naming_the_mcp_servers() {
    let mut a = app(mixed());
    a.dependents
        .insert("github".into(), vec!["github-mcp".into(), "ci-bot".into()]);
    keys(&mut a, "jjx");
    assert!(matches!(a.overlay, Some(Overlay::ConfirmRevoke { .. })));
    snap("dialog_revoke_80x24", &a, 80, 24);
}

#[test]
fn login_dialog_shows_url_and_device_code() {
    let mut a = app(mixed());
    update(
        &mut a,
        Msg::LoginPrompt {
            provider: "github".into(),
            url: "https://github.com/login/device?user_code=WDJB-MJHT".into(),
            user_code: Some("WDJB-MJHT".into()),
        },
    );
    snap("dialog_login_url_80x24", &a, 80, 24);
}

#[test]
fn help_lists_every_key() {
    let mut a = app(mixed());
    keys(&mut a, "?");
    snap("help_80x24", &a, 80, 24);
}

#[test]
fn filter_narrows_by_name_provider_or_status() {
    let mut a = app(mixed());
    keys(&mut a, "/danger");
    assert_eq!(a.visible().len(), 2);
    snap("filter_80x24", &a, 80, 24);
}

#[test]
fn detail_pane_shows_metadata_history_and_dependents() {
    let mut a = app(mixed());
    a.dependents
        .insert("github".into(), vec!["github-mcp".into()]);
    keys(&mut a, "jj\n");
    snap("detail_80x24", &a, 80, 24);
    snap("detail_160x40", &a, 160, 40);
}

fn audit_records() -> AuditRead {
    let rec = |min: i64, event, name: &str, outcome, kind, ms| {
        let mut r = AuditRecord::new(event, Actor::Daemon, outcome);
        r.ts = now() - m(min);
        r.pid = 4242;
        r.credential = Some(name.into());
        r.kind = kind;
        r.latency_ms = ms;
        r
    };
    AuditRead {
        records: vec![
            rec(
                90,
                Event::CredentialLoaded,
                "github",
                Outcome::Info,
                None,
                None,
            ),
            rec(
                80,
                Event::RefreshSucceeded,
                "github",
                Outcome::Ok,
                None,
                Some(287),
            ),
            rec(
                62,
                Event::RefreshFailed,
                "github",
                Outcome::Failed,
                Some(FailureKind::Transient),
                Some(5004),
            ),
            rec(
                20,
                Event::RefreshSucceeded,
                "github",
                Outcome::Ok,
                None,
                Some(301),
            ),
            rec(
                7,
                Event::RefreshFailed,
                "slack",
                Outcome::Failed,
                Some(FailureKind::CredentialRevoked),
                Some(198),
            ),
            rec(
                7,
                Event::RevocationDetected,
                "slack",
                Outcome::Failed,
                Some(FailureKind::CredentialRevoked),
                None,
            ),
            rec(1, Event::WarningRaised, "google", Outcome::Info, None, None),
        ],
        unreadable_lines: 0,
    }
}

#[test]
fn audit_view_newest_first_and_filtered() {
    let mut a = app(mixed());
    keys(&mut a, "a");
    update(&mut a, Msg::AuditLoaded(audit_records()));
    snap("audit_80x24", &a, 80, 24);
    snap("audit_160x40", &a, 160, 40);
    keys(&mut a, "/slack\n");
    assert_eq!(a.audit.visible().len(), 2);
    snap("audit_filtered_80x24", &a, 80, 24);
}

#[test]
fn rotate_key_input_is_masked() {
    let mut a = app(mixed());
    keys(&mut a, "R");
    for c in CANARY.chars() {
        update(&mut a, Msg::Key(KeyEvent::from(KeyCode::Char(c))));
    }
    let text = draw(&a, 80, 24);
    assert!(text.contains("•••"), "{text}");
}

#[test]
fn no_color_draws_every_cell_in_the_default_colours() {
    let mut a = revoked_and_paused();
    a.color = false;
    keys(&mut a, "\n");
    let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
    terminal.draw(|f| view(&a, f)).unwrap();
    let buffer = terminal.backend().buffer();
    for cell in buffer.content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset, "{cell:?}");
        assert_eq!(cell.bg, ratatui::style::Color::Reset, "{cell:?}");
    }
    let text = draw(&a, 120, 30);
    for told in ["⊘ revoked", "⏸ paused", "✓ ok"] {
        assert!(text.contains(told), "{told} missing:\n{text}");
    }
}

/// Thousands of rows: only those that fit are drawn, and the selection is
/// always among them, at the top, in the middle of a long scroll and at
/// the very end.
#[test]
fn a_long_table_keeps_the_selection_in_view() {
    let entries: Vec<Entry> = (0..3000)
        .map(|i| {
            entry(&cred(
                &format!("svc-{i:04}"),
                Kind::ApiKey,
                "vendor",
                m(60),
                None,
            ))
        })
        .collect();
    let mut a = app(entries);
    let top = draw(&a, 80, 24);
    assert!(
        top.contains("Credentials (3000)") && top.contains("▶ svc-0000"),
        "{top}"
    );
    keys(&mut a, &"j".repeat(1234));
    let middle = draw(&a, 80, 24);
    assert!(middle.contains("▶ svc-1234"), "{middle}");
    assert!(!middle.contains("svc-0000"), "{middle}");
    keys(&mut a, "G");
    let end = draw(&a, 80, 24);
    assert!(end.contains("▶ svc-2999"), "{end}");
    keys(&mut a, "g");
    assert!(draw(&a, 80, 24).contains("▶ svc-0000"));
}

#[test]
fn detail_pane_shows_who_read_it_and_for_which_task() {
    let mut entries = mixed();
    let github = entries.iter_mut().find(|e| e.name() == "github").unwrap();
    github.readers = vec![
        Reader {
            at: now() - m(2),
            pid: 5150,
            comm: Some("claude".into()),
            task: Some("fix-42".into()),
        },
        Reader {
            at: now() - m(30),
            pid: 4711,
            comm: Some("git-remote-http".into()),
            task: None,
        },
    ];
    let mut a = app(entries);
    keys(&mut a, "jj\n");
    snap("detail_read_by_160x40", &a, 160, 40);
}

#[test]
fn audit_view_filters_by_task() {
    let mut a = app(mixed());
    keys(&mut a, "a");
    let mut read = audit_records();
    let mut r = AuditRecord::new(Event::SecretRead, Actor::Cli, Outcome::Ok)
        .named("github")
        .task(Some("fix-42"))
        .caller(credtop::audit::Caller {
            pid: 5150,
            comm: Some("claude".into()),
            cwd: Some("/work/app".into()),
        });
    r.ts = now() - m(3);
    r.pid = 5151;
    let last = read.records.len() - 1;
    read.records.insert(last, r);
    update(&mut a, Msg::AuditLoaded(read));
    keys(&mut a, "/task:fix-42\n");
    assert_eq!(a.audit.visible().len(), 1);
    snap("audit_task_filtered_120x24", &a, 120, 24);
}
