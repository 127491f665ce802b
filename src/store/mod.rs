//! Where credentials live: `$CREDTOP_HOME` (default `~/.agent`), directory
//! 0700, every file 0600 from the moment it is created.
//!
//! Layout:
//! - `oauth/<name>.json`: one OAuth credential each;
//! - `keys/<name>.json`: API keys and PATs, one each;
//! - `locks/<name>.lock`: the per-credential cross-process lock;
//! - `mcp/servers/<name>.json`: the remote MCP server of credential `name`;
//!   `mcp/clients/`: clients registered at their servers (RFC 7591);
//! - `config.toml`, `providers.toml`, `audit.jsonl`, `logs/`.
//!
//! With `store = "keyring"` in config.toml the files keep only metadata and
//! the secrets live in the OS keyring.

mod atomic;
mod config;
mod error;
mod file;
mod home;
mod keyring;
mod lock;
mod remote;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use atomic::write_atomic;
pub use config::{Backend, Config, DiscoverConfig};
pub use error::StoreError;
pub use home::{
    create_file_0600, default_home, ensure_private_dir, open_append_0600, open_private,
    read_private, resolve_home,
};
pub use lock::CredentialLock;
pub use remote::{
    BridgeFailureNote, RemoteServer, bridge_ended, bridge_started, bridges_connected,
    forget_remote, last_bridge_failure, load_remote, note_bridge_failure, save_remote,
};

use crate::model::{Credential, Kind, Source, validate_name};

use self::file::CredentialFile;
use self::keyring::KeyringBackend;

/// How long a refresh waits for another process's refresh by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// What `list` found: the credentials that parsed, and a typed problem for
/// each file that did not (never silently skipped).
#[derive(Debug, Default)]
pub struct Listing {
    pub credentials: Vec<Credential>,
    pub problems: Vec<StoreError>,
}

pub struct Store {
    home: PathBuf,
    config: Config,
    keyring: Option<KeyringBackend>,
}

impl Store {
    /// Opens (creating when missing) the store at `home`, refusing a home
    /// that others can read. With `store = "keyring"`, fails plainly when
    /// the keyring is unavailable rather than falling back to files.
    pub fn open(home: &Path) -> Result<Store, StoreError> {
        ensure_private_dir(home)?;
        for sub in ["oauth", "keys", "locks"] {
            ensure_private_dir(&home.join(sub))?;
        }
        let config = Config::load(home)?;
        let keyring = match config.store {
            Backend::File => None,
            Backend::Keyring => Some(KeyringBackend::connect(home)?),
        };
        Ok(Store {
            home: home.to_path_buf(),
            config,
            keyring,
        })
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    fn dir_for(&self, kind: Kind) -> PathBuf {
        match kind {
            Kind::OAuth | Kind::Cloud => self.home.join("oauth"),
            Kind::ApiKey | Kind::Pat | Kind::McpEnv => self.home.join("keys"),
        }
    }

    /// The file that holds (or would hold) credential `name` of `kind`.
    pub fn path_for(&self, name: &str, kind: Kind) -> PathBuf {
        self.dir_for(kind).join(format!("{name}.json"))
    }

    /// Finds the file of credential `name`, whichever folder it is in.
    fn locate(&self, name: &str) -> Result<PathBuf, StoreError> {
        validate_name(name).map_err(StoreError::InvalidName)?;
        [Kind::OAuth, Kind::ApiKey]
            .into_iter()
            .map(|k| self.path_for(name, k))
            .find(|p| p.exists())
            .ok_or_else(|| StoreError::NotFound {
                name: name.to_string(),
                home: self.home.clone(),
            })
    }

    pub fn load(&self, name: &str) -> Result<Credential, StoreError> {
        let path = self.locate(name)?;
        self.read_file(&path, name)
    }

    fn read_file(&self, path: &Path, name: &str) -> Result<Credential, StoreError> {
        let bytes = home::read_private(path)?;
        let file = CredentialFile::parse(path, &bytes)?;
        let default_kind = if path.parent().and_then(|p| p.file_name()) == Some("oauth".as_ref()) {
            Kind::OAuth
        } else {
            Kind::ApiKey
        };
        let secrets = match (&file.secret_in, &self.keyring) {
            (Some(_), Some(kr)) => Some(kr.read(name)?),
            (Some(_), None) => {
                return Err(StoreError::Malformed {
                    path: path.to_path_buf(),
                    reason: "its secret is in the OS keyring but config.toml says store = \"file\"; set store = \"keyring\" again".into(),
                });
            }
            (None, _) => None,
        };
        file.into_credential(path, name, default_kind, secrets)
    }

    /// Every credential in the store, and a problem for each unreadable file.
    pub fn list(&self) -> Listing {
        let mut listing = Listing::default();
        for dir in ["oauth", "keys"] {
            let dir = self.home.join(dir);
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) => {
                    listing.problems.push(StoreError::io(&dir, e));
                    continue;
                }
            };
            let mut paths: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| is_credential_file(p))
                .collect();
            paths.sort();
            for path in paths {
                let name = path
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                match self.read_file(&path, &name) {
                    Ok(c) => listing.credentials.push(c),
                    Err(e) => listing.problems.push(e),
                }
            }
        }
        listing.credentials.sort_by(|a, b| a.name.cmp(&b.name));
        listing
    }

    /// Writes `cred` atomically: the file on disk is the old credential or
    /// the new one at every instant, never a torn mix.
    pub fn save(&self, cred: &Credential) -> Result<(), StoreError> {
        validate_name(&cred.name).map_err(StoreError::InvalidName)?;
        let path = self.path_for(&cred.name, cred.kind);
        let file = match &self.keyring {
            Some(kr) => {
                kr.write(&cred.name, &cred.secret, cred.refresh_token.as_ref())?;
                CredentialFile::metadata_only(cred)
            }
            None => CredentialFile::from_credential(cred),
        };
        write_atomic(&path, &file.to_bytes())
    }

    /// Removes credential `name` from the store (and the keyring). Returns
    /// the credential that was there.
    pub fn delete(&self, name: &str) -> Result<Credential, StoreError> {
        let path = self.locate(name)?;
        let cred = self.read_file(&path, name)?;
        if let Some(kr) = &self.keyring {
            kr.delete(name)?;
        }
        std::fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
        atomic::sync_dir(path.parent().unwrap_or(&self.home))?;
        Ok(cred)
    }

    /// Takes the exclusive, cross-process lock on credential `name`, waiting
    /// at most `timeout` for another process to let go.
    pub fn lock(&self, name: &str, timeout: Duration) -> Result<CredentialLock, StoreError> {
        validate_name(name).map_err(StoreError::InvalidName)?;
        CredentialLock::acquire(&self.home.join("locks"), name, timeout)
    }

    /// The source label of credentials from this store.
    pub fn source(&self) -> Source {
        if self.keyring.is_some() {
            Source::Keyring
        } else {
            Source::Store
        }
    }
}

/// `name.json`, not a dotfile (temp files of atomic writes start with '.').
fn is_credential_file(p: &Path) -> bool {
    let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    !name.starts_with('.') && name.ends_with(".json") && p.is_file()
}
