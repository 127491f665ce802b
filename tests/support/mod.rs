//! Shared by the integration tests: a private temporary home and credential
//! files written the way credtop (or an operator) would write them.
#![allow(dead_code)]

pub mod authserver;
pub mod dashboard;
pub mod etcd;
pub mod fixtures;
pub mod mcpserver;
pub mod stub;
pub mod tmux;

use std::fs::{DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    /// An empty CREDTOP_HOME, 0700.
    pub fn new() -> Home {
        let parent = tempfile::tempdir().unwrap();
        let home = Home { dir: parent };
        for sub in ["", "oauth", "keys"] {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(home.path().join(sub))
                .unwrap();
        }
        std::fs::set_permissions(
            home.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        home
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `credtop` with `CREDTOP_HOME` set to this home and a clean HOME.
    pub fn credtop(&self) -> Command {
        let mut cmd = Command::cargo_bin("credtop").unwrap();
        cmd.env("CREDTOP_HOME", self.path())
            .env("HOME", self.path())
            .env_remove("CREDTOP_LOG")
            .env_remove("BROWSER");
        // Discovery reads these: none of the runner's own may leak in.
        for var in credtop::discover::OVERRIDE_VARS
            .iter()
            .copied()
            .chain(credtop::discover::well_known_names())
        {
            cmd.env_remove(var);
        }
        cmd
    }

    pub fn write_private(&self, rel: &str, body: &str) -> PathBuf {
        let path = self.path().join(rel);
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .unwrap();
        f.write_all(body.as_bytes()).unwrap();
        path
    }

    /// An OAuth credential file issued `age` ago with lifetime `ttl`.
    pub fn oauth(&self, name: &str, token: &str, age: Duration, ttl: Duration) -> PathBuf {
        let created = Utc::now() - age;
        self.oauth_at(name, token, created, Some(created + ttl))
    }

    pub fn oauth_at(
        &self,
        name: &str,
        token: &str,
        created: DateTime<Utc>,
        expires: Option<DateTime<Utc>>,
    ) -> PathBuf {
        let body = json!({
            "provider": name,
            "access_token": token,
            "refresh_token": format!("{token}-refresh"),
            "token_type": "Bearer",
            "scope": "openid offline_access",
            "expires_at": expires.map(|e| e.to_rfc3339()),
            "created_at": created.to_rfc3339(),
        });
        self.write_private(&format!("oauth/{name}.json"), &body.to_string())
    }

    /// An API key without expiry, created `age` ago.
    pub fn key(&self, name: &str, secret: &str, age: Duration) -> PathBuf {
        let body = json!({
            "provider": name,
            "kind": "api_key",
            "key": secret,
            "created_at": (Utc::now() - age).to_rfc3339(),
        });
        self.write_private(&format!("keys/{name}.json"), &body.to_string())
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap_or_default()
    }

    /// Every byte under the home except credential files themselves (which
    /// legitimately hold secrets): audit trail, logs, locks, config.
    pub fn everything_but_credentials(&self) -> String {
        let mut all = String::new();
        walk(self.path(), &mut |p| {
            let rel = p.strip_prefix(self.path()).unwrap();
            let first = rel.components().next().map(|c| c.as_os_str().to_owned());
            if first.as_deref() != Some("oauth".as_ref())
                && first.as_deref() != Some("keys".as_ref())
            {
                all.push_str(&String::from_utf8_lossy(
                    &std::fs::read(p).unwrap_or_default(),
                ));
            }
        });
        all
    }
}

pub fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, f);
        } else {
            f(&p);
        }
    }
}

/// The name libtest knows a test by, for re-running this test binary with
/// `--exact NAME` as a child process: `module::name` when the integration
/// tests are modules of one binary (`module_path!()` is `all::module`),
/// the bare name when the file is a binary of its own.
pub fn test_name(module_path: &str, name: &str) -> String {
    match module_path.split_once("::") {
        Some((_, module)) => format!("{module}::{name}"),
        None => name.to_string(),
    }
}

/// Polls `done` every 100 ms until it holds, failing the test after
/// `limit`: every wait in the suite is bounded in time.
pub fn wait_for(what: &str, limit: std::time::Duration, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + limit;
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// `credtop daemon` on `home`, its stderr as given (piped when a test reads
/// it after [`stop_daemon`]), with `env` added.
pub fn spawn_daemon(
    home: &Home,
    stderr: std::process::Stdio,
    env: &[(&str, &str)],
) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("credtop"))
        .arg("daemon")
        .env("CREDTOP_HOME", home.path())
        .envs(env.iter().copied())
        .env_remove("TMUX")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("credtop daemon starts")
}

/// `credtop daemon` on `home`, quiet.
pub fn daemon(home: &Home) -> std::process::Child {
    spawn_daemon(home, std::process::Stdio::null(), &[])
}

/// SIGTERM to a daemon, then waits (at most `limit`) for it to exit.
pub fn stop_daemon(child: &mut std::process::Child, limit: std::time::Duration) {
    // SAFETY: a plain signal to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    wait_for("the daemon to stop on SIGTERM", limit, || {
        child.try_wait().expect("try_wait").is_some()
    });
}
