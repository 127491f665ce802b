use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::keyring::KeyringSecrets;
use crate::model::{Credential, Kind, Secret, Source};

/// The on-disk shape of one credential. OAuth files carry at least the
/// documented fields (provider, access_token, refresh_token, token_type, scope,
/// expires_at, created_at); key files carry `key` instead of the tokens.
#[derive(Serialize, Deserialize)]
pub(super) struct CredentialFile {
    provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<Kind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<Secret>,
    #[serde(default)]
    refresh_token: Option<Secret>,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    /// The grant's hard end (`refresh_token_expires_in`, a session cap);
    /// absent in files written before credtop knew of caps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_expires_at: Option<DateTime<Utc>>,
    /// `"keyring"` when the secrets live in the OS keyring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) secret_in: Option<String>,
}

impl CredentialFile {
    pub(super) fn parse(path: &Path, bytes: &[u8]) -> Result<Self, StoreError> {
        serde_json::from_slice(bytes).map_err(|e| {
            // A missing field names only the field: safe and useful to show.
            let text = e.to_string();
            if text.starts_with("missing field") {
                StoreError::Malformed {
                    path: path.to_path_buf(),
                    reason: text,
                }
            } else {
                StoreError::malformed_json(path, &e)
            }
        })
    }

    pub(super) fn from_credential(c: &Credential) -> Self {
        let is_oauth = matches!(c.kind, Kind::OAuth | Kind::Cloud);
        CredentialFile {
            provider: c.provider.clone(),
            kind: Some(c.kind),
            account: c.account.clone(),
            access_token: is_oauth.then(|| c.secret.clone()),
            key: (!is_oauth).then(|| c.secret.clone()),
            refresh_token: c.refresh_token.clone(),
            token_type: c.token_type.clone(),
            scope: c.scopes.join(" "),
            expires_at: c.expires_at,
            created_at: c.created_at,
            refresh_expires_at: c.refresh_expires_at,
            secret_in: None,
        }
    }

    pub(super) fn metadata_only(c: &Credential) -> Self {
        CredentialFile {
            access_token: None,
            key: None,
            refresh_token: None,
            secret_in: Some("keyring".into()),
            ..CredentialFile::from_credential(c)
        }
    }

    pub(super) fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("credential file serializes");
        bytes.push(b'\n');
        bytes
    }

    pub(super) fn into_credential(
        self,
        path: &Path,
        name: &str,
        default_kind: Kind,
        keyring: Option<KeyringSecrets>,
    ) -> Result<Credential, StoreError> {
        let (secret, refresh_token, source) = match keyring {
            Some(k) => (Some(k.secret), k.refresh_token, Source::Keyring),
            None => (
                self.access_token.or(self.key),
                self.refresh_token,
                Source::Store,
            ),
        };
        let secret = secret.ok_or_else(|| StoreError::Malformed {
            path: path.to_path_buf(),
            reason: "neither access_token nor key is present".into(),
        })?;
        // An empty secret printed by `token` with exit 0 fails the caller's
        // next request with nothing to say why.
        if secret.expose().trim().is_empty() {
            return Err(StoreError::Malformed {
                path: path.to_path_buf(),
                reason: "its access_token (or key) is empty".into(),
            });
        }
        Ok(Credential {
            name: name.to_string(),
            kind: self.kind.unwrap_or(default_kind),
            provider: self.provider,
            account: self.account,
            scopes: self.scope.split_whitespace().map(str::to_string).collect(),
            created_at: self.created_at,
            expires_at: self.expires_at,
            secret,
            refresh_token: refresh_token.filter(|r| !r.is_empty()),
            refresh_expires_at: self.refresh_expires_at,
            token_type: self.token_type,
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_cap_round_trips_and_older_files_have_none() {
        let path = Path::new("oauth/acme.json");
        let old = br#"{"provider":"acme","access_token":"at","refresh_token":"rt",
            "token_type":"Bearer","scope":"","expires_at":"2026-01-01T01:00:00Z",
            "created_at":"2026-01-01T00:00:00Z"}"#;
        let file = CredentialFile::parse(path, old).unwrap();
        let mut cred = file
            .into_credential(path, "acme", Kind::OAuth, None)
            .unwrap();
        assert_eq!(cred.refresh_expires_at, None);
        let unwritten = CredentialFile::from_credential(&cred).to_bytes();
        assert!(!String::from_utf8_lossy(&unwritten).contains("refresh_expires_at"));
        let cap = "2026-07-01T00:00:00Z".parse().unwrap();
        cred.refresh_expires_at = Some(cap);
        let bytes = CredentialFile::from_credential(&cred).to_bytes();
        let back = CredentialFile::parse(path, &bytes)
            .unwrap()
            .into_credential(path, "acme", Kind::OAuth, None)
            .unwrap();
        assert_eq!(back.refresh_expires_at, Some(cap));
    }
}
