//! The CLI end to end on a temporary home: the documented commands, fields
//! and exit codes.

use crate::support;

use chrono::Duration;
use predicates::prelude::*;
use serde_json::Value;
use support::Home;

fn status_json(home: &Home) -> Vec<Value> {
    let out = home.credtop().args(["status", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn mixed_home() -> Home {
    let home = Home::new();
    home.oauth(
        "safe",
        "tok-safe",
        Duration::minutes(10),
        Duration::hours(1),
    );
    home.oauth(
        "danger",
        "tok-danger",
        Duration::minutes(50),
        Duration::hours(1),
    );
    home.oauth("gone", "tok-gone", Duration::hours(2), Duration::hours(1));
    home.key("openai", "sk-key", Duration::days(3));
    home
}

#[test]
fn status_json_lists_every_credential_with_the_contract_fields() {
    let home = mixed_home();
    let rows = status_json(&home);
    assert_eq!(rows.len(), 4);
    for row in &rows {
        for field in [
            "name",
            "kind",
            "provider",
            "status",
            "zone",
            "created_at",
            "expires_at",
            "remaining_seconds",
            "source",
        ] {
            assert!(row.get(field).is_some(), "{field} missing in {row}");
        }
        assert_eq!(row["source"], "credtop");
    }
    let by_name = |n: &str| rows.iter().find(|r| r["name"] == n).unwrap().clone();
    assert_eq!(by_name("safe")["zone"], "safe");
    assert_eq!(by_name("safe")["status"], "healthy");
    assert_eq!(by_name("danger")["zone"], "danger");
    assert_eq!(by_name("gone")["zone"], "expired");
    assert_eq!(by_name("gone")["status"], "expired");
    assert!(by_name("gone")["remaining_seconds"].as_i64().unwrap() < 0);
    assert_eq!(by_name("openai")["zone"], "none");
    assert_eq!(by_name("openai")["kind"], "api_key");
    assert_eq!(by_name("openai")["expires_at"], Value::Null);
}

#[test]
fn check_exits_0_when_all_safe_or_without_expiry() {
    let home = Home::new();
    home.oauth("safe", "tok-safe", Duration::minutes(1), Duration::hours(1));
    home.key("openai", "sk-key", Duration::days(1));
    home.credtop()
        .arg("check")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("OK"));
}

#[test]
fn check_exits_1_with_a_line_for_the_danger_zone() {
    let home = Home::new();
    home.oauth("safe", "tok-safe", Duration::minutes(1), Duration::hours(1));
    home.oauth(
        "danger",
        "tok-danger",
        Duration::minutes(50),
        Duration::hours(1),
    );
    home.credtop()
        .arg("check")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("WARNING danger"))
        .stdout(predicate::str::contains("safe").not());
}

#[test]
fn check_exits_2_when_anything_is_expired() {
    let home = mixed_home();
    let out = home.credtop().arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("CRITICAL gone"), "{text}");
    assert!(text.contains("WARNING danger"), "{text}");
    assert_eq!(text.lines().count(), 2, "{text}");
}

#[test]
fn check_exits_2_for_an_unreadable_credential_file() {
    let home = Home::new();
    home.write_private("oauth/torn.json", "{\"provider\": \"acme\", \"access_tok");
    home.credtop()
        .arg("check")
        .assert()
        .code(2)
        .stdout(predicate::str::contains("torn.json"));
}

#[test]
fn check_is_critical_when_the_store_cannot_be_opened_and_bad_usage_is_64() {
    let home = Home::new();
    std::fs::set_permissions(
        home.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    home.credtop()
        .arg("check")
        .assert()
        .code(2)
        .stdout(predicate::str::starts_with("CRITICAL").and(predicate::str::contains("chmod 700")));
    // Monitoring reads 2 as critical: a typo in the command line is not.
    home.credtop().args(["check", "--bogus"]).assert().code(64);
    home.credtop().arg("--help").assert().code(0);
}

#[test]
fn token_prints_the_secret_alone_and_refuses_an_expired_one() {
    let home = mixed_home();
    home.credtop()
        .args(["token", "safe"])
        .assert()
        .code(0)
        .stdout("tok-safe\n");
    home.credtop()
        .args(["token", "openai"])
        .assert()
        .code(0)
        .stdout("sk-key\n");
    // An expired PAT cannot be refreshed: typed error, exit 2, no secret.
    home.write_private(
        "keys/old-pat.json",
        r#"{"provider":"github","kind":"pat","key":"ghp_gone","created_at":"2020-01-01T00:00:00Z","expires_at":"2020-02-01T00:00:00Z"}"#,
    );
    home.credtop()
        .args(["token", "old-pat"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("credential_expired"))
        .stderr(predicate::str::contains("credtop rotate old-pat"))
        .stderr(predicate::str::contains("ghp_gone").not());
    // An expired OAuth token whose provider is not configured: the refresh
    // cannot even start, and the error says how to fix the configuration.
    home.credtop()
        .args(["token", "gone"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("config_error"))
        .stderr(predicate::str::contains("[providers.gone]"))
        .stderr(predicate::str::contains("tok-gone").not());
    home.credtop()
        .args(["token", "nope"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("no credential named \"nope\""));
}

#[test]
fn add_key_reads_stdin_stores_0600_and_audits_a_fingerprint() {
    let home = Home::new();
    home.credtop()
        .args(["add-key", "anthropic", "--provider", "anthropic"])
        .write_stdin("sk-ant-canary\n")
        .assert()
        .success();
    home.credtop()
        .args(["token", "anthropic"])
        .assert()
        .stdout("sk-ant-canary\n");
    let audit = home.read("audit.jsonl");
    assert!(audit.contains("\"credential_added\""), "{audit}");
    assert!(audit.contains("sha256:"), "{audit}");
    assert!(!audit.contains("sk-ant-canary"));
    home.credtop()
        .args(["add-key", "anthropic"])
        .write_stdin("again\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains("credtop rotate anthropic"));
    home.credtop()
        .args(["add-key", "empty"])
        .write_stdin("\n")
        .assert()
        .code(64);
}

#[test]
fn rotate_replaces_a_key_and_audits_old_and_new_fingerprints() {
    let home = Home::new();
    home.key("openai", "sk-old", Duration::days(100));
    home.credtop()
        .args(["rotate", "openai"])
        .write_stdin("sk-new\n")
        .assert()
        .success();
    home.credtop()
        .args(["token", "openai"])
        .assert()
        .stdout("sk-new\n");
    let line = home.read("audit.jsonl");
    // The last record is the token's secret_read; the rotation is before it.
    let rec: Value = serde_json::from_str(line.lines().rev().nth(1).unwrap()).unwrap();
    assert_eq!(rec["event"], "rotate");
    assert_ne!(rec["fingerprint"], rec["old_fingerprint"]);
    assert!(
        rec["old_fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    // The same secret again is refused, and the refusal is audited too.
    home.credtop()
        .args(["rotate", "openai"])
        .write_stdin("sk-new\n")
        .assert()
        .code(64)
        .stderr(predicate::str::contains("same as the old one"));
    let line = home.read("audit.jsonl");
    let rec: Value = serde_json::from_str(line.lines().last().unwrap()).unwrap();
    assert_eq!(
        (rec["event"].as_str(), rec["outcome"].as_str()),
        (Some("rotate"), Some("failed"))
    );
    assert!(!line.contains("sk-new"));
}

#[test]
fn logout_of_one_provider_removes_only_its_credentials_and_says_which() {
    let home = mixed_home();
    home.credtop()
        .args(["logout", "danger"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Removed danger"));
    let names: Vec<String> = status_json(&home)
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["gone", "openai", "safe"]);
}

#[test]
fn logout_oauth_only_keeps_api_keys() {
    let home = mixed_home();
    home.credtop()
        .args(["logout", "--oauth-only", "-y"])
        .assert()
        .success();
    let rows = status_json(&home);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["name"], "openai");
}

#[test]
fn audit_json_and_since_filter_records() {
    let home = Home::new();
    home.write_private(
        "audit.jsonl",
        "{\"ts\":\"2020-01-01T00:00:00Z\",\"event\":\"logout\",\"credential\":\"old\",\"actor\":\"cli\",\"pid\":1,\"outcome\":\"ok\"}\nnot json\n",
    );
    home.credtop()
        .args(["add-key", "k"])
        .write_stdin("v\n")
        .assert()
        .success();
    let out = home
        .credtop()
        .args(["audit", "--json", "--since", "1h"])
        .output()
        .unwrap();
    let recs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(recs.len(), 1);
    for field in ["ts", "event", "credential", "actor", "outcome"] {
        assert!(recs[0].get(field).is_some(), "{field}");
    }
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 unreadable line"));
    let all = home.credtop().args(["audit"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&all.stdout).lines().count(), 2);
    home.credtop()
        .args(["audit", "--since", "soon"])
        .assert()
        .code(64);
}

#[test]
fn home_flag_overrides_the_environment() {
    let home = mixed_home();
    let other = Home::new();
    other
        .credtop()
        .args(["--home", home.path().to_str().unwrap(), "token", "safe"])
        .assert()
        .stdout("tok-safe\n");
}

#[test]
fn audit_since_takes_any_duration_without_panicking() {
    let home = Home::new();
    home.credtop()
        .args(["audit", "--since", "100000000d"])
        .assert()
        .code(0);
    home.credtop()
        .args(["audit", "--since", "99999999999999999s"])
        .assert()
        .code(64)
        .stderr(predicate::str::contains("longer than"));
}

#[test]
fn bash_completion_completes_subcommands_and_other_shells_are_written() {
    let home = Home::new();
    let bash = home
        .credtop()
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(bash.status.success());
    let script = home.path().join("credtop.bash");
    std::fs::write(&script, &bash.stdout).unwrap();
    // Completion as bash itself runs it: `credtop au<TAB>`.
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {}; COMP_WORDS=(credtop au); COMP_CWORD=1; _credtop credtop au credtop; echo \"${{COMPREPLY[@]}}\"",
            script.display()
        ))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "audit");
    for (shell, marker) in [("zsh", "#compdef credtop"), ("fish", "complete -c credtop")] {
        let out = home
            .credtop()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(marker),
            "{shell}"
        );
    }
    home.credtop()
        .args(["completions", "tcsh"])
        .assert()
        .code(64);
}

#[test]
fn the_man_page_is_roff_naming_every_command() {
    let home = Home::new();
    let out = home.credtop().arg("man").output().unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH credtop 1"), "{page}");
    for command in ["status", "token", "audit", "completions"] {
        assert!(page.contains(command), "{command}");
    }
}
