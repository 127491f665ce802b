//! `credtop git-credential`: git's own `git credential fill` through the
//! helper, and a real `git clone` over smart HTTP from a server that lets
//! in only an active token of the real authorization server.

use crate::support;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Output, Stdio};

use chrono::Duration;
use support::Home;
use support::authserver::{self, AuthServer, age_into_danger, audit_events, stored_tokens};

/// git with a private HOME (the credtop home, where `--install --global`
/// writes ~/.gitconfig), no system config and no prompting.
fn git(home: &Home, cwd: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("HOME", home.path())
        .env("CREDTOP_HOME", home.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn installed(home: &Home) {
    for _ in 0..2 {
        home.credtop()
            .args(["git-credential", "--install", "--global"])
            .assert()
            .success();
    }
    let config = home.read(".gitconfig");
    assert_eq!(
        config.matches("git-credential").count(),
        1,
        "installed once: {config}"
    );
}

fn fields(out: &Output) -> Vec<(String, String)> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn field<'a>(f: &'a [(String, String)], key: &str) -> Option<&'a str> {
    f.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[test]
fn git_credential_fill_gets_the_mapped_token_through_the_helper() {
    let home = Home::new();
    home.key("gh", "ghp_GIT-CANARY", Duration::days(1));
    home.write_private("config.toml", "[git]\n\"example.test\" = \"gh\"\n");
    installed(&home);
    let out = git(
        &home,
        home.path(),
        &["credential", "fill"],
        "protocol=https\nhost=example.test\n\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f = fields(&out);
    assert_eq!(field(&f, "password"), Some("ghp_GIT-CANARY"));
    assert_eq!(field(&f, "username"), Some("x-access-token"));
    let reads = audit_events(&home, "secret_read");
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0]["credential"], "gh");
    assert!(!home.read("audit.jsonl").contains("GIT-CANARY"));

    // Another host: credtop says nothing, and git (with no other helper
    // and no terminal) gives up rather than getting our token.
    let out = home
        .credtop()
        .args(["git-credential", "get"])
        .write_stdin("protocol=https\nhost=other.test\n\n")
        .output()
        .unwrap();
    assert!(out.status.success() && out.stdout.is_empty());
    let out = git(
        &home,
        home.path(),
        &["credential", "fill"],
        "protocol=https\nhost=other.test\n\n",
    );
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("GIT-CANARY"));
    // Never over ssh, even for a mapped host.
    let out = home
        .credtop()
        .args(["git-credential", "get"])
        .write_stdin("protocol=ssh\nhost=example.test\n\n")
        .output()
        .unwrap();
    assert!(out.stdout.is_empty());
}

#[test]
fn get_refreshes_a_token_in_its_danger_zone_and_gives_its_expiry() {
    let server = AuthServer::shared();
    let home = Home::new();
    authserver::login(&home, server, "acme");
    age_into_danger(&home, "acme");
    let (before, _) = stored_tokens(home.path(), "acme");
    home.write_private("config.toml", "[git]\n\"git.example.test\" = \"acme\"\n");
    let out = home
        .credtop()
        .args(["git-credential", "get"])
        .write_stdin("protocol=https\nhost=git.example.test\npath=x.git\n\n")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f = fields(&out);
    let (after, _) = stored_tokens(home.path(), "acme");
    assert_ne!(before, after, "refreshed first");
    assert_eq!(field(&f, "password"), Some(after.as_str()));
    let expiry: i64 = field(&f, "password_expiry_utc").unwrap().parse().unwrap();
    assert!(expiry > chrono::Utc::now().timestamp());
}

#[test]
fn store_and_erase_write_nothing() {
    let home = Home::new();
    let file = home.key("gh", "ghp_KEEP", Duration::days(1));
    home.write_private("config.toml", "[git]\n\"example.test\" = \"gh\"\n");
    let before = std::fs::read(&file).unwrap();
    let listing = || {
        let mut all = Vec::new();
        // credtop's own debug log aside.
        support::walk(home.path(), &mut |p| {
            if !p.starts_with(home.path().join("logs")) {
                all.push(p.to_path_buf())
            }
        });
        all.sort();
        all
    };
    let files = listing();
    for (action, host) in [
        ("store", "example.test"),
        ("store", "other.test"),
        ("erase", "other.test"),
    ] {
        home.credtop()
            .args(["git-credential", action])
            .write_stdin(format!(
                "protocol=https\nhost={host}\nusername=u\npassword=from-another-tool\n\n"
            ))
            .assert()
            .success()
            .stdout("");
    }
    assert_eq!(std::fs::read(&file).unwrap(), before);
    assert_eq!(listing(), files, "no file created");
    home.credtop()
        .args(["git-credential", "erase"])
        .write_stdin("protocol=https\nhost=example.test\npassword=ghp_KEEP\n\n")
        .assert()
        .success();
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "erase keeps the credential"
    );
    let warned = audit_events(&home, "warning_raised");
    assert!(
        warned[0]["detail"]
            .as_str()
            .unwrap()
            .contains("example.test")
    );
}

/// The smart-HTTP server of tests/support/git_http.py over `root`.
struct GitHttp {
    port: u16,
    _child: (Child, ChildStdin),
}

impl GitHttp {
    fn start(root: &Path, server: &AuthServer) -> GitHttp {
        let script = authserver::repo().join("tests/support/git_http.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(root)
            .arg(format!("{}/token/introspection", server.issuer))
            .args(["introspector", "introspector-secret"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        GitHttp {
            port: v["port"].as_u64().unwrap() as u16,
            _child: (child, stdin),
        }
    }
}

/// A bare repository `repo.git` under `root` with one commit.
fn bare_repo(home: &Home, root: &Path) {
    let src = root.join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("README"), "cloned through credtop\n").unwrap();
    let id = ["-c", "user.name=t", "-c", "user.email=t@example.test"];
    for args in [
        vec!["init", "-q", "-b", "main"],
        vec!["add", "README"],
        [&id[..], &["commit", "-q", "-m", "one"]].concat(),
        vec!["clone", "-q", "--bare", ".", "../repo.git"],
    ] {
        let out = git(home, &src, &args, "");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn git_clone_over_http_is_let_in_by_the_token_credtop_supplies() {
    let server = AuthServer::shared();
    let home = Home::new();
    authserver::login(&home, server, "acme");
    let root = tempfile::tempdir().unwrap();
    bare_repo(&home, root.path());
    let http = GitHttp::start(root.path(), server);
    let url = format!("http://127.0.0.1:{}/repo.git", http.port);

    // Without credtop, the server turns git away.
    let out = git(&home, root.path(), &["clone", "-q", &url, "anon"], "");
    assert!(!out.status.success());

    installed(&home);
    home.write_private(
        "config.toml",
        &format!("[git]\n\"127.0.0.1:{}\" = \"acme\"\n", http.port),
    );
    let out = git(&home, root.path(), &["clone", "-q", &url, "dest"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let readme = std::fs::read_to_string(root.path().join("dest/README")).unwrap();
    assert_eq!(readme, "cloned through credtop\n");
    assert!(!audit_events(&home, "secret_read").is_empty());

    // A revoked token is refused by the server, and git's erase is audited.
    let (access, _) = stored_tokens(home.path(), "acme");
    server.revoke_at_server(&access);
    let out = git(&home, root.path(), &["clone", "-q", &url, "again"], "");
    assert!(!out.status.success());
    let warned = audit_events(&home, "warning_raised");
    assert!(
        warned
            .iter()
            .any(|w| w["detail"].as_str().unwrap().contains("rejected"))
    );
}
