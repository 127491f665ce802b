//! The proactive refresh engine, run as `credtop daemon` against a real
//! authorization server with short-lived access tokens.

use crate::support;
use crate::support::wait_for;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use predicates::prelude::*;
use support::Home;
use support::authserver::{self, AuthServer, audit_events, stored_tokens};
use support::stub::Stub;

fn ts(v: &serde_json::Value, field: &str) -> DateTime<Utc> {
    v[field].as_str().unwrap().parse().unwrap()
}

#[test]
fn every_refresh_lands_between_the_refresh_point_and_expiry() {
    const TTL: i64 = 10;
    let server = AuthServer::start(TTL as u64, &[]);
    let home = Home::new();
    authserver::login(&home, &server, "acme");
    let d = daemon(&home);
    wait_for("four refreshes", Duration::from_secs(60), || {
        audit_events(&home, "refresh_succeeded").len() >= 4
    });
    let log = stop(d);
    assert!(log.contains("stopped"), "{log}");
    let mut previous = audit_events(&home, "login_completed").remove(0);
    for refresh in audit_events(&home, "refresh_succeeded") {
        assert_eq!(refresh["actor"], "daemon");
        let expires = ts(&previous, "expires_at");
        let created = expires - chrono::Duration::seconds(TTL);
        let point = created + chrono::Duration::milliseconds(TTL * 800);
        let at = ts(&refresh, "ts");
        assert!(
            at >= point && at < expires,
            "refresh at {at}, window {point}..{expires}"
        );
        previous = refresh;
    }
    assert!(audit_events(&home, "refresh_failed").is_empty());
    let (access, _) = stored_tokens(home.path(), "acme");
    assert!(server.is_active(&access));

    // The refresh history survives the daemon: one line per attempt, with
    // its latency, in the order they happened.
    let history = credtop::engine::history::last(home.path(), "acme", 100);
    assert_eq!(
        history.len(),
        audit_events(&home, "refresh_succeeded").len()
    );
    assert!(history.iter().all(|a| a.ok && a.kind.is_none()));
    assert!(history.windows(2).all(|w| w[0].ts >= w[1].ts));
}

#[test]
fn daemon_and_eight_token_loops_for_a_minute_never_replay_a_refresh_token() {
    let server = AuthServer::start(10, &[]);
    let home = Home::new();
    authserver::login(&home, &server, "acme");
    let d = daemon(&home);
    let bin = assert_cmd::cargo::cargo_bin("credtop");
    let deadline = Instant::now() + Duration::from_secs(60);
    let loops: Vec<_> = (0..8)
        .map(|_| {
            let (bin, home) = (bin.clone(), home.path().to_path_buf());
            std::thread::spawn(move || {
                let mut calls = 0;
                while Instant::now() < deadline && calls < 2000 {
                    let out = Command::new(&bin)
                        .args(["token", "acme"])
                        .env("CREDTOP_HOME", &home)
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    calls += 1;
                    std::thread::sleep(Duration::from_millis(150));
                }
                calls
            })
        })
        .collect();
    let calls: usize = loops.into_iter().map(|l| l.join().unwrap()).sum();
    stop(d);
    assert!(calls > 100, "{calls}");
    assert!(
        audit_events(&home, "refresh_failed").is_empty(),
        "{}",
        home.read("audit.jsonl")
    );
    assert!(audit_events(&home, "refresh_succeeded").len() >= 5);
    let (access, _) = stored_tokens(home.path(), "acme");
    assert!(
        server.introspect(&access)["active"] == true,
        "the grant is alive"
    );
}

#[test]
fn a_daemon_killed_mid_refresh_loses_nothing_and_recovers() {
    let server = AuthServer::start(3, &[]);
    let home = Home::new();
    authserver::login(&home, &server, "acme");
    for round in 0..8u64 {
        let mut d = daemon(&home);
        std::thread::sleep(Duration::from_millis(700 + round * 331 % 1900));
        d.kill().unwrap(); // SIGKILL
        d.wait().unwrap();
        let (access, refresh) = stored_tokens(home.path(), "acme");
        assert!(!access.is_empty() && !refresh.is_empty(), "round {round}");
    }
    // The survivor refreshes normally, and the grant is alive.
    let before = audit_events(&home, "refresh_succeeded").len();
    let d = daemon(&home);
    // Generous: under a loaded CI machine the survivor's first pass and the
    // server's answer can each take seconds; the trail says why on failure.
    let deadline = std::time::Instant::now() + Duration::from_secs(45);
    while audit_events(&home, "refresh_succeeded").len() <= before {
        assert!(
            std::time::Instant::now() < deadline,
            "no refresh after the kills:\n{}",
            home.read("audit.jsonl")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    stop(d);
    assert!(
        audit_events(&home, "refresh_failed").is_empty(),
        "{}",
        home.read("audit.jsonl")
    );
    let (access, _) = stored_tokens(home.path(), "acme");
    assert!(server.is_active(&access));
}

#[test]
fn a_grant_revoked_at_the_server_pauses_the_lane_with_exactly_one_alert() {
    let server = AuthServer::start(6, &[]);
    let home = Home::new();
    authserver::login(&home, &server, "acme");
    // notify_command runs in a cleared environment (PATH, HOME, LANG):
    // the path is spelled out.
    home.write_private(
        "config.toml",
        &format!(
            "notify_command = \"cat >> '{}'\"\n",
            home.path().join("alerts.jsonl").display()
        ),
    );
    let d = daemon(&home);
    let (_, refresh) = stored_tokens(home.path(), "acme");
    server.revoke_at_server(&refresh);
    wait_for("the lane to pause", Duration::from_secs(15), || {
        !audit_events(&home, "revocation_detected").is_empty()
    });
    // Two more lifetimes: no retry loop, no second alert; the moment the
    // last access token expired is on the record, once.
    std::thread::sleep(Duration::from_secs(8));
    stop(d);
    assert_eq!(home.read("alerts.jsonl").lines().count(), 1);
    assert_eq!(audit_events(&home, "refresh_failed").len(), 1);
    assert_eq!(audit_events(&home, "operator_notified").len(), 1);
    let expired = audit_events(&home, "token_expired");
    assert_eq!(expired.len(), 1, "{expired:?}");
    assert!(
        expired[0]["detail"]
            .as_str()
            .unwrap()
            .contains("credtop login")
    );
    home.credtop()
        .arg("check")
        .assert()
        .code(2)
        .stdout(predicate::str::contains("revoked"));
    // An agent asking for the token is told, without the dead refresh token
    // being replayed at the provider.
    home.credtop()
        .args(["token", "acme"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("paused").and(predicate::str::contains("credtop login")));
    assert_eq!(audit_events(&home, "refresh_attempted").len(), 1);
}

#[test]
fn a_key_rotated_by_hand_is_picked_up_live_and_audited() {
    let home = Home::new();
    home.credtop()
        .args(["add-key", "openai"])
        .write_stdin("sk-one\n")
        .assert()
        .success();
    let d = daemon(&home);
    wait_for("the daemon to load", Duration::from_secs(10), || {
        !audit_events(&home, "credential_loaded").is_empty()
    });
    // An operator edits the file (a new key, a new mtime), no credtop involved.
    let rel = "keys/openai.json";
    let edited = home.read(rel).replace("sk-one", "sk-two");
    home.write_private(rel, &edited);
    home.key("added-by-hand", "sk-three", chrono::Duration::days(1));
    wait_for("two external changes", Duration::from_secs(10), || {
        audit_events(&home, "external_change").len() >= 2
    });
    stop(d);
    let changes = audit_events(&home, "external_change");
    let names: Vec<&str> = changes
        .iter()
        .map(|c| c["credential"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"openai") && names.contains(&"added-by-hand"),
        "{names:?}"
    );
    assert!(!home.read("audit.jsonl").contains("sk-two"));
}

/// A provider answering 500: the daemon backs off (exponential from 2 s,
/// full jitter) instead of hammering it, although every failure rewrites
/// the lane state that the store watch reports back to the engine.
#[test]
fn a_failure_the_lane_state_cannot_record_pauses_without_spinning() {
    let server = AuthServer::start(6, &[]);
    let home = Home::new();
    authserver::login(&home, &server, "acme");
    // The lock cannot be taken (a directory where its file goes): a
    // configuration error, which pauses the lane but is not recorded in
    // the lane state.
    let lock = home.path().join("locks/acme.lock");
    let _ = std::fs::remove_file(&lock);
    std::fs::create_dir_all(&lock).unwrap();
    let d = daemon(&home);
    // The refresh point (4.8 s) and the expiry (6 s) pass.
    std::thread::sleep(Duration::from_secs(8));
    stop(d);
    let logs = std::fs::read_dir(home.path().join("logs"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default())
        .collect::<String>();
    let failures = logs.matches("refresh failed").count();
    assert!(
        (1..=2).contains(&failures),
        "{failures} failed refreshes logged"
    );
    let expired = audit_events(&home, "token_expired");
    assert_eq!(expired.len(), 1, "{expired:?}");
}

#[test]
fn a_key_past_its_rotation_age_is_warned_about_once() {
    let home = Home::new();
    home.key("old", "sk-old", chrono::Duration::days(100));
    home.key("young", "sk-young", chrono::Duration::days(1));
    let d = daemon(&home);
    wait_for("the rotation warning", Duration::from_secs(10), || {
        !audit_events(&home, "warning_raised").is_empty()
    });
    // A reload (another key appears) must not repeat it.
    home.key("later", "sk-later", chrono::Duration::days(2));
    wait_for("the external change", Duration::from_secs(10), || {
        !audit_events(&home, "external_change").is_empty()
    });
    std::thread::sleep(Duration::from_secs(1));
    stop(d);
    // Nor does a daemon started again (or the dashboard opened).
    let loaded = audit_events(&home, "credential_loaded").len();
    let d = daemon(&home);
    wait_for("the second daemon to load", Duration::from_secs(10), || {
        audit_events(&home, "credential_loaded").len() >= loaded + 3
    });
    std::thread::sleep(Duration::from_secs(1));
    stop(d);
    let warnings = audit_events(&home, "warning_raised");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0]["credential"], "old");
    let detail = warnings[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("90 days") && detail.contains("credtop rotate old"),
        "{detail}"
    );
}

#[test]
fn a_transient_failure_is_recorded_with_its_history_and_retry_time() {
    let stub = Stub::start();
    let home = Home::new();
    home.oauth(
        "acme",
        "tok-secret-acme",
        chrono::Duration::minutes(55),
        chrono::Duration::hours(1),
    );
    home.write_private(
        "providers.toml",
        &format!(
            "[providers.acme]\nclient_id = \"credtop-test\"\ntoken_url = \"{}\"\n",
            stub.url("500")
        ),
    );
    let d = daemon(&home);
    // How long the engine waits between attempts is the schedule's unit
    // tests' business (src/engine/schedule/tests.rs); here: that the
    // daemon records the failure, its history and its retry time.
    wait_for(
        "a failure with a retry time",
        Duration::from_secs(15),
        || {
            !audit_events(&home, "refresh_failed").is_empty()
                && home.read("state/acme.json").contains("\"retry_at\": \"")
        },
    );
    stop(d);
    let attempts = audit_events(&home, "refresh_attempted").len();
    let failed = audit_events(&home, "refresh_failed");
    assert!(
        failed.iter().all(|f| f["kind"] == "transient"),
        "{failed:?}"
    );
    let history = credtop::engine::history::last(home.path(), "acme", 100);
    assert_eq!(history.len(), attempts);
    assert!(history.iter().all(|a| !a.ok));
    // The lane says when the engine meant to try again, though the 500 did
    // not say (no Retry-After).
    let lane: serde_json::Value = serde_json::from_str(&home.read("state/acme.json")).unwrap();
    assert_eq!(lane["kind"], "transient");
    assert_eq!(lane["paused"], false);
    let retry_at = ts(&lane, "retry_at");
    assert!(retry_at > ts(&failed[0], "ts"), "{lane}");
}

#[test]
fn a_second_daemon_on_the_same_home_is_refused() {
    let home = Home::new();
    let first = daemon(&home);
    wait_for("the first daemon", Duration::from_secs(10), || {
        home.path().join("daemon.lock").exists()
    });
    std::thread::sleep(Duration::from_millis(300));
    home.credtop()
        .arg("daemon")
        .timeout(Duration::from_secs(10))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already running"))
        .stderr(predicate::str::contains(first.id().to_string()));
    stop(first);
}

fn daemon(home: &Home) -> Child {
    support::spawn_daemon(home, Stdio::piped(), &[])
}

/// Stops the daemon and returns what it wrote to stderr.
fn stop(mut child: Child) -> String {
    support::stop_daemon(&mut child, Duration::from_secs(15));
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "daemon exit {:?}", out.status);
    String::from_utf8_lossy(&out.stderr).into_owned()
}
