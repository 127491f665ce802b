//! MCP server credentials: every config and reference form, the state of
//! each variable, `mcp check` lines and exit codes, isolation of `mcp exec`,
//! and the servers named by logout and revoke.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

use credtop::discover::Env;
use serde_json::Value;
use support::fixtures::{ToolHome, copy_tree, fixture};

/// HOME from `tests/fixtures/mcp/home`, the working directory a copy of
/// `tests/fixtures/mcp/project`.
fn project() -> ToolHome {
    let t = ToolHome::from_fixture("mcp/home");
    copy_tree(&fixture("mcp/project"), &t.cwd());
    // Discovery of credentials is not under test here.
    write_config(&t, "");
    t
}

fn write_config(t: &ToolHome, extra: &str) {
    let body = format!("[discover]\nenabled = false\n{extra}");
    let path = t.credtop_home().join("config.toml");
    std::fs::write(&path, body).unwrap();
    // config.toml follows the credential rules: private, or refused.
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
}

/// Every variable the fixture servers reference, so that all can start.
const ALL_SET: &[(&str, &str)] = &[
    ("GITHUB_TOKEN", "gh-value"),
    ("API_KEY", "api-value"),
    ("NOTES_DIR", "/tmp"),
    ("EXAMPLE_TOKEN", "example-value"),
    ("SLACK_BOT_TOKEN", "slack-value"),
];

fn list_json(t: &ToolHome, vars: &[(&str, &str)]) -> Vec<Value> {
    let mut cmd = t.credtop();
    cmd.envs(vars.iter().copied());
    let out = cmd.args(["mcp", "list", "--json"]).output().unwrap();
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

fn state_of(rows: &[Value], server: &str, var: &str) -> String {
    let row = rows
        .iter()
        .find(|r| r["name"] == server)
        .unwrap_or_else(|| panic!("no server {server}"));
    row["variables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == var)
        .unwrap_or_else(|| panic!("{server} has no {var}: {row}"))["state"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn list_reads_every_config_and_says_where_each_variable_comes_from() {
    let t = project();
    write_config(&t, "[mcp_env]\nEXAMPLE_TOKEN = \"oauth:example\"\n");
    let rows = list_json(&t, &[("API_KEY", "set-canary")]);
    let config_of = |name: &str| {
        rows.iter().find(|r| r["name"] == name).unwrap()["config"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(config_of("github"), ".mcp.json");
    assert_eq!(config_of("vscode-example"), ".vscode/mcp.json");
    assert_eq!(config_of("cursor-remote"), ".cursor/mcp.json");
    assert_eq!(config_of("slack"), "~/.claude.json");
    assert_eq!(config_of("cursor-local"), "~/.cursor/mcp.json");
    assert_eq!(
        config_of("fs"),
        "~/.config/Claude/claude_desktop_config.json"
    );
    let elsewhere = rows.iter().find(|r| r["name"] == "elsewhere").unwrap();
    assert_eq!(elsewhere["applies_here"], false);

    assert_eq!(state_of(&rows, "github", "GITHUB_TOKEN"), "unset");
    assert_eq!(state_of(&rows, "api", "API_BASE_URL"), "defaulted");
    assert_eq!(state_of(&rows, "api", "API_KEY"), "set");
    assert_eq!(
        state_of(&rows, "vscode-example", "input:api-key"),
        "prompted"
    );
    assert_eq!(
        state_of(&rows, "vscode-example", "workspaceFolder"),
        "predefined"
    );
    assert_eq!(state_of(&rows, "vscode-example", "NOTES_DIR"), "unset");
    assert_eq!(
        state_of(&rows, "cursor-remote", "EXAMPLE_TOKEN"),
        "supplied_by_credtop"
    );
    assert_eq!(state_of(&rows, "cursor-local", "userHome"), "predefined");

    let fs = rows.iter().find(|r| r["name"] == "fs").unwrap();
    assert_eq!(fs["literals"], serde_json::json!(["env.SOME_TOKEN"]));
    let text = serde_json::to_string(&rows).unwrap();
    assert!(!text.contains("set-canary"), "a value leaked: {text}");
    assert!(
        !text.contains("FIXTURE-CANARY"),
        "a literal secret leaked: {text}"
    );
    let human = t.credtop().args(["mcp", "list"]).output().unwrap();
    let human = String::from_utf8_lossy(&human.stdout);
    assert!(
        human.contains("'github' (.mcp.json)") && human.contains("GITHUB_TOKEN"),
        "{human}"
    );
    assert!(!human.contains("FIXTURE-CANARY"), "{human}");
}

#[test]
fn check_names_each_missing_variable_and_its_server_and_exits_2() {
    let t = project();
    let out = t.credtop().args(["mcp", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: BTreeSet<&str> = text.lines().collect();
    for want in [
        "GITHUB_TOKEN is not set — the MCP server 'github' (.mcp.json) cannot start",
        "GITHUB_TOKEN is not set — the MCP server 'printenv' (.mcp.json) cannot start",
        "API_KEY is not set — the MCP server 'api' (.mcp.json) cannot start",
        "NOTES_DIR is not set — the MCP server 'vscode-example' (.vscode/mcp.json) cannot start",
        "EXAMPLE_TOKEN is not set — the MCP server 'cursor-remote' (.cursor/mcp.json) cannot start",
        "SLACK_BOT_TOKEN is not set — the MCP server 'slack' (~/.claude.json) cannot start",
    ] {
        assert!(lines.contains(want), "missing {want:?} in\n{text}");
    }
    assert_eq!(lines.len(), 6, "{text}");
    assert!(
        !text.contains("API_BASE_URL"),
        "a defaulted variable is fine: {text}"
    );
    assert!(
        !text.contains("OTHER_PROJECT_TOKEN"),
        "another project's server: {text}"
    );
}

#[test]
fn check_exits_0_when_every_variable_is_available() {
    let t = project();
    let out = t
        .credtop()
        .envs(ALL_SET.iter().copied())
        .args(["mcp", "check"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.starts_with("OK:"), "{text}");
}

#[test]
fn a_variable_credtop_supplies_needs_the_credential_in_the_store() {
    let t = project();
    write_config(&t, "[mcp_env]\nGITHUB_TOKEN = \"key:ghkey\"\n");
    let mut vars: Vec<(&str, &str)> = ALL_SET.to_vec();
    vars.retain(|(k, _)| *k != "GITHUB_TOKEN");
    let out = t
        .credtop()
        .envs(vars.iter().copied())
        .args(["mcp", "check"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains(
            "GITHUB_TOKEN is supplied by credtop from 'ghkey', which is not in credtop's store"
        ) && text.contains("the MCP server 'github' (.mcp.json) cannot start"),
        "{text}"
    );
    add_key(&t, "ghkey", "ghp_STORE-CANARY");
    let out = t
        .credtop()
        .envs(vars.iter().copied())
        .args(["mcp", "check"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
}

fn add_key(t: &ToolHome, name: &str, secret: &str) {
    let out = t
        .credtop()
        .args(["add-key", name, "--kind", "pat"])
        .write_stdin(format!("{secret}\n"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `NAME=value` lines of `/usr/bin/env` as a map.
fn env_lines(stdout: &[u8]) -> BTreeMap<String, String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn exec_gives_the_server_only_its_declared_variables_and_the_base() {
    let t = project();
    let out = t
        .credtop()
        .env("ANTHROPIC_API_KEY", "sk-ant-PARENT-CANARY")
        .env("OPENAI_API_KEY", "sk-PARENT-CANARY")
        .env("UNRELATED", "parent-only")
        .env("LANG", "C.UTF-8")
        .env("GITHUB_TOKEN", "gh-from-parent")
        .args(["mcp", "exec", "printenv"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env = env_lines(&out.stdout);
    let names: BTreeSet<&str> = env.keys().map(String::as_str).collect();
    let want: BTreeSet<&str> = [
        "PATH",
        "HOME",
        "LANG",
        "GITHUB_PERSONAL_ACCESS_TOKEN",
        "MODE",
        "LITERAL",
    ]
    .into_iter()
    .collect();
    assert_eq!(names, want);
    assert_eq!(env["GITHUB_PERSONAL_ACCESS_TOKEN"], "gh-from-parent");
    assert_eq!(env["MODE"], "safe", "the :- default applies");
    assert_eq!(env["LITERAL"], "plain");
    assert_eq!(env["HOME"], t.home().display().to_string());
    let all = String::from_utf8_lossy(&out.stdout);
    assert!(!all.contains("PARENT-CANARY"), "{all}");
}

#[test]
fn exec_supplies_a_store_credential_through_the_mapping() {
    let t = project();
    write_config(&t, "[mcp_env]\nGITHUB_TOKEN = \"key:ghkey\"\n");
    add_key(&t, "ghkey", "ghp_STORE-CANARY");
    let out = t
        .credtop()
        .env("GITHUB_TOKEN", "from-parent-must-lose")
        .args(["mcp", "exec", "printenv"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env = env_lines(&out.stdout);
    assert_eq!(env["GITHUB_PERSONAL_ACCESS_TOKEN"], "ghp_STORE-CANARY");
    let audit = std::fs::read_to_string(t.credtop_home().join("audit.jsonl")).unwrap();
    assert!(audit.contains("supplied as GITHUB_TOKEN"), "{audit}");
    assert!(audit.contains("\"secret_read\""), "{audit}");
    assert!(
        audit.contains(&format!("\"pid\":{}", std::process::id())),
        "{audit}"
    );
    assert!(!audit.contains("STORE-CANARY"), "{audit}");
}

#[test]
fn exec_follows_a_trusted_project_alias_and_only_a_trusted_one() {
    let t = project();
    write_config(&t, "[mcp_env]\nGITHUB_TOKEN = \"key:ghkey\"\n");
    add_key(&t, "ghkey", "ghp_PERSONAL");
    add_key(&t, "ghkey-work", "ghp_WORK");
    std::fs::write(
        t.cwd().join(".credtop.toml"),
        "[alias]\nghkey = \"ghkey-work\"\n",
    )
    .unwrap();
    let supplied = |t: &ToolHome| {
        let out = t
            .credtop()
            .args(["mcp", "exec", "printenv"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (
            env_lines(&out.stdout)["GITHUB_PERSONAL_ACCESS_TOKEN"].clone(),
            stderr,
        )
    };
    let (token, stderr) = supplied(&t);
    assert_eq!(token, "ghp_PERSONAL");
    assert!(stderr.contains("credtop trust"), "{stderr}");
    t.credtop().arg("trust").assert().success();
    let (token, stderr) = supplied(&t);
    assert_eq!(token, "ghp_WORK");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn exec_of_a_server_with_an_unset_variable_is_a_typed_error_exit_2() {
    let t = project();
    let out = t
        .credtop()
        .args(["mcp", "exec", "printenv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "the server must not start");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "GITHUB_TOKEN is not set — the MCP server 'printenv' (.mcp.json) cannot start"
        ),
        "{err}"
    );
}

#[test]
fn exec_passes_extra_arguments_and_returns_the_servers_exit_code() {
    let t = project();
    let out = t
        .credtop()
        .args(["mcp", "exec", "exits7"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    let out = t
        .credtop()
        .args(["mcp", "exec", "echo-args", "--", "second", "third"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "first second third"
    );
    let out = t.credtop().args(["mcp", "exec", "api"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a remote server cannot be exec'd"
    );
    let out = t.credtop().args(["mcp", "exec", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn revoke_and_logout_name_the_mcp_servers_that_will_stop_working() {
    let t = project();
    write_config(
        &t,
        "[mcp_env]\nGITHUB_TOKEN = \"key:ghkey\"\nSLACK_BOT_TOKEN = \"slack\"\n",
    );
    add_key(&t, "ghkey", "ghp_STORE-CANARY");
    add_key(&t, "slack", "xoxb-STORE-CANARY");
    let out = t.credtop().args(["revoke", "ghkey"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "MCP servers that will stop working: github (.mcp.json), printenv (.mcp.json)"
        ),
        "{text}"
    );
    let out = t.credtop().args(["logout", "slack"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("MCP servers that will stop working: slack (~/.claude.json)"),
        "{text}"
    );
}

#[test]
fn dependents_follow_the_mapping_and_discovered_variables() {
    let t = project();
    let env = Env::new(t.home(), t.cwd());
    let servers = credtop::mcp::load(&env).servers;
    let mapping: BTreeMap<String, String> =
        [("GITHUB_TOKEN".to_string(), "oauth:github".to_string())].into();
    let names = |cred: &str| -> Vec<String> {
        credtop::mcp::dependents(&servers, &mapping, cred)
            .iter()
            .map(|d| d.to_string())
            .collect()
    };
    assert_eq!(
        names("github"),
        ["github (.mcp.json)", "printenv (.mcp.json)"]
    );
    assert_eq!(names("env:SLACK_BOT_TOKEN"), ["slack (~/.claude.json)"]);
    assert!(names("unrelated").is_empty());
}

/// A literal token pasted into a config is never shown, not even by Debug.
#[test]
fn literal_secrets_in_configs_stay_out_of_debug() {
    let t = project();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(t.cwd().join(".mcp.json"))
        .unwrap();
    f.write_all(br#"{"mcpServers":{"x":{"command":"y","env":{"T":"LITERAL-CANARY"},"headers":{"A":"LITERAL-CANARY"}}}}"#)
        .unwrap();
    let configs = credtop::mcp::load(&Env::new(t.home(), t.cwd()));
    assert!(!format!("{configs:?}").contains("LITERAL-CANARY"));
}

#[test]
fn exec_refuses_an_expired_credential_credtop_cannot_refresh() {
    let t = project();
    write_config(&t, "[mcp_env]\nGITHUB_TOKEN = \"oauth:github\"\n");
    let oauth = t.credtop_home().join("oauth");
    std::fs::create_dir_all(&oauth).unwrap();
    std::fs::set_permissions(&oauth, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let body = serde_json::json!({
        "provider": "github",
        "access_token": "gho_EXPIRED-CANARY",
        "token_type": "Bearer",
        "scope": "repo",
        "created_at": "2020-01-01T00:00:00Z",
        "expires_at": "2020-01-01T08:00:00Z",
    });
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(oauth.join("github.json"))
        .unwrap();
    f.write_all(body.to_string().as_bytes()).unwrap();
    let out = t
        .credtop()
        .args(["mcp", "exec", "printenv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("GITHUB_TOKEN is supplied by credtop from 'github', which expired")
            && err.contains("credtop login github"),
        "{err}"
    );
    assert!(!err.contains("EXPIRED-CANARY"), "{err}");
}

/// Replaces the project's `.mcp.json` with `servers` (its `mcpServers`).
fn write_mcp_json(t: &ToolHome, servers: Value) {
    let body = serde_json::json!({ "mcpServers": servers });
    std::fs::write(t.cwd().join(".mcp.json"), body.to_string()).unwrap();
}

#[test]
fn a_store_token_is_never_put_on_the_command_line() {
    let t = project();
    write_config(&t, "[mcp_env]\nGITHUB_TOKEN = \"key:ghkey\"\n");
    add_key(&t, "ghkey", "ghp_STORE-CANARY");
    write_mcp_json(
        &t,
        serde_json::json!({
            "argtoken": {"command": "/bin/echo", "args": ["--token", "${GITHUB_TOKEN}"]},
            "fromenv": {"command": "/bin/echo", "args": ["${ECHO_PREFIX:-x}"]},
        }),
    );
    let out = t
        .credtop()
        .args(["mcp", "exec", "argtoken"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "the server must not start");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("GITHUB_TOKEN is supplied by credtop from 'ghkey' but is used in args of the MCP server 'argtoken' (.mcp.json)")
            && err.contains("\"env\""),
        "{err}"
    );
    assert!(!err.contains("STORE-CANARY"), "{err}");
    let out = t.credtop().args(["mcp", "check"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("used in args of the MCP server 'argtoken'"),
        "{text}"
    );
    // A value from the caller's own environment may still be an argument.
    let out = t
        .credtop()
        .env("ECHO_PREFIX", "from-env")
        .args(["mcp", "exec", "fromenv"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "from-env");
}

#[test]
fn exec_gives_the_server_the_callers_umask_not_credtops() {
    let t = project();
    write_mcp_json(
        &t,
        serde_json::json!({"umask": {"command": "/bin/sh", "args": ["-c", "umask"]}}),
    );
    let out = t.credtop().args(["mcp", "exec", "umask"]).output().unwrap();
    assert!(out.status.success());
    // main does not record the caller's umask in this build: the default.
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0022");
}

#[test]
fn claude_json_follows_claude_config_dir() {
    let t = project();
    let moved = t.home().join("claude-cfg");
    std::fs::create_dir_all(&moved).unwrap();
    std::fs::rename(t.home().join(".claude.json"), moved.join(".claude.json")).unwrap();
    let env = Env::new(t.home(), t.cwd());
    let names = |env: &Env| -> Vec<String> {
        credtop::mcp::load(env)
            .servers
            .iter()
            .map(|s| s.name.clone())
            .collect()
    };
    assert!(!names(&env).contains(&"slack".to_string()));
    let env = env.with_var("CLAUDE_CONFIG_DIR", &moved.display().to_string());
    assert!(names(&env).contains(&"slack".to_string()));
}

#[test]
fn another_clients_syntax_is_literal_text_not_a_variable() {
    let t = project();
    write_mcp_json(
        &t,
        serde_json::json!({"vscode-style": {"command": "/usr/bin/env",
            "env": {"A": "${env:GITHUB_TOKEN}", "B": "${GITHUB_TOKEN}"}}}),
    );
    let vscode = serde_json::json!({"servers": {"claude-style": {"command": "x",
        "env": {"C": "${GITHUB_TOKEN}", "D": "${env:NOTES_DIR}"}}}});
    std::fs::write(t.cwd().join(".vscode/mcp.json"), vscode.to_string()).unwrap();
    let rows = list_json(&t, &[("GITHUB_TOKEN", "gh-value")]);
    assert_eq!(
        state_of(&rows, "vscode-style", "${env:GITHUB_TOKEN}"),
        "literal"
    );
    assert_eq!(state_of(&rows, "vscode-style", "GITHUB_TOKEN"), "set");
    assert_eq!(
        state_of(&rows, "claude-style", "${GITHUB_TOKEN}"),
        "literal"
    );
    assert_eq!(state_of(&rows, "claude-style", "NOTES_DIR"), "unset");
    // Claude Desktop expands nothing.
    let desktop = t.home().join(".config/Claude/claude_desktop_config.json");
    let body = serde_json::json!({"mcpServers": {"fs": {"command": "x", "env": {"T": "${SLACK_BOT_TOKEN}"}}}});
    std::fs::write(&desktop, body.to_string()).unwrap();
    let rows = list_json(&t, &[]);
    assert_eq!(state_of(&rows, "fs", "${SLACK_BOT_TOKEN}"), "literal");
    let fs = rows.iter().find(|r| r["name"] == "fs").unwrap();
    assert_eq!(fs["literals"], serde_json::json!(["env.T"]));

    let out = t
        .credtop()
        .env("GITHUB_TOKEN", "gh-value")
        .args(["mcp", "exec", "vscode-style"])
        .output()
        .unwrap();
    let env = env_lines(&out.stdout);
    assert_eq!(env["A"], "${env:GITHUB_TOKEN}", "passed as written");
    assert_eq!(env["B"], "gh-value");
}

#[test]
fn secrets_pasted_into_command_args_or_url_are_flagged_not_shown() {
    let t = project();
    write_mcp_json(
        &t,
        serde_json::json!({
            "pasted": {"command": "tool --token=LITERAL-CANARY-cmd",
                "args": ["-y", "@scope/server", "--api-key", "LITERAL-CANARY-arg", "--token=${GITHUB_TOKEN}"]},
            "hosted": {"url": "https://mcp.example.invalid/mcp?api_key=LITERAL-CANARY-url"},
            "plain": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"]},
        }),
    );
    let rows = list_json(&t, &[]);
    let row = |name: &str| rows.iter().find(|r| r["name"] == name).unwrap().clone();
    assert_eq!(
        row("pasted")["literals"],
        serde_json::json!(["command", "args[3]"])
    );
    assert_eq!(row("pasted")["command"], Value::Null);
    assert_eq!(row("hosted")["literals"], serde_json::json!(["url"]));
    assert_eq!(row("plain")["literals"], serde_json::json!([]));
    assert_eq!(row("plain")["command"], "npx");
    let text = serde_json::to_string(&rows).unwrap();
    assert!(!text.contains("LITERAL-CANARY"), "{text}");
}

/// A VS Code server that starts `printenv` with an `envFile`.
fn write_vscode_env_file_server(t: &ToolHome) {
    let body = serde_json::json!({ "servers": { "dotenv": {
        "type": "stdio",
        "command": "printenv",
        "env": { "DECLARED": "d", "SHARED": "from-env" },
        "envFile": "${workspaceFolder}/.env",
    }}});
    std::fs::write(t.cwd().join(".vscode/mcp.json"), body.to_string()).unwrap();
}

#[test]
fn an_env_file_supplies_its_variables_below_the_declared_ones() {
    let t = project();
    write_vscode_env_file_server(&t);
    std::fs::write(
        t.cwd().join(".env"),
        "# the server's settings\nSHARED=from-file\nexport FROM_FILE=\"x y\"\n",
    )
    .unwrap();
    let out = t
        .credtop()
        .env("ANTHROPIC_API_KEY", "sk-ant-PARENT-CANARY")
        .env("UNRELATED", "parent-only")
        .args(["mcp", "exec", "dotenv"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env = env_lines(&out.stdout);
    let names: BTreeSet<&str> = env.keys().map(String::as_str).collect();
    let want: BTreeSet<&str> = ["PATH", "HOME", "DECLARED", "SHARED", "FROM_FILE"]
        .into_iter()
        .collect();
    assert_eq!(names, want);
    assert_eq!(env["SHARED"], "from-env", "env wins over envFile");
    assert_eq!(env["FROM_FILE"], "x y");

    let rows = list_json(&t, ALL_SET);
    assert_eq!(state_of(&rows, "dotenv", "FROM_FILE"), "env_file");
    assert_eq!(state_of(&rows, "dotenv", "workspaceFolder"), "predefined");
    let out = t
        .credtop()
        .envs(ALL_SET.iter().copied())
        .args(["mcp", "check"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_missing_env_file_keeps_the_server_from_starting() {
    let t = project();
    write_vscode_env_file_server(&t);
    let out = t
        .credtop()
        .envs(ALL_SET.iter().copied())
        .args(["mcp", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        "the MCP server 'dotenv' (.vscode/mcp.json) cannot start: its envFile .env cannot be read (entity not found)"
    );
    let exec = t
        .credtop()
        .args(["mcp", "exec", "dotenv"])
        .output()
        .unwrap();
    assert_eq!(exec.status.code(), Some(2));
    assert!(exec.stdout.is_empty(), "the server must not start");
}

#[test]
fn an_env_file_is_read_as_vs_code_reads_it() {
    let t = project();
    write_vscode_env_file_server(&t);
    // Lines VS Code skips, a colon separator, a comment after a value, a
    // backslash it keeps: the server gets what the editor would give it.
    std::fs::write(
        t.cwd().join(".env"),
        "\u{feff}not an assignment\r\nPASS=\"pa\\ss\"\r\nCOLON: yes\nCUT=abc#comment\n",
    )
    .unwrap();
    let out = t
        .credtop()
        .args(["mcp", "exec", "dotenv"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env = env_lines(&out.stdout);
    assert_eq!(env["PASS"], "pa\\ss");
    assert_eq!(env["COLON"], "yes");
    assert_eq!(env["CUT"], "abc");
}

#[test]
fn a_store_mapping_does_not_reach_an_env_file_path() {
    let t = project();
    write_config(&t, "[mcp_env]\nSECRETS_DIR = \"key:ghkey\"\n");
    add_key(&t, "ghkey", "ghp_STORE-CANARY");
    let body = serde_json::json!({ "servers": { "dotenv": {
        "type": "stdio",
        "command": "printenv",
        "envFile": "${env:SECRETS_DIR}/.env",
    }}});
    std::fs::write(t.cwd().join(".vscode/mcp.json"), body.to_string()).unwrap();
    let out = t
        .credtop()
        .envs(ALL_SET.iter().copied())
        .args(["mcp", "check"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert_eq!(
        text.trim_end(),
        "SECRETS_DIR is not set — the MCP server 'dotenv' (.vscode/mcp.json) cannot start"
    );
    let exec = t
        .credtop()
        .args(["mcp", "exec", "dotenv"])
        .output()
        .unwrap();
    assert_eq!(exec.status.code(), Some(2));
    let err = String::from_utf8_lossy(&exec.stderr);
    assert!(err.contains("SECRETS_DIR"), "{err}");
    assert!(!err.contains("STORE-CANARY"), "{err}");
}
