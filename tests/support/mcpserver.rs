//! A remote MCP server for `credtop mcp login` / `mcp connect` tests: the
//! test authorization server in MCP mode (tests/authserver, MCP_MODE=1)
//! and an MCP server from the official SDK (tests/mcpserver/server.mjs)
//! protected by it, both on 127.0.0.1 with random ports. Each exits when
//! its stdin closes.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use super::authserver::{AuthServer, repo};

pub struct McpServer {
    pub url: String,
    pub auth: AuthServer,
    _child: Mutex<(Child, ChildStdin)>,
}

pub fn installed() -> bool {
    repo()
        .join("tests/mcpserver/node_modules/@modelcontextprotocol/sdk")
        .is_dir()
}

fn assert_installed() {
    assert!(
        installed(),
        "the test MCP server is not installed: run `bash scripts/test-deps.sh`"
    );
}

impl McpServer {
    /// An authorization server with access tokens of `access_ttl` seconds
    /// (`as_env` adds MCP_REGISTRATION=off and the like) and an MCP server
    /// in front of it (`env`: PRM_MODE, DPOP_NONCE).
    pub fn start(access_ttl: u64, as_env: &[(&str, &str)], env: &[(&str, &str)]) -> McpServer {
        assert_installed();
        let mut as_env = as_env.to_vec();
        as_env.push(("MCP_MODE", "1"));
        let auth = AuthServer::start(access_ttl, &as_env);
        let mut child = Command::new("node")
            .arg(repo().join("tests/mcpserver/server.mjs"))
            .env("ISSUER", &auth.issuer)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("the MCP server prints its URL");
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let ready: serde_json::Value = serde_json::from_str(line.trim())
            .unwrap_or_else(|_| panic!("MCP server said {line:?}"));
        McpServer {
            url: ready["url"].as_str().unwrap().to_string(),
            auth,
            _child: Mutex::new((child, stdin)),
        }
    }

    /// What the server saw (GET /stats): requests, tool calls, 401s, 403s,
    /// DPoP proofs verified and nonce challenges, token types.
    pub fn stats(&self) -> serde_json::Value {
        let url = self.url.replace("/mcp", "/stats");
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                reqwest::Client::new()
                    .get(url)
                    .timeout(Duration::from_secs(10))
                    .send()
                    .await
                    .unwrap()
                    .json::<serde_json::Value>()
                    .await
                    .unwrap()
            })
    }
}

/// `credtop mcp login URL --name NAME [extra...]` with the test browser.
pub fn mcp_login(
    home: &super::Home,
    url: &str,
    name: &str,
    extra: &[&str],
) -> std::process::Output {
    home.credtop()
        .env("BROWSER", super::authserver::browser())
        .args(["mcp", "login", url, "--name", name, "--timeout", "60"])
        .args(extra)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap()
}

/// Runs the SDK's client (tests/mcpserver/client.mjs) against
/// `credtop mcp connect NAME`; returns its JSON summary.
pub fn sdk_client(home: &super::Home, name: &str, env: &[(&str, &str)]) -> serde_json::Value {
    let child = sdk_client_command(home, name, env)
        .spawn()
        .expect("node runs");
    let out = wait_bounded(child, Duration::from_secs(240));
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap_or_else(|_| {
        panic!(
            "the SDK client said {stdout:?}, stderr {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

pub fn sdk_client_command(home: &super::Home, name: &str, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new("node");
    cmd.arg(repo().join("tests/mcpserver/client.mjs"))
        .env("CREDTOP_BIN", assert_cmd::cargo::cargo_bin("credtop"))
        .env("CREDTOP_HOME", home.path())
        .env("NAME", name)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Waits for `child` at most `limit`, killing it past that (a hang is a
/// failure, never a stuck test run).
pub fn wait_bounded(mut child: Child, limit: Duration) -> std::process::Output {
    let deadline = std::time::Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("a child process ran longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}
