//! Argument parsing and the non-interactive commands.

mod alias;
mod audit_cmd;
mod check;
mod daemon;
mod docs_cmd;
mod exec;
mod fleet;
mod git_credential;
mod key_cmds;
mod lifecycle_cmds;
mod logout;
mod mcp_cmd;
mod mcp_remote;
mod secret_input;
mod status;
mod token;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::audit::{Actor, AuditLog};
use crate::store::{Store, resolve_home};

#[derive(Debug, Parser)]
#[command(
    name = "credtop",
    version,
    about = "Keeps an AI agent's credentials alive: a dashboard and a CLI over one refresh engine",
    long_about = None
)]
pub struct Cli {
    /// The credential home (default: $CREDTOP_HOME, else ~/.agent).
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every credential with its status, zone and time to expiry.
    Status {
        /// One JSON array, one object per credential.
        #[arg(long)]
        json: bool,
        /// Only credtop's own credentials: do not read other tools' files.
        #[arg(long)]
        no_discover: bool,
    },
    /// Print a valid access token (or key) for NAME, alone, on stdout.
    Token {
        name: String,
        /// The task this read is for, in the audit trail's `secret_read`.
        #[arg(long, env = "CREDTOP_TASK", value_name = "LABEL")]
        task: Option<String>,
    },
    /// Pre-flight: exit 0 when all is safe, 1 when something is in its danger
    /// zone, 2 when something is expired, revoked or needs login.
    Check {
        /// Only credtop's own credentials: do not read other tools' files.
        #[arg(long)]
        no_discover: bool,
    },
    /// Store an API key or PAT read from stdin (never from the command line).
    AddKey {
        name: String,
        /// Who issued it (default: the name).
        #[arg(long)]
        provider: Option<String>,
        /// api_key or pat.
        #[arg(long, default_value = "api_key")]
        kind: crate::model::Kind,
        /// When it expires (RFC 3339), if it does.
        #[arg(long, value_name = "TIME")]
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Log in to a provider of providers.toml: browser (PKCE) or device flow.
    Login {
        provider: String,
        /// Device authorization grant (RFC 8628), for SSH and headless hosts.
        #[arg(long)]
        device: bool,
        /// Only print the URL; do not open a browser.
        #[arg(long)]
        no_browser: bool,
        /// The credential's name (default: the provider's), for a second account.
        #[arg(long)]
        name: Option<String>,
        /// Give up on a browser login after this many seconds.
        #[arg(long, default_value_t = 300, value_name = "SECS")]
        timeout: u64,
    },
    /// Refresh NAME now; without NAME, every refreshable credential in its
    /// danger zone or expired.
    Refresh { name: Option<String> },
    /// Revoke NAME at its provider where possible, and always delete it locally.
    Revoke { name: String },
    /// Replace a credential and retire the old one: a key or PAT from stdin,
    /// an OAuth credential by a new login (then the old grant is revoked).
    Rotate {
        name: String,
        /// When the new key expires (RFC 3339), if it does.
        #[arg(long, value_name = "TIME")]
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
        /// OAuth: log in with the device flow.
        #[arg(long)]
        device: bool,
        /// OAuth: only print the login URL.
        #[arg(long)]
        no_browser: bool,
    },
    /// Delete local credentials (all, or those of PROVIDER) and say which.
    Logout {
        /// A provider or credential name; all credentials when omitted.
        provider: Option<String>,
        /// Only OAuth credentials; keep API keys and PATs.
        #[arg(long)]
        oauth_only: bool,
        /// Do not ask for confirmation when removing everything.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// The refresh engine without the dashboard, until SIGINT or SIGTERM.
    Daemon,
    /// MCP servers of .mcp.json and the user-level configs, and the
    /// variables they need.
    Mcp {
        #[command(subcommand)]
        command: McpCommand,
    },
    /// Run CMD with a child token of NAME (RFC 8693 token exchange):
    /// narrowed scope, an audience, revoked when CMD ends.
    Exec {
        name: String,
        /// The variable that holds the token in CMD's environment.
        #[arg(long, default_value = "CREDTOP_TOKEN", value_name = "VAR")]
        env: String,
        /// Space-separated scopes, a subset of NAME's (default: all of them).
        #[arg(long, value_name = "\"S ...\"", conflicts_with = "parent")]
        scope: Option<String>,
        /// The audience (resource server) the child token is for.
        #[arg(long, value_name = "A", conflicts_with = "parent")]
        audience: Option<String>,
        /// The task label, in the audit trail and in CMD's CREDTOP_TASK.
        #[arg(long, env = "CREDTOP_TASK", value_name = "LABEL")]
        task: Option<String>,
        /// Hand CMD the parent token itself (no exchange), audited as a read.
        #[arg(long)]
        parent: bool,
        /// The command and its arguments, after `--`.
        #[arg(last = true, required = true, value_name = "CMD")]
        command: Vec<String>,
    },
    /// git's credential helper: answers hosts mapped in [git] of
    /// config.toml with a fresh token (gitcredentials(7)).
    GitCredential {
        /// What git asks: get, store or erase.
        #[arg(required_unless_present = "install", value_enum)]
        action: Option<git_credential::GitAction>,
        /// Add credtop to git's credential.helper (this repository's config).
        #[arg(long, conflicts_with = "action")]
        install: bool,
        /// With --install: in the user's global git config instead.
        #[arg(long, requires = "install")]
        global: bool,
        /// The task label of the read, in the audit trail.
        #[arg(long, env = "CREDTOP_TASK", value_name = "LABEL")]
        task: Option<String>,
    },
    /// Trust a .credtop.toml (default: the nearest, from here upward) as
    /// it is now: its [alias] table applies until the file changes.
    Trust { path: Option<PathBuf> },
    /// Forget the trust given to a .credtop.toml.
    Untrust { path: Option<PathBuf> },
    /// Hosts sharing credentials through etcd (`store = "etcd"`).
    Fleet {
        #[command(subcommand)]
        command: FleetCommand,
    },
    /// The dashboard on a throwaway home whose credentials a token endpoint
    /// inside this process refreshes live; nothing of yours is read or touched.
    Demo,
    /// Shell completions: `credtop completions bash > /etc/bash_completion.d/credtop`.
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// The man page (roff): `credtop man | man -l -`.
    Man,
    /// Read the audit trail; `audit verify` checks its hash chain.
    #[command(args_conflicts_with_subcommands = true)]
    Audit {
        #[command(subcommand)]
        command: Option<AuditCommand>,
        /// JSON: an array, or with --follow one object a line (JSON Lines).
        #[arg(long)]
        json: bool,
        /// Only records newer than this (e.g. 15m, 1h, 2d).
        #[arg(long, value_name = "DURATION")]
        since: Option<String>,
        /// Keep printing records as they are written (tail -f), after the
        /// last ten (or those of --since).
        #[arg(long, short = 'f')]
        follow: bool,
        /// Only records about this credential (repeatable).
        #[arg(long, value_name = "NAME")]
        credential: Vec<String>,
        /// Only records of this event, e.g. refresh_failed (repeatable).
        #[arg(long, value_name = "EVENT")]
        event: Vec<String>,
    },
}

/// The shells `credtop completions` writes for.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the trail's hash chain: exit 0 when intact, 2 naming the first
    /// broken record by its line number.
    Verify {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum FleetCommand {
    /// Write a new fleet key (base64 of 32 random bytes) to PATH, 0600.
    Keygen { path: PathBuf },
    /// Re-seal every value in the cluster under the key in NEW_KEY_FILE.
    Rekey { new_key_file: PathBuf },
    /// Move this home's credential files into the cluster.
    Push {
        /// Replace credentials the cluster already has.
        #[arg(long)]
        overwrite: bool,
    },
    /// Copy the cluster's credentials into this home's files.
    Pull {
        /// Replace local files that already exist.
        #[arg(long)]
        overwrite: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum McpCommand {
    /// Every configured server, its config file, and the state of each
    /// variable it references: set, unset, defaulted or supplied by credtop.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Exit 0 when every server here can start; 2 with one line per
    /// variable that keeps one from starting.
    Check,
    /// Start SERVER's command with only its declared variables (plus PATH,
    /// HOME, LANG), resolved now from the environment or credtop's store.
    Exec {
        server: String,
        /// Extra arguments for the server, after `--`.
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Log in to a remote MCP server (RFC 9728 discovery, registration,
    /// PKCE with the server as RFC 8707 resource); again with --scope to
    /// widen the grant under the same name.
    Login {
        url: String,
        /// The credential's name (default: from the URL's host and port).
        #[arg(long)]
        name: Option<String>,
        /// Scopes to ask for, space-separated (default: what the server asks).
        #[arg(long)]
        scope: Option<String>,
        /// Only print the URL; do not open a browser.
        #[arg(long)]
        no_browser: bool,
        /// Give up on the browser login after this many seconds.
        #[arg(long, default_value_t = 300, value_name = "SECS")]
        timeout: u64,
    },
    /// An MCP server on stdio that forwards to the remote MCP server of
    /// credential NAME (streamable HTTP), holding its token: for the
    /// `command` of an MCP client's config.
    Connect {
        name: String,
        /// On insufficient_scope, log in for the wider scope and retry.
        #[arg(long)]
        step_up: bool,
        /// Give up on one request after this many seconds (default 300,
        /// or $CREDTOP_MCP_TIMEOUT).
        #[arg(long, value_name = "SECS")]
        timeout: Option<u64>,
    },
    /// Print the MCP client config entry that runs `credtop mcp connect
    /// NAME` (Claude Code, Cursor, VS Code), or merge it into FILE.
    Add {
        name: String,
        /// Merge the entry into this .mcp.json (atomically, keeping the rest).
        #[arg(long, value_name = "FILE")]
        write: Option<PathBuf>,
    },
}

/// What a command ends with: an exit code, with what to say on stderr.
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }
}

impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::store::StoreError::*;
        let code = match &e {
            NotFound { .. } => exit::NOT_FOUND,
            InvalidName(_) => exit::USAGE,
            LockTimeout { .. } | StoreUnavailable { .. } | Fenced { .. } => exit::TRANSIENT,
            _ => exit::ERROR,
        };
        Failure::new(code, e.to_string())
    }
}

/// Exit codes of the non-interactive commands.
pub mod exit {
    /// Anything not listed below.
    pub const ERROR: u8 = 1;
    /// Needs the operator: expired, revoked, needs login (as `check`'s 2).
    pub const NEEDS_ACTION: u8 = 2;
    /// No such credential.
    pub const NOT_FOUND: u8 = 3;
    /// Try again later: network, 5xx, rate limit, a lock held too long.
    pub const TRANSIENT: u8 = 4;
    /// Bad usage (clap's own convention).
    pub const USAGE: u8 = 64;
}

/// Everything a command needs about where it runs.
pub struct Context {
    pub home: PathBuf,
    pub audit: AuditLog,
    pub actor: Actor,
}

impl Context {
    pub fn new(home: Option<&std::path::Path>) -> Self {
        let home = resolve_home(home);
        Context {
            audit: AuditLog::new(&home),
            home,
            actor: Actor::Cli,
        }
    }

    pub fn store(&self) -> Result<Store, Failure> {
        let store = Store::open(&self.home).map_err(Failure::from)?;
        self.audit.seed_host(store.config());
        Ok(store)
    }
}

/// Runs one non-interactive command.
pub fn run(ctx: &Context, command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Status { json, no_discover } => status::run(ctx, json, no_discover),
        Command::Token { name, task } => {
            token::run(ctx, &alias::resolve(ctx, &name)?, task.as_deref())
        }
        Command::Check { no_discover } => check::run(ctx, no_discover),
        Command::AddKey {
            name,
            provider,
            kind,
            expires_at,
        } => key_cmds::add(ctx, &name, provider, kind, expires_at),
        Command::Login {
            provider,
            device,
            no_browser,
            name,
            timeout,
        } => lifecycle_cmds::login(
            ctx,
            lifecycle_cmds::LoginArgs {
                provider,
                name,
                device,
                no_browser,
                timeout,
            },
        ),
        Command::Refresh { name } => lifecycle_cmds::refresh(ctx, name.as_deref()),
        Command::Revoke { name } => lifecycle_cmds::revoke(ctx, &name),
        Command::Rotate {
            name,
            expires_at,
            device,
            no_browser,
        } => key_cmds::rotate(ctx, &name, expires_at, device, no_browser),
        Command::Logout {
            provider,
            oauth_only,
            yes,
        } => logout::run(ctx, provider.as_deref(), oauth_only, yes),
        Command::Daemon => daemon::run(ctx),
        Command::Mcp { command } => match command {
            McpCommand::List { json } => mcp_cmd::list(ctx, json),
            McpCommand::Check => mcp_cmd::check(ctx),
            McpCommand::Exec { server, args } => mcp_cmd::exec(ctx, &server, &args),
            McpCommand::Login {
                url,
                name,
                scope,
                no_browser,
                timeout,
            } => mcp_remote::login(
                ctx,
                mcp_remote::McpLoginArgs {
                    url,
                    name,
                    scope,
                    no_browser,
                    timeout,
                },
            ),
            McpCommand::Connect {
                name,
                step_up,
                timeout,
            } => mcp_remote::connect(ctx, &name, step_up, timeout),
            McpCommand::Add { name, write } => mcp_remote::add(ctx, &name, write.as_deref()),
        },
        Command::Exec {
            name,
            env,
            scope,
            audience,
            task,
            parent,
            command,
        } => exec::run(
            ctx,
            exec::ExecArgs {
                name: alias::resolve(ctx, &name)?,
                env,
                scope,
                audience,
                task,
                parent,
                command,
            },
        ),
        Command::GitCredential {
            action,
            install,
            global,
            task,
        } => match action {
            Some(a) if !install => git_credential::run(ctx, a, task.as_deref()),
            _ => git_credential::install(global),
        },
        Command::Trust { path } => alias::trust(ctx, path.as_deref()),
        Command::Untrust { path } => alias::untrust(ctx, path.as_deref()),
        // The binary opens the dashboard for it (cli does not reach into tui).
        Command::Demo => Err(Failure::new(
            exit::USAGE,
            "the demo is a dashboard: run `credtop demo` in a terminal",
        )),
        Command::Completions { shell } => docs_cmd::completions(shell),
        Command::Man => docs_cmd::man(),
        Command::Audit {
            command: Some(AuditCommand::Verify { json }),
            ..
        } => audit_cmd::verify(ctx, json),
        Command::Audit {
            command: None,
            json,
            since,
            follow,
            credential,
            event,
        } => {
            let query = audit_cmd::Query::parse(since.as_deref(), credential, &event)?;
            if follow {
                audit_cmd::follow(ctx, json, &query)
            } else {
                audit_cmd::run(ctx, json, &query)
            }
        }
        Command::Fleet { command } => match command {
            FleetCommand::Keygen { path } => fleet::keygen(&path),
            FleetCommand::Rekey { new_key_file } => fleet::rekey(ctx, &new_key_file),
            FleetCommand::Push { overwrite } => fleet::push(ctx, overwrite),
            FleetCommand::Pull { overwrite } => fleet::pull(ctx, overwrite),
        },
    }
}
