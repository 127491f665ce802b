//! `credtop mcp list | check | exec`: the MCP servers of `.mcp.json` and the
//! user-level configs, the variables they need, and starting one with only
//! what it declares.

use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use super::lifecycle_cmds::{block_on, lifecycle};
use super::{Context, Failure, exit};
use crate::discover::Env;
use crate::mcp::{self, McpProblem, VarReport};
use crate::store::Config;

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
        println!("{} ({}){elsewhere}", server.label(), row.transport);
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
    let credential_problem = |name: &str| store.as_ref().and_then(|s| mcp::unusable(s, name));
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

/// `credtop mcp exec SERVER [-- ARGS]`: the server's command with an empty
/// environment but for [`mcp::BASE_ENV`] and its declared `env` entries,
/// whose references are resolved now, from this process's environment or
/// from credtop's store. stdin, stdout and stderr are the caller's (stdio
/// servers speak MCP over them); the exit code is the server's.
pub fn exec(ctx: &Context, name: &str, extra: &[String]) -> Result<ExitCode, Failure> {
    let env = Env::from_process();
    let configs = mcp::load(&env);
    let server = mcp::find_stdio(&configs, &env, name).map_err(exec_failure)?;
    let config = Config::load(&ctx.home)?;
    // The lifecycle is opened only if a variable comes from the store.
    let mut lc = None;
    let mut tokens = |var: &str, credential: &str| {
        let opened = match lc.take() {
            Some(opened) => opened,
            None => lifecycle(ctx).map_err(|f| McpProblem::Credential {
                var: var.to_string(),
                credential: credential.to_string(),
                reason: format!("cannot be read ({})", f.message),
                server: server.label(),
            })?,
        };
        // `.credtop.toml` may name another account for this credential.
        let credential =
            &super::alias::resolve(ctx, credential).map_err(|f| McpProblem::Credential {
                var: var.to_string(),
                credential: credential.to_string(),
                reason: f.message,
                server: server.label(),
            })?;
        let token = block_on(mcp::store_token(&opened, server, var, credential));
        lc = Some(opened);
        token
    };
    let mut child =
        mcp::command(server, &env, &config.mcp_env, extra, &mut tokens).map_err(exec_failure)?;
    let status = child.status().map_err(|e| {
        Failure::new(
            exit::ERROR,
            format!(
                "cannot start the MCP server {}: {:?}: {}",
                server.label(),
                server.command.as_deref().unwrap_or_default(),
                e.kind()
            ),
        )
    })?;
    Ok(ExitCode::from(child_code(status)))
}

fn exec_failure(e: mcp::ExecError) -> Failure {
    let code = match &e {
        mcp::ExecError::NotFound { .. } => exit::NOT_FOUND,
        mcp::ExecError::Remote { .. } => exit::ERROR,
        mcp::ExecError::Problem(_) => exit::NEEDS_ACTION,
    };
    Failure::new(code, e.to_string())
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
