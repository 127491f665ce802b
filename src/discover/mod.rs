//! Read-only discovery of the credentials other agent tools already hold:
//! Claude Code, Codex, Gemini CLI, gh, AWS, gcloud, Azure CLI, mcp-remote,
//! and the well-known environment variables.
//!
//! Nothing here ever writes, refreshes or revokes: those tokens belong to
//! their tools, several of which rotate refresh tokens with reuse detection,
//! so a second refresher would log the user out of the tool. Files are
//! opened read-only, SQLite databases with `immutable=1`, and a file that a
//! tool is rewriting in place is read again a few times before it becomes a
//! [`Problem`].
//!
//! The dashboard and the CLI both call [`discover_all`]:
//!
//! ```no_run
//! use credtop::discover::{Env, discover_all};
//! use credtop::store::DiscoverConfig;
//!
//! let found = discover_all(&Env::from_process(), &DiscoverConfig::default());
//! for c in &found.credentials {
//!     println!("{} from {}", c.name, c.source.label());
//! }
//! for p in &found.problems {
//!     eprintln!("{p}");
//! }
//! ```

mod agents;
mod aws;
mod azure;
mod dirs;
mod env;
mod env_vars;
mod gcloud;
mod gh;
mod mcp_remote;
mod read;

use std::path::PathBuf;

use chrono::{DateTime, Utc};

pub use dirs::source_dirs;
pub use env::Env;
pub use env_vars::well_known_names;
pub use read::read_json;

use crate::model::{Credential, Kind, Secret, Source};
use crate::store::DiscoverConfig;

/// The per-source switches of `[discover]` in config.toml, in the order the
/// sources are read.
pub const SOURCES: &[&str] = &[
    "claude",
    "codex",
    "gemini",
    "gh",
    "aws",
    "gcloud",
    "azure",
    "mcp_remote",
    "env",
];

/// The variables by which the tools move their files; discovery honours
/// each (tests clear them all so that the real home is never read).
pub const OVERRIDE_VARS: &[&str] = &[
    "CLAUDE_CONFIG_DIR",
    "CODEX_HOME",
    "GH_CONFIG_DIR",
    "XDG_CONFIG_HOME",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "CLOUDSDK_CONFIG",
    "AZURE_CONFIG_DIR",
    "MCP_REMOTE_CONFIG_DIR",
];

/// What discovery found: credentials, and a typed problem for everything it
/// could not read. A problem never stops the other sources.
#[derive(Debug, Default)]
pub struct Discovered {
    pub credentials: Vec<Credential>,
    pub problems: Vec<Problem>,
}

/// A file or database of another tool that could not be read. Messages name
/// the file and the reason, never a value from inside it.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error(
        "{tool}: {path} stayed half-written over {attempts} reads ({reason}); the tool may be rewriting it, or it is damaged; try again, or log in again with that tool"
    )]
    Torn {
        tool: &'static str,
        path: PathBuf,
        attempts: u32,
        reason: String,
    },
    #[error("{tool}: cannot read {path}: {reason}")]
    Unreadable {
        tool: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("{tool}: {path} is not in the expected format: {reason}")]
    Malformed {
        tool: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error(
        "config.toml [discover]: unknown source {0:?}; the sources are claude, codex, gemini, gh, aws, gcloud, azure, mcp_remote, env"
    )]
    UnknownSource(String),
}

/// Reads every enabled source. Never writes, never fails as a whole.
pub fn discover_all(env: &Env, config: &DiscoverConfig) -> Discovered {
    let mut found = Discovered::default();
    for key in config.sources.keys() {
        if !SOURCES.contains(&key.as_str()) {
            found.problems.push(Problem::UnknownSource(key.clone()));
        }
    }
    for &source in SOURCES {
        if !config.source_enabled(source) {
            continue;
        }
        let part = match source {
            "claude" => agents::claude(env),
            "codex" => agents::codex(env),
            "gemini" => agents::gemini(env),
            "gh" => gh::discover(env),
            "aws" => aws::discover(env),
            "gcloud" => gcloud::discover(env),
            "azure" => azure::discover(env),
            "mcp_remote" => mcp_remote::discover(env),
            _ => env_vars::discover(env),
        };
        found.credentials.extend(part.credentials);
        found.problems.extend(part.problems);
    }
    env_vars::mark_shadowed(&mut found.credentials);
    found
}

/// The facts one reader learned about one credential.
pub(crate) struct Finding {
    pub name: String,
    pub kind: Kind,
    pub provider: &'static str,
    pub account: Option<String>,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub secret: Secret,
    pub refresh_token: Option<Secret>,
    pub tool: &'static str,
    pub location: String,
    pub relogin: Option<String>,
    pub note: Option<String>,
}

impl Finding {
    pub fn into_credential(self) -> Credential {
        Credential {
            name: self.name,
            kind: self.kind,
            provider: self.provider.to_string(),
            account: self.account,
            scopes: self.scopes,
            created_at: self.created_at,
            expires_at: self.expires_at,
            secret: self.secret,
            refresh_token: self.refresh_token.filter(|r| !r.is_empty()),
            refresh_expires_at: None,
            token_type: None,
            source: Source::Discovered {
                tool: self.tool.to_string(),
                location: self.location,
                relogin: self.relogin,
                note: self.note,
            },
        }
    }
}

/// The location, relogin command and note of a discovered credential, or
/// None for credtop's own.
pub fn origin(c: &Credential) -> Option<(&str, Option<&str>, Option<&str>)> {
    match &c.source {
        Source::Discovered {
            location,
            relogin,
            note,
            ..
        } => Some((location, relogin.as_deref(), note.as_deref())),
        _ => None,
    }
}
