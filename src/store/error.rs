use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything the store can refuse or fail at. No variant carries a secret:
/// parse errors keep only their position, never the offending value.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{path} is accessible by group or others (mode {mode:04o}); credtop refuses to use it. Fix: chmod {want:o} {path}"
    )]
    InsecurePermissions { path: PathBuf, mode: u32, want: u32 },

    #[error(
        "{path} is {found}, not a regular file; credtop never reads through links or from special files. Replace it with a regular file (0600) or remove it"
    )]
    NotAFile { path: PathBuf, found: &'static str },

    #[error(
        "{path} is owned by uid {owner}, not by you; credtop only uses files it could have written itself. Remove it"
    )]
    NotOwned { path: PathBuf, owner: u32 },

    #[error(
        "{path} has {links} hard links; another name could read or change this secret. Copy it to a file of its own (cp, then rm the other links)"
    )]
    HardLinked { path: PathBuf, links: u64 },

    #[error(
        "{path} is larger than {cap} bytes, too large for what it should hold; credtop did not read it"
    )]
    TooLarge { path: PathBuf, cap: u64 },

    #[error(
        "{path} is accessible by group or others (mode {mode:04o}) and {why}; credtop refuses to use it and will not suggest a chmod there. Point CREDTOP_HOME at a private directory of your own"
    )]
    InsecureNotOurs {
        path: PathBuf,
        mode: u32,
        why: String,
    },

    #[error(
        "the audit trail {path} cannot be written ({reason}); credtop changes nothing it cannot audit. Make it a regular 0600 file of yours (or remove it) and try again"
    )]
    AuditUnwritable { path: PathBuf, reason: String },

    #[error("no credential named {name:?} in {home}; `credtop status` lists what there is")]
    NotFound { name: String, home: PathBuf },

    #[error(
        "{path}: malformed credential file ({reason}); it was left untouched: fix or remove it"
    )]
    Malformed { path: PathBuf, reason: String },

    #[error("invalid credential name: {0}")]
    InvalidName(String),

    #[error(
        "credential {name:?} is locked by another credtop process; gave up after {waited:?} (lock file {path})"
    )]
    LockTimeout {
        name: String,
        path: PathBuf,
        waited: Duration,
    },

    #[error(
        "the OS keyring is unavailable: {reason}. config.toml asks for store = \"keyring\"; start a Secret Service (e.g. gnome-keyring) or set store = \"file\""
    )]
    KeyringUnavailable { reason: String },

    #[error("OS keyring: {0}")]
    Keyring(String),

    #[error(
        "store_unavailable: no etcd member answered ({endpoints}): {reason}. Nothing falls back to local files; bring a member back or fix [etcd] endpoints in config.toml"
    )]
    StoreUnavailable { endpoints: String, reason: String },

    #[error("etcd refused the request: {0}")]
    Etcd(String),

    #[error(
        "key mismatch: the fleet under {prefix} is encrypted with key {cluster_key}, but {key_file} holds key {local_key}; nothing was read or written. Install the fleet's key file on this host"
    )]
    KeyMismatch {
        prefix: String,
        key_file: PathBuf,
        cluster_key: String,
        local_key: String,
    },

    #[error("{path}: {reason}")]
    FleetKey { path: PathBuf, reason: String },

    #[error(
        "{name}: the write was refused because another host refreshed it after this host's lock lapsed; the newer credential stays"
    )]
    Fenced { name: String },

    #[error("{path}: {reason}")]
    Config { path: PathBuf, reason: String },

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    /// The file or folder the error is about, when it is about one.
    pub fn path(&self) -> Option<&Path> {
        use StoreError::*;
        match self {
            InsecurePermissions { path, .. }
            | InsecureNotOurs { path, .. }
            | NotAFile { path, .. }
            | NotOwned { path, .. }
            | HardLinked { path, .. }
            | TooLarge { path, .. }
            | Malformed { path, .. }
            | LockTimeout { path, .. }
            | Config { path, .. }
            | FleetKey { path, .. }
            | Io { path, .. } => Some(path),
            NotFound { .. }
            | InvalidName(_)
            | KeyringUnavailable { .. }
            | Keyring(_)
            | StoreUnavailable { .. }
            | Etcd(_)
            | KeyMismatch { .. }
            | Fenced { .. }
            | AuditUnwritable { .. } => None,
        }
    }

    pub fn io(path: &Path, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A parse error's category and position, without the text it quotes
    /// (serde_json quotes the offending value, which may be a token).
    pub fn malformed_json(path: &Path, e: &serde_json::Error) -> Self {
        let what = match e.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "not valid JSON",
            serde_json::error::Category::Data => "a field has the wrong type or is missing",
            serde_json::error::Category::Eof => "truncated JSON",
        };
        StoreError::Malformed {
            path: path.to_path_buf(),
            reason: format!("{what} at line {} column {}", e.line(), e.column()),
        }
    }
}
