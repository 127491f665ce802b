//! The audit trail as incident evidence: hash-chained (`audit verify` finds
//! an edit, a deletion, a reorder or a cut end by line number), one chain
//! across concurrent appenders, followable live, and narrowable.

use crate::support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use credtop::audit::{Actor, AuditLog, AuditRecord, Event, Outcome};
use serde_json::Value;
use support::Home;

const CHILD_ENV: &str = "CREDTOP_TEST_AUDIT_APPENDER";
const PER_WRITER: usize = 250;

fn append(home: &Home, event: Event, credential: &str) {
    AuditLog::new(home.path())
        .append(&AuditRecord::new(event, Actor::Cli, Outcome::Ok).named(credential))
        .unwrap();
}

/// A home whose trail holds `n` records about c0, c1, ...
fn trail(n: usize) -> Home {
    let home = Home::new();
    for i in 0..n {
        let event = if i % 2 == 0 {
            Event::RefreshSucceeded
        } else {
            Event::RefreshFailed
        };
        append(&home, event, &format!("c{i}"));
    }
    home
}

fn lines(home: &Home) -> Vec<String> {
    std::fs::read_to_string(home.path().join("audit.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn rewrite(home: &Home, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(home.path().join("audit.jsonl"), text).unwrap();
}

/// (exit code, stdout) of `credtop audit verify`.
fn verify(home: &Home) -> (i32, String) {
    let out = home.credtop().args(["audit", "verify"]).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn an_untouched_trail_verifies() {
    let home = trail(20);
    let (code, out) = verify(&home);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("intact: 20 record(s)"), "{out}");
    let json = home
        .credtop()
        .args(["audit", "verify", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["intact"], true);
    assert_eq!(v["chained"], 20);
}

#[test]
fn an_edited_record_is_named_by_its_line() {
    let home = trail(12);
    let mut l = lines(&home);
    l[6] = l[6].replace("\"c6\"", "\"someone-else\"");
    rewrite(&home, &l);
    let (code, out) = verify(&home);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("line 7: the record was changed"), "{out}");
}

#[test]
fn a_deleted_record_is_found_where_the_gap_is() {
    let home = trail(12);
    let mut l = lines(&home);
    l.remove(4);
    rewrite(&home, &l);
    let (code, out) = verify(&home);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("line 5: the record does not follow"), "{out}");
}

#[test]
fn a_reordered_pair_is_found() {
    let home = trail(12);
    let mut l = lines(&home);
    l.swap(8, 9);
    rewrite(&home, &l);
    let (code, out) = verify(&home);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("line 9: the record does not follow"), "{out}");
}

#[test]
fn records_cut_from_the_end_are_found() {
    let home = trail(12);
    let l = lines(&home);
    rewrite(&home, &l[..10]);
    let (code, out) = verify(&home);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("line 10: the trail ends here"), "{out}");
}

#[test]
fn a_trail_from_before_the_chain_starts_one_at_its_end_and_says_so() {
    let home = Home::new();
    let legacy = [
        r#"{"ts":"2026-11-01T00:00:00Z","event":"login_completed","credential":"old","actor":"cli","pid":1,"outcome":"ok"}"#,
        r#"{"ts":"2026-11-01T00:01:00Z","event":"refresh_succeeded","credential":"old","actor":"daemon","pid":2,"outcome":"ok"}"#,
    ];
    let path = home.path().join("audit.jsonl");
    std::fs::write(&path, format!("{}\n{}\n", legacy[0], legacy[1])).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    append(&home, Event::RefreshSucceeded, "new");
    let (code, out) = verify(&home);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("intact: 1 record(s)"), "{out}");
    assert!(
        out.contains("the first 2 line(s) predate the chain"),
        "{out}"
    );
    // The old records are still read as records.
    let all = home.credtop().args(["audit", "--json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&all.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
}

/// The child: appends PER_WRITER records as fast as it can.
#[test]
fn appender_child() {
    let Ok(home) = std::env::var(CHILD_ENV) else {
        return;
    };
    let log = AuditLog::new(Path::new(&home));
    for i in 0..PER_WRITER {
        log.append(
            &AuditRecord::new(Event::RefreshSucceeded, Actor::Daemon, Outcome::Ok)
                .named(&format!("w{}-{i}", std::process::id())),
        )
        .unwrap();
    }
}

#[test]
fn four_concurrent_appenders_keep_one_intact_chain() {
    let home = Home::new();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--exact",
                    &support::test_name(module_path!(), "appender_child"),
                    "--test-threads=1",
                ])
                .env(CHILD_ENV, home.path())
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert_eq!(lines(&home).len(), 4 * PER_WRITER);
    let (code, out) = verify(&home);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("intact: 1000 record(s)"), "{out}");
}

#[test]
fn credential_and_event_flags_narrow_the_output() {
    let home = trail(10);
    let only = |args: &[&str]| -> Vec<Value> {
        let out = home
            .credtop()
            .args(["audit", "--json"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success());
        serde_json::from_slice::<Value>(&out.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    };
    let c3 = only(&["--credential", "c3"]);
    assert_eq!(c3.len(), 1);
    assert_eq!(c3[0]["credential"], "c3");
    let failed = only(&["--event", "refresh_failed"]);
    assert_eq!(failed.len(), 5);
    assert!(failed.iter().all(|r| r["event"] == "refresh_failed"));
    let both = only(&[
        "--event",
        "refresh_failed",
        "--credential",
        "c3",
        "--credential",
        "c4",
    ]);
    assert_eq!(both.len(), 1, "c4 is a refresh_succeeded");
    let bad = home
        .credtop()
        .args(["audit", "--event", "refresh_exploded"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("refresh_failed"));
}

#[test]
fn follow_prints_the_backlog_then_records_another_process_writes() {
    let home = trail(15);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("credtop"))
        .args(["audit", "--follow", "--json", "--event", "credential_added"])
        .env("CREDTOP_HOME", home.path())
        .env("HOME", home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Give the follower time to start, then add a key from another process.
    std::thread::sleep(Duration::from_millis(500));
    home.credtop()
        .args(["add-key", "fresh"])
        .write_stdin("sk-follow-canary-0000\n")
        .assert()
        .success();
    let line = rx
        .recv_timeout(Duration::from_secs(15))
        .expect("the follower printed the new record");
    child.kill().unwrap();
    child.wait().unwrap();
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["event"], "credential_added");
    assert_eq!(v["credential"], "fresh");
    assert!(v["hash"].is_string(), "the raw chained line, for a SIEM");
    assert!(!line.contains("sk-follow-canary"));
    assert!(rx.try_recv().is_err(), "the filter kept the backlog out");
}

#[test]
fn follow_without_since_starts_with_the_last_ten() {
    let home = trail(25);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("credtop"))
        .args(["audit", "--follow"])
        .env("CREDTOP_HOME", home.path())
        .env("HOME", home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut got = Vec::new();
    for _ in 0..10 {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        got.push(line);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(got[0].contains(" c15 "), "{got:?}");
    assert!(got[9].contains(" c24 "), "{got:?}");
}
