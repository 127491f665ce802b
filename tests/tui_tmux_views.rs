//! The real binary in tmux (tests/support/tmux.rs): the timeline opened
//! from the table. Skips, saying why, only when tmux is not installed.

mod support;

use std::path::Path;

use chrono::Utc;
use credtop::audit::{Actor, AuditLog, AuditRecord, Event, Outcome};
use credtop::model::{Credential, FailureKind, Kind, Secret, Source};
use credtop::store::Store;
use support::tmux::{assert_left_alternate_screen, start, tmux_for, tmux_missing};

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
