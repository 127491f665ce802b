//! `credtop exec`: per-task child tokens by RFC 8693 token exchange on the
//! real oidc-provider (TOKEN_EXCHANGE=1 registers the grant), proved alive,
//! narrowed and audience-bound by introspection while CMD runs, and dead
//! (with the parent alive) once it ends.

use crate::support;
use crate::support::wait_for;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use credtop::model::Secret;
use support::Home;
use support::authserver::{self, AuthServer, audit_events, stored_tokens};

/// One exchanging server for this binary; tokens of 5 minutes, so no
/// refresh happens on its own during a test.
fn exchanging() -> &'static AuthServer {
    static SERVER: OnceLock<AuthServer> = OnceLock::new();
    SERVER.get_or_init(|| AuthServer::start(300, &[("TOKEN_EXCHANGE", "1")]))
}

fn logged_in(server: &AuthServer) -> Home {
    let home = Home::new();
    authserver::login(&home, server, "acme");
    home
}

/// `credtop exec` started in the background (assert_cmd cannot).
/// CMD runs in `work`, outside the home, so what it writes is not
/// mistaken for credtop's.
fn spawn_exec(home: &Home, work: &Path, args: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("credtop"))
        .env("CREDTOP_HOME", home.path())
        .env("HOME", home.path())
        .env_remove("CREDTOP_TASK")
        .current_dir(work)
        .arg("exec")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let mut status = None;
    wait_for("credtop exec to exit", Duration::from_secs(30), || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    status.unwrap()
}

/// CMD: writes the token and its environment, waits (bounded) for `go`,
/// exits 7.
const WAITING_CMD: &str = r#"printf %s "$CREDTOP_TOKEN" > token.out; env > env.out; i=0; while [ ! -e go ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; exit 7"#;

fn read_when_written(path: &Path) -> String {
    wait_for("CMD to write its token", Duration::from_secs(30), || {
        std::fs::metadata(path).is_ok_and(|m| m.len() > 0)
    });
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn the_child_token_is_narrowed_and_bound_while_cmd_runs_and_dead_after() {
    let server = exchanging();
    let home = logged_in(server);
    let (parent, parent_refresh) = stored_tokens(home.path(), "acme");
    let work = tempfile::tempdir().unwrap();
    let mut exec = spawn_exec(
        &home,
        work.path(),
        &[
            "acme",
            "--scope",
            "profile",
            "--audience",
            "https://api.example.test",
            "--task",
            "fix-42",
            "--",
            "sh",
            "-c",
            WAITING_CMD,
        ],
    );
    let child = read_when_written(&work.path().join("token.out"));
    assert_ne!(child, parent);
    let live = server.introspect(&child);
    assert_eq!(live["active"], true, "{live}");
    assert_eq!(live["scope"], "profile");
    assert_eq!(live["aud"], "https://api.example.test");
    let env = std::fs::read_to_string(work.path().join("env.out")).unwrap();
    assert!(env.contains("CREDTOP_TASK=fix-42"));
    assert!(
        !env.contains(&parent) && !env.contains(&parent_refresh),
        "the parent's tokens must not reach the child"
    );

    std::fs::write(work.path().join("go"), "").unwrap();
    let status = wait_exit(&mut exec);
    assert_eq!(status.code(), Some(7), "credtop exits with CMD's code");
    assert!(!server.is_active(&child), "revoked when CMD ended");
    assert!(server.is_active(&parent), "the parent survives its child");

    let exchanged = audit_events(&home, "token_exchanged");
    assert_eq!(exchanged.len(), 1);
    let e = &exchanged[0];
    assert_eq!(e["task"], "fix-42");
    assert_eq!(e["scopes"], serde_json::json!(["profile"]));
    assert_eq!(e["audience"], "https://api.example.test");
    assert_eq!(
        e["fingerprint"],
        Secret::new(child.as_str()).fingerprint().0
    );
    assert_eq!(
        e["parent_fingerprint"],
        Secret::new(parent.as_str()).fingerprint().0
    );
    let revoked = audit_events(&home, "child_token_revoked");
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["outcome"], "ok");
    assert_eq!(revoked[0]["fingerprint"], e["fingerprint"]);
    let trail = home.everything_but_credentials();
    assert!(!trail.contains(&child) && !trail.contains(&parent));
}

#[test]
fn a_signal_is_forwarded_and_the_child_token_still_revoked() {
    let server = exchanging();
    let home = logged_in(server);
    let (parent, _) = stored_tokens(home.path(), "acme");
    let work = tempfile::tempdir().unwrap();
    let mut exec = spawn_exec(
        &home,
        work.path(),
        &[
            "acme",
            "--",
            "sh",
            "-c",
            r#"printf %s "$CREDTOP_TOKEN" > token.out; exec sleep 60"#,
        ],
    );
    let child = read_when_written(&work.path().join("token.out"));
    assert!(server.is_active(&child));
    // SAFETY: kill on the pid of a child we have not reaped.
    unsafe { libc::kill(exec.id() as i32, libc::SIGTERM) };
    let status = wait_exit(&mut exec);
    assert_eq!(
        status.code(),
        Some(128 + libc::SIGTERM),
        "128 + the signal that killed CMD (credtop itself exited normally: {:?})",
        status.signal()
    );
    assert!(!server.is_active(&child));
    assert!(server.is_active(&parent));
    assert_eq!(audit_events(&home, "child_token_revoked").len(), 1);
}

#[test]
fn a_scope_wider_than_the_parent_is_refused_before_cmd_runs() {
    let server = exchanging();
    let home = logged_in(server);
    let out = home
        .credtop()
        .current_dir(home.path())
        .args(["exec", "acme", "--scope", "profile repo:admin"])
        .args(["--", "sh", "-c", "touch ran"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("scope_insufficient") && err.contains("repo:admin"),
        "{err}"
    );
    assert!(!home.path().join("ran").exists(), "CMD must never run");
    assert!(audit_events(&home, "token_exchanged").is_empty());
}

#[test]
fn a_provider_without_the_grant_is_typed_and_parent_hands_over_knowingly() {
    let server = AuthServer::shared();
    let home = logged_in(server);
    let out = home
        .credtop()
        .current_dir(home.path())
        .args(["exec", "acme", "--", "sh", "-c", "touch ran"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("token_exchange_unsupported")
            && err.contains("--parent")
            && err.contains("token_exchange = true"),
        "{err}"
    );
    assert!(!home.path().join("ran").exists(), "CMD must never run");

    // providers.toml claiming the grant does not make the server have it:
    // its unsupported_grant_type is the same typed failure.
    let claimed = format!("{}token_exchange = true\n", server.provider_toml("acme"));
    home.write_private("providers.toml", &claimed);
    let out = home
        .credtop()
        .current_dir(home.path())
        .args(["exec", "acme", "--", "sh", "-c", "touch ran"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("token_exchange_unsupported") && err.contains("unsupported_grant_type"),
        "{err}"
    );
    assert!(!home.path().join("ran").exists(), "CMD must never run");

    let (parent, _) = stored_tokens(home.path(), "acme");
    let out = home
        .credtop()
        .current_dir(home.path())
        .args([
            "exec", "acme", "--parent", "--env", "MY_TOKEN", "--task", "t1",
        ])
        .args(["--", "sh", "-c", r#"printf %s "$MY_TOKEN"; exit 3"#])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&out.stdout), parent);
    let reads = audit_events(&home, "secret_read");
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert_eq!(reads[0]["task"], "t1");
    assert_eq!(reads[0]["caller"]["pid"], std::process::id());
    assert!(reads[0]["detail"].as_str().unwrap().contains("--parent"));
    assert!(
        server.is_active(&parent),
        "a handed-over parent is not revoked"
    );
}

#[test]
fn a_parent_in_its_danger_zone_is_refreshed_before_it_becomes_the_subject() {
    let server = exchanging();
    let home = logged_in(server);
    authserver::age_into_danger(&home, "acme");
    let (old_parent, _) = stored_tokens(home.path(), "acme");
    home.credtop()
        .current_dir(home.path())
        .args(["exec", "acme", "--", "true"])
        .assert()
        .success();
    let (parent, _) = stored_tokens(home.path(), "acme");
    assert_ne!(parent, old_parent, "refreshed first");
    let exchanged = audit_events(&home, "token_exchanged");
    assert_eq!(
        exchanged[0]["parent_fingerprint"],
        Secret::new(parent.as_str()).fingerprint().0
    );
    assert_eq!(audit_events(&home, "refresh_succeeded").len(), 1);
}

#[test]
fn a_command_that_cannot_start_exits_127_and_its_child_token_is_still_revoked() {
    let server = exchanging();
    let home = logged_in(server);
    home.credtop()
        .current_dir(home.path())
        .args(["exec", "acme", "--", "/nonexistent/credtop-test-cmd"])
        .assert()
        .code(127);
    let exchanged = audit_events(&home, "token_exchanged");
    let revoked = audit_events(&home, "child_token_revoked");
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["outcome"], "ok");
    assert_eq!(revoked[0]["fingerprint"], exchanged[0]["fingerprint"]);
}
