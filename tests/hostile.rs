//! credtop under attack: odd names, links, FIFOs, devices, huge files,
//! hostile servers, an unwritable audit trail and mass actions without a
//! terminal. Each test keeps one finding of the adversarial pass fixed.

use crate::support;

use std::os::unix::fs::PermissionsExt;
use std::process::Output;
use std::time::Duration as StdDuration;

use chrono::Duration;
use serde_json::Value;
use support::Home;
use support::authserver::AuthServer;
use support::stub::Stub;

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn mkfifo(path: &std::path::Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

// Finding 1: a provider name is a path component only once validated. The
// discovery document comes from the real authorization server, so on main
// the cache file was written at `cache/../../victim-….discovery.json`.
fn hostile_provider(home: &Home, tag: &str) -> (String, std::path::PathBuf) {
    let server = AuthServer::shared();
    let name = format!("../../victim-{tag}-{}", std::process::id());
    let outside = home
        .path()
        .join("cache")
        .join(format!("{name}.discovery.json"));
    home.write_private(
        "providers.toml",
        &server
            .provider_toml("acme")
            .replace("[providers.acme]", &format!("[providers.\"{name}\"]")),
    );
    (name, outside)
}

#[test]
fn a_provider_name_cannot_write_outside_the_home() {
    let home = Home::new();
    let (name, outside) = hostile_provider(&home, "login");
    let out = home
        .credtop()
        .args(["login", &name, "--name", "victim", "--no-browser"])
        .args(["--timeout", "1"])
        .output()
        .unwrap();
    let escaped = outside.exists();
    let _ = std::fs::remove_file(&outside);
    assert!(!escaped, "wrote {}", outside.display());
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("provider name"), "{}", text(&out));
}

#[test]
fn a_credential_naming_a_hostile_provider_refreshes_nothing_outside() {
    let home = Home::new();
    let (name, outside) = hostile_provider(&home, "refresh");
    let path = home.oauth(
        "acme",
        "tok-acme",
        Duration::minutes(55),
        Duration::hours(1),
    );
    let body = home.read("oauth/acme.json").replace(
        "\"provider\":\"acme\"",
        &format!("\"provider\":{}", serde_json::to_string(&name).unwrap()),
    );
    std::fs::write(&path, body).unwrap();
    let out = home.credtop().args(["refresh", "acme"]).output().unwrap();
    let escaped = outside.exists();
    let _ = std::fs::remove_file(&outside);
    assert!(!escaped, "wrote {}", outside.display());
    assert!(!out.status.success(), "{}", text(&out));
}

// Finding 16: no chmod hint through a symlink.
#[test]
fn a_loose_home_behind_a_symlink_gets_no_chmod_hint() {
    let parent = tempfile::tempdir().unwrap();
    let shared = parent.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, PermissionsExt::from_mode(0o755)).unwrap();
    let link = parent.path().join("home");
    std::os::unix::fs::symlink(&shared, &link).unwrap();
    let out = assert_cmd::Command::cargo_bin("credtop")
        .unwrap()
        .env("CREDTOP_HOME", &link)
        .env("HOME", parent.path())
        .arg("status")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let t = text(&out);
    assert!(t.contains("symbolic link"), "{t}");
    assert!(!t.contains("chmod 700"), "{t}");
}

// Finding 10: control characters from files are shown, not obeyed.
#[test]
fn control_characters_in_a_provider_cannot_forge_a_status_row() {
    let home = Home::new();
    let path = home.oauth("acme", "tok-acme", Duration::minutes(1), Duration::hours(1));
    let evil = "x\u{1b}[2J\nforged   oauth  ok";
    let body = home.read("oauth/acme.json").replace(
        "\"provider\":\"acme\"",
        &format!("\"provider\":{}", serde_json::to_string(evil).unwrap()),
    );
    std::fs::write(&path, body).unwrap();
    let out = home
        .credtop()
        .args(["status", "--no-discover"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
    assert!(!stdout.lines().any(|l| l.starts_with("forged")), "{stdout}");
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
}

// Findings 7, 8, 12: links, FIFOs, huge files are refused typed, and
// reported by check.
#[test]
fn a_symlinked_credential_is_refused_and_its_target_never_printed() {
    let home = Home::new();
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("t.json");
    home.key("tmp", "sk-TARGET-CANARY", Duration::days(1));
    std::fs::rename(home.path().join("keys/tmp.json"), &target).unwrap();
    std::os::unix::fs::symlink(&target, home.path().join("keys/linked.json")).unwrap();
    let out = home.credtop().args(["token", "linked"]).output().unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(text(&out).contains("symbolic link"), "{}", text(&out));
    let out = home.credtop().args(["revoke", "linked"]).output().unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("Deleted"), "{}", text(&out));
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .contains("sk-TARGET-CANARY")
    );
}

#[test]
fn a_hardlinked_credential_is_refused() {
    let home = Home::new();
    let path = home.key("k", "sk-HARD-CANARY", Duration::days(1));
    let other = tempfile::tempdir().unwrap();
    std::fs::hard_link(&path, other.path().join("copy")).unwrap();
    let out = home.credtop().args(["token", "k"]).output().unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(text(&out).contains("hard links"), "{}", text(&out));
}

#[test]
fn a_fifo_credential_does_not_hang_token_or_revoke() {
    let home = Home::new();
    mkfifo(&home.path().join("keys/fifo.json"));
    for cmd in ["token", "revoke"] {
        let out = home
            .credtop()
            .args([cmd, "fifo"])
            .timeout(StdDuration::from_secs(60))
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(text(&out).contains("a FIFO"), "{cmd}: {}", text(&out));
    }
}

#[test]
fn a_device_or_a_huge_file_is_not_read_whole() {
    let home = Home::new();
    std::os::unix::fs::symlink("/dev/zero", home.path().join("keys/zero.json")).unwrap();
    let out = home
        .credtop()
        .args(["token", "zero"])
        .timeout(StdDuration::from_secs(60))
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    let huge = home.write_private("keys/huge.json", &" ".repeat(100 * 1024 * 1024));
    let out = home.credtop().args(["token", "huge"]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("larger than 65536 bytes"),
        "{}",
        text(&out)
    );
    std::fs::remove_file(huge).unwrap();
}

#[test]
fn check_and_status_name_every_file_they_cannot_use() {
    let home = Home::new();
    home.key("good", "sk-good", Duration::days(1));
    std::os::unix::fs::symlink("/nonexistent", home.path().join("keys/dangling.json")).unwrap();
    std::fs::create_dir(home.path().join("oauth/dir.json")).unwrap();
    mkfifo(&home.path().join("keys/pipe.json"));
    let out = home
        .credtop()
        .args(["check", "--no-discover"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    for what in ["dangling.json", "dir.json", "pipe.json"] {
        assert!(text(&out).contains(what), "{what}: {}", text(&out));
    }
    let out = home
        .credtop()
        .args(["status", "--json", "--no-discover"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<&str> = rows
        .iter()
        .filter(|r| r["status"] == "error")
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(errors, ["dir", "dangling", "pipe"], "{rows:?}");
}

// Finding 4: status lists an unreadable credential as an error row.
#[test]
fn status_shows_an_unreadable_credential_as_an_error_and_fails() {
    let home = Home::new();
    let path = home.oauth("acme", "tok-acme", Duration::minutes(1), Duration::hours(1));
    std::fs::set_permissions(&path, PermissionsExt::from_mode(0o644)).unwrap();
    let out = home
        .credtop()
        .args(["status", "--json", "--no-discover"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["status"], "error");
    assert_eq!(rows[0]["name"], "acme");
    assert!(rows[0]["reason"].as_str().unwrap().contains("mode 0644"));
    let out = home
        .credtop()
        .args(["status", "--no-discover"])
        .output()
        .unwrap();
    assert!(!text(&out).contains("No credentials yet"), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("error"));
}

// Finding 9: lock files and the audit trail are not followed through links.
#[test]
fn a_symlinked_lock_or_audit_trail_is_not_followed() {
    let home = Home::new();
    home.key("k", "sk-k", Duration::days(1));
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("locks")).unwrap();
    std::fs::set_permissions(home.path().join("locks"), PermissionsExt::from_mode(0o700)).unwrap();
    let lock_target = outside.path().join("lock-target");
    std::os::unix::fs::symlink(&lock_target, home.path().join("locks/k.lock")).unwrap();
    let out = home
        .credtop()
        .args(["rotate", "k"])
        .write_stdin("sk-new\n")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(!lock_target.exists());
    std::fs::remove_file(home.path().join("locks/k.lock")).unwrap();
    let daemon_target = outside.path().join("daemon-target");
    std::os::unix::fs::symlink(&daemon_target, home.path().join("daemon.lock")).unwrap();
    let out = home
        .credtop()
        .arg("daemon")
        .timeout(StdDuration::from_secs(30))
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(!daemon_target.exists());
    let _ = std::fs::remove_file(home.path().join("audit.jsonl"));
    let audit_target = outside.path().join("audit-target");
    std::fs::write(&audit_target, "").unwrap();
    std::os::unix::fs::symlink(&audit_target, home.path().join("audit.jsonl")).unwrap();
    let _ = home
        .credtop()
        .args(["add-key", "k2"])
        .write_stdin("sk-2\n")
        .output()
        .unwrap();
    assert_eq!(std::fs::read_to_string(&audit_target).unwrap(), "");
}

// Finding 6: an empty token is an error, never a blank line and exit 0.
#[test]
fn an_empty_access_token_is_an_error_in_token_and_check() {
    let home = Home::new();
    home.oauth("acme", "", Duration::minutes(1), Duration::hours(1));
    let out = home.credtop().args(["token", "acme"]).output().unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let out = home
        .credtop()
        .args(["check", "--no-discover"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn an_empty_access_token_from_a_refresh_is_not_handed_out() {
    let stub = Stub::start();
    let home = Home::new();
    home.oauth(
        "acme",
        "tok-acme",
        Duration::minutes(70),
        Duration::hours(1),
    );
    home.write_private(
        "providers.toml",
        &format!(
            "[providers.acme]\nclient_id = \"c\"\ntoken_url = \"{}\"\n",
            stub.url("empty-token")
        ),
    );
    let out = home.credtop().args(["token", "acme"]).output().unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(out.stdout.is_empty());
    assert!(home.read("oauth/acme.json").contains("tok-acme"));
}

// Findings 2 and 13: mass deletion needs -y without a terminal; a bad name
// is bad usage (64) everywhere.
#[test]
fn logout_without_a_terminal_deletes_nothing_without_yes() {
    let home = Home::new();
    home.key("a", "sk-a", Duration::days(1));
    home.key("b", "sk-b", Duration::days(1));
    let out = home.credtop().arg("logout").output().unwrap();
    assert_eq!(out.status.code(), Some(64), "{}", text(&out));
    assert!(text(&out).contains("-y"), "{}", text(&out));
    assert!(home.path().join("keys/a.json").exists() && home.path().join("keys/b.json").exists());
    home.credtop().args(["logout", "-y"]).assert().success();
    assert!(!home.path().join("keys/a.json").exists());
}

#[test]
fn a_bad_name_is_bad_usage_for_every_command() {
    let home = Home::new();
    for args in [
        vec!["token", "../x"],
        vec!["revoke", "../x"],
        vec!["rotate", "../x"],
        vec!["refresh", "../x"],
        vec!["add-key", "../x"],
        vec!["logout", "../x"],
    ] {
        let out = home
            .credtop()
            .args(&args)
            .write_stdin("sk\n")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(64), "{args:?}: {}", text(&out));
    }
}

// Findings 11 and 17: config files follow the credential rules, and their
// parse errors never quote a value.
#[test]
fn loose_config_files_are_refused_and_parse_errors_quote_no_value() {
    for (file, args) in [
        ("config.toml", vec!["status"]),
        ("providers.toml", vec!["login", "acme", "--no-browser"]),
    ] {
        let home = Home::new();
        let path = home.write_private(file, "");
        std::fs::set_permissions(&path, PermissionsExt::from_mode(0o644)).unwrap();
        let out = home.credtop().args(&args).output().unwrap();
        assert!(!out.status.success(), "{file}: {}", text(&out));
        assert!(text(&out).contains("mode 0644"), "{file}: {}", text(&out));
    }
    let home = Home::new();
    home.write_private("config.toml", "rotation_age_days = \"sk-CONFIG-CANARY\"\n");
    let out = home.credtop().arg("status").output().unwrap();
    assert!(!out.status.success());
    assert!(!text(&out).contains("CANARY"), "{}", text(&out));
    let home = Home::new();
    home.write_private(
        "providers.toml",
        "[providers.acme]\nclient_id = \"c\"\ntoken_url = \"http://user:sk-URL-CANARY@example.com/t\"\n",
    );
    home.oauth(
        "acme",
        "tok-acme",
        Duration::minutes(55),
        Duration::hours(1),
    );
    let out = home.credtop().args(["refresh", "acme"]).output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("https"), "{}", text(&out));
    assert!(!text(&out).contains("CANARY"), "{}", text(&out));
}

// Finding 5: a server's error text is shown as data and never carries back
// a secret we sent.
#[test]
fn hostile_error_text_is_escaped_and_an_echoed_refresh_token_is_redacted() {
    let stub = Stub::start();
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
            stub.url("hostile-echo")
        ),
    );
    let out = home.credtop().args(["refresh", "acme"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("bad token [redacted]"), "{shown}");
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
        "{shown:?}"
    );
    assert!(!shown.contains("\nOK: all good"), "{shown:?}");
    let audit = home.credtop().arg("audit").output().unwrap();
    assert!(!text(&audit).contains('\u{1b}'), "{:?}", text(&audit));
    let stored = home.everything_but_credentials();
    assert!(
        !stored.contains("tok-acme-refresh"),
        "echo stored: {stored}"
    );
}

// Finding 18: a broken providers.toml does not block removing an API key.
#[test]
fn a_malformed_providers_file_does_not_block_removing_a_key() {
    let home = Home::new();
    home.key("a", "sk-a", Duration::days(1));
    home.key("b", "sk-b", Duration::days(1));
    home.write_private("providers.toml", "[providers.acme\n");
    let out = home.credtop().args(["revoke", "a"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(!home.path().join("keys/a.json").exists());
    let out = home.credtop().args(["logout", "b"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(!home.path().join("keys/b.json").exists());
}
