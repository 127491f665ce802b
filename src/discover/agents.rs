//! The coding agents' own logins: Claude Code, Codex and Gemini CLI.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use super::read::{epoch_ms, epoch_secs, jwt_claims, modified, origin_only, read_json, str_at};
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
    // `.credentials.json` holds the login and every MCP grant, and is
    // rewritten when any of them changes: its mtime is an upper bound on
    // when each token was issued, not the time itself.
    if let Some(oauth) = doc.get("claudeAiOauth") {
        match str_at(oauth, "accessToken") {
            None => out
                .problems
                .push(malformed(TOOL, &path, "claudeAiOauth has no accessToken")),
            Some(token) => {
                let expires_at = oauth.get("expiresAt").and_then(epoch_ms);
                out.credentials.push(
                    Finding {
                        name: "claude-code".into(),
                        kind: Kind::OAuth,
                        provider: "anthropic",
                        account: claude_account(env),
                        scopes: string_list(oauth.get("scopes")),
                        created_at: issued(written, expires_at, Some(CLAUDE_TOKEN_LIFETIME)),
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
        }
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
                    // Hosted MCP URLs can carry a key in the path, query
                    // or userinfo: only the origin is shown.
                    account: str_at(grant, "serverUrl").and_then(origin_only),
                    scopes: Vec::new(),
                    created_at: jwt_issued_at(token)
                        .unwrap_or_else(|| issued(written, expires_at, None)),
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
    let path = match env.path_var("CLAUDE_CONFIG_DIR") {
        Some(dir) => dir.join(".claude.json"),
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
        let claim_time = |k: &str| claims.as_ref().and_then(|c| c.get(k)).and_then(epoch_secs);
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
                created_at: claim_time("iat").unwrap_or_else(|| issued(written, expires_at, None)),
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
/// `expiry_date` in epoch milliseconds (sometimes a float), and the MCP
/// OAuth grants of `~/.gemini/mcp-oauth-tokens.json`.
pub fn gemini(env: &Env) -> Discovered {
    let dir = env.home().join(".gemini");
    let mut out = gemini_login(env, &dir);
    let mcp = gemini_mcp(env, &dir);
    out.credentials.extend(mcp.credentials);
    out.problems.extend(mcp.problems);
    out
}

fn gemini_login(env: &Env, dir: &std::path::Path) -> Discovered {
    const TOOL: &str = "gemini";
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
            scopes: scope_list(str_at(&doc, "scope")),
            created_at: issued(written, expires_at, None),
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

/// `mcp-oauth-tokens.json`: an array of `{serverName, token: {accessToken,
/// refreshToken, expiresAt (ms), scope}, mcpServerUrl, updatedAt (ms)}`.
fn gemini_mcp(env: &Env, dir: &std::path::Path) -> Discovered {
    const TOOL: &str = "gemini";
    let path = dir.join("mcp-oauth-tokens.json");
    let mut out = Discovered::default();
    let doc = match read_json(TOOL, &path) {
        Ok(Some(doc)) => doc,
        Ok(None) => return out,
        Err(p) => return problem(p),
    };
    let Some(entries) = doc.as_array() else {
        return problem(malformed(TOOL, &path, "not a JSON array"));
    };
    let written = modified(&path).unwrap_or_else(Utc::now);
    for entry in entries {
        let server = str_at(entry, "serverName");
        let token = entry.get("token");
        let (Some(server), Some(access)) = (server, token.and_then(|t| str_at(t, "accessToken")))
        else {
            out.problems.push(malformed(
                TOOL,
                &path,
                "an entry without serverName or token.accessToken",
            ));
            continue;
        };
        let token = token.unwrap_or(&Value::Null);
        let expires_at = token.get("expiresAt").and_then(epoch_ms);
        // The file holds every server's grant: `updatedAt` dates this one.
        let created_at = entry
            .get("updatedAt")
            .and_then(epoch_ms)
            .filter(|u| expires_at.is_none_or(|e| *u < e))
            .unwrap_or_else(|| issued(written, expires_at, None));
        out.credentials.push(
            Finding {
                name: format!("gemini-mcp:{server}"),
                kind: Kind::OAuth,
                provider: "mcp",
                account: str_at(entry, "mcpServerUrl").and_then(origin_only),
                scopes: scope_list(str_at(token, "scope")),
                created_at,
                expires_at,
                secret: Secret::new(access),
                refresh_token: str_at(token, "refreshToken").map(Secret::new),
                tool: "gemini-cli",
                location: env.display(&path),
                relogin: Some(format!("gemini, then /mcp auth {server}")),
                note: None,
            }
            .into_credential(),
        );
    }
    out
}

/// The lifetime of a Claude Code access token as users report it
/// (anthropics/claude-code#72017: `expiresAt` about 8 hours after login);
/// the file itself records none. Only an estimate, see [`issued`].
const CLAUDE_TOKEN_LIFETIME: TimeDelta = TimeDelta::hours(8);

/// When a token was issued, as well as a reader can tell (an estimate).
///
/// `written` is the file's modification time: exact for a file that holds
/// one token, but only an upper bound for a file that holds several
/// entries and is rewritten when any of them changes (Claude's
/// `.credentials.json`, gcloud's `access_tokens.db`, `~/.aws/credentials`).
/// For those, `typical` is the lifetime the tool's tokens are known to get,
/// and the estimate is no later than `expires_at - typical`. Whatever the
/// estimate, it is at least a minute before the expiry, so that the
/// credential has a lifetime and a danger zone.
pub(crate) fn issued(
    written: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    typical: Option<TimeDelta>,
) -> DateTime<Utc> {
    let Some(expires) = expires_at else {
        return written;
    };
    let by_lifetime = typical.and_then(|t| expires.checked_sub_signed(t));
    let latest = expires
        .checked_sub_signed(TimeDelta::minutes(1))
        .unwrap_or(expires);
    by_lifetime.map_or(written, |t| written.min(t)).min(latest)
}

/// The `iat` claim of a token that is a JWT: when it was really issued.
pub(crate) fn jwt_issued_at(token: &str) -> Option<DateTime<Utc>> {
    jwt_claims(token)?.get("iat").and_then(epoch_secs)
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

/// An OAuth `scope` string (space-separated), as a list.
pub(crate) fn scope_list(scope: Option<&str>) -> Vec<String> {
    scope
        .map(|s| s.split_whitespace().map(str::to_string).collect())
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
