//! A grant's hard end against the real authorization server: started with
//! `REFRESH_CAP`, oidc-provider ends every grant that long after its login
//! and says so in `refresh_token_expires_in`, as GitHub Apps do.

use crate::support;
use crate::support::{daemon, wait_for};

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use support::Home;
use support::authserver::{
    self, AuthServer, audit_events, browser, login_with as login, stored_tokens,
};

fn status(home: &Home, name: &str) -> Value {
    let out = home.credtop().args(["status", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    rows.into_iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no row {name}"))
}

fn cap_of(home: &Home, name: &str) -> DateTime<Utc> {
    let row = status(home, name);
    row["refresh_expires_at"]
        .as_str()
        .unwrap_or_else(|| panic!("no refresh_expires_at in {row}"))
        .parse()
        .unwrap()
}

fn assert_near(what: &str, got: DateTime<Utc>, from: DateTime<Utc>, to: DateTime<Utc>) {
    let slack = chrono::Duration::seconds(2);
    assert!(
        got >= from - slack && got <= to + slack,
        "{what}: {got} not within {from}..{to}"
    );
}

#[test]
fn the_stated_grant_end_is_recorded_at_login_and_kept_by_a_rotating_refresh() {
    let server = AuthServer::start(60, &[("REFRESH_CAP", "3600")]);
    let home = Home::new();
    let before = Utc::now();
    login(&home, &server, "gh", "");
    let after = Utc::now();
    let hour = chrono::Duration::hours(1);
    let cap = cap_of(&home, "gh");
    assert_near("cap at login", cap, before + hour, after + hour);
    // A refresh rotates the refresh token; the server states what is left
    // of the same grant, so the end stays where it was.
    let (_, old_rt) = stored_tokens(home.path(), "gh");
    let out = home.credtop().args(["refresh", "gh"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, new_rt) = stored_tokens(home.path(), "gh");
    assert_ne!(old_rt, new_rt, "the server rotates refresh tokens");
    assert_eq!(cap_of(&home, "gh"), cap, "the same end, kept exact");
    // Within the week before its end: `check` warns (exit 1) and says how.
    let out = home
        .credtop()
        .args(["check", "--no-discover"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("WARNING gh: its grant ends in "), "{text}");
    assert!(text.contains("`credtop login acme --name gh`"), "{text}");
    // The plain table says it too, under the row.
    let out = home
        .credtop()
        .args(["status", "--no-discover"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let shown = cap.format("grant ends %Y-%m-%d %H:%M:%S (in ").to_string();
    assert!(text.contains(&shown), "{text}");
}

#[test]
fn a_session_cap_in_providers_toml_applies_when_the_server_states_none() {
    let server = AuthServer::shared();
    let home = Home::new();
    let before = Utc::now();
    login(&home, server, "acme-capped", "session_cap = \"2h\"\n");
    let after = Utc::now();
    let two_hours = chrono::Duration::hours(2);
    let cap = cap_of(&home, "acme-capped");
    assert_near("session cap", cap, before + two_hours, after + two_hours);
    let out = home
        .credtop()
        .args(["refresh", "acme-capped"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(cap_of(&home, "acme-capped"), cap, "kept by the refresh");
    // Without a cap anywhere, status says null.
    let plain = Home::new();
    login(&plain, server, "acme", "");
    assert_eq!(status(&plain, "acme")["refresh_expires_at"], Value::Null);
}

#[test]
fn a_bad_session_cap_fails_the_login_naming_the_provider() {
    let home = Home::new();
    let toml = format!(
        "{}session_cap = \"soon\"\n",
        AuthServer::shared().provider_toml("acme")
    );
    home.write_private("providers.toml", &toml);
    let out = home
        .credtop()
        .env("BROWSER", browser())
        .args(["login", "acme", "--timeout", "60"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("provider \"acme\": session_cap is not a duration"),
        "{err}"
    );
    assert!(!home.path().join("oauth/acme.json").exists());
}

fn cap_warnings(home: &Home) -> Vec<Value> {
    audit_events(home, "warning_raised")
        .into_iter()
        .filter(|r| r["reason"] == "grant_cap")
        .collect()
}

#[test]
fn a_near_grant_end_raises_exactly_one_warning_across_refreshes_and_restarts() {
    // Access tokens of 6 s: the daemon refreshes (rotating) meanwhile.
    let server = AuthServer::start(6, &[("REFRESH_CAP", "3600")]);
    let home = Home::new();
    login(&home, &server, "gh", "");
    let cap = cap_of(&home, "gh");
    let d = daemon(&home);
    wait_for("the grant-cap warning", Duration::from_secs(20), || {
        !cap_warnings(&home).is_empty()
    });
    wait_for("two refreshes", Duration::from_secs(40), || {
        audit_events(&home, "refresh_succeeded").len() >= 2
    });
    stop(d);
    // The engine started again reads the trail and says nothing new: it
    // raises a warning (if any) right after loading, before stopping.
    let d = daemon(&home);
    wait_for("the second daemon to load", Duration::from_secs(20), || {
        audit_events(&home, "credential_loaded").len() >= 2
    });
    stop(d);
    let said = cap_warnings(&home);
    assert_eq!(said.len(), 1, "{said:?}");
    let w = &said[0];
    assert_eq!(w["credential"], "gh");
    assert_eq!(w["actor"], "daemon");
    let stated: DateTime<Utc> = w["refresh_expires_at"].as_str().unwrap().parse().unwrap();
    assert_near("the warning's cap", stated, cap, cap);
    assert!(
        w["detail"]
            .as_str()
            .unwrap()
            .contains("log in again before"),
        "{w}"
    );
}

#[test]
fn past_its_end_a_grant_needs_login_and_token_does_not_replay_it() {
    let server = AuthServer::start(60, &[("REFRESH_CAP", "2")]);
    let home = Home::new();
    login(&home, &server, "gh", "");
    wait_for("the grant to end", Duration::from_secs(20), || {
        status(&home, "gh")["status"] == "needs_login"
    });
    let row = status(&home, "gh");
    assert_eq!(row["refreshable"], false, "{row}");
    // In its danger zone `token` would refresh; past the grant's end it
    // does not ask the server, and hands out the access token while it
    // lasts, saying why it was not refreshed.
    authserver::age_into_danger(&home, "gh");
    let attempts = audit_events(&home, "refresh_attempted").len();
    let out = home.credtop().args(["token", "gh"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let (access, _) = stored_tokens(home.path(), "gh");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), access);
    assert!(err.contains("the grant of gh ended at"), "{err}");
    assert!(err.contains("credtop login acme --name gh"), "{err}");
    assert_eq!(audit_events(&home, "refresh_attempted").len(), attempts);
    // The end was real: an explicit refresh tries, and the server refuses.
    let out = home.credtop().args(["refresh", "gh"]).output().unwrap();
    assert!(!out.status.success());
    let check = home
        .credtop()
        .args(["check", "--no-discover"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(2));
}

#[test]
fn every_status_object_has_refresh_expires_at_null_when_unknown() {
    let home = Home::new();
    let hour = chrono::Duration::hours(1);
    home.oauth("old-file", "tok-old", chrono::Duration::zero(), hour);
    home.key("openai", "sk-test", chrono::Duration::days(1));
    home.write_private("oauth/torn.json", "{\"provider\": \"to");
    let out = home
        .credtop()
        .args(["status", "--json", "--no-discover"])
        .output()
        .unwrap();
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    for row in rows {
        assert_eq!(row.get("refresh_expires_at"), Some(&Value::Null), "{row}");
    }
}

fn stop(mut child: std::process::Child) {
    support::stop_daemon(&mut child, Duration::from_secs(15));
}
