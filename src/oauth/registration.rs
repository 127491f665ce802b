//! Dynamic client registration (RFC 7591) as a native public client with a
//! loopback redirect (RFC 8252 §7.3), kept per issuer under
//! `$CREDTOP_HOME/mcp/clients/` and reused; registered again when it
//! expired or the server forgot it (RFC 7592 read says so).

use std::path::{Path, PathBuf};

use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

use super::{HttpClient, OAuthError};
use crate::model::Secret;

/// A client an authorization server registered for credtop.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Registration {
    /// Ours, not the server's: which issuer this registration is at.
    #[serde(default)]
    pub issuer: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    /// RFC 7591 §3.2.1: 0 means it never expires.
    #[serde(default)]
    pub client_secret_expires_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_client_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_access_token: Option<Secret>,
}

/// The loopback redirect credtop registers; the port is chosen per login
/// (RFC 8252 §7.3 lets a native client's loopback port vary).
pub const REDIRECT_URI: &str = "http://127.0.0.1/callback";

impl Registration {
    fn expired(&self) -> bool {
        self.client_secret_expires_at
            .is_some_and(|t| t != 0 && t <= Utc::now().timestamp())
    }
}

fn path_for(home: &Path, issuer: &str) -> PathBuf {
    let digest = Sha256::digest(issuer.trim_end_matches('/').as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    home.join("mcp").join("clients").join(format!("{hex}.json"))
}

/// The kept registration for `issuer`, if it is still good: not expired and,
/// where the server offers RFC 7592 reads, still known there.
pub async fn reusable(home: &Path, issuer: &str, http: &HttpClient) -> Option<Registration> {
    let bytes = crate::store::read_private(&path_for(home, issuer)).ok()?;
    let reg: Registration = serde_json::from_slice(&bytes).ok()?;
    if reg.issuer != issuer || reg.expired() {
        return None;
    }
    if let (Some(uri), Some(token)) = (&reg.registration_client_uri, &reg.registration_access_token)
    {
        let request = http.reqwest().get(uri).bearer_auth(token.expose());
        // RFC 7592 §2.1: a forgotten client answers 401 (or 404).
        if let Ok((401 | 403 | 404, _, _)) = http.send_raw(request).await {
            tracing::info!(%issuer, "the registered client is forgotten; registering again");
            return None;
        }
    }
    Some(reg)
}

/// Registers credtop at `endpoint` and keeps the result.
pub async fn register(
    home: &Path,
    issuer: &str,
    endpoint: &Url,
    http: &HttpClient,
) -> Result<Registration, OAuthError> {
    let metadata = serde_json::json!({
        "client_name": "credtop",
        "application_type": "native",
        "redirect_uris": [REDIRECT_URI],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
    });
    let request = http.reqwest().post(endpoint.clone()).json(&metadata);
    let (status, _, body) = http.send_raw(request).await?;
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if !(200..300).contains(&status) {
        let code = value["error"].as_str().unwrap_or("no error code");
        let description: String = value["error_description"]
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        return Err(OAuthError::config(format!(
            "{issuer} refused to register credtop as a client (HTTP {status}, {code}{}{description}); \
             put a client_id it knows in providers.toml: [providers.NAME] issuer = \"{issuer}\", client_id = \"...\"",
            if description.is_empty() { "" } else { ": " }
        )));
    }
    let mut reg: Registration = serde_json::from_value(value).map_err(|_| {
        OAuthError::config(format!(
            "{issuer}'s registration answer has no client_id (RFC 7591 §3.2.1)"
        ))
    })?;
    reg.issuer = issuer.to_string();
    save(home, &reg)?;
    Ok(reg)
}

fn save(home: &Path, reg: &Registration) -> Result<(), OAuthError> {
    let path = path_for(home, &reg.issuer);
    let dir = path.parent().expect("has a parent");
    crate::store::ensure_private_dir(&home.join("mcp"))
        .and_then(|_| crate::store::ensure_private_dir(dir))
        .and_then(|_| {
            crate::store::write_atomic(&path, &serde_json::to_vec_pretty(reg).expect("serializes"))
        })
        .map_err(|e| OAuthError::config(format!("cannot keep the client registration: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_zero_means_never() {
        let mut r = Registration {
            issuer: "i".into(),
            client_id: "c".into(),
            client_secret: None,
            client_secret_expires_at: Some(0),
            registration_client_uri: None,
            registration_access_token: None,
        };
        assert!(!r.expired());
        r.client_secret_expires_at = Some(Utc::now().timestamp() - 1);
        assert!(r.expired());
        r.client_secret_expires_at = None;
        assert!(!r.expired());
    }

    #[test]
    fn one_file_per_issuer_ignoring_a_trailing_slash() {
        let home = Path::new("/h");
        assert_eq!(path_for(home, "https://a/"), path_for(home, "https://a"));
        assert_ne!(path_for(home, "https://a"), path_for(home, "https://b"));
    }
}
