//! A broken audit chain shows as a red banner in the real dashboard, found
//! by checking only what the trail appended since the dashboard last looked.

use crate::support;

use support::Home;
use support::tmux::{start, tmux_for, tmux_missing};

#[test]
fn a_record_added_by_hand_shows_the_broken_chain_banner() {
    if tmux_missing() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it: scripts/test-deps.sh)");
        return;
    }
    let home = Home::new();
    home.credtop()
        .args(["add-key", "first"])
        .write_stdin("sk-first\n")
        .assert()
        .success();
    let tmux = tmux_for("banner");
    start(&tmux, home.path(), &[("NO_COLOR", "1")]);
    let screen = tmux.wait_for("the table", |s| s.contains("Credentials (1)"));
    assert!(!screen.contains("AUDIT TRAIL BROKEN"), "{screen}");
    // Someone appends a record by hand, then credtop writes one more.
    let trail = home.path().join("audit.jsonl");
    let mut text = std::fs::read_to_string(&trail).unwrap();
    text.push_str("{\"event\":\"refresh_succeeded\",\"credential\":\"first\"}\n");
    std::fs::write(&trail, text).unwrap();
    home.credtop()
        .args(["add-key", "second"])
        .write_stdin("sk-second\n")
        .assert()
        .success();
    let screen = tmux.wait_for("the banner", |s| s.contains("AUDIT TRAIL BROKEN"));
    assert!(screen.contains("without a hash"), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("the shell after quit", |s| s.contains("EXITED-0"));
}
