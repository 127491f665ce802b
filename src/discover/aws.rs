//! AWS: the SSO token cache, the `aws login` cache and the shared
//! credentials file, with the profile that the re-login command needs taken
//! from `~/.aws/config`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{TimeDelta, Utc};
use serde_json::Value;

use super::agents::{issued, malformed};
use super::read::{any_time, modified, read_bytes, read_json, str_at};
use super::{Discovered, Env, Finding};
use crate::model::{Credential, Kind, Secret};

/// AWS: `~/.aws/sso/cache/*.json` (`expiresAt` with `Z` or a literal `UTC`),
/// `~/.aws/login/cache/*.json` (`aws login`'s temporary keys) and the expiry
/// keys helpers add to `~/.aws/credentials` (`x_security_token_expires`,
/// `aws_expiration`).
pub fn discover(env: &Env) -> Discovered {
    let mut out = Discovered::default();
    let config = config_sections(env);
    let profiles = sso_profiles(&config);
    let cache = env.home().join(".aws/sso/cache");
    let mut sso: Vec<Credential> = Vec::new();
    for path in json_files(&cache) {
        match read_json("aws", &path) {
            Ok(Some(doc)) => sso.extend(sso_token(env, &path, &doc, &profiles)),
            Ok(None) => {}
            Err(p) => out.problems.push(p),
        }
    }
    out.credentials.extend(latest_per_name(sso));
    let logins = login_profiles(&config);
    let cache = env
        .path_var("AWS_LOGIN_CACHE_DIRECTORY")
        .unwrap_or_else(|| env.home().join(".aws/login/cache"));
    let mut login: Vec<Credential> = Vec::new();
    for path in json_files(&cache) {
        match read_json("aws", &path) {
            Ok(Some(doc)) => match login_token(env, &path, &doc, &logins) {
                Ok(c) => login.push(c),
                Err(reason) => out.problems.push(malformed("aws", &path, reason)),
            },
            Ok(None) => {}
            Err(p) => out.problems.push(p),
        }
    }
    // A file left behind by an earlier session of the same account.
    out.credentials.extend(latest_per_name(login));
    let creds = env
        .path_var("AWS_SHARED_CREDENTIALS_FILE")
        .unwrap_or_else(|| env.home().join(".aws/credentials"));
    match read_bytes("aws", &creds) {
        Ok(Some(bytes)) => {
            shared_credentials(env, &creds, &String::from_utf8_lossy(&bytes), &mut out)
        }
        Ok(None) => {}
        Err(p) => out.problems.push(p),
    }
    out
}

/// One token per name: a legacy `sha1(startUrl)` file and an
/// `sha1(session name)` file for the same portal both hold a token, and the
/// one botocore no longer refreshes stays behind, expired (likewise an `aws
/// login` file of a renamed session). The latest expiry is the live one.
fn latest_per_name(found: Vec<Credential>) -> Vec<Credential> {
    let mut out: Vec<Credential> = Vec::new();
    for c in found {
        match out.iter_mut().find(|k| k.name == c.name) {
            // None (no expiry) sorts first: a known expiry wins over none.
            Some(kept) if c.expires_at > kept.expires_at => *kept = c,
            Some(_) => {}
            None => out.push(c),
        }
    }
    out
}

/// One SSO cache blob; client-registration blobs (no `accessToken`) share
/// the directory and are skipped.
fn sso_token(
    env: &Env,
    path: &Path,
    doc: &Value,
    profiles: &BTreeMap<String, String>,
) -> Option<Credential> {
    let token = str_at(doc, "accessToken")?;
    let start_url = str_at(doc, "startUrl").unwrap_or("");
    let expires_at = doc.get("expiresAt").and_then(any_time);
    let relogin = match profiles.get(start_url) {
        Some(profile) => format!(
            "aws sso login --profile {}",
            crate::model::shell_quoted(profile)
        ),
        None => "aws sso login".to_string(),
    };
    let stem = path.file_stem()?.to_string_lossy();
    let label = url::Url::parse(start_url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| h.split('.').next().unwrap_or(h).to_string())
        })
        .unwrap_or_else(|| stem.chars().take(8).collect());
    let written = modified(path).unwrap_or_else(Utc::now);
    Some(
        Finding {
            name: format!("aws-sso:{label}"),
            kind: Kind::Cloud,
            provider: "aws",
            account: (!start_url.is_empty()).then(|| start_url.to_string()),
            scopes: Vec::new(),
            created_at: issued(written, expires_at, None),
            expires_at,
            secret: Secret::new(token),
            refresh_token: str_at(doc, "refreshToken").map(Secret::new),
            tool: "aws",
            location: env.display(path),
            relogin: Some(relogin),
            note: None,
        }
        .into_credential(),
    )
}

/// One `aws login` cache file, `sha256(login_session).json`: an object of
/// temporary keys (`accessKeyId`, `secretAccessKey`, `sessionToken`,
/// `expiresAt`) and the refresh token the AWS CLI renews them with.
fn login_token(
    env: &Env,
    path: &Path,
    doc: &Value,
    profiles: &BTreeMap<String, String>,
) -> Result<Credential, &'static str> {
    let keys = doc
        .get("accessToken")
        .filter(|k| k.is_object())
        .ok_or("no accessToken object")?;
    let secret = str_at(keys, "sessionToken")
        .or_else(|| str_at(keys, "secretAccessKey"))
        .ok_or("accessToken has neither sessionToken nor secretAccessKey")?;
    let expires_at = keys.get("expiresAt").and_then(any_time);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let profile = profiles.get(&stem);
    let account = str_at(keys, "accountId").map(str::to_string);
    let label = profile
        .cloned()
        .or_else(|| account.clone())
        .unwrap_or_else(|| stem.chars().take(8).collect());
    let written = modified(path).unwrap_or_else(Utc::now);
    Ok(Finding {
        name: format!("aws-login:{label}"),
        kind: Kind::Cloud,
        provider: "aws",
        account,
        scopes: Vec::new(),
        created_at: issued(written, expires_at, None),
        expires_at,
        secret: Secret::new(secret),
        refresh_token: str_at(doc, "refreshToken").map(Secret::new),
        tool: "aws",
        location: env.display(path),
        relogin: Some(match profile {
            Some(p) => format!("aws login --profile {}", crate::model::shell_quoted(p)),
            None => "aws login".to_string(),
        }),
        note: None,
    }
    .into_credential())
}

/// `~/.aws/config` (`AWS_CONFIG_FILE`) as sections; empty when absent.
fn config_sections(env: &Env) -> Vec<(String, BTreeMap<String, String>)> {
    let path = env
        .path_var("AWS_CONFIG_FILE")
        .unwrap_or_else(|| env.home().join(".aws/config"));
    match read_bytes("aws", &path) {
        Ok(Some(bytes)) => ini(&String::from_utf8_lossy(&bytes)),
        _ => Vec::new(),
    }
}

/// The profile name of a `[profile NAME]` or `[default]` section.
fn profile_name(section: &str) -> Option<&str> {
    match section.strip_prefix("profile ") {
        Some(p) => Some(p.trim()),
        None => (section == "default").then_some("default"),
    }
}

/// `sha256(login_session) -> profile`: the cache file name of each profile
/// that `aws login` signs in.
fn login_profiles(sections: &[(String, BTreeMap<String, String>)]) -> BTreeMap<String, String> {
    use sha2::{Digest, Sha256};
    let mut map = BTreeMap::new();
    for (section, kv) in sections {
        if let (Some(profile), Some(session)) = (profile_name(section), kv.get("login_session")) {
            let hash: String = Sha256::digest(session.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            map.entry(hash).or_insert_with(|| profile.to_string());
        }
    }
    map
}

/// `sso_start_url -> profile` from `~/.aws/config`, directly or through an
/// `[sso-session NAME]` section.
fn sso_profiles(sections: &[(String, BTreeMap<String, String>)]) -> BTreeMap<String, String> {
    let session_url = |name: &str| {
        sections
            .iter()
            .find(|(s, _)| s == &format!("sso-session {name}"))
            .and_then(|(_, kv)| kv.get("sso_start_url").cloned())
    };
    let mut map = BTreeMap::new();
    for (section, kv) in sections {
        let Some(profile) = profile_name(section) else {
            continue;
        };
        let url = kv
            .get("sso_start_url")
            .cloned()
            .or_else(|| kv.get("sso_session").and_then(|s| session_url(s)));
        if let Some(url) = url {
            map.entry(url).or_insert_with(|| profile.to_string());
        }
    }
    map
}

/// STS's default session length (`DurationSeconds` 3600, which saml2aws
/// and aws-azure-login also default to); the cache file records no
/// lifetime. Only an estimate, see [`issued`].
const STS_SESSION_LIFETIME: TimeDelta = TimeDelta::hours(1);

/// `~/.aws/credentials`: one file for every profile, rewritten when any of
/// them is, so its mtime is only an upper bound on when each was issued.
fn shared_credentials(env: &Env, path: &Path, text: &str, out: &mut Discovered) {
    let written = modified(path).unwrap_or_else(Utc::now);
    for (profile, kv) in ini(text) {
        let secret = kv
            .get("aws_session_token")
            .or_else(|| kv.get("aws_security_token"))
            .or_else(|| kv.get("aws_secret_access_key"));
        let Some(secret) = secret else {
            continue;
        };
        let expiry_text = kv
            .get("x_security_token_expires")
            .or_else(|| kv.get("aws_expiration"));
        let expires_at = expiry_text.and_then(|t| any_time(&Value::String(t.clone())));
        if expiry_text.is_some() && expires_at.is_none() {
            out.problems.push(malformed(
                "aws",
                path,
                &format!("profile [{profile}] has an expiry that is not a time"),
            ));
        }
        let temporary = kv.contains_key("aws_session_token") || expires_at.is_some();
        out.credentials.push(
            Finding {
                name: format!("aws:{profile}"),
                kind: if temporary { Kind::Cloud } else { Kind::ApiKey },
                provider: "aws",
                account: kv.get("x_principal_arn").cloned(),
                scopes: Vec::new(),
                created_at: issued(written, expires_at, Some(STS_SESSION_LIFETIME)),
                expires_at,
                secret: Secret::new(secret.clone()),
                refresh_token: None,
                tool: "aws",
                location: format!("{} [{profile}]", env.display(path)),
                relogin: None,
                note: None,
            }
            .into_credential(),
        );
    }
}

/// `[section]` and `key = value` lines, in order.
fn ini(text: &str) -> Vec<(String, BTreeMap<String, String>)> {
    let mut sections: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            sections.push((name.trim().to_string(), BTreeMap::new()));
        } else if let (Some((k, v)), Some((_, kv))) = (line.split_once('='), sections.last_mut()) {
            kv.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    sections
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json") && p.is_file())
        .collect();
    files.sort();
    files
}
