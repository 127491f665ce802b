//! The Azure CLI's MSAL token cache.

use std::collections::BTreeMap;

use chrono::Utc;
use serde_json::Value;

use super::agents::{issued, problem};
use super::read::{epoch_secs, modified, read_json, str_at};
use super::{Discovered, Env, Finding};
use crate::model::{Kind, Secret};

/// Azure CLI: `msal_token_cache.json` under `$AZURE_CONFIG_DIR` (default
/// `~/.azure`), MSAL's cache with epoch seconds written as strings.
pub fn discover(env: &Env) -> Discovered {
    const TOOL: &str = "azure";
    let path = env
        .dir_or("AZURE_CONFIG_DIR", ".azure")
        .join("msal_token_cache.json");
    let doc = match read_json(TOOL, &path) {
        Ok(Some(doc)) => doc,
        Ok(None) => return Discovered::default(),
        Err(p) => return problem(p),
    };
    let entries = |section: &str| -> Vec<Value> {
        doc.get(section)
            .and_then(Value::as_object)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    };
    let usernames: BTreeMap<String, String> = entries("Account")
        .iter()
        .filter_map(|a| {
            Some((
                str_at(a, "home_account_id")?.to_string(),
                str_at(a, "username")?.to_string(),
            ))
        })
        .collect();
    let refresh: BTreeMap<String, Secret> = entries("RefreshToken")
        .iter()
        .filter_map(|r| {
            Some((
                str_at(r, "home_account_id")?.to_string(),
                Secret::new(str_at(r, "secret")?),
            ))
        })
        .collect();
    let written = modified(&path).unwrap_or_else(Utc::now);
    let mut out = Discovered::default();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for at in entries("AccessToken") {
        let Some(secret) = str_at(&at, "secret") else {
            continue;
        };
        let home_id = str_at(&at, "home_account_id").unwrap_or("");
        let target = str_at(&at, "target").unwrap_or("");
        let resource = url::Url::parse(target.split_whitespace().next().unwrap_or(""))
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "token".to_string());
        let n = seen.entry(resource.clone()).or_default();
        *n += 1;
        let name = match *n {
            1 => format!("az:{resource}"),
            n => format!("az:{resource}#{n}"),
        };
        let expires_at = at.get("expires_on").and_then(epoch_secs);
        let cached_at = at.get("cached_at").and_then(epoch_secs);
        out.credentials.push(
            Finding {
                name,
                kind: Kind::Cloud,
                provider: "microsoft",
                account: usernames.get(home_id).cloned(),
                scopes: target.split_whitespace().map(str::to_string).collect(),
                created_at: cached_at.unwrap_or_else(|| issued(written, expires_at, None)),
                expires_at,
                secret: Secret::new(secret),
                refresh_token: refresh.get(home_id).cloned(),
                tool: "azure-cli",
                location: env.display(&path),
                relogin: Some("az login".into()),
                note: None,
            }
            .into_credential(),
        );
    }
    out
}
