//! panva's oidc-provider (tests/authserver/server.mjs) on 127.0.0.1, started
//! once per test binary (or once per test that needs its own settings). It
//! exits when its stdin closes, so a dying test binary never leaves it
//! behind.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

pub struct AuthServer {
    pub issuer: String,
    _child: Mutex<(Child, ChildStdin)>,
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The test `$BROWSER`: signs in and consents by plain HTTP.
pub fn browser() -> PathBuf {
    repo().join("tests/support/browser.py")
}

impl AuthServer {
    /// Starts a server with access tokens of `access_ttl` seconds;
    /// `env` adds switches such as `SLOW_DOWN_ONCE=1`.
    pub fn start(access_ttl: u64, env: &[(&str, &str)]) -> AuthServer {
        let dir = repo().join("tests/authserver");
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "the test authorization server is not installed: run `bash scripts/test-deps.sh`"
        );
        let mut child = Command::new("node")
            .arg(dir.join("server.mjs"))
            .env("PORT", "0")
            .env("ACCESS_TTL", access_ttl.to_string())
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts");
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout
            .read_line(&mut line)
            .expect("the server prints its issuer");
        // Keep draining, so the server never writes into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let ready: serde_json::Value =
            serde_json::from_str(line.trim()).unwrap_or_else(|_| panic!("server said {line:?}"));
        AuthServer {
            issuer: ready["issuer"].as_str().unwrap().to_string(),
            _child: Mutex::new((child, stdin)),
        }
    }

    /// The one shared server of this test binary (access tokens of 20 s).
    pub fn shared() -> &'static AuthServer {
        static SERVER: OnceLock<AuthServer> = OnceLock::new();
        SERVER.get_or_init(|| AuthServer::start(20, &[]))
    }

    /// A providers.toml table for provider `name` on this server.
    pub fn provider_toml(&self, name: &str) -> String {
        format!(
            "[providers.{name}]\nissuer = \"{}\"\nclient_id = \"credtop-test\"\nscopes = [\"openid\", \"offline_access\", \"profile\"]\n",
            self.issuer
        )
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// RFC 7662 introspection, as the confidential `introspector` client.
    pub fn introspect(&self, token: &str) -> serde_json::Value {
        let url = format!("{}/token/introspection", self.issuer);
        Self::block_on(async {
            reqwest::Client::new()
                .post(url)
                .basic_auth("introspector", Some("introspector-secret"))
                .form(&[("token", token)])
                .timeout(Duration::from_secs(10))
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        })
    }

    pub fn is_active(&self, token: &str) -> bool {
        self.introspect(token)["active"] == true
    }

    /// A refresh_token grant sent straight to the server (to replay one).
    pub fn raw_refresh(&self, refresh_token: &str) -> serde_json::Value {
        let url = format!("{}/token", self.issuer);
        Self::block_on(async {
            reqwest::Client::new()
                .post(url)
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token),
                    ("client_id", "credtop-test"),
                ])
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

impl AuthServer {
    /// RFC 7009 revocation sent straight to the server, as if the user
    /// revoked the app in the provider's settings.
    pub fn revoke_at_server(&self, token: &str) {
        let url = format!("{}/token/revocation", self.issuer);
        let status = Self::block_on(async {
            reqwest::Client::new()
                .post(url)
                .form(&[("token", token), ("client_id", "credtop-test")])
                .timeout(Duration::from_secs(10))
                .send()
                .await
                .unwrap()
                .status()
        });
        assert!(status.is_success(), "revocation answered {status}");
    }
}

/// The stored tokens of credential `name` in `home` (test-side reading).
pub fn stored_tokens(home: &Path, name: &str) -> (String, String) {
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(home.join(format!("oauth/{name}.json"))).unwrap(),
    )
    .unwrap();
    (
        v["access_token"].as_str().unwrap().to_string(),
        v["refresh_token"].as_str().unwrap_or_default().to_string(),
    )
}

/// Logs `name` in through provider `acme` of `server` with the test browser.
pub fn login(home: &super::Home, server: &AuthServer, name: &str) {
    login_with(home, server, name, "");
}

/// [`login`], with `extra` appended to provider `acme`'s table (say,
/// `session_cap = "7d"`).
pub fn login_with(home: &super::Home, server: &AuthServer, name: &str, extra: &str) {
    let toml = format!("{}{extra}", server.provider_toml("acme"));
    home.write_private("providers.toml", &toml);
    let out = home
        .credtop()
        .env("BROWSER", browser())
        .args(["login", "acme", "--name", name, "--timeout", "60"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "login failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Moves credential `name` into its danger zone without touching its
/// tokens: an earlier `created_at` makes 90 % of its lifetime look spent.
pub fn age_into_danger(home: &super::Home, name: &str) {
    let rel = format!("oauth/{name}.json");
    let mut v: serde_json::Value = serde_json::from_str(&home.read(&rel)).unwrap();
    let expires: chrono::DateTime<chrono::Utc> = v["expires_at"].as_str().unwrap().parse().unwrap();
    let remaining = expires - chrono::Utc::now();
    v["created_at"] = serde_json::Value::String((expires - remaining * 10).to_rfc3339());
    home.write_private(&rel, &v.to_string());
}

/// Lines of the audit trail with event `event`.
pub fn audit_events(home: &super::Home, event: &str) -> Vec<serde_json::Value> {
    home.read("audit.jsonl")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|r| r["event"] == event)
        .collect()
}
