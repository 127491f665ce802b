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
mod bound_key;
mod config;
mod error;
mod etcd;
mod file;
#[cfg(test)]
mod fuzz;
mod home;
mod keyring;
mod listing;
mod lock;
pub mod project;
mod remote;
mod secure;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use atomic::write_atomic;
pub use bound_key::{forget_bound_key, load_bound_key, save_bound_key};
pub use config::{Backend, Config, DiscoverConfig, EtcdConfig, read_private_toml, toml_reason};
pub use error::StoreError;
pub use etcd::{
    EtcdBackend, FleetChange, FleetKey, FleetLock, FleetWatch, Written, fleet_docs, fleet_host,
};
pub use home::{create_file_0600, default_home, ensure_private_dir, resolve_home};
pub use lock::CredentialLock;
pub use remote::{
    BridgeFailureNote, RemoteServer, bridge_ended, bridge_started, bridges_connected,
    forget_remote, last_bridge_failure, load_remote, note_bridge_failure, remote_names,
    save_remote,
};
pub use secure::{
    CREDENTIAL_CAP, open_append_0600, open_private, open_rw_0600, read_private, read_private_capped,
};

use crate::model::{Credential, Kind, Name, Source};

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
    /// With `store = "etcd"`, the only place credentials live: never a
    /// local fallback that could race the fleet.
    etcd: Option<std::sync::Arc<EtcdBackend>>,
}

impl Store {
    /// Opens (creating when missing) the store at `home`, refusing a home
    /// that others can read. With `store = "keyring"`, fails plainly when
    /// the keyring is unavailable rather than falling back to files.
    pub fn open(home: &Path) -> Result<Store, StoreError> {
        ensure_private_dir(home)?;
        let config = Config::load(home)?;
        let subdirs: &[&str] = match config.store {
            Backend::Etcd => &["locks"],
            _ => &["oauth", "keys", "locks"],
        };
        for sub in subdirs {
            ensure_private_dir(&home.join(sub))?;
        }
        let keyring = match config.store {
            Backend::Keyring => Some(KeyringBackend::connect(home)?),
            _ => None,
        };
        let etcd = match (&config.store, &config.etcd) {
            (Backend::Etcd, Some(cfg)) => {
                let backend = std::sync::Arc::new(EtcdBackend::connect(cfg, home)?);
                etcd::register(home, &backend);
                Some(backend)
            }
            _ => None,
        };
        Ok(Store {
            home: home.to_path_buf(),
            config,
            keyring,
            etcd,
        })
    }

    /// The plain file store of `home`, whatever config.toml chose: the
    /// local side of `credtop fleet push` and `pull`.
    pub fn open_files(home: &Path) -> Result<Store, StoreError> {
        ensure_private_dir(home)?;
        for sub in ["oauth", "keys", "locks"] {
            ensure_private_dir(&home.join(sub))?;
        }
        let mut config = Config::load(home)?;
        config.store = Backend::File;
        Ok(Store {
            home: home.to_path_buf(),
            config,
            keyring: None,
            etcd: None,
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
    pub fn path_for(&self, name: &Name, kind: Kind) -> PathBuf {
        self.dir_for(kind).join(name.file_name(".json"))
    }

    /// Finds the file of credential `name`, whichever folder it is in (a
    /// dangling link or a FIFO there counts: reading it refuses it, typed).
    fn locate(&self, name: &str) -> Result<PathBuf, StoreError> {
        let name = Name::parse(name).map_err(StoreError::InvalidName)?;
        [Kind::OAuth, Kind::ApiKey]
            .into_iter()
            .map(|k| self.path_for(&name, k))
            .find(|p| p.symlink_metadata().is_ok())
            .ok_or_else(|| StoreError::NotFound {
                name: name.to_string(),
                home: self.home.clone(),
            })
    }

    pub fn load(&self, name: &str) -> Result<Credential, StoreError> {
        self.load_written(name).map(|(c, _)| c)
    }

    /// Credential `name` and, in a fleet, which host wrote it when.
    pub fn load_written(&self, name: &str) -> Result<(Credential, Option<Written>), StoreError> {
        if let Some(etcd) = &self.etcd {
            return etcd.load(name).map(|(c, w)| (c, Some(w)));
        }
        let path = self.locate(name)?;
        self.read_file(&path, name).map(|c| (c, None))
    }

    /// The fleet backend, with `store = "etcd"`.
    pub fn fleet(&self) -> Option<&EtcdBackend> {
        self.etcd.as_deref()
    }

    fn read_file(&self, path: &Path, name: &str) -> Result<Credential, StoreError> {
        let bytes = read_private(path)?;
        self.parse_file(path, name, &bytes)
    }

    /// The credential in `bytes`, read from `path`.
    fn parse_file(&self, path: &Path, name: &str, bytes: &[u8]) -> Result<Credential, StoreError> {
        let file = CredentialFile::parse(path, bytes)?;
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
        if let Some(etcd) = &self.etcd {
            match etcd.list() {
                Ok(all) => {
                    for item in all {
                        match item {
                            Ok((c, _)) => listing.credentials.push(c),
                            Err(e) => listing.problems.push(e),
                        }
                    }
                }
                Err(e) => listing.problems.push(e),
            }
            listing.credentials.sort_by(|a, b| a.name.cmp(&b.name));
            return listing;
        }
        self.list_files(&mut listing);
        listing.credentials.sort_by(|a, b| a.name.cmp(&b.name));
        listing
    }

    /// One entry of `oauth/` or `keys/`: a credential, or why it is not one
    /// (a link, a FIFO, a directory, a name that is not `<name>.json`).
    /// `dir`, when given, is that folder open: the file is opened in it.
    fn read_listed(
        &self,
        path: &Path,
        dir: Option<&std::fs::File>,
    ) -> Result<Credential, StoreError> {
        let file_name = path.file_name().unwrap_or_default().to_string_lossy();
        let Some(stem) = file_name.strip_suffix(".json") else {
            return Err(StoreError::Malformed {
                path: path.to_path_buf(),
                reason: "not a credential file (credential files are named <name>.json)".into(),
            });
        };
        let name = Name::parse(stem).map_err(|reason| StoreError::Malformed {
            path: path.to_path_buf(),
            reason,
        })?;
        match (dir, path.file_name()) {
            (Some(dir), Some(file)) => {
                let bytes = secure::read_private_at(dir, file, path)?;
                self.parse_file(path, name.as_str(), &bytes)
            }
            _ => self.read_file(path, name.as_str()),
        }
    }

    /// Writes `cred` atomically: the file on disk is the old credential or
    /// the new one at every instant, never a torn mix.
    pub fn save(&self, cred: &Credential) -> Result<(), StoreError> {
        let name = Name::parse(&cred.name).map_err(StoreError::InvalidName)?;
        if let Some(etcd) = &self.etcd {
            return etcd.save(cred);
        }
        let path = self.path_for(&name, cred.kind);
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
        if let Some(etcd) = &self.etcd {
            return etcd.delete(name);
        }
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
        let name = Name::parse(name).map_err(StoreError::InvalidName)?;
        let started = std::time::Instant::now();
        let local = CredentialLock::acquire(&self.home.join("locks"), &name, timeout)?;
        match &self.etcd {
            Some(etcd) => {
                let left = timeout.saturating_sub(started.elapsed());
                Ok(local.with_fleet(etcd.lock(name.as_str(), left)?))
            }
            None => Ok(local),
        }
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
