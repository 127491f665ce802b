//! gh: `hosts.yml` under `$GH_CONFIG_DIR`, else `$XDG_CONFIG_HOME/gh`, else
//! `~/.config/gh`. The token is in the file only with `--insecure-storage`;
//! by default gh keeps it in the OS keyring, which credtop does not read.

use std::collections::BTreeMap;

use chrono::Utc;

use super::agents::problem;
use super::read::{modified, read_bytes};
use super::{Discovered, Env, Finding, Problem};
use crate::model::{Kind, Secret};

pub fn discover(env: &Env) -> Discovered {
    const TOOL: &str = "gh";
    let dir = env
        .path_var("GH_CONFIG_DIR")
        .unwrap_or_else(|| env.config_home().join("gh"));
    let path = dir.join("hosts.yml");
    let bytes = match read_bytes(TOOL, &path) {
        Ok(Some(b)) => b,
        Ok(None) => return Discovered::default(),
        Err(p) => return problem(p),
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return problem(Problem::Malformed {
            tool: TOOL,
            path,
            reason: "not UTF-8 text".into(),
        });
    };
    let written = modified(&path).unwrap_or_else(Utc::now);
    let mut out = Discovered::default();
    for host in hosts(&text) {
        let in_keyring = host.token.is_none();
        let note = in_keyring.then(|| {
            format!(
                "the token is in the OS keyring (service gh:{}), which credtop does not read",
                host.name
            )
        });
        let relogin = if host.name == "github.com" {
            "gh auth login".to_string()
        } else {
            format!(
                "gh auth login --hostname {}",
                crate::model::shell_quoted(&host.name)
            )
        };
        out.credentials.push(
            Finding {
                name: format!("gh:{}", host.name),
                kind: Kind::Pat,
                provider: "github",
                account: host.user,
                scopes: Vec::new(),
                created_at: written,
                // gh stores no expiry: its OAuth tokens do not expire.
                expires_at: None,
                secret: Secret::new(host.token.unwrap_or_default()),
                refresh_token: None,
                tool: "gh",
                location: env.display(&path),
                relogin: Some(relogin),
                note,
            }
            .into_credential(),
        );
    }
    out
}

struct Host {
    name: String,
    user: Option<String>,
    token: Option<String>,
}

/// The hosts of a `hosts.yml`: the active user and its token, or else the
/// active user's entry under `users`. A deliberately small reader of the
/// plain block-style YAML gh writes, not a YAML parser.
fn hosts(text: &str) -> Vec<Host> {
    let (names, values) = flatten(text);
    names
        .into_iter()
        .map(|name| {
            let get = |path: &[&str]| {
                let mut key = vec![name.clone()];
                key.extend(path.iter().map(|s| s.to_string()));
                values.get(&key).cloned()
            };
            let user = get(&["user"]);
            let token = get(&["oauth_token"]).or_else(|| {
                user.as_deref()
                    .and_then(|u| get(&["users", u, "oauth_token"]))
            });
            Host { name, user, token }
        })
        .collect()
}

/// The top-level keys in order, and `key path -> value` for every non-empty
/// scalar of block-style YAML.
fn flatten(text: &str) -> (Vec<String>, BTreeMap<Vec<String>, String>) {
    let mut top = Vec::new();
    let mut scalars = BTreeMap::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("---") {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let Some((key, value)) = trimmed.split_once(':') else {
            continue;
        };
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        let key = unquote(key.trim());
        let value = unquote(strip_comment(value).trim());
        if stack.is_empty() && !top.contains(&key) {
            top.push(key.clone());
        }
        if value.is_empty() {
            stack.push((indent, key));
        } else {
            let mut path: Vec<String> = stack.iter().map(|(_, k)| k.clone()).collect();
            path.push(key);
            scalars.insert(path, value);
        }
    }
    (top, scalars)
}

fn strip_comment(v: &str) -> &str {
    match v.find(" #") {
        Some(i) => &v[..i],
        None => v,
    }
}

fn unquote(s: &str) -> String {
    s.trim_matches(|c| c == '"' || c == '\'').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTS: &str = "github.com:\n    users:\n        octo:\n            oauth_token: gho_FILE\n    git_protocol: https\n    user: octo\n    oauth_token: gho_FILE # insecure storage\nghe.example.invalid:\n    users:\n        jdoe:\n    git_protocol: ssh\n    user: jdoe\n";

    #[test]
    fn file_token_and_keyring_hosts_are_told_apart() {
        let hosts = hosts(HOSTS);
        assert_eq!(
            hosts.len(),
            2,
            "{:?}",
            hosts.iter().map(|h| &h.name).collect::<Vec<_>>()
        );
        let gh = hosts.iter().find(|h| h.name == "github.com").unwrap();
        assert_eq!(gh.user.as_deref(), Some("octo"));
        assert_eq!(gh.token.as_deref(), Some("gho_FILE"));
        let ghe = hosts
            .iter()
            .find(|h| h.name == "ghe.example.invalid")
            .unwrap();
        assert_eq!(ghe.user.as_deref(), Some("jdoe"));
        assert_eq!(ghe.token, None);
    }
}
