//! Refresh, rotation, revocation and the reuse-detection hazard, against a
//! real authorization server with refresh-token rotation on.

use crate::support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;
use support::Home;
use support::authserver::{self, AuthServer, age_into_danger, audit_events, stored_tokens};

fn logged_in(server: &AuthServer) -> Home {
    let home = Home::new();
    authserver::login(&home, server, "acme");
    home
}

#[test]
fn refresh_rotates_and_persists_the_new_refresh_token_first() {
    let server = AuthServer::shared();
    let home = logged_in(server);
    let (access1, refresh1) = stored_tokens(home.path(), "acme");
    home.credtop()
        .args(["refresh", "acme"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Refreshed acme"));
    let (access2, refresh2) = stored_tokens(home.path(), "acme");
    assert_ne!(
        refresh1, refresh2,
        "the server rotates; the new refresh token must be stored"
    );
    assert_ne!(access1, access2);
    assert!(server.is_active(&access2));
    let ok = audit_events(&home, "refresh_succeeded");
    assert_eq!(ok.len(), 1);
    assert!(ok[0]["latency_ms"].is_u64() && ok[0]["old_fingerprint"] != ok[0]["fingerprint"]);
    // The stored refresh token is the live one: it refreshes again.
    home.credtop().args(["refresh", "acme"]).assert().success();
}

#[test]
fn replaying_a_rotated_refresh_token_kills_the_grant_which_is_why_refresh_is_single_flight() {
    let server = AuthServer::shared();
    let home = logged_in(server);
    let (_, old_refresh) = stored_tokens(home.path(), "acme");
    home.credtop().args(["refresh", "acme"]).assert().success();
    let (access, _) = stored_tokens(home.path(), "acme");
    assert!(server.is_active(&access));
    let replay = server.raw_refresh(&old_refresh);
    assert_eq!(replay["error"], "invalid_grant");
    assert!(
        !server.is_active(&access),
        "reuse detection revokes the whole grant"
    );
    // credtop now finds the grant dead: typed, paused, alerted once.
    home.write_private("config.toml", "notify_command = \"cat >> alerts.jsonl\"\n");
    for _ in 0..3 {
        home.credtop()
            .current_dir(home.path())
            .args(["refresh", "acme"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("credential_revoked"))
            .stderr(predicate::str::contains("credtop login acme"));
    }
    let alerts = home.read("alerts.jsonl");
    assert_eq!(alerts.lines().count(), 1, "{alerts}");
    assert!(alerts.contains("\"revocation_detected\"") && !alerts.contains(&access));
    let rows: serde_json::Value = serde_json::from_slice(
        &home
            .credtop()
            .args(["status", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(rows[0]["status"], "revoked");
    home.credtop()
        .arg("check")
        .assert()
        .code(2)
        .stdout(predicate::str::contains("CRITICAL acme"));
    // A new login revives the lane.
    authserver::login(&home, server, "acme");
    home.credtop().arg("check").assert().code(0);
}

#[test]
fn token_refreshes_first_in_the_danger_zone() {
    let server = AuthServer::shared();
    let home = logged_in(server);
    let (old, _) = stored_tokens(home.path(), "acme");
    age_into_danger(&home, "acme");
    let out = home.credtop().args(["token", "acme"]).output().unwrap();
    assert!(out.status.success());
    let printed = String::from_utf8(out.stdout).unwrap();
    let (new, _) = stored_tokens(home.path(), "acme");
    assert_eq!(printed.trim(), new);
    assert_ne!(new, old);
    assert!(server.is_active(&new));
}

#[test]
fn eight_concurrent_token_calls_in_the_danger_zone_refresh_exactly_once() {
    let server = AuthServer::shared();
    let home = logged_in(server);
    age_into_danger(&home, "acme");
    let bin = assert_cmd::cargo::cargo_bin("credtop");
    let children: Vec<_> = (0..8)
        .map(|_| {
            Command::new(&bin)
                .args(["token", "acme"])
                .env("CREDTOP_HOME", home.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for o in &outputs {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let tokens: std::collections::BTreeSet<String> = outputs
        .iter()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .collect();
    assert_eq!(tokens.len(), 1, "every caller got the one fresh token");
    assert_eq!(audit_events(&home, "refresh_succeeded").len(), 1);
    assert!(audit_events(&home, "refresh_failed").is_empty());
    let (access, _) = stored_tokens(home.path(), "acme");
    assert!(server.is_active(&access), "the grant survived");
    home.credtop().args(["refresh", "acme"]).assert().success();
}

#[test]
fn token_keeps_returning_valid_tokens_across_many_lifetimes() {
    // Access tokens of 4 s: about five lifetimes in this loop.
    let server = AuthServer::start(4, &[]);
    let home = logged_in(&server);
    let deadline = Instant::now() + Duration::from_secs(18);
    let mut seen = std::collections::BTreeSet::new();
    let mut calls = 0;
    while Instant::now() < deadline && calls < 200 {
        let out = home.credtop().args(["token", "acme"]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
        assert!(server.is_active(&token), "call {calls} got a dead token");
        seen.insert(token);
        calls += 1;
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(
        seen.len() >= 4,
        "only {} distinct tokens over {calls} calls",
        seen.len()
    );
    assert!(audit_events(&home, "refresh_failed").is_empty());
}

#[test]
fn revoke_kills_the_grant_at_the_server_and_deletes_locally() {
    let server = AuthServer::shared();
    let home = logged_in(server);
    let (access, refresh) = stored_tokens(home.path(), "acme");
    home.credtop()
        .args(["revoke", "acme"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Deleted acme locally; revoked at acme (refresh token and access token)",
        ));
    assert!(!server.is_active(&access));
    assert_eq!(server.raw_refresh(&refresh)["error"], "invalid_grant");
    assert!(!home.path().join("oauth/acme.json").exists());
    let rec = &audit_events(&home, "revoke")[0];
    assert_eq!(rec["outcome"], "ok");
}

#[test]
fn revoke_deletes_locally_even_when_the_server_is_unreachable() {
    let server = AuthServer::shared();
    let home = logged_in(server);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    home.write_private(
        "providers.toml",
        &format!(
            "[providers.acme]\nclient_id = \"credtop-test\"\ntoken_url = \"http://127.0.0.1:{port}/token\"\nrevocation_url = \"http://127.0.0.1:{port}/revoke\"\n"
        ),
    );
    home.credtop()
        .args(["revoke", "acme"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "Deleted acme locally; remote revocation at acme failed",
        ));
    assert!(!home.path().join("oauth/acme.json").exists());
}

#[test]
fn logout_revokes_remotely_too() {
    let server = AuthServer::shared();
    let home = logged_in(server);
    home.credtop()
        .args(["add-key", "openai"])
        .write_stdin("sk-x\n")
        .assert()
        .success();
    let (access, _) = stored_tokens(home.path(), "acme");
    home.credtop()
        .args(["logout", "--oauth-only", "-y"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Removed acme"))
        .stdout(predicate::str::contains("revoked at acme"));
    assert!(!server.is_active(&access));
    home.credtop().args(["token", "openai"]).assert().success();
}

#[test]
fn rotating_an_oauth_credential_is_a_new_grant_then_the_old_one_revoked() {
    let server = AuthServer::shared();
    let home = logged_in(server);
    let (old, _) = stored_tokens(home.path(), "acme");
    home.credtop()
        .env("BROWSER", authserver::browser())
        .args(["rotate", "acme"])
        .assert()
        .success()
        .stdout(predicate::str::contains("old grant revoked at acme"));
    let (new, _) = stored_tokens(home.path(), "acme");
    assert_ne!(old, new);
    assert!(server.is_active(&new));
    assert!(!server.is_active(&old));
    let rec = &audit_events(&home, "rotate")[0];
    assert_ne!(rec["fingerprint"], rec["old_fingerprint"]);
}
