//! The coding agents' own logins: Claude Code, Codex and Gemini CLI.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::read::{epoch_ms, jwt_claims, modified, read_json, str_at};
use super::{Discovered, Env, Finding, Problem};
use crate::model::{Kind, Secret};

/// Claude Code: `$CLAUDE_CONFIG_DIR/.credentials.json` (default
/// `~/.claude`), `claudeAiOauth.expiresAt` in epoch milliseconds, plus the
/// MCP OAuth grants it keeps under `mcpOAuth`.
pub fn claude(env: &Env) -> Discovered {
    const TOOL: &str = "claude";
    let dir = env.dir_or("CLAUDE_CONFIG_DIR", ".claude");
    let path = dir.join(".credentials.json");
    let mut out = Discovered::default();
    let doc = match read_json(TOOL, &path) {
        Ok(Some(doc)) => doc,
        Ok(None) => return out,
        Err(p) => return problem(p),
    };
    let written = modified(&path).unwrap_or_else(Utc::now);
    let location = env.display(&path);
    if let Some(oauth) = doc.get("claudeAiOauth") {
        let Some(token) = str_at(oauth, "accessToken") else {
            out.problems
                .push(malformed(TOOL, &path, "claudeAiOauth has no accessToken"));
            return out;
        };
        let expires_at = oauth.get("expiresAt").and_then(epoch_ms);
        out.credentials.push(
            Finding {
                name: "claude-code".into(),
                kind: Kind::OAuth,
                provider: "anthropic",
                account: claude_account(env),
                scopes: string_list(oauth.get("scopes")),
                created_at: issued(written, expires_at),
                expires_at,
                secret: Secret::new(token),
                refresh_token: str_at(oauth, "refreshToken").map(Secret::new),
                tool: "claude-code",
                location: location.clone(),
                relogin: Some("claude /login".into()),
                note: None,
            }
            .into_credential(),
        );
    }
    if let Some(Value::Object(grants)) = doc.get("mcpOAuth") {
        for (key, grant) in grants {
            // Entries with an empty token are client registrations only.
            let Some(token) = str_at(grant, "accessToken") else {
                continue;
            };
            let server =
                str_at(grant, "serverName").unwrap_or_else(|| key.split('|').next().unwrap_or(key));
            let expires_at = grant.get("expiresAt").and_then(epoch_ms);
            out.credentials.push(
                Finding {
                    name: format!("claude-mcp:{server}"),
                    kind: Kind::OAuth,
                    provider: "mcp",
                    account: str_at(grant, "serverUrl").map(str::to_string),
                    scopes: Vec::new(),
                    created_at: issued(written, expires_at),
                    expires_at,
                    secret: Secret::new(token),
                    refresh_token: str_at(grant, "refreshToken").map(Secret::new),
                    tool: "claude-code",
                    location: location.clone(),
                    relogin: Some(format!("claude, then /mcp and re-authenticate {server}")),
                    note: None,
                }
                .into_credential(),
            );
        }
    }
    out
}

/// The e-mail of the Claude account, kept beside (not in) the credential.
fn claude_account(env: &Env) -> Option<String> {
    let path = match env.var("CLAUDE_CONFIG_DIR") {
        Some(dir) => std::path::Path::new(dir.expose()).join(".claude.json"),
        None => env.home().join(".claude.json"),
    };
    let doc = read_json("claude", &path).ok()??;
    str_at(doc.get("oauthAccount")?, "emailAddress").map(str::to_string)
}

/// Codex: `$CODEX_HOME/auth.json` (default `~/.codex`). No expiry is
/// stored; the access token is a JWT whose `exp` is the expiry.
pub fn codex(env: &Env) -> Discovered {
    const TOOL: &str = "codex";
    let path = env.dir_or("CODEX_HOME", ".codex").join("auth.json");
    let mut out = Discovered::default();
    let doc = match read_json(TOOL, &path) {
        Ok(Some(doc)) => doc,
        Ok(None) => return out,
        Err(p) => return problem(p),
    };
    let written = modified(&path).unwrap_or_else(Utc::now);
    let location = env.display(&path);
    let tokens = doc.get("tokens").filter(|t| t.is_object());
    if let Some(token) = tokens.and_then(|t| str_at(t, "access_token")) {
        let claims = jwt_claims(token);
        let claim_time = |k: &str| {
            claims
                .as_ref()
                .and_then(|c| c.get(k))
                .and_then(super::read::epoch_secs)
        };
        let expires_at = claim_time("exp");
        let note = expires_at.is_none().then(|| {
            "the access token carries no exp claim; Codex refreshes it every 8 days".to_string()
        });
        let account = tokens
            .and_then(|t| str_at(t, "id_token"))
            .and_then(jwt_claims)
            .and_then(|c| str_at(&c, "email").map(str::to_string));
        out.credentials.push(
            Finding {
                name: "codex".into(),
                kind: Kind::OAuth,
                provider: "openai",
                account,
                scopes: Vec::new(),
                created_at: claim_time("iat").unwrap_or_else(|| issued(written, expires_at)),
                expires_at,
                secret: Secret::new(token),
                refresh_token: tokens
                    .and_then(|t| str_at(t, "refresh_token"))
                    .map(Secret::new),
                tool: "codex",
                location: location.clone(),
                relogin: Some("codex login".into()),
                note,
            }
            .into_credential(),
        );
    }
    if let Some(key) = str_at(&doc, "OPENAI_API_KEY") {
        out.credentials.push(
            Finding {
                name: "codex-api-key".into(),
                kind: Kind::ApiKey,
                provider: "openai",
                account: None,
                scopes: Vec::new(),
                created_at: written,
                expires_at: None,
                secret: Secret::new(key),
                refresh_token: None,
                tool: "codex",
                location,
                relogin: Some("codex login --with-api-key".into()),
                note: None,
            }
            .into_credential(),
        );
    }
    if out.credentials.is_empty() {
        out.problems.push(malformed(
            TOOL,
            &path,
            "neither tokens.access_token nor OPENAI_API_KEY is set",
        ));
    }
    out
}

/// Gemini CLI: `~/.gemini/oauth_creds.json`, google-auth-library's
/// `expiry_date` in epoch milliseconds (sometimes a float).
pub fn gemini(env: &Env) -> Discovered {
    const TOOL: &str = "gemini";
    let dir = env.home().join(".gemini");
    let path = dir.join("oauth_creds.json");
    let mut out = Discovered::default();
    let doc = match read_json(TOOL, &path) {
        Ok(Some(doc)) => doc,
        Ok(None) => return out,
        Err(p) => return problem(p),
    };
    let Some(token) = str_at(&doc, "access_token") else {
        return problem(malformed(TOOL, &path, "no access_token"));
    };
    let written = modified(&path).unwrap_or_else(Utc::now);
    let expires_at = doc.get("expiry_date").and_then(epoch_ms);
    let account = read_json(TOOL, &dir.join("google_accounts.json"))
        .ok()
        .flatten()
        .and_then(|a| str_at(&a, "active").map(str::to_string));
    out.credentials.push(
        Finding {
            name: "gemini-cli".into(),
            kind: Kind::OAuth,
            provider: "google",
            account,
            scopes: str_at(&doc, "scope")
                .map(|s| s.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default(),
            created_at: issued(written, expires_at),
            expires_at,
            secret: Secret::new(token),
            refresh_token: str_at(&doc, "refresh_token").map(Secret::new),
            tool: "gemini-cli",
            location: env.display(&path),
            relogin: Some("gemini, then /auth".into()),
            note: None,
        }
        .into_credential(),
    );
    out
}

/// When the token was issued, as well as a reader can tell: the file was
/// written when the tool stored it, and it cannot be later than its expiry.
pub(crate) fn issued(written: DateTime<Utc>, expires_at: Option<DateTime<Utc>>) -> DateTime<Utc> {
    match expires_at {
        Some(e) => written.min(e),
        None => written,
    }
}

pub(crate) fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn problem(p: Problem) -> Discovered {
    Discovered {
        credentials: Vec::new(),
        problems: vec![p],
    }
}

pub(crate) fn malformed(tool: &'static str, path: &std::path::Path, reason: &str) -> Problem {
    Problem::Malformed {
        tool,
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}
