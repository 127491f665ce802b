//! `credtop mcp list | check | exec`: the MCP servers of `.mcp.json` and the
//! user-level configs, the variables they need, and starting one with only
//! what it declares.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;
use serde::Serialize;

use super::lifecycle_cmds::{block_on, lifecycle};
use super::{Context, Failure, exit};
use crate::audit::{AuditRecord, Event, Outcome};
use crate::discover::Env;
use crate::engine::RefreshMode;
use crate::mcp::{self, McpProblem, McpServer, Part, Reference, Supply, VarReport};
use crate::model::{Secret, Zone};
use crate::store::{Config, Store, StoreError};

/// What the child of `mcp exec` gets besides its declared variables: enough
/// to find its interpreter and its caches, nothing that holds a secret.
pub const BASE_ENV: &[&str] = &["PATH", "HOME", "LANG"];

#[derive(Serialize)]
struct ServerRow<'a> {
    name: &'a str,
    config: &'a str,
    project: Option<&'a PathBuf>,
    transport: &'static str,
    /// None when its literal text looks like it carries a secret.
    command: Option<&'a str>,
    applies_here: bool,
    variables: Vec<VarReport>,
    /// `env.X` / `headers.X` entries written literally in the config, and
    /// `command` / `args[i]` / `url` when their literal text looks secret.
    literals: Vec<String>,
}

pub fn list(ctx: &Context, json: bool) -> Result<ExitCode, Failure> {
    let env = Env::from_process();
    let config = Config::load(&ctx.home)?;
    let configs = mcp::load(&env);
    for p in &configs.problems {
        eprintln!("credtop: {p}");
    }
    let rows: Vec<ServerRow> = configs
        .servers
        .iter()
        .map(|s| ServerRow {
            name: &s.name,
            config: &s.file.label,
            project: s.project.as_ref(),
            transport: if s.command.is_some() { "stdio" } else { "http" },
            command: s.shown_command(),
            applies_here: s.applies_in(env.cwd()),
            variables: mcp::variables(s, &env, &config.mcp_env),
            literals: s.literals(),
        })
        .collect();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("rows serialize")
        );
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!(
            "No MCP servers configured (.mcp.json, ~/.claude.json, Claude Desktop, .vscode/mcp.json, Cursor)."
        );
    }
    for (row, server) in rows.iter().zip(&configs.servers) {
        let elsewhere = if row.applies_here {
            ""
        } else {
            " [other project]"
        };
        println!("{} ({}){elsewhere}", server.describe(), row.transport);
        for v in &row.variables {
            let from = v
                .credential
                .as_deref()
                .map(|c| format!(" from '{c}'"))
                .unwrap_or_default();
            println!("  {:28} {}{from}  ({})", v.name, v.state.as_str(), v.field);
        }
        for field in &row.literals {
            println!("  {field:28} literal value in the config (not shown)");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit 0 when every server that applies here can start, 2 (needs action)
/// with one line per problem otherwise.
pub fn check(ctx: &Context) -> Result<ExitCode, Failure> {
    let env = Env::from_process();
    let config = Config::load(&ctx.home)?;
    let configs = mcp::load(&env);
    let store = if config.mcp_env.is_empty() {
        None
    } else {
        Some(ctx.store()?)
    };
    let credential_problem = |name: &str| store.as_ref().and_then(|s| unusable(s, name));
    let mut lines: Vec<String> = configs.problems.iter().map(|p| p.to_string()).collect();
    let mut count = 0;
    for server in configs.here(&env) {
        count += 1;
        for p in mcp::problems(server, &env, &config.mcp_env, &credential_problem) {
            lines.push(p.to_string());
        }
    }
    if lines.is_empty() {
        println!("OK: {count} MCP servers, every variable they reference is available");
        return Ok(ExitCode::SUCCESS);
    }
    for line in &lines {
        println!("{line}");
    }
    Ok(ExitCode::from(exit::NEEDS_ACTION))
}

/// Why credential `name` of the store cannot supply a variable, if it cannot.
fn unusable(store: &Store, name: &str) -> Option<String> {
    match store.load(name) {
        Err(StoreError::NotFound { .. }) => Some(format!(
            "is not in credtop's store (run `credtop login {name}` or `credtop add-key {name}`, or fix [mcp_env] in config.toml)"
        )),
        Err(e) => Some(format!("cannot be read ({e})")),
        Ok(c) if c.zone(Utc::now(), None) == Zone::Expired && !c.is_refreshable() => Some(format!(
            "expired and cannot be refreshed (run `{}`)",
            crate::engine::relogin(&c)
        )),
        Ok(_) => None,
    }
}

/// `credtop mcp exec SERVER [-- ARGS]`: the server's command with an empty
/// environment but for [`BASE_ENV`] and its declared `env` entries, whose
/// references are resolved now, from this process's environment or from
/// credtop's store. stdin, stdout and stderr are the caller's (stdio
/// servers speak MCP over them); the exit code is the server's.
pub fn exec(ctx: &Context, name: &str, extra: &[String]) -> Result<ExitCode, Failure> {
    let env = Env::from_process();
    let configs = mcp::load(&env);
    let Some(server) = configs.find(&env, name) else {
        return Err(Failure::new(
            exit::NOT_FOUND,
            format!(
                "no MCP server named {name:?} in .mcp.json (from {} upward), ~/.claude.json, Claude Desktop, VS Code or Cursor configs; `credtop mcp list` shows them",
                env.cwd().display()
            ),
        ));
    };
    let Some(command) = &server.command else {
        return Err(Failure::new(
            exit::ERROR,
            format!(
                "the MCP server {} is remote (a url, no command); `credtop mcp exec` starts stdio servers only",
                server.describe()
            ),
        ));
    };
    let config = Config::load(&ctx.home)?;
    let mut resolver = Resolver {
        ctx,
        env: &env,
        server,
        mcp_env: &config.mcp_env,
        supplied: BTreeMap::new(),
        field: "command",
    };
    let program = resolver.expand(command)?;
    resolver.field = "args";
    let args = server
        .args
        .iter()
        .map(|a| resolver.expand(a))
        .collect::<Result<Vec<_>, _>>()?;
    // The envFile's variables first: those of `env` win over them, as in
    // VS Code and Cursor.
    let from_file = match server.env_file_vars(&env) {
        None => Vec::new(),
        Some(Ok(vars)) => vars,
        Some(Err(error)) => {
            return Err(Failure::new(
                exit::NEEDS_ACTION,
                McpProblem::EnvFile {
                    server: format!("'{}' ({})", server.name, server.file.label),
                    error,
                }
                .to_string(),
            ));
        }
    };
    resolver.field = "env";
    let declared = server
        .env
        .iter()
        .map(|(k, v)| Ok((k.clone(), resolver.expand(v.expose())?)))
        .collect::<Result<Vec<_>, Failure>>()?;
    let mut child = std::process::Command::new(program.expose());
    child.env_clear();
    for var in BASE_ENV {
        if let Some(v) = env.var(var) {
            child.env(var, v.expose());
        }
    }
    for (k, v) in from_file.iter().chain(&declared) {
        child.env(k, v.expose());
    }
    child.args(args.iter().map(Secret::expose)).args(extra);
    // The server creates files for the user, with the user's umask, not
    // the 077 credtop keeps for its own files.
    let umask = mcp::child_umask() as libc::mode_t;
    // SAFETY: umask is async-signal-safe and touches no memory; the
    // closure allocates nothing.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut child, move || {
            libc::umask(umask);
            Ok(())
        });
    }
    // Where the client would start it: the project the config belongs to.
    if let Some(dir) = server.project.as_ref().or(server.file.workspace.as_ref())
        && dir.is_dir()
    {
        child.current_dir(dir);
    }
    let status = child.status().map_err(|e| {
        Failure::new(
            exit::ERROR,
            format!(
                "cannot start the MCP server {}: {:?}: {}",
                server.describe(),
                command,
                e.kind()
            ),
        )
    })?;
    Ok(ExitCode::from(child_code(status)))
}

/// The child's exit code, or 128 + the signal that ended it (the shells'
/// convention).
pub(super) fn child_code(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => u8::try_from(c).unwrap_or(exit::ERROR),
        (None, Some(sig)) => u8::try_from(128 + sig).unwrap_or(exit::ERROR),
        _ => exit::ERROR,
    }
}

/// Resolves references at spawn time, asking the store at most once per
/// credential.
struct Resolver<'a> {
    ctx: &'a Context,
    env: &'a Env,
    server: &'a McpServer,
    mcp_env: &'a BTreeMap<String, String>,
    supplied: BTreeMap<String, Secret>,
    /// The field being expanded: `command`, `args` or `env`.
    field: &'static str,
}

impl Resolver<'_> {
    fn expand(&mut self, value: &str) -> Result<Secret, Failure> {
        let mut out = String::new();
        for part in mcp::parse(value, self.server.file.dialect) {
            match part {
                Part::Text(t) => out.push_str(&t),
                Part::Ref(r, _) => out.push_str(self.value(&r)?.expose()),
            }
        }
        Ok(Secret::new(out))
    }

    fn value(&mut self, r: &Reference) -> Result<Secret, Failure> {
        let who = self.server.describe();
        match r {
            Reference::Env { var, default } => {
                // A mapping in config.toml wins over the environment: it is
                // the operator's explicit choice, and it hands out a token
                // refreshed just now rather than whatever the shell holds.
                if let Some(supply) = Supply::for_var(self.mcp_env, var) {
                    if mcp::on_command_line(self.field) {
                        return Err(Failure::new(
                            exit::NEEDS_ACTION,
                            McpProblem::StoreValueInArgv {
                                var: var.clone(),
                                credential: supply.credential,
                                field: self.field.to_string(),
                                server: format!(
                                    "'{}' ({})",
                                    self.server.name, self.server.file.label
                                ),
                            }
                            .to_string(),
                        ));
                    }
                    return self.store_token(var, &supply.credential);
                }
                if let Some(v) = self.env.var(var) {
                    return Ok(v.clone());
                }
                match default {
                    // A default is shorter than the value it came from, so
                    // this recursion ends.
                    Some(d) => self.expand(d),
                    None => Err(Failure::new(
                        exit::NEEDS_ACTION,
                        McpProblem::Unset {
                            var: var.clone(),
                            server: format!("'{}' ({})", self.server.name, self.server.file.label),
                        }
                        .to_string(),
                    )),
                }
            }
            Reference::Input { id } => Err(Failure::new(
                exit::NEEDS_ACTION,
                format!(
                    "${{input:{id}}} of the MCP server {who} is asked for by VS Code and kept by it; credtop cannot supply it: use ${{env:VAR}} and map VAR in [mcp_env] of config.toml"
                ),
            )),
            Reference::Unexpanded { text } => Ok(Secret::new(text.clone())),
            Reference::Predefined { name } => {
                Ok(Secret::new(self.server.predefined(self.env, name)))
            }
        }
    }

    /// A fresh token of a store credential: refreshed first when credtop
    /// can and it is due, refused when it is expired and cannot be.
    fn store_token(&mut self, var: &str, name: &str) -> Result<Secret, Failure> {
        let name = &super::alias::resolve(self.ctx, name)?;
        if let Some(s) = self.supplied.get(name) {
            return Ok(s.clone());
        }
        let lc = lifecycle(self.ctx)?;
        let server = format!("'{}' ({})", self.server.name, self.server.file.label);
        let problem = |reason: String| {
            Failure::new(
                exit::NEEDS_ACTION,
                McpProblem::Credential {
                    var: var.to_string(),
                    credential: name.to_string(),
                    reason,
                    server: server.clone(),
                }
                .to_string(),
            )
        };
        if let Some(reason) = unusable(lc.store(), name) {
            return Err(problem(reason));
        }
        let cred = lc.store().load(name)?;
        let cred = if cred.is_refreshable() {
            block_on(lc.refresh(name, RefreshMode::IfNeeded))
                .map_err(|e| problem(format!("could not be refreshed ({e})")))?
                .credential()
                .clone()
        } else {
            cred
        };
        lc.audit().record(
            AuditRecord::new(Event::SecretRead, self.ctx.actor, Outcome::Ok)
                .about(&cred)
                .task(std::env::var("CREDTOP_TASK").ok().as_deref())
                .caller(crate::audit::Caller::parent())
                .detail(format!("supplied as {var} to the MCP server {server}")),
        );
        self.supplied.insert(name.to_string(), cred.secret.clone());
        Ok(cred.secret)
    }
}

/// "MCP servers that will stop working: github (.mcp.json)" for the
/// credentials `names`, or None when no configured server uses them.
pub fn stop_working_line(config: &Config, names: &[&str]) -> Option<String> {
    let servers = mcp::load(&Env::from_process()).servers;
    let mut all: Vec<String> = Vec::new();
    for name in names {
        for d in mcp::dependents(&servers, &config.mcp_env, name) {
            let d = d.to_string();
            if !all.contains(&d) {
                all.push(d);
            }
        }
    }
    (!all.is_empty()).then(|| format!("MCP servers that will stop working: {}", all.join(", ")))
}
