//! MCP server credentials: which `${VAR}` each configured MCP server needs,
//! whether it is set, defaulted or supplied by credtop, and which servers
//! stop working when a credential goes away.
//!
//! Configs are read-only and references are resolved only when a server is
//! started ([`command`], for `credtop mcp exec`), never when a config is
//! loaded, so a token is never held longer than the spawn needs it.

pub mod bridge;
pub mod client_config;
mod config;
mod dotenv;
mod exec;
#[cfg(test)]
mod fuzz;
mod literal;
mod refs;
mod state;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

pub use config::{McpConfigs, load};
pub use exec::{BASE_ENV, ExecError, TokenSource, command, find_stdio, store_token, unusable};
pub use refs::{Part, Reference, parse, references};
pub use state::{
    Dependent, McpProblem, Supply, VarReport, VarState, dependents, dependents_by_credential,
    dependents_in, on_command_line, problems, variables,
};

use crate::discover::Env;
use crate::model::Secret;

/// The umask the caller of credtop had, before `main` narrowed it to 077
/// for credtop's own files; `u32::MAX` until `main` records it. `mcp exec`
/// gives it back to the server it starts, which creates files for the user.
pub static ORIGINAL_UMASK: AtomicU32 = AtomicU32::new(u32::MAX);

/// The umask an MCP server should start with: the caller's, or the
/// common default 022 when `main` did not record it.
pub fn child_umask() -> u32 {
    match ORIGINAL_UMASK.load(Ordering::Relaxed) {
        u32::MAX => 0o022,
        mask => mask & 0o777,
    }
}

/// Whose variable syntax a config file follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Claude Code (`.mcp.json`, `~/.claude.json`): `${VAR}`,
    /// `${VAR:-default}`.
    Claude,
    /// Claude Desktop: no expansion at all; values are literal.
    ClaudeDesktop,
    /// VS Code: `${env:VAR}`, `${input:ID}`, predefined variables.
    VsCode,
    /// Cursor: `${env:VAR}` and predefined variables.
    Cursor,
}

/// One MCP config file.
#[derive(Clone, Debug)]
pub struct ConfigFile {
    pub path: PathBuf,
    /// How people see it: relative to the working directory, or with `~`.
    pub label: String,
    pub dialect: Dialect,
    /// For a project file, the folder it belongs to (`${workspaceFolder}`).
    pub workspace: Option<PathBuf>,
}

impl ConfigFile {
    fn new(env: &Env, path: PathBuf, dialect: Dialect, workspace: Option<PathBuf>) -> Self {
        ConfigFile {
            label: config::label(env, &path),
            path,
            dialect,
            workspace,
        }
    }
}

/// One configured MCP server. Env and header values can be literal secrets
/// (Claude Desktop has no expansion, so people paste tokens there), hence
/// [`Secret`], and `Debug` shows no argument or URL either.
#[derive(Clone)]
pub struct McpServer {
    pub name: String,
    pub file: ConfigFile,
    /// For a per-project entry of `~/.claude.json`: the project it is for.
    pub project: Option<PathBuf>,
    pub command: Option<String>,
    pub args: Vec<String>,
    /// The declared environment, in file order, values unexpanded.
    pub env: Vec<(String, Secret)>,
    pub url: Option<String>,
    pub headers: Vec<(String, Secret)>,
    /// VS Code's and Cursor's `envFile`, unexpanded: a `.env` file whose
    /// variables the server starts with, below those of `env`.
    pub env_file: Option<String>,
}

/// Why the `envFile` of a server cannot be read. Names the file, never a
/// value in it.
#[derive(Clone, Debug, thiserror::Error)]
pub enum EnvFileError {
    #[error("its envFile names {var}, which is not set")]
    Unset { var: String },
    #[error("its envFile uses ${{input:{id}}}, which only VS Code can ask for")]
    Input { id: String },
    #[error("its envFile {path} cannot be read ({reason})")]
    Unreadable { path: String, reason: String },
}

impl McpServer {
    /// How every message names the server: `'github' (.mcp.json)`, or
    /// `'github' (~/.claude.json, project /src/x)`.
    pub fn label(&self) -> String {
        match &self.project {
            Some(p) => format!(
                "'{}' ({}, project {})",
                self.name,
                self.file.label,
                p.display()
            ),
            None => format!("'{}' ({})", self.name, self.file.label),
        }
    }

    /// Whether the server is configured for the working directory `cwd`.
    pub fn applies_in(&self, cwd: &Path) -> bool {
        self.project.as_ref().is_none_or(|p| cwd.starts_with(p))
    }

    /// The folder `${workspaceFolder}` stands for.
    pub fn workspace(&self, env: &Env) -> PathBuf {
        self.project
            .clone()
            .or_else(|| self.file.workspace.clone())
            .unwrap_or_else(|| env.cwd().to_path_buf())
    }

    /// What a predefined variable (`${workspaceFolder}`, `${userHome}`, ...)
    /// stands for when this server starts.
    pub fn predefined(&self, env: &Env, name: &str) -> String {
        let folder = self.workspace(env);
        match name {
            "workspaceFolder" => folder.display().to_string(),
            "workspaceFolderBasename" => folder
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            "userHome" => env.home().display().to_string(),
            "cwd" => env.cwd().display().to_string(),
            _ => "/".to_string(),
        }
    }

    /// The file `envFile` names, expanded, relative to the workspace
    /// folder; None when the server has no envFile.
    pub fn env_file_path(&self, env: &Env) -> Option<Result<PathBuf, EnvFileError>> {
        let raw = self.env_file.as_deref()?;
        let mut text = String::new();
        for part in parse(raw, self.file.dialect) {
            match part {
                Part::Text(t) => text.push_str(&t),
                Part::Ref(Reference::Predefined { name }, _) => {
                    text.push_str(&self.predefined(env, &name))
                }
                Part::Ref(Reference::Env { var, default }, _) => match (env.var(&var), default) {
                    (Some(v), _) => text.push_str(v.expose()),
                    (None, Some(d)) => text.push_str(&d),
                    (None, None) => return Some(Err(EnvFileError::Unset { var })),
                },
                Part::Ref(Reference::Input { id }, _) => {
                    return Some(Err(EnvFileError::Input { id }));
                }
                Part::Ref(Reference::Unexpanded { text: t }, _) => text.push_str(&t),
            }
        }
        Some(Ok(self.workspace(env).join(text)))
    }

    /// The variables of the server's `envFile`, read now; None when the
    /// server has no envFile.
    pub fn env_file_vars(&self, env: &Env) -> Option<Result<Vec<(String, Secret)>, EnvFileError>> {
        let path = match self.env_file_path(env)? {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        Some(
            std::fs::read(&path)
                .map(|bytes| dotenv::parse(&String::from_utf8_lossy(&bytes)))
                .map_err(|e| EnvFileError::Unreadable {
                    path: config::label(env, &path),
                    reason: e.kind().to_string(),
                }),
        )
    }

    /// The fields that hold a literal value worth moving to a variable:
    /// `env` and `headers` entries with no reference this client expands
    /// (Claude Desktop expands nothing, so people paste tokens there), and
    /// `command`, `args[i]` and `url` when their literal text looks like a
    /// secret (see [`literal`]).
    pub fn literals(&self) -> Vec<String> {
        let d = self.file.dialect;
        let plain = |v: &str| !refs::references(v, d).iter().any(Reference::is_expanded);
        let env = self.env.iter().map(|(k, v)| (format!("env.{k}"), v));
        let headers = self
            .headers
            .iter()
            .map(|(k, v)| (format!("headers.{k}"), v));
        let mut out: Vec<String> = env
            .chain(headers)
            .filter(|(_, v)| plain(v.expose()))
            .map(|(k, _)| k)
            .collect();
        if self.secret_command() {
            out.push("command".into());
        }
        let args = self.literal_args();
        out.extend(
            (0..args.len())
                .filter(|&i| literal::secret_arg(&args, i))
                .map(|i| format!("args[{i}]")),
        );
        if let Some(u) = &self.url
            && literal::secret_url(&self.literal_text(u))
        {
            out.push("url".into());
        }
        out
    }

    /// `command` as it may be shown, or None when its literal text looks
    /// like it carries a secret.
    pub fn shown_command(&self) -> Option<&str> {
        self.command.as_deref().filter(|_| !self.secret_command())
    }

    fn secret_command(&self) -> bool {
        self.command.as_ref().is_some_and(|c| {
            let words: Vec<String> = self
                .literal_text(c)
                .split_whitespace()
                .map(str::to_string)
                .collect();
            (0..words.len()).any(|i| literal::secret_arg(&words, i))
        })
    }

    /// `args` with each expanded reference left out, so
    /// that only what is written literally is judged.
    fn literal_args(&self) -> Vec<String> {
        self.args.iter().map(|a| self.literal_text(a)).collect()
    }

    fn literal_text(&self, value: &str) -> String {
        refs::parse(value, self.file.dialect)
            .into_iter()
            .map(|p| match p {
                Part::Text(t) => t,
                Part::Ref(r, _) if r.is_expanded() => String::new(),
                Part::Ref(_, text) => text,
            })
            .collect()
    }

    /// Every reference in the fields the tools expand (command, args, env,
    /// url, headers), each with where it was found.
    pub fn references(&self) -> Vec<(String, Reference)> {
        let d = self.file.dialect;
        let mut out = Vec::new();
        let mut add = |field: String, value: &str| {
            for r in refs::references(value, d) {
                if !out.iter().any(|(_, seen)| seen == &r) {
                    out.push((field.clone(), r));
                }
            }
        };
        if let Some(c) = &self.command {
            add("command".into(), c);
        }
        for a in &self.args {
            add("args".into(), a);
        }
        for (k, v) in &self.env {
            add(format!("env.{k}"), v.expose());
        }
        if let Some(u) = &self.url {
            add("url".into(), u);
        }
        for (k, v) in &self.headers {
            add(format!("headers.{k}"), v.expose());
        }
        if let Some(f) = &self.env_file {
            add("envFile".into(), f);
        }
        out
    }
}

impl fmt::Debug for McpServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpServer")
            .field("name", &self.name)
            .field("file", &self.file.label)
            .field("project", &self.project)
            // A command with a pasted secret in it is hidden here as on
            // the screen (found by the property tests).
            .field(
                "command",
                &match (&self.command, self.shown_command()) {
                    (Some(_), None) => Some("(hidden: it looks like a secret)"),
                    (_, shown) => shown,
                },
            )
            .field("args", &self.args.len())
            .field("env", &self.env.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .field("remote", &self.url.is_some())
            .field("env_file", &self.env_file.is_some())
            .finish()
    }
}
