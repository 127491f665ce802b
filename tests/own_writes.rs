//! credtop's own writes are never audited as `external_change`: not a CLI
//! call's while the daemon runs, not the dashboard's; only a change made
//! outside credtop is. And the dashboard's lane count follows the engine.

use crate::support;
use crate::support::{daemon, wait_for};

use std::time::Duration;

use support::Home;
use support::authserver::audit_events;
use support::tmux::{start, tmux_for, tmux_missing};

fn changed(home: &Home) -> Vec<String> {
    audit_events(home, "external_change")
        .iter()
        .map(|c| c["credential"].as_str().unwrap_or("").to_string())
        .collect()
}

fn add_key(home: &Home, name: &str, key: &str) {
    home.credtop()
        .args(["add-key", name])
        .write_stdin(format!("{key}\n"))
        .assert()
        .success();
}

#[test]
fn cli_writes_while_the_daemon_runs_are_not_external_changes() {
    let home = Home::new();
    add_key(&home, "first", "sk-first");
    let mut d = daemon(&home);
    wait_for("the daemon to load", Duration::from_secs(20), || {
        !audit_events(&home, "credential_loaded").is_empty()
    });
    add_key(&home, "by-cli", "sk-by-cli");
    home.credtop().args(["revoke", "first"]).assert().success();
    // Then one change made outside credtop, to know the daemon has looked.
    home.key("by-hand", "sk-by-hand", chrono::Duration::days(1));
    wait_for("the hand-made change", Duration::from_secs(20), || {
        changed(&home).contains(&"by-hand".to_string())
    });
    std::thread::sleep(Duration::from_secs(1));
    let _ = d.kill();
    let _ = d.wait();
    assert_eq!(changed(&home), ["by-hand"]);
}

#[test]
fn the_dashboard_counts_lanes_as_they_come_and_does_not_call_them_external() {
    if tmux_missing() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it: scripts/test-deps.sh)");
        return;
    }
    let home = Home::new();
    add_key(&home, "first", "sk-first");
    let tmux = tmux_for("lanes");
    start(&tmux, home.path(), &[]);
    // Wide enough for the header to say the count.
    tmux.cmd(&["resize-window", "-t", "main", "-x", "130", "-y", "30"]);
    tmux.wait_for("one lane", |s| s.contains("engine running, 1 lanes"));
    add_key(&home, "second", "sk-second");
    tmux.wait_for("two lanes and the new row", |s| {
        s.contains("engine running, 2 lanes") && s.contains("Credentials (2)")
    });
    home.credtop().args(["revoke", "second"]).assert().success();
    tmux.wait_for("one lane and row again", |s| {
        s.contains("engine running, 1 lanes") && s.contains("Credentials (1)")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("the shell after quit", |s| s.contains("EXITED-0"));
    assert!(changed(&home).is_empty(), "{:?}", changed(&home));
}
