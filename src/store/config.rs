use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::StoreError;

/// Where secrets are kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// Files under `$CREDTOP_HOME`: works everywhere, headless included.
    #[default]
    File,
    /// The OS keyring (Secret Service, Keychain, Credential Manager).
    Keyring,
}

/// `$CREDTOP_HOME/config.toml`. Every key is optional.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub store: Backend,
    /// Credentials without expiry warn past this age (default 90 days).
    pub rotation_age_days: Option<i64>,
    /// A command run with each operator alert as JSON on stdin.
    pub notify_command: Option<String>,
    pub discover: DiscoverConfig,
    /// MCP variables credtop supplies, e.g. `GITHUB_TOKEN = "oauth:github"`.
    pub mcp_env: BTreeMap<String, String>,
    /// `credtop git-credential`: a host (as git names it, with its port
    /// when not the default) to a credential, e.g. `"github.com" = "github"`.
    pub git: BTreeMap<String, String>,
}

/// Which other tools' credential files to read (read-only, always).
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct DiscoverConfig {
    pub enabled: bool,
    /// Per-source switches, e.g. `claude = false` (see `discover::SOURCES`).
    #[serde(flatten)]
    pub sources: BTreeMap<String, bool>,
}

impl Default for DiscoverConfig {
    fn default() -> Self {
        DiscoverConfig {
            enabled: true,
            sources: BTreeMap::new(),
        }
    }
}

impl DiscoverConfig {
    pub fn source_enabled(&self, source: &str) -> bool {
        self.enabled && self.sources.get(source).copied().unwrap_or(true)
    }
}

impl Config {
    pub fn load(home: &Path) -> Result<Config, StoreError> {
        let path = home.join("config.toml");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        toml::from_str(&text).map_err(|e| StoreError::Config {
            path: path.clone(),
            reason: e.message().to_string(),
        })
    }

    pub fn rotation_age_days(&self) -> i64 {
        self.rotation_age_days
            .unwrap_or(crate::model::DEFAULT_ROTATION_AGE_DAYS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyring_backend_and_discovery_switches_parse() {
        let c: Config = toml::from_str(
            "store = \"keyring\"\n[discover]\nclaude = false\n[mcp_env]\nGITHUB_TOKEN = \"oauth:github\"\n",
        )
        .unwrap();
        assert_eq!(c.store, Backend::Keyring);
        assert!(!c.discover.source_enabled("claude"));
        assert!(c.discover.source_enabled("codex"));
        assert_eq!(c.mcp_env["GITHUB_TOKEN"], "oauth:github");
    }

    #[test]
    fn unknown_backend_is_a_typed_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), "store = \"vault\"\n").unwrap();
        let err = Config::load(dir.path()).unwrap_err();
        assert!(err.to_string().contains("config.toml"), "{err}");
    }
}
