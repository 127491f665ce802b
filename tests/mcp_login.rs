//! `credtop mcp login URL` against a real MCP server (the official SDK) and
//! its real authorization server (oidc-provider with resource indicators
//! and dynamic registration): discovery, registration, PKCE with the
//! resource, and every kind of bad input refused with nothing stored.

use crate::support;

use support::Home;
use support::mcpserver::{McpServer, mcp_login};

fn jwt_claims(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Nothing of credential `name` is on disk: no credential, no server record.
fn assert_nothing_stored(home: &Home, name: &str) {
    assert!(!home.path().join(format!("oauth/{name}.json")).exists());
    assert!(
        !home
            .path()
            .join(format!("mcp/servers/{name}.json"))
            .exists()
    );
}

#[test]
fn login_end_to_end_binds_the_token_to_the_server_and_refreshes_with_the_resource() {
    let server = McpServer::start(60, &[], &[]);
    let home = Home::new();
    let out = mcp_login(&home, &server.url, "notes", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (access, refresh) = support::authserver::stored_tokens(home.path(), "notes");
    assert!(!refresh.is_empty(), "a refresh token was kept");
    let claims = jwt_claims(&access);
    assert_eq!(claims["aud"], server.url.as_str(), "RFC 8707 audience");
    assert_eq!(claims["scope"], "mcp:read", "the 401's scope was asked for");
    let record: serde_json::Value =
        serde_json::from_str(&home.read("mcp/servers/notes.json")).unwrap();
    assert_eq!(record["url"], server.url.as_str());
    assert_eq!(record["issuer"], server.auth.issuer.as_str());

    // The engine refreshes it like any credential, resource included.
    let refreshed = home.credtop().args(["refresh", "notes"]).output().unwrap();
    assert!(refreshed.status.success(), "{}", stderr(&refreshed));
    let (access2, _) = support::authserver::stored_tokens(home.path(), "notes");
    assert_ne!(access, access2);
    assert_eq!(jwt_claims(&access2)["aud"], server.url.as_str());
    assert!(!stderr(&out).contains(&access) && !home.read("audit.jsonl").contains(&access));
}

#[test]
fn the_registration_is_kept_per_issuer_and_reused() {
    let server = McpServer::start(60, &[], &[]);
    let home = Home::new();
    for name in ["first", "second"] {
        let out = mcp_login(&home, &server.url, name, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let clients = std::fs::read_dir(home.path().join("mcp/clients")).unwrap();
    assert_eq!(clients.count(), 1, "one registration for one issuer");
    let id = |n: &str| -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(&home.read(&format!("mcp/servers/{n}.json")))
            .unwrap()["client_id"]
            .clone()
    };
    assert_eq!(id("first"), id("second"));
}

#[test]
fn a_providers_toml_client_for_the_issuer_wins_over_registration() {
    let server = McpServer::start(60, &[("MCP_REGISTRATION", "off")], &[]);
    let home = Home::new();
    home.write_private(
        "providers.toml",
        &format!(
            "[providers.notes-as]\nissuer = \"{}\"\nclient_id = \"credtop-test\"\n",
            server.auth.issuer
        ),
    );
    let out = mcp_login(&home, &server.url, "notes", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(home.read("mcp/servers/notes.json").contains("credtop-test"));
}

fn refused(server: &McpServer, url: &str, expect: &str) {
    let home = Home::new();
    let out = mcp_login(&home, url, "bad", &[]);
    assert!(!out.status.success(), "login to {url} succeeded");
    let err = stderr(&out);
    assert!(err.contains(expect), "{expect:?} not in {err}");
    assert_nothing_stored(&home, "bad");
    assert!(
        home.read("audit.jsonl").contains("\"login_failed\""),
        "the failure is audited"
    );
    let _ = server;
}

#[test]
fn missing_protected_resource_metadata_is_refused() {
    let server = McpServer::start(60, &[], &[("PRM_MODE", "missing")]);
    refused(
        &server,
        &server.url,
        "publishes no protected resource metadata",
    );
}

#[test]
fn malformed_protected_resource_metadata_is_refused() {
    let server = McpServer::start(60, &[], &[("PRM_MODE", "malformed")]);
    refused(&server, &server.url, "is malformed");
}

#[test]
fn metadata_for_another_resource_is_refused() {
    let server = McpServer::start(60, &[], &[("PRM_MODE", "mismatch")]);
    refused(&server, &server.url, "not ");
    refused(&server, &server.url, "RFC 9728 §3.3");
}

#[test]
fn no_registration_endpoint_says_to_put_a_client_id_in_providers_toml() {
    let server = McpServer::start(60, &[("MCP_REGISTRATION", "off")], &[]);
    refused(&server, &server.url, "client_id");
    refused(&server, &server.url, "providers.toml");
}

#[test]
fn refused_registration_is_a_clear_error() {
    let server = McpServer::start(60, &[("MCP_REGISTRATION", "refuse")], &[]);
    refused(&server, &server.url, "refused to register credtop");
}

#[test]
fn plain_http_to_a_non_loopback_host_is_refused_before_any_request() {
    let home = Home::new();
    // A documentation address (RFC 5737): never contacted, refused first.
    let out = mcp_login(&home, "http://192.0.2.1/mcp", "bad", &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("plain http"), "{}", stderr(&out));
    assert_nothing_stored(&home, "bad");
}

fn status_row(home: &Home, name: &str) -> serde_json::Value {
    let out = home
        .credtop()
        .args(["status", "--json", "--no-discover"])
        .output()
        .unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    rows.into_iter().find(|r| r["name"] == name).unwrap()
}

#[test]
fn status_shows_the_resource_and_the_token_type() {
    let server = McpServer::start(60, &[], &[]);
    let home = Home::new();
    assert!(mcp_login(&home, &server.url, "notes", &[]).status.success());
    let row = status_row(&home, "notes");
    assert_eq!(row["resource"], server.url.as_str());
    // The server lists ES256 for DPoP: the tokens are bound.
    assert_eq!(row["token_type"], "DPoP");
    assert_eq!(row["bridges"], 0);
    assert_eq!(row["kind"], "oauth");
    assert_eq!(row["status"], "healthy");
}

#[test]
fn mcp_add_prints_the_entry_and_merges_it_into_a_project_file() {
    let server = McpServer::start(60, &[], &[]);
    let home = Home::new();
    assert!(mcp_login(&home, &server.url, "notes", &[]).status.success());
    let printed = home
        .credtop()
        .args(["mcp", "add", "notes"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&printed.stdout);
    for client in ["Claude Code", "Cursor", "VS Code"] {
        assert!(text.contains(client), "{text}");
    }
    assert!(
        text.contains(r#""connect""#) && text.contains(r#""notes""#),
        "{text}"
    );

    let project = tempfile::tempdir().unwrap();
    let file = project.path().join(".mcp.json");
    std::fs::write(
        &file,
        r#"{"mcpServers": {"local": {"command": "npx", "args": ["x"], "env": {"T": "${T}"}}}}"#,
    )
    .unwrap();
    let out = home
        .credtop()
        .args(["mcp", "add", "notes", "--write"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let merged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(merged["mcpServers"]["local"]["env"]["T"], "${T}");
    assert_eq!(
        merged["mcpServers"]["notes"],
        serde_json::json!({"command": "credtop", "args": ["mcp", "connect", "notes"]})
    );
    let unknown = home
        .credtop()
        .args(["mcp", "add", "nope"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains("credtop mcp login"));
}

#[test]
fn revoke_revokes_the_grant_at_the_server_and_deletes_it() {
    // A providers.toml client the test can introspect for; bearer tokens.
    let server = McpServer::start(60, &[("MCP_REGISTRATION", "off"), ("MCP_DPOP", "off")], &[]);
    let home = Home::new();
    home.write_private(
        "providers.toml",
        &format!(
            "[providers.as]\nissuer = \"{}\"\nclient_id = \"credtop-test\"\n",
            server.auth.issuer
        ),
    );
    assert!(mcp_login(&home, &server.url, "notes", &[]).status.success());
    let (_, refresh) = support::authserver::stored_tokens(home.path(), "notes");
    assert!(server.auth.is_active(&refresh));
    let out = home.credtop().args(["revoke", "notes"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
    assert!(!home.path().join("oauth/notes.json").exists());
    assert!(!home.path().join("mcp/servers/notes.json").exists());
    assert!(
        !server.auth.is_active(&refresh),
        "the grant is dead at the server"
    );
}

/// The one kept registration of this home, as JSON.
fn kept_registration(home: &Home) -> (std::path::PathBuf, serde_json::Value) {
    let entry = std::fs::read_dir(home.path().join("mcp/clients"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let v = serde_json::from_str(&std::fs::read_to_string(entry.path()).unwrap()).unwrap();
    (entry.path(), v)
}

#[test]
fn an_expired_or_forgotten_registration_is_replaced() {
    let server = McpServer::start(60, &[], &[]);
    let home = Home::new();
    assert!(mcp_login(&home, &server.url, "notes", &[]).status.success());
    let (path, mut reg) = kept_registration(&home);
    let first = reg["client_id"].clone();

    // Expired (RFC 7591 §3.2.1): registered again.
    reg["client_secret_expires_at"] = serde_json::json!(1);
    home.write_private(
        path.strip_prefix(home.path()).unwrap().to_str().unwrap(),
        &reg.to_string(),
    );
    assert!(mcp_login(&home, &server.url, "notes", &[]).status.success());
    let (_, reg) = kept_registration(&home);
    assert_ne!(reg["client_id"], first);

    // Forgotten by the server (RFC 7592 read answers 401): registered again.
    let second = reg["client_id"].clone();
    let mut forgotten = reg.clone();
    forgotten["registration_access_token"] = serde_json::json!("no-longer-valid");
    home.write_private(
        path.strip_prefix(home.path()).unwrap().to_str().unwrap(),
        &forgotten.to_string(),
    );
    assert!(mcp_login(&home, &server.url, "notes", &[]).status.success());
    let (_, reg) = kept_registration(&home);
    assert_ne!(reg["client_id"], second);
    let record: serde_json::Value =
        serde_json::from_str(&home.read("mcp/servers/notes.json")).unwrap();
    assert_eq!(record["client_id"], reg["client_id"]);
}

#[test]
fn login_by_name_of_a_dpop_bound_mcp_credential_logs_in_the_mcp_way() {
    let server = McpServer::start(60, &[], &[]);
    let home = Home::new();
    let out = mcp_login(&home, &server.url, "notes", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stored =
        || -> serde_json::Value { serde_json::from_str(&home.read("oauth/notes.json")).unwrap() };
    let token_type = || {
        stored()["token_type"]
            .as_str()
            .unwrap()
            .to_ascii_lowercase()
    };
    assert_eq!(token_type(), "dpop", "the server binds tokens");
    let key_before = home.read("mcp/keys/notes.key");
    // `credtop login NAME` again: the same key, still DPoP, still the resource.
    let again = home
        .credtop()
        .env("BROWSER", support::authserver::browser())
        .args(["login", "notes", "--timeout", "60"])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(token_type(), "dpop");
    assert_eq!(
        home.read("mcp/keys/notes.key"),
        key_before,
        "one key per credential"
    );
    let (access, _) = support::authserver::stored_tokens(home.path(), "notes");
    assert_eq!(jwt_claims(&access)["aud"], server.url.as_str());
    let device = home
        .credtop()
        .args([
            "login",
            "notes",
            "--device",
            "--no-browser",
            "--timeout",
            "5",
        ])
        .output()
        .unwrap();
    assert!(!device.status.success());
    assert!(
        stderr(&device).contains("credtop mcp login"),
        "{}",
        stderr(&device)
    );
}
