//! A canary secret never reaches Debug output, logs, the audit trail, error
//! messages or the screen, except through `credtop token`.

use crate::support;

use chrono::{Duration, Utc};
use credtop::model::{Credential, Kind, Secret, Source};
use credtop::store::Store;
use support::Home;

const CANARY: &str = "CANARY-7d3f9b1e";

fn canaried(name: &str) -> String {
    format!("{CANARY}-{name}")
}

#[test]
fn debug_of_every_public_type_that_holds_a_secret_shows_no_canary() {
    let cred = Credential {
        name: "acme".into(),
        kind: Kind::OAuth,
        provider: "acme".into(),
        account: Some("me".into()),
        scopes: vec!["openid".into()],
        created_at: Utc::now(),
        expires_at: None,
        secret: Secret::new(canaried("access")),
        refresh_token: Some(Secret::new(canaried("refresh"))),
        refresh_expires_at: None,
        token_type: Some("Bearer".into()),
        source: Source::Store,
    };
    let home = Home::new();
    let store = Store::open(home.path()).unwrap();
    store.save(&cred).unwrap();
    let listing = store.list();
    let row = credtop::report::StatusRow::new(&cred, Utc::now(), None, 90);
    let shown = format!(
        "{cred:?}{cred:#?}{listing:?}{row:?}{}",
        serde_json::to_string(&row).unwrap()
    );
    assert!(!shown.contains(CANARY), "{shown}");
}

#[test]
fn errors_about_malformed_files_never_quote_their_values() {
    let home = Home::new();
    // A type error serde would love to quote, in several places.
    home.write_private(
        "oauth/bad.json",
        &format!(
            r#"{{"provider":"acme","access_token":"{}","refresh_token":7,"created_at":"{}"}}"#,
            canaried("a"),
            canaried("b")
        ),
    );
    home.write_private(
        "keys/worse.json",
        &format!("{{\"key\": {}}}", canaried("c")),
    );
    let store = Store::open(home.path()).unwrap();
    let problems = format!(
        "{:?} {:?}",
        store.list().problems,
        store.load("bad").unwrap_err()
    );
    assert!(problems.contains("bad.json"), "{problems}");
    assert!(!problems.contains(CANARY), "{problems}");
    for args in [
        vec!["status"],
        vec!["status", "--json"],
        vec!["check"],
        vec!["token", "bad"],
    ] {
        let out = home.credtop().args(&args).output().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains(CANARY), "{args:?}: {all}");
    }
}

#[test]
fn no_command_but_token_puts_a_secret_on_screen_logs_or_audit() {
    let home = Home::new();
    home.oauth(
        "live",
        &canaried("live"),
        Duration::minutes(1),
        Duration::hours(1),
    );
    home.oauth(
        "warm",
        &canaried("warm"),
        Duration::minutes(55),
        Duration::hours(1),
    );
    home.oauth(
        "dead",
        &canaried("dead"),
        Duration::hours(3),
        Duration::hours(1),
    );
    home.key("key", &canaried("key"), Duration::days(200));
    let run = |args: &[&str], stdin: &str| {
        let out = home
            .credtop()
            .env("CREDTOP_LOG", "trace")
            .args(args)
            .write_stdin(stdin.to_string())
            .output()
            .unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let mut screen = String::new();
    for args in [
        &["status"][..],
        &["status", "--json"],
        &["check"],
        &["token", "dead"],
        &["audit"],
        &["audit", "--json"],
        &["logout", "warm"],
    ] {
        screen += &run(args, "");
    }
    screen += &run(&["add-key", "fresh"], &format!("{}\n", canaried("fresh")));
    screen += &run(&["rotate", "key"], &format!("{}\n", canaried("rotated")));
    screen += &run(&["audit"], "");
    assert!(!screen.contains(CANARY), "{screen}");
    let files = home.everything_but_credentials();
    assert!(
        files.contains("rotate"),
        "the audit trail was written: {files}"
    );
    assert!(!files.contains(CANARY), "{files}");
    // And the one explicit exit does print it.
    assert_eq!(
        run(&["token", "live"], ""),
        format!("{}\n", canaried("live"))
    );
}

#[test]
fn discovered_credentials_problems_and_mcp_configs_show_no_canary() {
    use credtop::discover::{Env, discover_all};
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let write = |rel: &str, body: String| {
        let p = home.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    };
    write(
        ".claude/.credentials.json",
        format!(
            r#"{{"claudeAiOauth":{{"accessToken":"{}","refreshToken":"{}","expiresAt":"{}"}}}}"#,
            canaried("claude"),
            canaried("claude-r"),
            canaried("not-a-time")
        ),
    );
    // Wrong types everywhere: a reader that quoted serde's error would leak.
    write(
        ".azure/msal_token_cache.json",
        format!(r#"{{"AccessToken":"{}"}}"#, canaried("azure")),
    );
    write(
        ".codex/auth.json",
        format!(r#"{{"tokens":"{}"}}"#, canaried("codex")),
    );
    write(
        ".gemini/oauth_creds.json",
        format!(
            r#"{{"access_token":7,"expiry_date":"{}"}}"#,
            canaried("gemini")
        ),
    );
    write(
        ".mcp-auth/mcp-remote-v1/x_tokens.json",
        format!("{{\"access_token\": \"{}", canaried("torn")),
    );
    write(
        ".mcp.json",
        format!(
            r#"{{"mcpServers":{{"s":{{"command":"c","env":{{"K":"{}"}}}}}}}}"#,
            canaried("mcp")
        ),
    );
    let env = Env::new(home, home).with_var("OPENAI_API_KEY", &canaried("env"));
    let found = discover_all(&env, &Default::default());
    assert!(found.credentials.iter().any(|c| c.name == "claude-code"));
    let problems: Vec<String> = found.problems.iter().map(|p| p.to_string()).collect();
    let configs = credtop::mcp::load(&env);
    let rows: Vec<_> = found
        .credentials
        .iter()
        .map(|c| credtop::report::StatusRow::new(c, Utc::now(), None, 90))
        .collect();
    let shown = format!(
        "{found:?}{problems:?}{env:?}{configs:?}{}",
        serde_json::to_string(&rows).unwrap()
    );
    assert!(problems.len() >= 2, "{problems:?}");
    assert!(!shown.contains(CANARY), "{shown}");
}

#[test]
fn exec_git_credential_and_trust_put_no_secret_on_screen_logs_or_audit() {
    let home = Home::new();
    home.key("key", &canaried("key"), Duration::days(1));
    home.oauth(
        "live",
        &canaried("live"),
        Duration::minutes(1),
        Duration::hours(1),
    );
    home.write_private("config.toml", "[git]\n\"example.test\" = \"key\"\n");
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join(".credtop.toml"),
        "[alias]\nwork = \"key\"\n",
    )
    .unwrap();
    let run = |args: &[&str], stdin: &str| {
        let out = home
            .credtop()
            .current_dir(project.path())
            .env("CREDTOP_LOG", "trace")
            .args(args)
            .write_stdin(stdin.to_string())
            .output()
            .unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let mut screen = String::new();
    for args in [
        &[
            "exec",
            "key",
            "--parent",
            "--",
            "sh",
            "-c",
            "test -n \"$CREDTOP_TOKEN\"",
        ][..],
        &["exec", "key", "--", "true"],
        &["exec", "live", "--", "true"],
        &["exec", "live", "--scope", "openid admin", "--", "true"],
        &["trust"],
        &["exec", "work", "--parent", "--", "true"],
        &["status"],
        &["audit"],
    ] {
        screen += &run(args, "");
    }
    let pass = format!(
        "protocol=https\nhost=example.test\npassword={}\n\n",
        canaried("git")
    );
    screen += &run(&["git-credential", "store"], &pass);
    screen += &run(&["git-credential", "erase"], &pass);
    screen += &run(
        &["git-credential", "get"],
        "protocol=https\nhost=other.test\n\n",
    );
    assert!(!screen.contains(CANARY), "{screen}");
    let files = home.everything_but_credentials();
    assert!(files.contains("secret_read"), "audited: {files}");
    assert!(!files.contains(CANARY), "{files}");
}
