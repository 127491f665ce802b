use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
    /// An etcd cluster shared by several hosts (the `[etcd]` table).
    Etcd,
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
    /// The fleet store, used with `store = "etcd"`.
    pub etcd: Option<EtcdConfig>,
}

/// `[etcd]`: where a fleet keeps its shared credentials.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EtcdConfig {
    /// Client URLs of the members, e.g. `["http://10.0.0.5:2379"]`.
    pub endpoints: Vec<String>,
    /// Every key credtop writes starts with this, e.g. `/credtop/team`.
    pub prefix: String,
    /// A 0600 file holding base64 of 32 random bytes: the AEAD key.
    pub key_file: PathBuf,
    /// This host's name in audit records and value metadata (default: the
    /// system's host name).
    pub host: Option<String>,
    /// One request to one member gives up after this long (default 1000).
    pub request_timeout_ms: Option<u64>,
    /// A whole store call, all members and retries, gives up after this long
    /// (default 8000): longer than an election, shorter than a caller's
    /// patience.
    pub call_budget_ms: Option<u64>,
    /// The TTL of the lease behind a refresh lock (default 10 s); kept alive
    /// while the holder works, lapsing this long after it dies.
    pub lock_ttl_secs: Option<i64>,
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
    /// Reads config.toml under the same rules as a credential file (it can
    /// name `notify_command`, a command credtop runs); a missing file is
    /// the defaults.
    pub fn load(home: &Path) -> Result<Config, StoreError> {
        let path = home.join("config.toml");
        let Some(text) = read_private_toml(&path)? else {
            return Ok(Config::default());
        };
        let config: Config = toml::from_str(&text).map_err(|e| StoreError::Config {
            path: path.clone(),
            reason: toml_reason(&text, &e),
        })?;
        if config.store == Backend::Etcd && config.etcd.is_none() {
            return Err(StoreError::Config {
                path,
                reason:
                    "store = \"etcd\" needs an [etcd] table with endpoints, prefix and key_file"
                        .into(),
            });
        }
        Ok(config)
    }

    pub fn rotation_age_days(&self) -> i64 {
        self.rotation_age_days
            .unwrap_or(crate::model::DEFAULT_ROTATION_AGE_DAYS)
    }
}

/// A private TOML file's text (see [`super::read_private`]), or `None` when
/// it does not exist.
pub fn read_private_toml(path: &Path) -> Result<Option<String>, StoreError> {
    match super::read_private(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| StoreError::Config {
                path: path.to_path_buf(),
                reason: "not UTF-8 text".into(),
            }),
        Err(StoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// A TOML error's line and what is wrong, without the value it chokes on:
/// serde quotes it (`invalid type: string "sk-..."`), and a misplaced
/// secret is exactly what ends up in the wrong field. Names after
/// "expected" are the schema's own and stay; the names of unknown keys
/// stay too, so a typo can be found.
pub fn toml_reason(text: &str, e: &toml::de::Error) -> String {
    let message = e.message();
    let (head, tail) = match message.find(", expected") {
        Some(i) => message.split_at(i),
        None => (message, ""),
    };
    let head = if head.starts_with("unknown field") {
        crate::model::shown(head)
    } else {
        blank_quoted(head)
    };
    match e.span() {
        Some(span) => {
            let line = text.get(..span.start).unwrap_or("").matches('\n').count() + 1;
            format!("line {line}: {head}{tail}")
        }
        None => format!("{head}{tail}"),
    }
}

/// `a "x" b `y`` -> `a "…" b `…``.
fn blank_quoted(text: &str) -> String {
    let mut out = String::new();
    let mut open: Option<char> = None;
    for c in text.chars() {
        match open {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                open = None;
            }
            Some(_) => {}
            None => {
                out.push(c);
                if c == '"' || c == '`' {
                    open = Some(c);
                }
            }
        }
    }
    if open.is_some() {
        out.push('…');
    }
    out
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

    /// config.toml as credtop requires it: 0600.
    fn private_config(dir: &std::path::Path, text: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("config.toml");
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    #[test]
    fn etcd_table_parses_and_is_required() {
        let c: Config = toml::from_str(
            "store = \"etcd\"\n[etcd]\nendpoints = [\"http://127.0.0.1:2379\"]\nprefix = \"/credtop/team\"\nkey_file = \"/k\"\n",
        )
        .unwrap();
        assert_eq!(c.store, Backend::Etcd);
        assert_eq!(c.etcd.unwrap().prefix, "/credtop/team");
        let dir = tempfile::tempdir().unwrap();
        private_config(dir.path(), "store = \"etcd\"\n");
        let err = Config::load(dir.path()).unwrap_err();
        assert!(err.to_string().contains("[etcd]"), "{err}");
    }

    #[test]
    fn unknown_backend_is_a_typed_error() {
        let dir = tempfile::tempdir().unwrap();
        private_config(dir.path(), "store = \"vault\"\n");
        let err = Config::load(dir.path()).unwrap_err();
        assert!(err.to_string().contains("config.toml"), "{err}");
        assert!(
            err.to_string().contains("expected one of"),
            "says what is valid: {err}"
        );
    }

    #[test]
    fn parse_errors_never_quote_the_value() {
        for text in [
            "rotation_age_days = \"sk-CANARY\"\n",
            "store = \"sk-CANARY\"\n",
            "notify_command = [\"sk-CANARY\"]\n",
            "rotation_age_days = sk-CANARY\n",
        ] {
            let e = toml::from_str::<Config>(text).unwrap_err();
            let reason = toml_reason(text, &e);
            assert!(!reason.contains("CANARY"), "{text}: {reason}");
            assert!(reason.starts_with("line 1: "), "{reason}");
        }
        let e = toml::from_str::<Config>("\nstroe = 1\n").unwrap_err();
        let reason = toml_reason("\nstroe = 1\n", &e);
        assert!(reason.contains("line 2: unknown field `stroe`"), "{reason}");
    }
}
