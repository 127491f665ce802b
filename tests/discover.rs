//! Read-only discovery of other tools' credentials: every format and its
//! expiry encoding, the override variables, torn files, the config
//! switches, and proof that nothing is ever written.

use crate::support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use credtop::discover::{Env, discover_all};
use credtop::store::DiscoverConfig;
use serde_json::Value;
use support::fixtures::{ToolHome, copy_tree, fixture, gcloud_dbs, snapshot};

const CANARY: &str = "FIXTURE-CANARY";

/// The fixture tree with gcloud's databases added.
fn tool_home() -> ToolHome {
    let t = ToolHome::new();
    gcloud_dbs(
        &t.home().join(".config/gcloud"),
        "ya29.FIXTURE-CANARY-gcloud",
        "2100-01-01 07:00:00.000000",
    );
    t
}

fn status_rows(t: &ToolHome, extra: &[(&str, &str)]) -> BTreeMap<String, Value> {
    let mut cmd = t.credtop();
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.args(["status", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    rows.into_iter()
        .map(|r| (r["name"].as_str().unwrap().to_string(), r))
        .collect()
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .unwrap_or_else(|| panic!("not a time: {v}"))
        .with_timezone(&Utc)
}

fn at(hour: u32) -> DateTime<Utc> {
    time(&Value::String(format!("2100-01-01T{hour:02}:00:00Z")))
}

#[test]
fn every_format_is_read_with_its_own_expiry_encoding() {
    let t = tool_home();
    let rows = status_rows(&t, &[]);
    let expiry = |name: &str| {
        let row = rows
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing: {:?}", rows.keys()));
        time(&row["expires_at"])
    };
    assert_eq!(expiry("claude-code"), at(0), "epoch milliseconds");
    assert_eq!(expiry("claude-mcp:example-server"), at(1), "MCP grant, ms");
    assert_eq!(expiry("codex"), at(2), "JWT exp only");
    assert_eq!(expiry("gemini-cli"), at(3), "float milliseconds");
    assert_eq!(expiry("aws-sso:d-0000000000"), at(4), "literal UTC suffix");
    assert_eq!(expiry("aws:saml-dev"), at(5), "x_security_token_expires");
    assert_eq!(expiry("aws:azure-login"), at(6), "aws_expiration");
    assert_eq!(
        expiry("gcloud:gcloud@example.invalid"),
        at(7),
        "naive SQLite time"
    );
    assert_eq!(
        expiry("az:management.core.windows.net"),
        at(8),
        "seconds as strings"
    );
    assert!(!rows.contains_key("claude-mcp:registration-only"));
    assert_eq!(expiry("gemini-mcp:example"), at(9), "Gemini MCP grant, ms");
    assert_eq!(expiry("aws-login:signin"), at(10), "aws login keys");
    // The Gemini grant file holds every server: `updatedAt` dates each.
    assert_eq!(time(&rows["gemini-mcp:example"]["created_at"]), at(8));
    assert_eq!(
        rows["gemini-mcp:example"]["account"],
        "https://mcp.example.invalid"
    );
    assert_eq!(
        rows["gemini-mcp:example"]["relogin"],
        "gemini, then /mcp auth example"
    );
    // The cache file is named by sha256 of the profile's login_session.
    assert_eq!(
        rows["aws-login:signin"]["relogin"],
        "aws login --profile signin"
    );
    assert_eq!(rows["aws-login:signin"]["account"], "111111111111");

    assert_eq!(rows["claude-code"]["account"], "dev@example.invalid");
    assert_eq!(rows["claude-code"]["relogin"], "claude /login");
    assert_eq!(rows["codex"]["account"], "codex@example.invalid");
    assert_eq!(rows["codex"]["relogin"], "codex login");
    assert_eq!(rows["gemini-cli"]["account"], "gemini@example.invalid");
    assert_eq!(
        rows["aws-sso:d-0000000000"]["relogin"],
        "aws sso login --profile dev"
    );
    assert_eq!(
        rows["gcloud:gcloud@example.invalid"]["relogin"],
        "gcloud auth login"
    );
    assert_eq!(
        rows["az:management.core.windows.net"]["account"],
        "az@example.invalid"
    );
    assert_eq!(
        rows["az:management.core.windows.net"]["relogin"],
        "az login"
    );
    assert_eq!(rows["gh:github.com"]["relogin"], "gh auth login");
    assert_eq!(rows["gh:github.com"]["expires_at"], Value::Null);
    let ghe = &rows["gh:ghe.example.invalid"];
    assert!(ghe["note"].as_str().unwrap().contains("keyring"), "{ghe}");
    // A token credtop cannot read has no fingerprint to show.
    assert_eq!(ghe["fingerprint"], "none");
    assert!(
        rows["gh:github.com"]["fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );

    for (name, row) in &rows {
        for field in [
            "name",
            "kind",
            "provider",
            "status",
            "zone",
            "created_at",
            "expires_at",
            "remaining_seconds",
            "source",
        ] {
            assert!(row.get(field).is_some(), "{field} missing in {name}");
        }
        assert_ne!(row["source"], "credtop", "{name}");
        assert!(row["location"].is_string(), "{name}");
        assert_eq!(row["refreshable"], false, "credtop never refreshes {name}");
    }
    assert_eq!(rows["claude-code"]["source"], "claude-code");
    assert_eq!(rows["claude-code"]["zone"], "safe");
    // The fixture's serverUrl carries secrets in userinfo, path and query
    // (the no-leak test below looks for them): only the origin is shown.
    assert_eq!(
        rows["claude-mcp:example-server"]["account"],
        "https://mcp.example.invalid"
    );
}

/// Only `source` of the discovery sources, reading `env`.
fn only(source: &str, env: &Env) -> credtop::discover::Discovered {
    let mut config = DiscoverConfig::default();
    for s in credtop::discover::SOURCES.iter().filter(|s| **s != source) {
        config.sources.insert(s.to_string(), false);
    }
    discover_all(env, &config)
}

fn write(path: &std::path::Path, body: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, body).unwrap();
}

#[test]
fn mcp_grants_are_read_when_the_claude_login_has_no_access_token() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("claude/.credentials.json"),
        r#"{"claudeAiOauth": {"refreshToken": "r"},
            "mcpOAuth": {"s|1": {"serverName": "s", "accessToken": "FIXTURE-CANARY-g", "expiresAt": 4102448400000}}}"#,
    );
    let env = Env::new(dir.path(), dir.path()).with_var(
        "CLAUDE_CONFIG_DIR",
        &dir.path().join("claude").display().to_string(),
    );
    let found = only("claude", &env);
    let names: Vec<&str> = found.credentials.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["claude-mcp:s"]);
    assert_eq!(found.problems.len(), 1, "{:?}", found.problems);
    assert!(found.problems[0].to_string().contains("no accessToken"));
}

#[test]
fn a_jwt_grant_is_dated_by_its_iat_and_the_login_by_its_known_lifetime() {
    let dir = tempfile::tempdir().unwrap();
    let expires = Utc::now() + chrono::Duration::hours(1);
    // iat 2099-12-31T22:00:00Z, exp 2100-01-01T01:00:00Z.
    let jwt = "eyJhbGciOiJub25lIn0.eyJpYXQiOjQxMDI0Mzc2MDAsImV4cCI6NDEwMjQ0ODQwMH0.ZmFrZQ";
    write(
        &dir.path().join(".claude/.credentials.json"),
        &format!(
            r#"{{"claudeAiOauth": {{"accessToken": "a", "expiresAt": {}}},
                "mcpOAuth": {{"s|1": {{"serverName": "s", "accessToken": "{jwt}", "expiresAt": 4102448400000}}}}}}"#,
            expires.timestamp_millis()
        ),
    );
    // The file was just written (another entry changed): its mtime says
    // "now", which would leave the login a one-hour lifetime.
    let found = only("claude", &Env::new(dir.path(), dir.path()));
    let created = |name: &str| {
        found
            .credentials
            .iter()
            .find(|c| c.name == name)
            .unwrap()
            .created_at
    };
    assert_eq!(created("claude-mcp:s"), at(0) - chrono::Duration::hours(2));
    let login = created("claude-code");
    let want = expires - chrono::Duration::hours(8);
    assert!((login - want).num_seconds().abs() <= 1, "{login} vs {want}");
}

#[test]
fn gcloud_tokens_are_dated_by_googles_one_hour_lifetime() {
    let dir = tempfile::tempdir().unwrap();
    let expiry = Utc::now() + chrono::Duration::minutes(30);
    gcloud_dbs(
        &dir.path().join(".config/gcloud"),
        "ya29.FIXTURE-CANARY-gcloud",
        &expiry.format("%Y-%m-%d %H:%M:%S").to_string(),
    );
    let found = only("gcloud", &Env::new(dir.path(), dir.path()));
    let c = &found.credentials[0];
    let want = c.expires_at.unwrap() - chrono::Duration::seconds(3600);
    assert_eq!(c.created_at, want, "not the database's mtime");
}

#[test]
fn a_relative_cloudsdk_config_is_taken_from_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let cwd = dir.path().join("work");
    std::fs::create_dir_all(&home).unwrap();
    gcloud_dbs(
        &cwd.join("gcloud-rel"),
        "ya29.FIXTURE-CANARY-gcloud",
        "2100-01-01 07:00:00",
    );
    let env = Env::new(&home, &cwd).with_var("CLOUDSDK_CONFIG", "gcloud-rel");
    let found = only("gcloud", &env);
    assert!(found.problems.is_empty(), "{:?}", found.problems);
    assert_eq!(found.credentials.len(), 1);
    assert_eq!(found.credentials[0].name, "gcloud:gcloud@example.invalid");
}

#[test]
fn a_stale_sso_cache_file_for_the_same_portal_does_not_fail_check() {
    let t = tool_home();
    // A legacy sha1(startUrl) file that botocore stopped refreshing when
    // the profile moved to an sso-session: expired, no refresh token.
    write(
        &t.home()
            .join(".aws/sso/cache/ffffffffffffffffffffffffffffffffffffffff.json"),
        r#"{"startUrl": "https://d-0000000000.awsapps.com/start", "region": "us-east-1",
            "accessToken": "aoaFIXTURE-CANARY-stale", "expiresAt": "2020-01-01T00:00:00Z"}"#,
    );
    let rows = status_rows(&t, &[]);
    assert_eq!(time(&rows["aws-sso:d-0000000000"]["expires_at"]), at(4));
    let out = t.credtop().arg("check").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let found = only("aws", &Env::new(t.home(), t.cwd()));
    let sso = found
        .credentials
        .iter()
        .filter(|c| c.name.starts_with("aws-sso:"))
        .count();
    assert_eq!(sso, 1);
}

#[test]
fn a_huge_expires_in_or_an_odd_file_name_is_no_expiry_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("mcp-remote-v1/aéééééééé_tokens.json"),
        r#"{"access_token": "FIXTURE-CANARY-m", "expires_in": 1e300}"#,
    );
    let env = Env::new(dir.path(), dir.path())
        .with_var("MCP_REMOTE_CONFIG_DIR", &dir.path().display().to_string());
    let found = only("mcp_remote", &env);
    assert_eq!(found.credentials.len(), 1);
    let c = &found.credentials[0];
    assert_eq!(c.name, "mcp-remote:aééééééé");
    assert_eq!(c.expires_at, None);
    assert_eq!(found.problems.len(), 1, "{:?}", found.problems);
    assert!(found.problems[0].to_string().contains("out of range"));
}

#[test]
fn mcp_remote_expiry_is_estimated_from_mtime_and_says_so() {
    let t = tool_home();
    let file = t
        .home()
        .join(".mcp-auth/mcp-remote-v1/0123456789abcdef0123456789abcdef_tokens.json");
    let written = std::time::SystemTime::now() - Duration::from_secs(600);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(written)
        .unwrap();
    let rows = status_rows(&t, &[]);
    let row = &rows["mcp-remote:01234567"];
    let want = DateTime::<Utc>::from(written) + chrono::Duration::seconds(3600);
    assert!(
        (time(&row["expires_at"]) - want).num_seconds().abs() <= 1,
        "{row}"
    );
    assert!(row["note"].as_str().unwrap().contains("estimated"), "{row}");
}

#[test]
fn no_discovered_secret_reaches_any_output_or_credtop_file() {
    let t = tool_home();
    let mut seen = String::new();
    for args in [&["status"][..], &["status", "--json"], &["check"]] {
        let out = t
            .credtop()
            .env("CREDTOP_LOG", "debug")
            .args(args)
            .output()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&out.stdout));
        seen.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    support::walk(&t.credtop_home(), &mut |p| {
        seen.push_str(&String::from_utf8_lossy(&std::fs::read(p).unwrap()));
    });
    assert!(seen.contains("claude-code"), "{seen}");
    assert!(!seen.contains(CANARY), "a secret leaked:\n{seen}");
    assert!(!seen.contains("sk-ant-"), "{seen}");
}

#[test]
fn discovery_never_writes_status_check_or_daemon() {
    let t = tool_home();
    let before = snapshot(&t.home());
    // Let any mtime change be visible at the filesystem's granularity.
    std::thread::sleep(Duration::from_millis(20));
    for args in [&["status"][..], &["status", "--json"], &["check"]] {
        t.credtop().args(args).output().unwrap();
    }
    run_daemon_briefly(&t);
    let after = snapshot(&t.home());
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "a file was created or removed under HOME"
    );
    for (path, (bytes, mtime)) in &before {
        let (b2, m2) = &after[path];
        assert!(bytes == b2, "{} changed", path.display());
        assert_eq!(mtime, m2, "{} was touched", path.display());
    }
}

/// `credtop --home DIR daemon` with HOME at the fixture tree, for about two
/// seconds, then SIGTERM; waits at most ten seconds for it to stop.
fn run_daemon_briefly(t: &ToolHome) {
    let bin = assert_cmd::cargo::cargo_bin("credtop");
    let mut child = std::process::Command::new(bin)
        .env_clear()
        .env("HOME", t.home())
        .env("PATH", "/usr/bin:/bin")
        .current_dir(t.cwd())
        .arg("--home")
        .arg(t.credtop_home())
        .arg("daemon")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    // SAFETY: signals our own child by its pid.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the daemon did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(
        err.contains("credentials in"),
        "daemon did not start: {err}"
    );
    assert!(!err.contains(CANARY), "{err}");
}

#[test]
fn override_variables_move_every_tool() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture("discover/home");
    let moved = |from: &str, to: &str| {
        let dst = dir.path().join(to);
        copy_tree(&src.join(from), &dst);
        dst
    };
    let claude = moved(".claude", "claude-cfg");
    let codex = moved(".codex", "codex-home");
    let gh = moved(".config/gh", "gh-cfg");
    let azure = moved(".azure", "az-cfg");
    let mcp_auth = moved(".mcp-auth", "mcp-auth");
    let aws = moved(".aws", "aws");
    let gcloud = dir.path().join("gcloud-cfg");
    gcloud_dbs(&gcloud, "ya29.FIXTURE-CANARY-gcloud", "2100-01-01 07:00:00");
    let empty_home = dir.path().join("empty-home");
    std::fs::create_dir_all(&empty_home).unwrap();
    let path = |p: &std::path::Path| p.display().to_string();
    let env = Env::new(&empty_home, &empty_home)
        .with_var("CLAUDE_CONFIG_DIR", &path(&claude))
        .with_var("CODEX_HOME", &path(&codex))
        .with_var("GH_CONFIG_DIR", &path(&gh))
        .with_var("AZURE_CONFIG_DIR", &path(&azure))
        .with_var("MCP_REMOTE_CONFIG_DIR", &path(&mcp_auth))
        .with_var("CLOUDSDK_CONFIG", &path(&gcloud))
        .with_var(
            "AWS_SHARED_CREDENTIALS_FILE",
            &path(&aws.join("credentials")),
        )
        .with_var("AWS_CONFIG_FILE", &path(&aws.join("config")))
        .with_var("AWS_LOGIN_CACHE_DIRECTORY", &path(&aws.join("login/cache")));
    let found = discover_all(&env, &DiscoverConfig::default());
    assert!(found.problems.is_empty(), "{:?}", found.problems);
    let mut names: Vec<&str> = found.credentials.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    for want in [
        "claude-code",
        "codex",
        "gh:github.com",
        "az:management.core.windows.net",
        "mcp-remote:01234567",
        "gcloud:gcloud@example.invalid",
        "aws:saml-dev",
        "aws-login:signin",
    ] {
        assert!(names.contains(&want), "{want} not found in {names:?}");
    }
    assert!(!format!("{found:?} {env:?}").contains(CANARY));
}

#[test]
fn a_torn_file_is_retried_then_reported_never_a_crash() {
    let t = ToolHome::from_fixture("discover/torn");
    let started = Instant::now();
    let out = t.credtop().args(["status", "--json"]).output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("auth.json") && err.contains("half-written"),
        "{err}"
    );
    // Exit 2 is for credentials that are expired, revoked or need a login:
    // a file another tool is rewriting is a warning.
    let out = t.credtop().arg("check").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("WARNING codex") && text.contains("auth.json"),
        "{text}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "retries are bounded"
    );
}

#[test]
fn a_file_completed_during_the_retries_is_read() {
    let t = ToolHome::from_fixture("discover/torn");
    let file = t.home().join(".codex/auth.json");
    let whole = std::fs::read(fixture("discover/home/.codex/auth.json")).unwrap();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        std::fs::write(file, whole).unwrap();
    });
    let mut only_codex = DiscoverConfig::default();
    for s in credtop::discover::SOURCES.iter().filter(|s| **s != "codex") {
        only_codex.sources.insert(s.to_string(), false);
    }
    let found = discover_all(&Env::new(t.home(), t.cwd()), &only_codex);
    writer.join().unwrap();
    assert!(found.problems.is_empty(), "{:?}", found.problems);
    assert_eq!(found.credentials.len(), 1);
    assert_eq!(found.credentials[0].name, "codex");
}

#[test]
fn a_set_variable_shadows_the_stored_login() {
    let t = tool_home();
    let rows = status_rows(
        &t,
        &[
            ("GH_TOKEN", "ghp_ENV-CANARY-1"),
            ("ANTHROPIC_API_KEY", "sk-ENV-CANARY-2"),
        ],
    );
    let note = |n: &str| rows[n]["note"].as_str().unwrap_or_default().to_string();
    assert!(
        note("env:GH_TOKEN").contains("shadows the stored login gh:github.com"),
        "{}",
        note("env:GH_TOKEN")
    );
    assert!(note("gh:github.com").contains("shadowed by $GH_TOKEN"));
    assert!(note("env:ANTHROPIC_API_KEY").contains("claude-code"));
    assert_eq!(rows["env:GH_TOKEN"]["source"], "env");
    let all = serde_json::to_string(&rows).unwrap();
    assert!(!all.contains("ENV-CANARY"), "{all}");
}

#[test]
fn config_switches_and_no_discover_turn_sources_off() {
    let t = tool_home();
    let config = t.credtop_home().join("config.toml");
    std::fs::write(&config, "[discover]\nclaude = false\n").unwrap();
    // config.toml follows the credential rules: private, or refused.
    std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let rows = status_rows(&t, &[]);
    assert!(!rows.contains_key("claude-code"));
    assert!(rows.contains_key("codex"));

    std::fs::write(&config, "[discover]\nenabled = false\n").unwrap();
    assert!(status_rows(&t, &[]).is_empty());

    std::fs::remove_file(&config).unwrap();
    for cmd in ["status", "check"] {
        let out = t.credtop().args([cmd, "--no-discover"]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("claude-code"), "{cmd}: {text}");
    }

    std::fs::write(&config, "[discover]\nclaude_code = false\n").unwrap();
    std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let out = t.credtop().arg("status").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown source \"claude_code\""), "{err}");
}

#[test]
fn check_judges_discovered_credentials_by_who_can_renew_them() {
    let t = ToolHome::new();
    // An expired Claude access token: Claude Code holds a refresh token.
    let claude = t.home().join(".claude/.credentials.json");
    let text = std::fs::read_to_string(&claude)
        .unwrap()
        .replace("4102444800000", "1700000000000");
    std::fs::write(&claude, text).unwrap();
    let out = t.credtop().arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("NOTE claude-code") && stdout.contains("claude /login"),
        "{stdout}"
    );

    // An expired SSO token without a refresh token: only a new login helps.
    let sso = t
        .home()
        .join(".aws/sso/cache/3f786850e387550fdab836ed7e6dc881de23001b.json");
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&sso).unwrap()).unwrap();
    doc["expiresAt"] = Value::String("2020-01-01T00:00:00UTC".into());
    doc.as_object_mut().unwrap().remove("refreshToken");
    std::fs::write(&sso, doc.to_string()).unwrap();
    let out = t.credtop().arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("CRITICAL aws-sso:d-0000000000")
            && stdout.contains("aws sso login --profile dev"),
        "{stdout}"
    );
}

#[test]
fn a_bad_entry_is_reported_and_its_neighbours_still_read() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join(".gemini/mcp-oauth-tokens.json"),
        r#"[{"serverName": "broken", "token": {}},
            {"serverName": "ok", "token": {"accessToken": "FIXTURE-CANARY-g", "expiresAt": 4102477200000.0}}]"#,
    );
    write(
        &dir.path().join(".aws/login/cache/0123.json"),
        r#"{"accessToken": "FIXTURE-CANARY-not-an-object", "refreshToken": "FIXTURE-CANARY-r"}"#,
    );
    write(
        &dir.path().join(".aws/login/cache/4567.json"),
        r#"{"accessToken": {"sessionToken": "FIXTURE-CANARY-s", "accountId": "222222222222",
            "expiresAt": "2100-01-01T10:00:00Z"}}"#,
    );
    // An older session's file for the same account: only the live one shows.
    write(
        &dir.path().join(".aws/login/cache/89ab.json"),
        r#"{"accessToken": {"sessionToken": "FIXTURE-CANARY-s0", "accountId": "222222222222",
            "expiresAt": "2099-01-01T10:00:00Z"}}"#,
    );
    let env = Env::new(dir.path(), dir.path());

    let gemini = only("gemini", &env);
    let names: Vec<&str> = gemini.credentials.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["gemini-mcp:ok"]);
    assert_eq!(gemini.credentials[0].expires_at, Some(at(9)));
    assert_eq!(gemini.problems.len(), 1, "{:?}", gemini.problems);
    assert!(
        gemini.problems[0]
            .to_string()
            .contains("mcp-oauth-tokens.json")
    );

    let aws = only("aws", &env);
    let names: Vec<&str> = aws.credentials.iter().map(|c| c.name.as_str()).collect();
    // No profile names the session: the account labels it, and the
    // re-login command cannot name a profile.
    assert_eq!(names, ["aws-login:222222222222"]);
    assert_eq!(aws.credentials[0].expires_at, Some(at(10)));
    assert_eq!(aws.problems.len(), 1, "{:?}", aws.problems);
    let problem = aws.problems[0].to_string();
    assert!(problem.contains("0123.json") && problem.contains("accessToken"));
    assert!(!format!("{gemini:?} {aws:?} {problem}").contains(CANARY));
}
