//! The store is private from creation, and refuses what is not.

use crate::support;

use std::os::unix::fs::PermissionsExt;

use chrono::Duration;
use predicates::prelude::*;
use support::Home;

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_new_home_is_0700_and_new_files_are_0600() {
    let parent = tempfile::tempdir().unwrap();
    let home = parent.path().join("fresh");
    // Under a permissive umask: credtop must not rely on the caller's.
    let bin = assert_cmd::cargo::cargo_bin("credtop");
    assert_cmd::Command::new("sh")
        .args(["-c", "umask 000 && exec \"$0\" add-key openai"])
        .arg(&bin)
        .env("CREDTOP_HOME", &home)
        .env("HOME", parent.path())
        .write_stdin("sk-x\n")
        .assert()
        .success();
    // The log is opened on its first record: a failed command writes one.
    assert_cmd::Command::new("sh")
        .args(["-c", "umask 000 && exec \"$0\" token missing"])
        .arg(&bin)
        .env("CREDTOP_HOME", &home)
        .env("HOME", parent.path())
        .assert()
        .failure();
    assert_eq!(mode(&home), 0o700);
    for dir in ["oauth", "keys", "locks", "logs"] {
        assert_eq!(mode(&home.join(dir)), 0o700, "{dir}");
    }
    assert_eq!(mode(&home.join("keys/openai.json")), 0o600);
    assert_eq!(mode(&home.join("audit.jsonl")), 0o600);
    assert_eq!(mode(&home.join("locks/openai.lock")), 0o600);
    let mut logs = 0;
    support::walk(&home.join("logs"), &mut |p| {
        logs += 1;
        assert_eq!(mode(p), 0o600, "{}", p.display())
    });
    assert_eq!(logs, 1, "one log file, holding the failure");
}

#[test]
fn a_world_readable_credential_is_refused_with_the_fix() {
    let home = Home::new();
    let path = home.oauth("acme", "tok-acme", Duration::minutes(1), Duration::hours(1));
    std::fs::set_permissions(&path, PermissionsExt::from_mode(0o644)).unwrap();
    home.credtop()
        .args(["token", "acme"])
        .assert()
        .failure()
        .stdout("")
        .stderr(predicate::str::contains("mode 0644"))
        .stderr(predicate::str::contains(format!(
            "chmod 600 {}",
            path.display()
        )));
    // Refused, not repaired behind the operator's back.
    assert_eq!(mode(&path), 0o644);
}

#[test]
fn a_group_readable_home_is_refused_with_the_fix() {
    let home = Home::new();
    std::fs::set_permissions(home.path(), PermissionsExt::from_mode(0o750)).unwrap();
    home.credtop()
        .arg("status")
        .assert()
        .failure()
        .stderr(predicate::str::contains(format!(
            "chmod 700 {}",
            home.path().display()
        )));
}
