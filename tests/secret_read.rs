//! Every read of a secret is audited with who read it: `secret_read`
//! names the calling process (this test binary) and the task.

use crate::support;

use chrono::Duration;
use support::Home;
use support::authserver::audit_events;

fn this_process() -> (u32, String, String) {
    let comm = std::fs::read_to_string("/proc/self/comm").unwrap();
    let cwd = std::env::current_dir().unwrap();
    (
        std::process::id(),
        comm.trim_end().to_string(),
        cwd.to_string_lossy().into_owned(),
    )
}

#[test]
fn token_records_secret_read_with_the_callers_pid_comm_cwd_and_task() {
    let home = Home::new();
    home.oauth(
        "acme",
        "at-READ-CANARY",
        Duration::minutes(1),
        Duration::hours(1),
    );
    // credtop itself runs elsewhere: the record must name the caller's cwd.
    home.credtop()
        .current_dir(home.path())
        .args(["token", "acme", "--task", "fix-issue-42"])
        .assert()
        .success()
        .stdout("at-READ-CANARY\n");
    let reads = audit_events(&home, "secret_read");
    assert_eq!(reads.len(), 1, "{reads:?}");
    let r = &reads[0];
    let (pid, comm, cwd) = this_process();
    assert_eq!(r["credential"], "acme");
    assert_eq!(r["task"], "fix-issue-42");
    assert_eq!(r["caller"]["pid"], pid);
    assert_eq!(r["caller"]["comm"], comm.as_str());
    assert_eq!(r["caller"]["cwd"], cwd.as_str());
    assert!(r["fingerprint"].as_str().unwrap().starts_with("sha256:"));
    assert!(!home.read("audit.jsonl").contains("READ-CANARY"));
}

#[test]
fn credtop_task_in_the_environment_labels_the_read_and_the_flag_wins() {
    let home = Home::new();
    home.key("openai", "sk-READ-CANARY", Duration::days(1));
    home.credtop()
        .env("CREDTOP_TASK", "from-env")
        .args(["token", "openai"])
        .assert()
        .success();
    home.credtop()
        .env("CREDTOP_TASK", "from-env")
        .args(["token", "openai", "--task", "from-flag"])
        .assert()
        .success();
    home.credtop()
        .env_remove("CREDTOP_TASK")
        .args(["token", "openai"])
        .assert()
        .success();
    let reads = audit_events(&home, "secret_read");
    let tasks: Vec<_> = reads.iter().map(|r| r["task"].clone()).collect();
    assert_eq!(
        tasks,
        [
            serde_json::json!("from-env"),
            serde_json::json!("from-flag"),
            serde_json::Value::Null
        ]
    );
}

#[test]
fn a_refused_read_records_no_secret_read() {
    let home = Home::new();
    home.oauth_at(
        "gone",
        "at-expired",
        chrono::Utc::now() - Duration::hours(2),
        Some(chrono::Utc::now() - Duration::hours(1)),
    );
    home.credtop().args(["token", "gone"]).assert().failure();
    assert!(audit_events(&home, "secret_read").is_empty());
}
