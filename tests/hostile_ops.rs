//! The operations under hostile conditions: an audit trail that cannot be
//! written, a lock held elsewhere, a provider refusing our client, and what
//! long-lived processes and their alert command may see. Each test keeps
//! one finding of the adversarial pass fixed (see tests/hostile.rs for the
//! files and names).

use crate::support;
use crate::support::{daemon, wait_for};

use std::os::unix::fs::OpenOptionsExt;
use std::process::{Child, Output};
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use support::Home;
use support::stub::Stub;

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `acme` in its danger zone, its token endpoint the stub's `fault`.
fn danger_home(stub: &Stub, fault: &str) -> Home {
    let home = Home::new();
    home.oauth(
        "acme",
        "tok-acme",
        Duration::minutes(55),
        Duration::hours(1),
    );
    home.write_private(
        "providers.toml",
        &format!(
            "[providers.acme]\nclient_id = \"c\"\ntoken_url = \"{}\"\n",
            stub.url(fault)
        ),
    );
    home
}

fn break_audit(home: &Home) {
    let _ = std::fs::remove_file(home.path().join("audit.jsonl"));
    std::fs::create_dir(home.path().join("audit.jsonl")).unwrap();
}

fn stop(mut child: Child) {
    // SAFETY: a plain signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let deadline = Instant::now() + StdDuration::from_secs(15);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(StdDuration::from_millis(50));
    }
    let _ = child.wait();
}

// Finding 3: audit or fail.
#[test]
fn nothing_changes_that_the_trail_cannot_record() {
    let home = Home::new();
    home.key("kept", "sk-KEPT", Duration::days(1));
    break_audit(&home);
    let out = home
        .credtop()
        .args(["add-key", "new"])
        .write_stdin("sk-new\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("audit trail"), "{}", text(&out));
    assert!(!home.path().join("keys/new.json").exists());
    for args in [vec!["revoke", "kept"], vec!["logout", "kept"]] {
        let out = home.credtop().args(&args).output().unwrap();
        assert!(!out.status.success(), "{args:?}: {}", text(&out));
        assert!(text(&out).contains("audit trail"), "{}", text(&out));
        assert!(home.read("keys/kept.json").contains("sk-KEPT"));
    }
    let out = home
        .credtop()
        .args(["rotate", "kept"])
        .write_stdin("sk-ROTATED\n")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(home.read("keys/kept.json").contains("sk-KEPT"));
}

#[test]
fn a_loose_trail_is_unwritable_too() {
    let home = Home::new();
    let trail = home.write_private("audit.jsonl", "");
    std::fs::set_permissions(&trail, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let out = home
        .credtop()
        .args(["add-key", "new"])
        .write_stdin("sk-new\n")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("mode 0644"), "{}", text(&out));
    assert!(!home.path().join("keys/new.json").exists());
}

#[test]
fn no_refresh_is_sent_that_the_trail_cannot_record() {
    let stub = Stub::start();
    let home = danger_home(&stub, "invalid-client");
    break_audit(&home);
    let before = home.read("oauth/acme.json");
    let out = home.credtop().args(["refresh", "acme"]).output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("audit trail"), "{}", text(&out));
    assert!(!text(&out).contains("invalid_client"), "{}", text(&out));
    assert_eq!(home.read("oauth/acme.json"), before);
}

#[test]
fn the_daemon_alerts_once_when_the_trail_becomes_unwritable() {
    let stub = Stub::start();
    let home = danger_home(&stub, "500");
    let alerts = home.path().join("alerts.jsonl");
    home.write_private(
        "config.toml",
        &format!("notify_command = \"cat >> '{}'\"\n", alerts.display()),
    );
    break_audit(&home);
    let d = daemon(&home);
    wait_for("the alert", StdDuration::from_secs(30), || {
        std::fs::read_to_string(&alerts).is_ok_and(|a| a.contains("audit_unwritable"))
    });
    // The engine keeps retrying with backoff; the operator hears once.
    std::thread::sleep(StdDuration::from_secs(5));
    stop(d);
    let text = std::fs::read_to_string(&alerts).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
}

// Finding 14: a held lock does not keep a valid token from its caller.
#[test]
fn a_held_lock_does_not_block_a_still_valid_token() {
    let stub = Stub::start();
    let home = danger_home(&stub, "500");
    home.credtop().arg("status").assert().success(); // makes locks/ 0700
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(home.path().join("locks/acme.lock"))
        .unwrap();
    lock.lock().unwrap();
    // Without the short wait, token sat out the whole 30 s lock timeout.
    let out = home
        .credtop()
        .args(["token", "acme"])
        .timeout(StdDuration::from_secs(20))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "tok-acme\n");
    drop(lock);
}

// Finding 15: invalid_client is a config error, not a dead grant.
#[test]
fn invalid_client_neither_refuses_a_valid_token_nor_pauses_the_lane() {
    let stub = Stub::start();
    let home = danger_home(&stub, "invalid-client");
    let out = home.credtop().args(["token", "acme"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "tok-acme\n");
    assert!(text(&out).contains("config_error"), "{}", text(&out));
    let lane: serde_json::Value = serde_json::from_str(&home.read("state/acme.json")).unwrap();
    assert_eq!(lane["paused"], false, "{lane}");
    assert!(!home.read("audit.jsonl").contains("lane_paused"));
}

// Finding 19: notify_command gets a cleared environment.
#[test]
fn notify_command_sees_only_path_home_and_lang() {
    let stub = Stub::start();
    let home = danger_home(&stub, "200-invalid-grant");
    let seen = home.path().join("env.txt");
    home.write_private(
        "config.toml",
        &format!("notify_command = \"env > '{}'\"\n", seen.display()),
    );
    let out = home
        .credtop()
        .env("ANTHROPIC_API_KEY", "sk-ant-ENV-CANARY")
        .env("SOME_TOKEN", "ENV-CANARY")
        .args(["refresh", "acme"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let env = std::fs::read_to_string(&seen).unwrap();
    assert!(!env.contains("ENV-CANARY"), "{env}");
    assert!(!env.contains("CREDTOP_HOME"), "{env}");
    assert!(env.lines().any(|l| l.starts_with("PATH=")), "{env}");
}

// Finding 19: the daemon holds every secret; it is not dumpable.
#[test]
fn the_daemon_makes_itself_undumpable() {
    let home = Home::new();
    let d = daemon(&home);
    let logs = home.path().join("logs");
    let read_logs = || {
        std::fs::read_dir(&logs)
            .map(|dir| {
                dir.flatten()
                    .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                    .collect::<String>()
            })
            .unwrap_or_default()
    };
    wait_for("the daemon's log", StdDuration::from_secs(30), || {
        read_logs().contains("process made undumpable")
    });
    stop(d);
    assert!(read_logs().contains("dumpable=0"), "{}", read_logs());
}
