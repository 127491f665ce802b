//! The real binary in tmux (tests/support/tmux.rs): the timeline opened
//! from the table, and the mouse. Skips, saying why, only when tmux is not installed.

use crate::support;

use std::path::Path;

use chrono::Utc;
use credtop::audit::{Actor, AuditLog, AuditRecord, Event, Outcome};
use credtop::model::{Credential, FailureKind, Kind, Secret, Source};
use credtop::store::Store;
use support::tmux::{
    Tmux, assert_left_alternate_screen, mouse_reported, selected_line, start, tmux_for,
    tmux_missing,
};

/// Three API keys (nothing for the engine to do) and, in the trail, a
/// failed refresh of one of them a minute ago.
fn prepare_home(home: &Path) {
    let store = Store::open(home).expect("store opens");
    let now = Utc::now();
    for name in ["alpha-key", "beta-key", "gamma-key"] {
        store
            .save(&Credential {
                name: name.into(),
                kind: Kind::ApiKey,
                provider: "openai".into(),
                account: None,
                scopes: vec![],
                created_at: now - chrono::Duration::minutes(5),
                expires_at: None,
                secret: Secret::new(format!("tmux-canary-{name}")),
                refresh_token: None,
                token_type: None,
                refresh_expires_at: None,
                source: Source::Store,
            })
            .expect("credential saved");
    }
    let mut failed = AuditRecord::new(Event::RefreshFailed, Actor::Daemon, Outcome::Failed);
    failed.ts = now - chrono::Duration::minutes(1);
    failed.credential = Some("beta-key".into());
    failed.kind = Some(FailureKind::Transient);
    AuditLog::new(home)
        .append(&failed)
        .expect("record appended");
}

fn lane<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen
        .lines()
        .find(|l| l.contains(&format!(" {name} ")) && l.contains('─'))
}

#[test]
fn t_opens_the_timeline_w_widens_it_and_esc_returns() {
    if tmux_missing() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it: scripts/test-deps.sh)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    prepare_home(&home);
    let tmux = tmux_for("timeline");
    start(&tmux, &home, &[]);
    tmux.wait_for("the table", |s| s.contains("Credentials (3)"));

    tmux.keys(&["t"]);
    let screen = tmux.wait_for("the timeline with beta's failure", |s| {
        s.contains("Timeline · last 15 m") && lane(s, "beta-key").is_some_and(|l| l.contains('✗'))
    });
    assert!(screen.contains("✗ failure"), "{screen}");
    assert!(
        !screen.contains("tmux-canary"),
        "a secret on screen:\n{screen}"
    );

    // A record another process appends shows up while the timeline is open.
    let mut revoked = AuditRecord::new(Event::Revoke, Actor::Cli, Outcome::Ok);
    revoked.ts = Utc::now() - chrono::Duration::seconds(2);
    revoked.credential = Some("gamma-key".into());
    AuditLog::new(&home)
        .append(&revoked)
        .expect("record appended");
    tmux.wait_for("gamma's revocation on the timeline", |s| {
        lane(s, "gamma-key").is_some_and(|l| l.contains('⊘'))
    });

    tmux.keys(&["w"]);
    tmux.wait_for("the hour window", |s| s.contains("Timeline · last 1 h"));
    tmux.keys(&["w"]);
    tmux.wait_for("the day window", |s| s.contains("Timeline · last 24 h"));

    tmux.keys(&["Escape"]);
    tmux.wait_for("the table again", |s| s.contains("Credentials (3)"));
    tmux.keys(&["q"]);
    tmux.wait_for("the shell after quit", |s| s.contains("EXITED-0"));
    assert_left_alternate_screen(&tmux);
}

/// A press and release of the left button at 0-based cell (x, y), typed
/// into the pane as the terminal would send them (SGR encoding, 1-based).
fn click(tmux: &Tmux, x: u16, y: u16) {
    let (x, y) = (x + 1, y + 1);
    tmux.keys(&["-l", &format!("\x1b[<0;{x};{y}M\x1b[<0;{x};{y}m")]);
}

/// One notch of the wheel, down or up, at cell (x, y).
fn wheel(tmux: &Tmux, down: bool, x: u16, y: u16) {
    let (x, y) = (x + 1, y + 1);
    let button = if down { 65 } else { 64 };
    tmux.keys(&["-l", &format!("\x1b[<{button};{x};{y}M")]);
}

#[test]
fn a_click_selects_a_row_the_wheel_moves_and_quitting_releases_the_mouse() {
    if tmux_missing() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it: scripts/test-deps.sh)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    prepare_home(&home);
    let tmux = tmux_for("mouse");
    start(&tmux, &home, &[]);
    let screen = tmux.wait_for("the table", |s| s.contains("Credentials (3)"));
    assert!(selected_line(&screen).contains("alpha-key"), "{screen}");
    assert!(
        mouse_reported(&tmux),
        "the dashboard did not ask for the mouse"
    );

    // Row 0 is the header, 1 the table's border, 2 its column titles:
    // gamma-key, the third credential, is on row 5.
    click(&tmux, 10, 5);
    tmux.wait_for("the click to select gamma", |s| {
        selected_line(s).contains("gamma-key")
    });
    // The wheel moves the selection: up twice, down once.
    wheel(&tmux, false, 10, 10);
    wheel(&tmux, false, 10, 10);
    tmux.wait_for("the wheel up to select alpha", |s| {
        selected_line(s).contains("alpha-key")
    });
    wheel(&tmux, true, 10, 10);
    tmux.wait_for("the wheel down to select beta", |s| {
        selected_line(s).contains("beta-key")
    });
    // A click on the column titles selects nothing; one on a row does.
    click(&tmux, 10, 2);
    click(&tmux, 10, 3);
    tmux.wait_for("the click to select alpha", |s| {
        selected_line(s).contains("alpha-key")
    });

    tmux.keys(&["q"]);
    tmux.wait_for("the shell after quit", |s| s.contains("EXITED-0"));
    assert!(
        !mouse_reported(&tmux),
        "the mouse is still reported after quit"
    );
    assert_left_alternate_screen(&tmux);
}
