//! `credtop demo`: the dashboard on a throwaway home, so that a newcomer
//! sees the whole product move within seconds with nothing of theirs
//! touched. A token endpoint inside the process (`endpoint`) refreshes the
//! OAuth credentials live; one grant is revoked at that "provider" and one
//! key is past its rotation age. The audit trail starts with the quarter
//! of an hour before (`backstory`), so the timeline has a history to show.

mod backstory;
mod endpoint;

use std::path::{Path, PathBuf};

use chrono::{Duration, Utc};

use crate::model::{Credential, Kind, Secret, Source};
use crate::store::{Store, StoreError, ensure_private_dir, write_atomic};

pub use endpoint::TokenEndpoint;

/// A demo home and the endpoint that refreshes its credentials; the home is
/// removed when this is dropped.
pub struct Demo {
    home: PathBuf,
    endpoint: TokenEndpoint,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the demo's token endpoint could not start: {0}")]
    Endpoint(std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One OAuth credential of the demo: its lifetime, and how much of it has
/// passed when the demo opens.
struct Lane {
    name: &'static str,
    provider: &'static str,
    account: &'static str,
    scopes: &'static [&'static str],
    ttl_secs: u64,
    elapsed_secs: i64,
    revoked: bool,
}

const LANES: &[Lane] = &[
    Lane {
        name: "github",
        provider: "github",
        account: "octo-agent",
        scopes: &["repo", "read:org"],
        ttl_secs: 45,
        elapsed_secs: 30,
        revoked: false,
    },
    Lane {
        name: "slack-bot",
        provider: "slack",
        account: "T024BE7LD",
        scopes: &["chat:write", "channels:read"],
        ttl_secs: 30,
        elapsed_secs: 25,
        revoked: false,
    },
    Lane {
        name: "google-drive",
        provider: "google",
        account: "agent@example.com",
        scopes: &["drive.readonly"],
        ttl_secs: 60,
        elapsed_secs: 12,
        revoked: false,
    },
    Lane {
        name: "acme-sso",
        provider: "acme-sso",
        account: "ci-runner",
        scopes: &["openid", "offline_access"],
        ttl_secs: 20,
        elapsed_secs: 4,
        revoked: false,
    },
    Lane {
        name: "legacy-crm",
        provider: "legacy-crm",
        account: "ops",
        scopes: &["contacts.read"],
        ttl_secs: 40,
        elapsed_secs: 33,
        revoked: true,
    },
];

impl Demo {
    /// Creates the home in the system's temporary directory, starts the
    /// endpoint, and writes providers.toml and the credentials.
    pub fn start() -> Result<Demo, DemoError> {
        let endpoint = TokenEndpoint::start().map_err(DemoError::Endpoint)?;
        let home = std::env::temp_dir().join(format!(
            "credtop-demo-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        ensure_private_dir(&home)?;
        let demo = Demo { home, endpoint };
        demo.write_providers()?;
        demo.write_credentials()?;
        backstory::write(&demo.home, Utc::now())?;
        Ok(demo)
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    fn write_providers(&self) -> Result<(), StoreError> {
        let mut toml =
            String::from("# Written by `credtop demo`; every endpoint is inside that process.\n");
        for lane in LANES {
            toml.push_str(&format!(
                "\n[providers.{name}]\nauthorization_url = \"{auth}\"\ntoken_url = \"{token}\"\nrevocation_url = \"{revoke}\"\nclient_id = \"credtop-demo\"\nscopes = [{scopes}]\n",
                name = lane.provider,
                auth = self.endpoint.url("/authorize"),
                token = self.endpoint.url("/token"),
                revoke = self.endpoint.url("/revoke"),
                scopes = lane
                    .scopes
                    .iter()
                    .map(|s| format!("\"{s}\""))
                    .collect::<Vec<_>>()
                    .join(", "),
            ));
        }
        write_atomic(&self.home.join("providers.toml"), toml.as_bytes())
    }

    fn write_credentials(&self) -> Result<(), StoreError> {
        let store = Store::open(&self.home)?;
        let now = Utc::now();
        for lane in LANES {
            let created_at = now - Duration::seconds(lane.elapsed_secs);
            let refresh = if lane.revoked {
                "demo-revoked".to_string()
            } else {
                endpoint::refresh_token(lane.ttl_secs, 0)
            };
            store.save(&Credential {
                name: lane.name.into(),
                kind: Kind::OAuth,
                provider: lane.provider.into(),
                account: Some(lane.account.into()),
                scopes: lane.scopes.iter().map(|s| s.to_string()).collect(),
                created_at,
                expires_at: Some(created_at + Duration::seconds(lane.ttl_secs as i64)),
                secret: Secret::new(format!("demo-at-{}-0", lane.name)),
                refresh_token: Some(Secret::new(refresh)),
                refresh_expires_at: None,
                token_type: Some("Bearer".into()),
                source: Source::Store,
            })?;
        }
        let key =
            |name: &str, provider: &str, kind, age_days, expires_days: Option<i64>| Credential {
                name: name.into(),
                kind,
                provider: provider.into(),
                account: None,
                scopes: Vec::new(),
                created_at: now - Duration::days(age_days),
                expires_at: expires_days.map(|d| now + Duration::days(d)),
                secret: Secret::new(format!("demo-key-{name}")),
                refresh_token: None,
                refresh_expires_at: None,
                token_type: None,
                source: Source::Store,
            };
        // Past the default rotation age of 90 days.
        store.save(&key("openai", "openai", Kind::ApiKey, 120, None))?;
        store.save(&key("anthropic", "anthropic", Kind::ApiKey, 12, None))?;
        store.save(&key("gitlab-pat", "gitlab", Kind::Pat, 80, Some(10)))?;
        Ok(())
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        // Only ever the directory this demo created in the temp dir.
        if self.home.starts_with(std::env::temp_dir()) {
            let _ = std::fs::remove_dir_all(&self.home);
        }
    }
}
