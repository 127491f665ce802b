//! What credtop knows about a remote MCP server it logged in to
//! (`credtop mcp login`): `mcp/servers/<name>.json`, beside the credential
//! of the same name. It makes that credential refreshable, revocable and
//! bridgeable without a providers.toml table.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{StoreError, ensure_private_dir, read_private, write_atomic};
use crate::model::validate_name;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteServer {
    /// The MCP server's URL, which is also its RFC 8707 resource.
    pub url: String,
    /// Its authorization server (RFC 9728 `authorization_servers`).
    pub issuer: String,
    pub client_id: String,
    /// The scopes granted, asked for again by `credtop login NAME`.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// `true` when the tokens are DPoP-bound (RFC 9449).
    #[serde(default)]
    pub dpop: bool,
}

fn path_for(home: &Path, name: &str) -> PathBuf {
    home.join("mcp")
        .join("servers")
        .join(format!("{name}.json"))
}

/// The record of credential `name`, if it is a remote MCP server's.
pub fn load_remote(home: &Path, name: &str) -> Result<Option<RemoteServer>, StoreError> {
    validate_name(name).map_err(StoreError::InvalidName)?;
    let path = path_for(home, name);
    match read_private(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StoreError::malformed_json(&path, &e)),
        Err(StoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The credentials that have a remote MCP server record: one listing of
/// `mcp/servers/` for a whole read of the store, where most credentials
/// have none (their names are those [`load_remote`] would open).
pub fn remote_names(home: &Path) -> std::collections::HashSet<String> {
    let dir = home.join("mcp").join("servers");
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let file = e.file_name().into_string().ok()?;
            file.strip_suffix(".json").map(str::to_string)
        })
        .collect()
}

/// Writes the record atomically.
pub fn save_remote(home: &Path, name: &str, server: &RemoteServer) -> Result<(), StoreError> {
    validate_name(name).map_err(StoreError::InvalidName)?;
    let path = path_for(home, name);
    ensure_private_dir(&home.join("mcp"))?;
    ensure_private_dir(path.parent().expect("has a parent"))?;
    let mut bytes = serde_json::to_vec_pretty(server).expect("serializes");
    bytes.push(b'\n');
    write_atomic(&path, &bytes)
}

/// Removes what credtop kept about credential `name`'s remote MCP server:
/// its record and its DPoP key (the issuer's client registration stays,
/// for the next login).
pub fn forget_remote(home: &Path, name: &str) {
    if let Err(e) = super::forget_bound_key(home, name) {
        tracing::warn!(credential = %name, error = %e, "DPoP key not removed");
    }
    let mcp = home.join("mcp");
    for path in [
        mcp.join("servers").join(format!("{name}.json")),
        mcp.join("bridges").join(format!("{name}.failure.json")),
    ] {
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %path.display(), error = %e, "not removed");
        }
    }
}

/// What the dashboard and `status` show about a remote MCP credential's
/// bridges: how many are connected now, and the last typed failure one of
/// them met.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BridgeFailureNote {
    pub ts: chrono::DateTime<chrono::Utc>,
    pub kind: String,
    pub message: String,
}

fn bridges_dir(home: &Path) -> PathBuf {
    home.join("mcp").join("bridges")
}

/// Marks bridge `pid` of credential `name` as connected.
pub fn bridge_started(home: &Path, name: &str, pid: u32) -> Result<(), StoreError> {
    ensure_private_dir(&home.join("mcp"))?;
    ensure_private_dir(&bridges_dir(home))?;
    write_atomic(&bridges_dir(home).join(format!("{name}.{pid}.pid")), b"")
}

/// Removes the mark of bridge `pid`.
pub fn bridge_ended(home: &Path, name: &str, pid: u32) {
    let _ = std::fs::remove_file(bridges_dir(home).join(format!("{name}.{pid}.pid")));
}

/// The bridges of `name` connected now: marks whose process is alive (a
/// SIGKILLed bridge leaves its mark behind; it does not count).
pub fn bridges_connected(home: &Path, name: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(bridges_dir(home)) else {
        return 0;
    };
    let prefix = format!("{name}.");
    entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|f| {
            let pid = f.strip_prefix(&prefix)?.strip_suffix(".pid")?;
            pid.parse::<i32>().ok()
        })
        // SAFETY: signal 0 only asks whether the process exists.
        .filter(|pid| *pid > 0 && unsafe { libc::kill(*pid, 0) } == 0)
        .count()
}

/// Keeps the last typed failure a bridge of `name` met.
pub fn note_bridge_failure(home: &Path, name: &str, note: &BridgeFailureNote) {
    let path = bridges_dir(home).join(format!("{name}.failure.json"));
    let written = ensure_private_dir(&home.join("mcp"))
        .and_then(|_| ensure_private_dir(&bridges_dir(home)))
        .and_then(|_| write_atomic(&path, &serde_json::to_vec(note).expect("serializes")));
    if let Err(e) = written {
        tracing::warn!(error = %e, "bridge failure not kept");
    }
}

pub fn last_bridge_failure(home: &Path, name: &str) -> Option<BridgeFailureNote> {
    let path = bridges_dir(home).join(format!("{name}.failure.json"));
    serde_json::from_slice(&read_private(&path).ok()?).ok()
}
