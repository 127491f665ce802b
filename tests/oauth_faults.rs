//! Every fault a token endpoint can throw ends in its typed failure: no
//! panic, no secret in the output, the credential file untouched.

use crate::support;

use chrono::Duration;
use predicates::prelude::*;
use support::Home;
use support::stub::Stub;

/// A home whose `acme` credential is in its danger zone and whose token
/// endpoint is the stub's `fault` path.
fn home_for(stub: &Stub, fault: &str) -> Home {
    let home = Home::new();
    home.oauth(
        "acme",
        "tok-secret-acme",
        Duration::minutes(55),
        Duration::hours(1),
    );
    home.write_private(
        "providers.toml",
        &format!(
            "[providers.acme]\nclient_id = \"credtop-test\"\ntoken_url = \"{}\"\n",
            stub.url(fault)
        ),
    );
    home
}

fn refresh_fails(fault: &str, code: i32, kind: &str) -> Home {
    let stub = Stub::start();
    let home = home_for(&stub, fault);
    let before = home.read("oauth/acme.json");
    let out = home
        .credtop()
        .env("CREDTOP_HTTP_TIMEOUT", "2")
        .args(["refresh", "acme"])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(code), "{fault}: {text}");
    assert!(text.contains(kind), "{fault}: expected {kind} in {text}");
    assert!(
        !text.contains("tok-secret-acme") && !text.contains("stub-partial-tok"),
        "{text}"
    );
    assert!(!text.contains("panicked"), "{text}");
    assert_eq!(
        home.read("oauth/acme.json"),
        before,
        "{fault}: credential changed"
    );
    let audit = home.read("audit.jsonl");
    assert!(
        audit.contains("\"refresh_failed\"") && audit.contains(&format!("\"kind\":\"{kind}\"")),
        "{audit}"
    );
    assert!(!audit.contains("tok-secret-acme"));
    home
}

#[test]
fn http_500_is_transient() {
    refresh_fails("500", 4, "transient");
}

#[test]
fn http_503_with_retry_after_is_transient_with_a_retry_time() {
    let home = refresh_fails("503-retry", 4, "transient");
    let out = home.credtop().args(["refresh", "acme"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("retry after"));
}

#[test]
fn http_429_with_retry_after_seconds_is_rate_limited() {
    refresh_fails("429-seconds", 4, "rate_limited");
}

#[test]
fn http_429_with_retry_after_date_is_rate_limited() {
    let stub = Stub::start();
    let home = home_for(&stub, "429-date");
    home.credtop()
        .args(["refresh", "acme"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("rate_limited"))
        .stderr(predicate::str::contains("retry after"));
}

#[test]
fn http_200_with_an_error_body_is_a_failure_not_a_token() {
    // GitHub's bad_refresh_token says "expired" in its description.
    refresh_fails("200-error", 2, "credential_expired");
    refresh_fails("200-invalid-grant", 2, "credential_revoked");
}

#[test]
fn html_instead_of_json_is_transient() {
    refresh_fails("html", 4, "transient");
}

#[test]
fn truncated_json_is_transient_and_never_echoed() {
    refresh_fails("truncated", 4, "transient");
}

#[test]
fn invalid_client_is_a_config_error() {
    refresh_fails("invalid-client", 1, "config_error");
}

#[test]
fn an_endless_body_is_cut_off() {
    let home = refresh_fails("endless", 4, "transient");
    assert!(home.read("audit.jsonl").contains("larger than"));
}

#[test]
fn a_slow_body_times_out() {
    let home = refresh_fails("slow", 4, "transient");
    assert!(home.read("audit.jsonl").contains("no answer within"));
}

#[test]
fn an_unreachable_endpoint_is_transient() {
    let home = Home::new();
    home.oauth(
        "acme",
        "tok-secret-acme",
        Duration::minutes(55),
        Duration::hours(1),
    );
    // A port nobody listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    home.write_private(
        "providers.toml",
        &format!(
            "[providers.acme]\nclient_id = \"x\"\ntoken_url = \"http://127.0.0.1:{port}/token\"\n"
        ),
    );
    home.credtop()
        .args(["refresh", "acme"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("transient"));
}

#[test]
fn token_in_the_danger_zone_still_answers_when_the_refresh_fails_transiently() {
    let stub = Stub::start();
    let home = home_for(&stub, "500");
    home.credtop()
        .args(["token", "acme"])
        .assert()
        .code(0)
        .stdout("tok-secret-acme\n")
        .stderr(predicate::str::contains("still valid"));
}
