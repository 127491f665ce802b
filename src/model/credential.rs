use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Lifetime, Secret, Status, Zone};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    #[serde(rename = "oauth")]
    OAuth,
    ApiKey,
    Pat,
    Cloud,
    McpEnv,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::OAuth => "oauth",
            Kind::ApiKey => "api_key",
            Kind::Pat => "pat",
            Kind::Cloud => "cloud",
            Kind::McpEnv => "mcp_env",
        }
    }

    /// OAuth and cloud tokens always expire; not knowing when is itself a
    /// finding (`unknown_expiry`).
    pub fn expires_by_nature(self) -> bool {
        matches!(self, Kind::OAuth | Kind::Cloud)
    }
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "oauth" => Ok(Kind::OAuth),
            "api_key" | "api-key" | "key" => Ok(Kind::ApiKey),
            "pat" => Ok(Kind::Pat),
            "cloud" => Ok(Kind::Cloud),
            "mcp_env" => Ok(Kind::McpEnv),
            other => Err(format!(
                "unknown kind {other:?} (oauth, api_key, pat, cloud, mcp_env)"
            )),
        }
    }
}

/// Where a credential was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// credtop's own file store under `$CREDTOP_HOME`.
    Store,
    /// credtop's store, with the secret held by the OS keyring.
    Keyring,
    /// Another tool's file, read and never written.
    Discovered {
        tool: String,
        location: String,
        /// The command that logs in again with that tool.
        relogin: Option<String>,
        /// What the reader wants the operator to know about this finding:
        /// an estimated expiry, an environment variable that shadows the
        /// tool's stored login.
        note: Option<String>,
    },
}

impl Source {
    pub fn label(&self) -> &str {
        match self {
            Source::Store => "credtop",
            Source::Keyring => "credtop-keyring",
            Source::Discovered { tool, .. } => tool,
        }
    }

    /// credtop may refresh, rotate and revoke only what it owns.
    pub fn is_owned(&self) -> bool {
        matches!(self, Source::Store | Source::Keyring)
    }
}

/// One credential the agent holds.
#[derive(Clone, Debug)]
pub struct Credential {
    pub name: String,
    pub kind: Kind,
    pub provider: String,
    pub account: Option<String>,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The access token, API key or PAT.
    pub secret: Secret,
    pub refresh_token: Option<Secret>,
    /// The grant's hard end, when known (see [`super::cap`]): after it the
    /// refresh token no longer works and only a login helps.
    pub refresh_expires_at: Option<DateTime<Utc>>,
    pub token_type: Option<String>,
    pub source: Source,
}

impl Credential {
    pub fn lifetime(&self, refresh_at: Option<f64>) -> Lifetime {
        Lifetime::new(self.created_at, self.expires_at, refresh_at)
    }

    pub fn zone(&self, now: DateTime<Utc>, refresh_at: Option<f64>) -> Zone {
        self.lifetime(refresh_at).zone(now)
    }

    /// credtop can renew it by itself: an owned credential with a refresh token.
    pub fn is_refreshable(&self) -> bool {
        self.source.is_owned() && self.refresh_token.as_ref().is_some_and(|rt| !rt.is_empty())
    }

    /// Another tool's credential that the tool renews by itself (it holds
    /// a refresh token): an expired access token there is routine, not a
    /// lost login.
    pub fn renewed_by_its_tool(&self) -> bool {
        !self.source.is_owned() && self.refresh_token.as_ref().is_some_and(|rt| !rt.is_empty())
    }

    pub fn status(&self, now: DateTime<Utc>, refresh_at: Option<f64>) -> Status {
        let renewable = self.is_refreshable() || self.renewed_by_its_tool();
        Status::from_zone(self.zone(now, refresh_at), self.kind, renewable)
            .under_grant(self.refresh_expires_at, now)
    }

    /// A seed in [0, 1) for the refresh jitter, stable for one issuance of
    /// one credential so that every process agrees on the same instant.
    pub fn jitter_seed(&self) -> f64 {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(self.name.as_bytes());
        h.update(self.created_at.timestamp_millis().to_le_bytes());
        let d = h.finalize();
        let n = u32::from_le_bytes([d[0], d[1], d[2], d[3]]);
        n as f64 / (u32::MAX as f64 + 1.0)
    }

    pub fn provider_account(&self) -> String {
        match &self.account {
            Some(a) => format!("{}/{}", self.provider, a),
            None => self.provider.clone(),
        }
    }
}
