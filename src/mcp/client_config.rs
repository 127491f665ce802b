//! `credtop mcp add NAME`: the entry an MCP client needs to reach a remote
//! server through `credtop mcp connect NAME`, printed for Claude Code,
//! Cursor and VS Code, or merged into a project's config file atomically,
//! keeping everything else in it.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

#[derive(Debug, thiserror::Error)]
pub enum ClientConfigError {
    #[error("{path}: not valid JSON ({what}); it was left untouched: fix it first")]
    Malformed { path: PathBuf, what: String },
    #[error("{path}: \"{key}\" is not a JSON object; it was left untouched")]
    NotObject { path: PathBuf, key: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What a merge did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Merge {
    Added,
    Replaced,
    Unchanged,
}

/// The stdio entry: `credtop mcp connect NAME`.
pub fn entry(name: &str) -> Value {
    json!({"command": "credtop", "args": ["mcp", "connect", name]})
}

/// Each client's file and the snippet that goes into it.
pub fn snippets(name: &str) -> Vec<(&'static str, &'static str, Value)> {
    let mut vscode = entry(name);
    vscode["type"] = json!("stdio");
    vec![
        (
            "Claude Code",
            ".mcp.json",
            json!({"mcpServers": {name: entry(name)}}),
        ),
        (
            "Cursor",
            ".cursor/mcp.json",
            json!({"mcpServers": {name: entry(name)}}),
        ),
        (
            "VS Code",
            ".vscode/mcp.json",
            json!({"servers": {name: vscode}}),
        ),
    ]
}

/// VS Code's file keeps servers under `servers` with a `type`; Claude
/// Code's and Cursor's under `mcpServers`.
fn servers_key(path: &Path, doc: &Map<String, Value>) -> &'static str {
    let vscode = path.ends_with(".vscode/mcp.json")
        || (doc.contains_key("servers") && !doc.contains_key("mcpServers"));
    if vscode { "servers" } else { "mcpServers" }
}

/// Puts NAME's entry into the config at `path` (created when missing),
/// replacing only an entry of the same name.
pub fn merge_into(path: &Path, name: &str) -> Result<Merge, ClientConfigError> {
    let io = |source| ClientConfigError::Io {
        path: path.to_path_buf(),
        source,
    };
    let (mut doc, mode) = match std::fs::read(path) {
        Ok(bytes) => {
            let value: Value =
                serde_json::from_slice(&bytes).map_err(|e| ClientConfigError::Malformed {
                    path: path.to_path_buf(),
                    what: format!("line {} column {}", e.line(), e.column()),
                })?;
            let Value::Object(doc) = value else {
                return Err(ClientConfigError::NotObject {
                    path: path.to_path_buf(),
                    key: "(top level)".into(),
                });
            };
            let mode = std::fs::metadata(path).map_err(io)?.permissions().mode();
            (doc, mode & 0o777)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Map::new(), 0o644),
        Err(e) => return Err(io(e)),
    };
    let key = servers_key(path, &doc);
    let mut new_entry = entry(name);
    if key == "servers" {
        new_entry["type"] = json!("stdio");
    }
    let servers = doc
        .entry(key)
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or_else(|| ClientConfigError::NotObject {
            path: path.to_path_buf(),
            key: key.into(),
        })?;
    let merge = match servers.insert(name.to_string(), new_entry.clone()) {
        None => Merge::Added,
        Some(old) if old == new_entry => return Ok(Merge::Unchanged),
        Some(_) => Merge::Replaced,
    };
    let mut text = serde_json::to_vec_pretty(&Value::Object(doc)).expect("serializes");
    text.push(b'\n');
    write_keeping_mode(path, &text, mode).map_err(io)?;
    Ok(merge)
}

/// Temp file beside it, fsync, rename, fsync the directory: the file is the
/// old one or the new one at every instant. A project file keeps its mode.
fn write_keeping_mode(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{file_name}.credtop-{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(&dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_keeps_every_other_server_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".mcp.json");
        std::fs::write(
            &path,
            r#"{"mcpServers":{"other":{"command":"x","env":{"A":"${A}"}}},"extra":[1,2]}"#,
        )
        .unwrap();
        assert_eq!(merge_into(&path, "notes").unwrap(), Merge::Added);
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["mcpServers"]["other"]["env"]["A"], "${A}");
        assert_eq!(v["extra"], json!([1, 2]));
        assert_eq!(v["mcpServers"]["notes"], entry("notes"));
        assert_eq!(merge_into(&path, "notes").unwrap(), Merge::Unchanged);
    }

    #[test]
    fn a_malformed_file_is_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".mcp.json");
        std::fs::write(&path, "{\"mcpServers\": ").unwrap();
        assert!(matches!(
            merge_into(&path, "n"),
            Err(ClientConfigError::Malformed { .. })
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"mcpServers\": ");
        std::fs::write(&path, "{\"mcpServers\": []}").unwrap();
        assert!(matches!(
            merge_into(&path, "n"),
            Err(ClientConfigError::NotObject { .. })
        ));
    }

    #[test]
    fn vscode_files_use_servers_with_a_type() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".vscode")).unwrap();
        let path = dir.path().join(".vscode/mcp.json");
        merge_into(&path, "notes").unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["servers"]["notes"]["type"], "stdio");
        assert_eq!(
            v["servers"]["notes"]["args"],
            json!(["mcp", "connect", "notes"])
        );
    }
}
