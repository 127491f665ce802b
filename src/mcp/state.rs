//! The state of each variable a server references, the problems that keep
//! a server from starting, and which servers depend on a credential.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{EnvFileError, McpServer, Reference};
use crate::discover::Env;

/// How credtop supplies a variable, from `[mcp_env]` in config.toml:
/// `GITHUB_TOKEN = "oauth:github"` or `OPENAI_API_KEY = "key:openai"`. The
/// part before `:` says what kind of credential is meant, for people; the
/// name after it is the credential in credtop's store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Supply {
    pub credential: String,
}

impl Supply {
    pub fn parse(mapping: &str) -> Supply {
        let name = match mapping.split_once(':') {
            Some(("oauth" | "key" | "api_key" | "pat" | "cloud" | "mcp_env", name)) => name,
            _ => mapping,
        };
        Supply {
            credential: name.trim().to_string(),
        }
    }

    /// The supply for `var`, when config.toml maps it.
    pub fn for_var(mcp_env: &BTreeMap<String, String>, var: &str) -> Option<Supply> {
        mcp_env.get(var).map(|m| Supply::parse(m))
    }
}

/// Where a variable's value will come from when the server starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VarState {
    /// In the environment.
    Set,
    /// Nowhere: the server cannot start (or starts with the literal text).
    Unset,
    /// Not in the environment, but the reference has a `:-` default.
    Defaulted,
    /// credtop supplies it from its store (`[mcp_env]` in config.toml).
    SuppliedByCredtop,
    /// `${input:ID}`: VS Code asks for it and keeps it itself.
    Prompted,
    /// `${workspaceFolder}` and the like, filled in by the editor.
    Predefined,
    /// Another client's syntax, which this config's client does not
    /// expand: the server receives the text as written.
    Literal,
    /// A line of the server's `envFile`.
    EnvFile,
}

impl VarState {
    pub fn as_str(self) -> &'static str {
        match self {
            VarState::Set => "set",
            VarState::Unset => "unset",
            VarState::Defaulted => "defaulted",
            VarState::SuppliedByCredtop => "supplied by credtop",
            VarState::Prompted => "prompted by VS Code",
            VarState::Predefined => "predefined",
            VarState::Literal => "literal (not expanded by this client)",
            VarState::EnvFile => "set in envFile",
        }
    }
}

/// One referenced variable of one server. Holds no value.
#[derive(Clone, Debug, Serialize)]
pub struct VarReport {
    pub name: String,
    /// Where the reference is: `env.GITHUB_PERSONAL_ACCESS_TOKEN`, `url`, ...
    pub field: String,
    pub state: VarState,
    /// For `supplied_by_credtop`: the credential in credtop's store.
    pub credential: Option<String>,
}

/// Every variable `server` references, with its state, then those its
/// envFile sets.
pub fn variables(
    server: &McpServer,
    env: &Env,
    mcp_env: &BTreeMap<String, String>,
) -> Vec<VarReport> {
    let mut out = referenced(server, env, mcp_env);
    out.extend(
        server
            .env_file_vars(env)
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|(name, _)| VarReport {
                name,
                field: "envFile".into(),
                state: VarState::EnvFile,
                credential: None,
            }),
    );
    out
}

/// The variables `server` references, with their state (no file is read).
fn referenced(server: &McpServer, env: &Env, mcp_env: &BTreeMap<String, String>) -> Vec<VarReport> {
    server
        .references()
        .into_iter()
        .map(|(field, r)| {
            let (name, state, credential) = match r {
                Reference::Env { var, default } => {
                    // credtop puts no stored token into a file path
                    // (it would show in every error about that file).
                    let supply = Supply::for_var(mcp_env, &var).filter(|_| field != "envFile");
                    let state = if supply.is_some() {
                        VarState::SuppliedByCredtop
                    } else if env.var(&var).is_some() {
                        VarState::Set
                    } else if default.is_some() {
                        VarState::Defaulted
                    } else {
                        VarState::Unset
                    };
                    (var, state, supply.map(|s| s.credential))
                }
                Reference::Input { id } => (format!("input:{id}"), VarState::Prompted, None),
                Reference::Predefined { name } => (name, VarState::Predefined, None),
                Reference::Unexpanded { text } => (text, VarState::Literal, None),
            };
            VarReport {
                name,
                field,
                state,
                credential,
            }
        })
        .collect()
}

/// Why a configured server cannot start. Names the variable and the
/// server, never a value.
#[derive(Clone, Debug, thiserror::Error)]
pub enum McpProblem {
    #[error("{var} is not set — the MCP server {server} cannot start")]
    Unset { var: String, server: String },
    #[error(
        "{var} is supplied by credtop from '{credential}', which {reason} — the MCP server {server} cannot start"
    )]
    Credential {
        var: String,
        credential: String,
        reason: String,
        server: String,
    },
    /// A token from credtop's store would land in the child's command line,
    /// which every local user can read in `/proc/*/cmdline`.
    #[error(
        "{var} is supplied by credtop from '{credential}' but is used in {field} of the MCP server {server}; credtop does not put a stored token on a command line (any local user can read it in /proc/*/cmdline): declare it in the server's \"env\" instead and have the server read it from there"
    )]
    StoreValueInArgv {
        var: String,
        credential: String,
        field: String,
        server: String,
    },
    #[error("the MCP server {server} cannot start: {error}")]
    EnvFile { server: String, error: EnvFileError },
    #[error(
        "${{input:{id}}} of the MCP server {server} is asked for by VS Code and kept by it; credtop cannot supply it: use ${{env:VAR}} and map VAR in [mcp_env] of config.toml"
    )]
    Input { id: String, server: String },
}

/// Whether a reference in `field` would end up on the child's command line.
pub fn on_command_line(field: &str) -> bool {
    field == "command" || field == "args"
}

/// The problems of one server. `credential_problem` tells, for a
/// credential name of credtop's store, why it cannot supply a value (not
/// in the store, expired and not refreshable), or None when it can.
pub fn problems(
    server: &McpServer,
    env: &Env,
    mcp_env: &BTreeMap<String, String>,
    credential_problem: &dyn Fn(&str) -> Option<String>,
) -> Vec<McpProblem> {
    let who = server.label();
    referenced(server, env, mcp_env)
        .into_iter()
        .filter_map(|v| match (v.state, v.credential) {
            (VarState::Unset, _) => Some(McpProblem::Unset {
                var: v.name,
                server: who.clone(),
            }),
            (VarState::SuppliedByCredtop, Some(c)) if on_command_line(&v.field) => {
                Some(McpProblem::StoreValueInArgv {
                    var: v.name,
                    credential: c,
                    field: v.field,
                    server: who.clone(),
                })
            }
            (VarState::SuppliedByCredtop, Some(c)) => {
                credential_problem(&c).map(|reason| McpProblem::Credential {
                    var: v.name,
                    credential: c,
                    reason,
                    server: who.clone(),
                })
            }
            _ => None,
        })
        .chain(
            server
                .env_file_vars(env)
                .and_then(Result::err)
                // An unset variable in the envFile path has its own line.
                .filter(|e| !matches!(e, EnvFileError::Unset { .. }))
                .map(|error| McpProblem::EnvFile {
                    server: who.clone(),
                    error,
                }),
        )
        .collect()
}

/// An MCP server that uses a credential, and through which variable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dependent {
    pub server: String,
    pub config: String,
    pub variable: String,
}

impl std::fmt::Display for Dependent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.server, self.config)
    }
}

/// The servers that stop working when `credential` goes away: those that
/// reference a variable config.toml maps to it, and, for a discovered
/// environment variable (`env:GITHUB_TOKEN`), those that reference it.
pub fn dependents(
    servers: &[McpServer],
    mcp_env: &BTreeMap<String, String>,
    credential: &str,
) -> Vec<Dependent> {
    let mut vars: Vec<&str> = mcp_env
        .iter()
        .filter(|(_, m)| Supply::parse(m).credential == credential)
        .map(|(v, _)| v.as_str())
        .collect();
    if let Some(var) = credential.strip_prefix("env:") {
        vars.push(var);
    }
    let mut out: Vec<Dependent> = Vec::new();
    for s in servers {
        for (_, r) in s.references() {
            let Reference::Env { var, .. } = r else {
                continue;
            };
            if vars.contains(&var.as_str()) {
                let d = Dependent {
                    server: s.name.clone(),
                    config: s.file.label.clone(),
                    variable: var,
                };
                if !out.contains(&d) {
                    out.push(d);
                }
            }
        }
    }
    out
}

/// [`dependents`] of `credential` among every server configured for `env`
/// (all projects of `~/.claude.json` included): what the dashboard's detail
/// pane and `logout` show.
pub fn dependents_in(
    env: &Env,
    mcp_env: &BTreeMap<String, String>,
    credential: &str,
) -> Vec<Dependent> {
    dependents(&super::load(env).servers, mcp_env, credential)
}

/// Every credential some configured server depends on, with those servers
/// (as "github (.mcp.json)"): the dashboard's detail pane and its revoke
/// and logout dialogs. Credentials are the ones `[mcp_env]` maps variables
/// to, and `env:VAR` for variables read from the environment.
pub fn dependents_by_credential(
    env: &Env,
    mcp_env: &BTreeMap<String, String>,
) -> std::collections::HashMap<String, Vec<String>> {
    let servers = super::load(env).servers;
    let mut names: Vec<String> = mcp_env
        .values()
        .map(|m| Supply::parse(m).credential)
        .collect();
    for s in &servers {
        for (_, r) in s.references() {
            if let Reference::Env { var, .. } = r {
                names.push(format!("env:{var}"));
            }
        }
    }
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let deps = dependents(&servers, mcp_env, &name);
            (!deps.is_empty()).then(|| (name, deps.iter().map(ToString::to_string).collect()))
        })
        .collect()
}
