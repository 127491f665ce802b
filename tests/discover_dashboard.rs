//! The dashboard over other tools' credentials: they are listed beside
//! credtop's own, and nothing under HOME is written, created or touched
//! while the dashboard (and its background engine) runs over them. The
//! status, check and daemon half of this proof is in tests/discover.rs.

use crate::support;

use std::time::Duration;

use support::fixtures::{ToolHome, gcloud_dbs, snapshot};
use support::tmux::{assert_left_alternate_screen, start, tmux_for, tmux_missing};

#[test]
fn the_dashboard_lists_other_tools_credentials_and_never_writes_them() {
    if tmux_missing() {
        eprintln!("skipped: tmux is not installed (scripts/test-deps.sh installs it)");
        return;
    }
    let t = ToolHome::new();
    gcloud_dbs(
        &t.home().join(".config/gcloud"),
        "ya29.FIXTURE-CANARY-gcloud",
        "2100-01-01 07:00:00.000000",
    );
    let before = snapshot(&t.home());
    std::thread::sleep(Duration::from_millis(20));

    let tmux = tmux_for("discover");
    let home = t.home();
    start(
        &tmux,
        &t.credtop_home(),
        &[
            ("HOME", home.to_str().unwrap()),
            ("CLAUDE_CONFIG_DIR", ""),
            ("CODEX_HOME", ""),
        ],
    );
    let screen = tmux.wait_for("the discovered credentials", |s| {
        s.contains("claude-code") && s.contains("codex") && s.contains("gemini-cli")
    });
    assert!(
        !screen.contains("FIXTURE-CANARY"),
        "a secret on screen:\n{screen}"
    );
    // Move over them, open the detail of one, the audit view, and back.
    tmux.keys(&["j", "j", "Enter"]);
    tmux.wait_for("a detail pane", |s| {
        s.contains("log in again") || s.contains("source")
    });
    tmux.keys(&["a"]);
    tmux.wait_for("the audit view", |s| s.to_lowercase().contains("audit"));
    tmux.keys(&["Escape"]);
    // Two ticks of the engine and the reload loop over the fixture tree.
    std::thread::sleep(Duration::from_secs(2));
    let screen = tmux.screen();
    assert!(
        !screen.contains("FIXTURE-CANARY"),
        "a secret on screen:\n{screen}"
    );
    tmux.keys(&["q"]);
    tmux.wait_for("the shell", |s| s.contains("EXITED-0"));
    assert_left_alternate_screen(&tmux);

    let after = snapshot(&t.home());
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "a file was created or removed under HOME"
    );
    for (path, (bytes, mtime)) in &before {
        let (b2, m2) = &after[path];
        assert!(bytes == b2, "{} changed", path.display());
        assert_eq!(mtime, m2, "{} was touched", path.display());
    }
}

/// A tool logging out (its file removed) shows on the open dashboard
/// without waiting for the slow discovery timer: the folder is watched.
#[test]
fn another_tools_logout_shows_without_waiting_for_the_timer() {
    if tmux_missing() {
        eprintln!("skipped: tmux is not installed (scripts/test-deps.sh installs it)");
        return;
    }
    let t = ToolHome::new();
    let tmux = tmux_for("discover-watch");
    let home = t.home();
    start(
        &tmux,
        &t.credtop_home(),
        &[
            ("HOME", home.to_str().unwrap()),
            ("CLAUDE_CONFIG_DIR", ""),
            ("CODEX_HOME", ""),
        ],
    );
    tmux.wait_for("codex's login", |s| s.contains("codex"));
    std::fs::remove_file(home.join(".codex/auth.json")).unwrap();
    // wait_for gives up after 15 s; the timer alone would take a minute.
    tmux.wait_for("codex's row to go", |s| !s.contains("codex"));
    tmux.keys(&["q"]);
    tmux.wait_for("the shell", |s| s.contains("EXITED-0"));
}
