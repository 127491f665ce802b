//! Finding and reading the MCP configs of Claude Code, Claude Desktop,
//! VS Code and Cursor. Read-only, like everything under discovery.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{ConfigFile, Dialect, McpServer};
use crate::discover::{Env, Problem};
use crate::model::Secret;

/// Every server of every config found, and a problem for each config that
/// could not be read.
#[derive(Debug, Default)]
pub struct McpConfigs {
    pub servers: Vec<McpServer>,
    pub problems: Vec<Problem>,
}

impl McpConfigs {
    /// The servers that apply in the working directory: all but the
    /// per-project entries of `~/.claude.json` for other projects.
    pub fn here<'a>(&'a self, env: &'a Env) -> impl Iterator<Item = &'a McpServer> + 'a {
        self.servers.iter().filter(|s| s.applies_in(env.cwd()))
    }

    /// The first server called `name` that applies here, in precedence
    /// order (project files first, nearest first).
    pub fn find(&self, env: &Env, name: &str) -> Option<&McpServer> {
        let cwd = env.cwd();
        self.servers
            .iter()
            .find(|s| s.name == name && s.applies_in(cwd))
    }
}

/// Reads, in precedence order: `.mcp.json`, `.vscode/mcp.json` and
/// `.cursor/mcp.json` from the working directory upward (nearest first);
/// then `~/.claude.json` (per-project entries, then top-level); Cursor's
/// `~/.cursor/mcp.json`; Claude Desktop's config; VS Code's user `mcp.json`.
pub fn load(env: &Env) -> McpConfigs {
    let mut out = McpConfigs::default();
    for dir in env.cwd().ancestors() {
        for (rel, dialect, key) in [
            (".mcp.json", Dialect::Claude, "mcpServers"),
            (".vscode/mcp.json", Dialect::VsCode, "servers"),
            (".cursor/mcp.json", Dialect::Cursor, "mcpServers"),
        ] {
            let path = dir.join(rel);
            let file = ConfigFile::new(env, path, dialect, Some(dir.to_path_buf()));
            read_file(&file, key, &mut out, |doc| vec![(doc.get(key), None)]);
        }
    }
    let claude = ConfigFile::new(env, claude_json(env), Dialect::Claude, None);
    read_file(&claude, "mcpServers", &mut out, |doc| {
        let mut sections: Vec<(Option<&Value>, Option<PathBuf>)> = doc
            .get("projects")
            .and_then(Value::as_object)
            .map(|projects| {
                projects
                    .iter()
                    .map(|(dir, p)| (p.get("mcpServers"), Some(PathBuf::from(dir))))
                    .collect()
            })
            .unwrap_or_default();
        sections.push((doc.get("mcpServers"), None));
        sections
    });
    let user_files = [
        (
            env.home().join(".cursor/mcp.json"),
            Dialect::Cursor,
            "mcpServers",
        ),
        (desktop_config(env), Dialect::ClaudeDesktop, "mcpServers"),
        (vscode_user_config(env), Dialect::VsCode, "servers"),
    ];
    for (path, dialect, key) in user_files {
        let file = ConfigFile::new(env, path, dialect, None);
        read_file(&file, key, &mut out, |doc| vec![(doc.get(key), None)]);
    }
    out
}

/// `~/.claude.json`, or `$CLAUDE_CONFIG_DIR/.claude.json` when that is set,
/// as Claude Code (and [`crate::discover`]) place it.
fn claude_json(env: &Env) -> PathBuf {
    match env.var("CLAUDE_CONFIG_DIR") {
        Some(dir) => env.resolve(dir.expose()).join(".claude.json"),
        None => env.home().join(".claude.json"),
    }
}

fn desktop_config(env: &Env) -> PathBuf {
    if cfg!(target_os = "macos") {
        env.home()
            .join("Library/Application Support/Claude/claude_desktop_config.json")
    } else {
        env.config_home().join("Claude/claude_desktop_config.json")
    }
}

fn vscode_user_config(env: &Env) -> PathBuf {
    if cfg!(target_os = "macos") {
        env.home()
            .join("Library/Application Support/Code/User/mcp.json")
    } else {
        env.config_home().join("Code/User/mcp.json")
    }
}

/// Reads one file and adds the servers of each `(servers map, project)`
/// section that `sections` picks out of it.
fn read_file(
    file: &ConfigFile,
    key: &str,
    out: &mut McpConfigs,
    sections: impl for<'a> Fn(&'a Value) -> Vec<(Option<&'a Value>, Option<PathBuf>)>,
) {
    let doc = match crate::discover::read_json("mcp", &file.path) {
        Ok(Some(doc)) => doc,
        Ok(None) => return,
        Err(p) => {
            out.problems.push(p);
            return;
        }
    };
    for (servers, project) in sections(&doc) {
        let Some(servers) = servers else {
            continue;
        };
        let Some(servers) = servers.as_object() else {
            out.problems.push(Problem::Malformed {
                tool: "mcp",
                path: file.path.clone(),
                reason: format!("{key} is not an object"),
            });
            continue;
        };
        for (name, def) in servers {
            match server(file, name, def, project.clone()) {
                Some(s) => out.servers.push(s),
                None => out.problems.push(Problem::Malformed {
                    tool: "mcp",
                    path: file.path.clone(),
                    reason: format!("server {name:?} is not an object"),
                }),
            }
        }
    }
}

fn server(
    file: &ConfigFile,
    name: &str,
    def: &Value,
    project: Option<PathBuf>,
) -> Option<McpServer> {
    let def = def.as_object()?;
    let text = |k: &str| def.get(k).and_then(Value::as_str).map(str::to_string);
    let map = |k: &str| -> Vec<(String, Secret)> {
        def.get(k)
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        (k.clone(), Secret::new(v))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let args = def
        .get("args")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Some(McpServer {
        name: name.to_string(),
        file: file.clone(),
        project,
        command: text("command"),
        args,
        env: map("env"),
        url: text("url"),
        headers: map("headers"),
        // Only VS Code and Cursor load an envFile.
        env_file: text("envFile")
            .filter(|_| matches!(file.dialect, Dialect::VsCode | Dialect::Cursor)),
    })
}

/// A path relative to the working directory when it is inside it.
pub(crate) fn label(env: &Env, path: &Path) -> String {
    match path.strip_prefix(env.cwd()) {
        Ok(rel) => rel.display().to_string(),
        Err(_) => env.display(path),
    }
}
