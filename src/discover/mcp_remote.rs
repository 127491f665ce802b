//! mcp-remote: `{hash}_tokens.json` under `$MCP_REMOTE_CONFIG_DIR` (default
//! `~/.mcp-auth`), in `mcp-remote-v1/` or an older `mcp-remote-<version>/`.
//! The file holds only the relative `expires_in` of the token response, so
//! the expiry is estimated from when the file was written.

use std::path::{Path, PathBuf};

use chrono::{TimeDelta, Utc};

use super::agents::scope_list;
use super::read::{modified, number, read_json, str_at};
use super::{Discovered, Env, Finding, Problem};
use crate::model::{Kind, Secret};

pub fn discover(env: &Env) -> Discovered {
    let root = env.dir_or("MCP_REMOTE_CONFIG_DIR", ".mcp-auth");
    let mut out = Discovered::default();
    for path in token_files(&root) {
        let doc = match read_json("mcp_remote", &path) {
            Ok(Some(doc)) => doc,
            Ok(None) => continue,
            Err(p) => {
                out.problems.push(p);
                continue;
            }
        };
        let Some(token) = str_at(&doc, "access_token") else {
            continue;
        };
        let written = modified(&path).unwrap_or_else(Utc::now);
        let expires_in = doc.get("expires_in").and_then(number);
        // A nonsensical expires_in (beyond chrono's range) is no expiry.
        let expires_at = expires_in.and_then(|s| {
            TimeDelta::try_seconds(s as i64).and_then(|d| written.checked_add_signed(d))
        });
        let note = match (expires_in, expires_at) {
            (Some(_), Some(_)) => "expiry estimated: the file's modification time plus expires_in",
            (Some(_), None) => {
                out.problems.push(Problem::Malformed {
                    tool: "mcp_remote",
                    path: path.clone(),
                    reason: "expires_in is out of range; the expiry is unknown".into(),
                });
                "expires_in is out of range; the expiry is unknown"
            }
            (None, _) => "no expires_in recorded; the expiry is unknown",
        };
        let hash = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix("_tokens.json"))
            .unwrap_or("?");
        let short: String = hash.chars().take(8).collect();
        out.credentials.push(
            Finding {
                name: format!("mcp-remote:{short}"),
                kind: Kind::OAuth,
                provider: "mcp",
                account: None,
                scopes: scope_list(str_at(&doc, "scope")),
                created_at: written,
                expires_at,
                secret: Secret::new(token),
                refresh_token: str_at(&doc, "refresh_token").map(Secret::new),
                tool: "mcp-remote",
                location: env.display(&path),
                relogin: Some(
                    "restart the MCP client; mcp-remote opens the browser to log in again".into(),
                ),
                note: Some(note.into()),
            }
            .into_credential(),
        );
    }
    out
}

/// Every `*_tokens.json` one level below `root/mcp-remote-*/`.
fn token_files(root: &Path) -> Vec<PathBuf> {
    let Ok(dirs) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = dirs
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|d| {
            d.is_dir()
                && d.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("mcp-remote-"))
        })
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with("_tokens.json"))
        })
        .collect();
    files.sort();
    files
}
