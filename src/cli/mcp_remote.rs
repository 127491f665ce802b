//! `credtop mcp login URL` and `credtop mcp connect NAME`: credtop as the
//! tool runtime of remote MCP servers (it holds the tokens; the MCP client
//! talks to credtop over stdio).

use std::process::ExitCode;
use std::time::Duration;

use std::sync::Arc;

use super::lifecycle_cmds::{block_on, cli_prompt, lifecycle};
use super::{Context, Failure, exit};
use crate::engine::McpLoginOptions;
use crate::mcp::bridge::BridgeTokens;
use crate::mcp::bridge::{self, BridgeOptions};

pub struct McpLoginArgs {
    pub url: String,
    pub name: Option<String>,
    pub scope: Option<String>,
    pub no_browser: bool,
    pub timeout: u64,
}

pub fn login(ctx: &Context, args: McpLoginArgs) -> Result<ExitCode, Failure> {
    let lc = lifecycle(ctx)?;
    let opts = McpLoginOptions {
        url: args.url.clone(),
        name: args.name,
        scope: args.scope,
        timeout: Duration::from_secs(args.timeout),
    };
    let prompt = cli_prompt(args.url.clone(), !args.no_browser);
    let cred = block_on(lc.mcp_login(&opts, &prompt))?;
    eprintln!(
        "Logged in to {} as {} (scopes: {}). Give it to your MCP client with `credtop mcp add {}`.",
        args.url,
        cred.name,
        cred.scopes.join(" "),
        cred.name
    );
    Ok(ExitCode::SUCCESS)
}

/// How long one forwarded request may take by default; a tool that runs
/// longer needs `--timeout`.
const DEFAULT_REQUEST_TIMEOUT: u64 = 300;

/// `credtop mcp connect NAME`: serves the MCP client on stdin/stdout until
/// it closes stdin. stdout carries only MCP messages; the rest goes to
/// stderr and the log.
pub fn connect(
    ctx: &Context,
    name: &str,
    step_up: bool,
    timeout: Option<u64>,
) -> Result<ExitCode, Failure> {
    let lc = lifecycle(ctx)?;
    let remote = crate::store::load_remote(&ctx.home, name)?.ok_or_else(|| {
        Failure::new(
            exit::NOT_FOUND,
            format!(
                "{name} is not a remote MCP server's credential; log in first: `credtop mcp login URL --name {name}`"
            ),
        )
    })?;
    lc.store().load(name)?;
    let url = crate::oauth::resource::check_server_url(&remote.url)
        .map_err(|e| Failure::new(exit::ERROR, e.to_string()))?;
    // CREDTOP_MCP_TIMEOUT lets an MCP client's config set it without args.
    let secs = timeout
        .or_else(|| {
            std::env::var("CREDTOP_MCP_TIMEOUT")
                .ok()
                .and_then(|s| s.parse().ok())
        })
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_REQUEST_TIMEOUT);
    let opts = BridgeOptions {
        url,
        timeout: Duration::from_secs(secs),
        step_up,
    };
    let prompt = Box::new(cli_prompt(remote.url.clone(), true));
    let host = Arc::new(BridgeTokens::new(lc, name, remote, prompt)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::new(exit::ERROR, format!("cannot start the runtime: {e}")))?;
    let report = runtime.block_on(bridge::run(
        opts,
        host,
        tokio::io::stdin(),
        tokio::io::stdout(),
    ));
    // Blocking reads of stdin may linger; the session is over.
    runtime.shutdown_timeout(Duration::from_millis(100));
    tracing::info!(
        requests = report.requests,
        failures = report.failures,
        "bridge session ended"
    );
    Ok(ExitCode::SUCCESS)
}

/// `credtop mcp add NAME [--write FILE]`.
pub fn add(
    ctx: &Context,
    name: &str,
    write: Option<&std::path::Path>,
) -> Result<ExitCode, Failure> {
    use crate::mcp::client_config::{self, Merge};
    if crate::store::load_remote(&ctx.home, name)?.is_none() {
        return Err(Failure::new(
            exit::NOT_FOUND,
            format!(
                "{name} is not a remote MCP server's credential; log in first: `credtop mcp login URL --name {name}`"
            ),
        ));
    }
    let Some(path) = write else {
        for (client, file, snippet) in client_config::snippets(name) {
            println!("{client} ({file}):");
            println!(
                "{}\n",
                serde_json::to_string_pretty(&snippet).expect("serializes")
            );
        }
        return Ok(ExitCode::SUCCESS);
    };
    let merge = client_config::merge_into(path, name)
        .map_err(|e| Failure::new(exit::ERROR, e.to_string()))?;
    let what = match merge {
        Merge::Added => "added to",
        Merge::Replaced => "replaced in",
        Merge::Unchanged => "already in",
    };
    eprintln!("{name}: {what} {}", path.display());
    Ok(ExitCode::SUCCESS)
}
