//! Logging in against a real authorization server (oidc-provider), with a
//! test `$BROWSER` that signs in and consents by plain HTTP.

use crate::support;

use std::time::Instant;

use predicates::prelude::*;
use support::Home;
use support::authserver::{self, AuthServer, browser, stored_tokens};

fn home_on(server: &AuthServer) -> Home {
    let home = Home::new();
    home.write_private("providers.toml", &server.provider_toml("acme"));
    home
}

#[test]
fn pkce_login_stores_a_live_refreshable_credential() {
    let server = AuthServer::shared();
    let home = home_on(server);
    home.credtop()
        .env("BROWSER", browser())
        .args(["login", "acme", "--timeout", "60"])
        .assert()
        .success()
        .stderr(predicate::str::contains(format!("{}/auth?", server.issuer)))
        .stderr(predicate::str::contains("code_challenge_method=S256"))
        .stderr(predicate::str::contains("Logged in: acme"));
    let (access, refresh) = stored_tokens(home.path(), "acme");
    assert!(!refresh.is_empty(), "no refresh token stored");
    assert!(server.is_active(&access));
    home.credtop()
        .args(["token", "acme"])
        .assert()
        .success()
        .stdout(format!("{access}\n"));
    let events: Vec<String> = home
        .read("audit.jsonl")
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    // The token read itself is audited, with who read it.
    assert_eq!(events, ["login_started", "login_completed", "secret_read"]);
    assert!(!home.everything_but_credentials().contains(&access));
}

#[test]
fn a_second_account_gets_its_own_name() {
    let server = AuthServer::shared();
    let home = home_on(server);
    authserver::login(&home, server, "acme-work");
    let rows = home
        .credtop()
        .args(["status", "--json"])
        .output()
        .unwrap()
        .stdout;
    let rows: serde_json::Value = serde_json::from_slice(&rows).unwrap();
    assert_eq!(rows[0]["name"], "acme-work");
    assert_eq!(rows[0]["provider"], "acme");
    assert_eq!(rows[0]["zone"], "safe");
}

#[test]
fn device_login_opens_the_complete_verification_uri_and_polls() {
    let server = AuthServer::shared();
    let home = home_on(server);
    let log = home.path().join("browser.log");
    home.credtop()
        .env("BROWSER", browser())
        .env("BROWSER_LOG", &log)
        .args(["login", "acme", "--device"])
        .assert()
        .success()
        .stderr(predicate::str::contains("confirm the code"));
    let visited = std::fs::read_to_string(&log).unwrap();
    assert!(
        visited.lines().next().unwrap().contains("user_code="),
        "{visited}"
    );
    let (access, _) = stored_tokens(home.path(), "acme");
    assert!(server.is_active(&access));
}

#[test]
fn device_login_slows_down_by_five_seconds_when_told() {
    let server = AuthServer::start(20, &[("SLOW_DOWN_ONCE", "1")]);
    let home = home_on(&server);
    let started = Instant::now();
    home.credtop()
        .env("BROWSER", browser())
        .args(["login", "acme", "--device"])
        .assert()
        .success();
    // First poll: slow_down; the next waits 5 s + 5 s (RFC 8628 §3.5).
    assert!(
        started.elapsed().as_secs() >= 10,
        "polled again after {:?}",
        started.elapsed()
    );
    let (access, _) = stored_tokens(home.path(), "acme");
    assert!(server.is_active(&access));
}

#[test]
fn a_callback_with_the_wrong_state_is_refused_and_nothing_is_stored() {
    let server = AuthServer::shared();
    let home = home_on(server);
    home.credtop()
        .env("BROWSER", browser())
        .env("BROWSER_TAMPER_STATE", "1")
        .args(["login", "acme", "--timeout", "60"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("state mismatch"));
    assert!(!home.path().join("oauth/acme.json").exists());
    assert_eq!(authserver::audit_events(&home, "login_failed").len(), 1);
}

#[test]
fn access_denied_at_the_browser_is_reported_plainly() {
    let server = AuthServer::shared();
    let home = home_on(server);
    for device in [false, true] {
        let mut cmd = home.credtop();
        cmd.env("BROWSER", browser())
            .env("BROWSER_ACTION", "deny")
            .args(["login", "acme", "--timeout", "60"]);
        if device {
            cmd.arg("--device");
        }
        cmd.assert()
            .code(2)
            .stderr(predicate::str::contains("access_denied"))
            .stderr(predicate::str::contains("credtop login acme"));
    }
    assert!(!home.path().join("oauth/acme.json").exists());
}

#[test]
fn the_callback_server_takes_one_callback_only() {
    let server = AuthServer::shared();
    let home = home_on(server);
    let log = home.path().join("browser.log");
    home.credtop()
        .env("BROWSER", browser())
        .env("BROWSER_CALLBACK_TWICE", "1")
        .env("BROWSER_LOG", &log)
        .args(["login", "acme", "--timeout", "60"])
        .assert()
        .success();
    // The browser replays the callback (code and all): nobody listens.
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("replay")
        && Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let visited = std::fs::read_to_string(&log).unwrap();
    assert!(visited.contains("replay refused"), "{visited}");
}

#[test]
fn no_browser_only_prints_the_url_and_times_out_cleanly() {
    let server = AuthServer::shared();
    let home = home_on(server);
    let marker = home.path().join("browser-was-called");
    home.credtop()
        .env("BROWSER", format!("touch {}", marker.display()))
        .args(["login", "acme", "--no-browser", "--timeout", "1"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains(format!("{}/auth?", server.issuer)))
        .stderr(predicate::str::contains("no login arrived within 1s"));
    assert!(!marker.exists());
}

#[test]
fn an_unknown_provider_is_a_config_error_that_says_how_to_add_it() {
    let home = Home::new();
    home.credtop()
        .args(["login", "nope"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("[providers.nope]"));
}
