//! `credtop mcp connect NAME` between the official SDK's client (spawning
//! it over stdio) and the official SDK's server (streamable HTTP, behind a
//! real authorization server): tool calls, short-lived tokens shared by
//! several bridges, typed failures, and no token anywhere it should not be.

use crate::support;

use std::time::Duration;

use support::Home;
use support::authserver::{age_into_danger, audit_events, stored_tokens};
use support::mcpserver::{McpServer, mcp_login, sdk_client, sdk_client_command, wait_bounded};

fn logged_in(server: &McpServer, name: &str) -> Home {
    let home = Home::new();
    let out = mcp_login(&home, &server.url, name, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    home
}

fn status_row(home: &Home) -> serde_json::Value {
    let out = home
        .credtop()
        .args(["status", "--json", "--no-discover"])
        .output()
        .unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    rows.into_iter().find(|r| r["name"] == "notes").unwrap()
}

fn count(v: &serde_json::Value, field: &str) -> u64 {
    v[field]
        .as_u64()
        .unwrap_or_else(|| panic!("no {field} in {v}"))
}

#[test]
fn tool_calls_pass_through_and_the_session_is_audited_without_tokens() {
    let server = McpServer::start(60, &[], &[]);
    let home = logged_in(&server, "notes");
    let (access, refresh) = stored_tokens(home.path(), "notes");
    let child = sdk_client_command(
        &home,
        "notes",
        &[("DURATION_MS", "1500"), ("CLIENT_NAME", "canary-client")],
    )
    .spawn()
    .unwrap();
    let out = wait_bounded(child, Duration::from_secs(120));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().last().unwrap()).unwrap();
    assert!(count(&summary, "ok") >= 2, "{summary}");
    assert_eq!(count(&summary, "failed"), 0, "{summary}");
    assert_eq!(summary["texts"][0], "note 0");
    assert_eq!(
        summary["tools"],
        serde_json::json!([
            "endless",
            "interrupted",
            "notify_later",
            "read_note",
            "slow",
            "write_note"
        ])
    );

    let sessions = audit_events(&home, "mcp_session");
    assert_eq!(sessions.len(), 2, "one record at start, one at end");
    assert_eq!(sessions[0]["session"]["phase"], "start");
    let end = &sessions[1]["session"];
    assert_eq!(end["phase"], "end");
    assert_eq!(end["client"], "canary-client");
    assert!(end["parent_pid"].as_u64().unwrap() > 1);
    assert!(end["requests"].as_u64().unwrap() >= 4, "{end}");
    assert_eq!(end["failures"], 0);
    assert!(
        server.stats()["sessionsDeleted"].as_u64().unwrap() >= 1,
        "DELETE on close"
    );

    let audit = home.read("audit.jsonl");
    let log = std::fs::read_dir(home.path().join("logs"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default())
        .collect::<String>();
    for secret in [&access, &refresh] {
        assert!(
            !text.contains(secret.as_str()),
            "a token reached the client's output"
        );
        assert!(
            !audit.contains(secret.as_str()),
            "a token reached the audit trail"
        );
        assert!(!log.contains(secret.as_str()), "a token reached the log");
    }
}

#[test]
fn four_bridges_over_a_minute_with_four_second_tokens_fail_no_call_and_keep_the_grant() {
    let server = McpServer::start(4, &[], &[]);
    let home = logged_in(&server, "notes");
    let children: Vec<_> = (0..4)
        .map(|i| {
            sdk_client_command(
                &home,
                "notes",
                &[
                    ("DURATION_MS", "60000"),
                    ("PAUSE_MS", "250"),
                    ("CLIENT_NAME", &format!("instance-{i}")),
                ],
            )
            .spawn()
            .unwrap()
        })
        .collect();
    let mut ok = 0;
    for child in children {
        let out = wait_bounded(child, Duration::from_secs(300));
        let summary: serde_json::Value =
            serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().last().unwrap())
                .unwrap();
        assert_eq!(count(&summary, "failed"), 0, "{summary}");
        ok += count(&summary, "ok");
    }
    assert!(ok >= 40, "only {ok} calls were made");
    // Tokens of four seconds over a minute: many refreshes, never a
    // replayed refresh token (the server would have revoked the grant).
    let refreshed = audit_events(&home, "refresh_succeeded").len();
    assert!(refreshed >= 5, "only {refreshed} refreshes");
    assert!(audit_events(&home, "revocation_detected").is_empty());
    assert!(audit_events(&home, "refresh_failed").is_empty());
    let again = home.credtop().args(["refresh", "notes"]).output().unwrap();
    assert!(again.status.success(), "the grant is still alive");
}

#[test]
fn insufficient_scope_is_typed_then_granted_after_mcp_login_with_scope() {
    let server = McpServer::start(60, &[], &[]);
    let home = logged_in(&server, "notes");
    let denied = sdk_client(&home, "notes", &[("SCRIPT", "write")]);
    assert_eq!(count(&denied, "failed"), 1, "{denied}");
    let data = &denied["errors"][0]["data"];
    assert_eq!(data["kind"], "scope_insufficient");
    assert_eq!(data["scope"], "mcp:read mcp:write");
    let fix = data["fix"].as_str().unwrap();
    assert!(
        fix.contains(&format!("credtop mcp login {} --name notes", server.url))
            && fix.contains("--scope 'mcp:read mcp:write'"),
        "{fix}"
    );

    let row = status_row(&home);
    assert!(
        row["last_failure"]
            .as_str()
            .unwrap()
            .starts_with("scope_insufficient at "),
        "{row}"
    );
    let out = mcp_login(
        &home,
        &server.url,
        "notes",
        &["--scope", "mcp:read mcp:write"],
    );
    assert!(out.status.success());
    let granted = sdk_client(&home, "notes", &[("SCRIPT", "write")]);
    assert_eq!(count(&granted, "ok"), 1, "{granted}");
    assert_eq!(granted["texts"][0], "wrote 5 chars");
}

#[test]
fn step_up_logs_in_for_the_wider_scope_and_retries() {
    let server = McpServer::start(60, &[], &[]);
    let home = logged_in(&server, "notes");
    let browser = support::authserver::browser();
    let done = sdk_client(
        &home,
        "notes",
        &[
            ("SCRIPT", "write"),
            ("EXTRA_ARGS", "--step-up"),
            ("BROWSER", browser.to_str().unwrap()),
        ],
    );
    assert_eq!(count(&done, "ok"), 1, "{done}");
    let cred: serde_json::Value = serde_json::from_str(&home.read("oauth/notes.json")).unwrap();
    assert!(cred["scope"].as_str().unwrap().contains("mcp:write"));
}

#[test]
fn a_rejected_token_is_refreshed_once_and_the_request_resent() {
    let server = McpServer::start(60, &[], &[]);
    let home = logged_in(&server, "notes");
    // A token the server refuses, though credtop thinks it is fresh.
    let rel = "oauth/notes.json";
    let mut cred: serde_json::Value = serde_json::from_str(&home.read(rel)).unwrap();
    cred["access_token"] = serde_json::json!("not-a-token-the-server-knows");
    home.write_private(rel, &cred.to_string());
    let summary = sdk_client(&home, "notes", &[("DURATION_MS", "500")]);
    assert_eq!(count(&summary, "failed"), 0, "{summary}");
    assert!(count(&summary, "ok") >= 1);
    assert_eq!(audit_events(&home, "refresh_succeeded").len(), 1);
}

#[test]
fn a_revoked_grant_is_typed_and_pauses_the_lane_with_one_alert() {
    let server = McpServer::start(60, &[("MCP_REGISTRATION", "off")], &[]);
    let home = Home::new();
    home.write_private(
        "providers.toml",
        &format!(
            "[providers.as]\nissuer = \"{}\"\nclient_id = \"credtop-test\"\n",
            server.auth.issuer
        ),
    );
    let out = mcp_login(&home, &server.url, "notes", &[]);
    assert!(out.status.success());
    let (_, refresh) = stored_tokens(home.path(), "notes");
    server.auth.revoke_at_server(&refresh);
    age_into_danger(&home, "notes");
    for _ in 0..2 {
        let summary = sdk_client(&home, "notes", &[("DURATION_MS", "300")]);
        assert!(count(&summary, "failed") >= 1, "{summary}");
        let data = &summary["errors"][0]["data"];
        assert_eq!(data["kind"], "credential_revoked", "{summary}");
        assert!(data["fix"].as_str().unwrap().contains("credtop mcp login"));
    }
    assert_eq!(audit_events(&home, "revocation_detected").len(), 1);
    assert_eq!(audit_events(&home, "operator_notified").len(), 1);
}

#[test]
fn an_endless_stream_ends_in_a_typed_timeout_not_a_hang() {
    let server = McpServer::start(60, &[], &[]);
    let home = logged_in(&server, "notes");
    let summary = sdk_client(
        &home,
        "notes",
        &[("SCRIPT", "endless"), ("CREDTOP_MCP_TIMEOUT", "3")],
    );
    assert_eq!(count(&summary, "failed"), 1, "{summary}");
    let error = &summary["errors"][0];
    assert_eq!(error["data"]["kind"], "transient", "{summary}");
    assert!(error["message"].as_str().unwrap().contains("within 3s"));
}

#[test]
fn a_bridge_killed_mid_call_leaves_the_others_working() {
    let server = McpServer::start(60, &[], &[]);
    let home = logged_in(&server, "notes");
    let pid_file = home.path().join("victim.pid");
    let victim = sdk_client_command(
        &home,
        "notes",
        &[
            ("SCRIPT", "slow"),
            ("SLOW_MS", "20000"),
            ("PID_FILE", pid_file.to_str().unwrap()),
        ],
    )
    .spawn()
    .unwrap();
    let others: Vec<_> = (0..2)
        .map(|_| {
            sdk_client_command(&home, "notes", &[("DURATION_MS", "4000")])
                .spawn()
                .unwrap()
        })
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !pid_file.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(
        status_row(&home)["bridges"],
        3,
        "three bridges connected now"
    );
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: kill(2) on the bridge this test's client started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    let killed = wait_bounded(victim, Duration::from_secs(60));
    let summary: serde_json::Value = serde_json::from_str(
        String::from_utf8_lossy(&killed.stdout)
            .lines()
            .last()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(count(&summary, "ok"), 0, "{summary}");
    for child in others {
        let out = wait_bounded(child, Duration::from_secs(120));
        let s: serde_json::Value =
            serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().last().unwrap())
                .unwrap();
        assert_eq!(count(&s, "failed"), 0, "{s}");
        assert!(count(&s, "ok") >= 2, "{s}");
    }
    assert!(stored_tokens(home.path(), "notes").1.len() > 10);
    // The killed bridge's mark is left behind but does not count.
    assert_eq!(status_row(&home)["bridges"], 0);
}

#[test]
fn dpop_bound_tokens_go_with_valid_proofs_and_nonce_challenges_are_answered() {
    // Both servers demand their nonce (RFC 9449 §8, §9).
    let server = McpServer::start(60, &[("DPOP_NONCE", "1")], &[("DPOP_NONCE", "1")]);
    let home = logged_in(&server, "notes");
    let cred: serde_json::Value = serde_json::from_str(&home.read("oauth/notes.json")).unwrap();
    assert!(
        cred["token_type"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case("dpop")
    );
    let key_path = home.path().join("mcp/keys/notes.key");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&key_path).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let key = std::fs::read_to_string(&key_path).unwrap();

    let summary = sdk_client(&home, "notes", &[("DURATION_MS", "1000")]);
    assert_eq!(count(&summary, "failed"), 0, "{summary}");
    let stats = server.stats();
    assert!(count(&stats, "dpopProofsVerified") >= 3, "{stats}");
    assert!(count(&stats, "dpopNonceChallenges") >= 1, "{stats}");
    assert!(stats["tokenTypes"].get("Bearer").is_none(), "{stats}");

    // The refresh is proven with the same key, nonce included.
    let refreshed = home.credtop().args(["refresh", "notes"]).output().unwrap();
    assert!(
        refreshed.status.success(),
        "{}",
        String::from_utf8_lossy(&refreshed.stderr)
    );
    let after = sdk_client(&home, "notes", &[("DURATION_MS", "300")]);
    assert_eq!(count(&after, "failed"), 0, "{after}");

    let status = home.credtop().args(["status", "--json"]).output().unwrap();
    for text in [
        home.read("audit.jsonl"),
        String::from_utf8_lossy(&status.stdout).into_owned(),
    ] {
        assert!(!text.contains(key.trim()), "the DPoP key was shown");
    }
}

/// A credential whose remote MCP server is the stub at `fault` (faults no
/// real server produces on demand: 429 with Retry-After, 500).
fn stubbed(fault: &str) -> (Home, support::stub::Stub) {
    let stub = support::stub::Stub::start();
    let home = Home::new();
    home.oauth(
        "stubbed",
        "stub-token-canary",
        chrono::Duration::seconds(10),
        chrono::Duration::hours(1),
    );
    std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700)
        .create(home.path().join("mcp/servers"))
        .unwrap();
    home.write_private(
        "mcp/servers/stubbed.json",
        &serde_json::json!({
            "url": stub.url(fault),
            "issuer": "http://127.0.0.1:1",
            "client_id": "none",
        })
        .to_string(),
    );
    (home, stub)
}

#[test]
fn rate_limiting_is_typed_with_the_servers_retry_after() {
    let (home, _stub) = stubbed("429-seconds");
    let summary = sdk_client(&home, "stubbed", &[("DURATION_MS", "300")]);
    let data = &summary["errors"][0]["data"];
    assert_eq!(data["kind"], "rate_limited", "{summary}");
    let retry = data["retry_after"].as_u64().unwrap();
    assert!((100..=121).contains(&retry), "Retry-After 120 gave {retry}");
}

#[test]
fn a_server_error_is_typed_transient() {
    let (home, _stub) = stubbed("500");
    let summary = sdk_client(&home, "stubbed", &[("DURATION_MS", "300")]);
    assert_eq!(
        summary["errors"][0]["data"]["kind"], "transient",
        "{summary}"
    );
    assert!(
        !summary.to_string().contains("stub-token-canary"),
        "{summary}"
    );
}

#[test]
fn server_initiated_messages_arrive_over_the_get_stream() {
    let server = McpServer::start(60, &[], &[]);
    let home = logged_in(&server, "notes");
    let summary = sdk_client(&home, "notes", &[("SCRIPT", "later")]);
    assert_eq!(count(&summary, "ok"), 1, "{summary}");
    assert_eq!(count(&summary, "notifications"), 3, "{summary}");
}

#[test]
fn an_answer_stream_that_breaks_is_resumed_with_last_event_id() {
    let server = McpServer::start(60, &[], &[]);
    let home = logged_in(&server, "notes");
    let summary = sdk_client(&home, "notes", &[("SCRIPT", "interrupted")]);
    assert_eq!(count(&summary, "failed"), 0, "{summary}");
    assert_eq!(summary["texts"][0], "resumed", "{summary}");
    assert_eq!(count(&summary, "notifications"), 1, "{summary}");
}
