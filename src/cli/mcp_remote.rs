//! `credtop mcp login URL` and `credtop mcp connect NAME`: credtop as the
//! tool runtime of remote MCP servers (it holds the tokens; the MCP client
//! talks to credtop over stdio).

use std::process::ExitCode;
use std::time::Duration;

use super::lifecycle_cmds::{block_on, cli_prompt, lifecycle};
use super::{Context, Failure};
use crate::engine::McpLoginOptions;

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
