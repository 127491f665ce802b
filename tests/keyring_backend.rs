//! `store = "keyring"` against a real Secret Service (gnome-keyring in a
//! private D-Bus session, started by tests/support/with-secret-service.sh).

use crate::support;

use std::path::Path;
use std::process::Command;

use chrono::{Duration, Utc};
use credtop::model::{Credential, Kind, Secret, Source};
use credtop::store::{Store, StoreError};
use predicates::prelude::*;
use support::Home;

const CHILD_ENV: &str = "CREDTOP_TEST_KEYRING_HOME";

fn keyring_home() -> Home {
    let home = Home::new();
    home.write_private("config.toml", "store = \"keyring\"\n");
    home
}

/// Runs inside the Secret Service session: the library and the CLI.
#[test]
fn keyring_child() {
    let Ok(home) = std::env::var(CHILD_ENV) else {
        return;
    };
    let home = Path::new(&home);
    let store = Store::open(home).unwrap();
    assert_eq!(store.source(), Source::Keyring);
    let cred = Credential {
        name: "acme".into(),
        kind: Kind::OAuth,
        provider: "acme".into(),
        account: None,
        scopes: vec!["openid".into()],
        created_at: Utc::now(),
        expires_at: Some(Utc::now() + Duration::hours(1)),
        secret: Secret::new("kr-access-1"),
        refresh_token: Some(Secret::new("kr-refresh-1")),
        refresh_expires_at: None,
        token_type: Some("Bearer".into()),
        source: Source::Keyring,
    };
    store.save(&cred).unwrap();
    let file = std::fs::read_to_string(home.join("oauth/acme.json")).unwrap();
    assert!(
        !file.contains("kr-access-1") && !file.contains("kr-refresh-1"),
        "{file}"
    );
    assert!(file.contains("\"secret_in\": \"keyring\""), "{file}");
    let back = store.load("acme").unwrap();
    assert_eq!(back.secret.expose(), "kr-access-1");
    assert_eq!(back.refresh_token.unwrap().expose(), "kr-refresh-1");
    // A refresh replaces both tokens in one keyring write.
    let refreshed = Credential {
        secret: Secret::new("kr-access-2"),
        refresh_token: Some(Secret::new("kr-refresh-2")),
        ..cred
    };
    store.save(&refreshed).unwrap();
    let back = store.load("acme").unwrap();
    assert_eq!(back.secret.expose(), "kr-access-2");
    assert_eq!(back.refresh_token.unwrap().expose(), "kr-refresh-2");

    let credtop = || {
        let mut c = assert_cmd::Command::cargo_bin("credtop").unwrap();
        c.env("CREDTOP_HOME", home);
        c
    };
    credtop()
        .args(["token", "acme"])
        .assert()
        .success()
        .stdout("kr-access-2\n");
    credtop()
        .args(["add-key", "openai"])
        .write_stdin("sk-kr\n")
        .assert()
        .success();
    credtop()
        .args(["token", "openai"])
        .assert()
        .stdout("sk-kr\n");
    let json = credtop()
        .args(["status", "--json"])
        .output()
        .unwrap()
        .stdout;
    assert!(String::from_utf8_lossy(&json).contains("\"source\": \"credtop-keyring\""));
    // A DPoP key bound to a credential is kept where its tokens are: in
    // the keyring, never in a file.
    let key = credtop::oauth::dpop::DpopKey::generate();
    credtop::oauth::dpop::save(home, "acme", &key).unwrap();
    assert!(!home.join("mcp/keys/acme.key").exists());
    let back = credtop::oauth::dpop::load(home, "acme").unwrap().unwrap();
    assert_eq!(back.thumbprint(), key.thumbprint());
    credtop::store::forget_bound_key(home, "acme").unwrap();
    assert!(credtop::oauth::dpop::load(home, "acme").unwrap().is_none());
    credtop().args(["logout", "acme"]).assert().success();
    assert!(matches!(
        store.load("acme"),
        Err(StoreError::NotFound { .. })
    ));
    println!("KEYRING CHILD OK");
}

#[test]
fn secrets_live_in_the_secret_service_and_never_in_files() {
    let home = keyring_home();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/with-secret-service.sh");
    let out = Command::new(script)
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &support::test_name(module_path!(), "keyring_child"),
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, home.path())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("KEYRING CHILD OK"),
        "{text}"
    );
}

#[test]
fn an_unavailable_keyring_is_a_plain_error_not_a_silent_file_fallback() {
    let home = keyring_home();
    home.credtop()
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/credtop-test-bus",
        )
        .args(["add-key", "openai"])
        .write_stdin("sk-should-not-land\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains("OS keyring is unavailable"))
        .stderr(predicate::str::contains("store = \"file\""));
    assert!(!home.path().join("keys/openai.json").exists());
    assert!(
        !home
            .everything_but_credentials()
            .contains("sk-should-not-land")
    );
}
