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
