use std::process::ExitCode;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{Context, Failure, human_duration};
use crate::discover::{Env, discover_all};
use crate::engine::lane;
use crate::model::{Credential, Status, Zone};
use crate::oauth::Providers;
use crate::store::{Config, Store};

/// One credential as `status --json` shows it (the Contracts' fields and a
/// few more). Built from a credential; holds no secret, only a fingerprint.
#[derive(Clone, Debug, Serialize)]
pub struct StatusRow {
    pub name: String,
    pub kind: &'static str,
    pub provider: String,
    pub account: Option<String>,
    pub status: Status,
    pub zone: Zone,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub remaining_seconds: Option<i64>,
    pub source: String,
    pub refresh_point: Option<DateTime<Utc>>,
    pub refreshable: bool,
    pub scopes: Vec<String>,
    pub fingerprint: String,
    pub age_days: i64,
    /// Set when a credential without expiry is past its rotation age.
    pub rotation_due: bool,
    /// Another tool's credential: where it was found.
    pub location: Option<String>,
    /// Another tool's credential: the command that logs in again with it.
    pub relogin: Option<String>,
    /// Another tool's credential: an estimated expiry, a variable that
    /// shadows the stored login.
    pub note: Option<String>,
    /// Another tool's credential that the tool renews by itself.
    pub renewed_by_its_tool: bool,
    /// OAuth: `Bearer` or `DPoP` (RFC 9449).
    pub token_type: Option<String>,
    /// A remote MCP server's credential: the RFC 8707 resource it is bound to.
    pub resource: Option<String>,
    /// A remote MCP server's credential: `credtop mcp connect` bridges
    /// connected now.
    pub bridges: Option<usize>,
    /// A remote MCP server's credential: the last typed failure a bridge met.
    pub last_failure: Option<String>,
}

impl StatusRow {
    pub fn new(
        c: &Credential,
        now: DateTime<Utc>,
        refresh_at: Option<f64>,
        rotation_age_days: i64,
    ) -> Self {
        let life = c.lifetime(refresh_at);
        let zone = life.zone(now);
        let age = life.age(now);
        let (location, relogin, note) = match crate::discover::origin(c) {
            Some((l, r, n)) => (
                Some(l.to_string()),
                r.map(str::to_string),
                n.map(str::to_string),
            ),
            None => (None, None, None),
        };
        StatusRow {
            name: c.name.clone(),
            kind: c.kind.as_str(),
            provider: c.provider.clone(),
            account: c.account.clone(),
            status: c.status(now, refresh_at),
            zone,
            created_at: c.created_at,
            expires_at: c.expires_at,
            remaining_seconds: life.remaining(now).map(|d| d.num_seconds()),
            source: c.source.label().to_string(),
            refresh_point: life.refresh_point(),
            refreshable: c.is_refreshable(),
            scopes: c.scopes.clone(),
            // A token credtop cannot read (gh's, in the OS keyring) has no
            // fingerprint: that of an empty string would pass for a token.
            fingerprint: if c.secret.is_empty() {
                "none".to_string()
            } else {
                c.secret.fingerprint().0
            },
            age_days: age.num_days(),
            rotation_due: life
                .rotation_due(rotation_age_days)
                .is_some_and(|due| now >= due),
            location,
            relogin,
            note,
            renewed_by_its_tool: c.renewed_by_its_tool(),
            token_type: c.token_type.as_deref().map(token_type_name),
            resource: None,
            bridges: None,
            last_failure: None,
        }
    }

    /// Fills what credtop knows of the remote MCP server of this credential.
    pub fn with_remote(mut self, home: &std::path::Path) -> Self {
        if let Ok(Some(remote)) = crate::store::load_remote(home, &self.name) {
            self.resource = Some(remote.url);
            self.bridges = Some(crate::store::bridges_connected(home, &self.name));
            self.last_failure = crate::store::last_bridge_failure(home, &self.name)
                .map(|f| format!("{} at {}", f.kind, f.ts.format("%Y-%m-%d %H:%M:%SZ")));
        }
        self
    }

    /// "in 42m 10s", "3h 02m ago", or the age of a key without expiry.
    pub fn expiry_text(&self) -> String {
        match self.remaining_seconds {
            Some(s) if s > 0 => format!("in {}", human_duration(Duration::seconds(s))),
            Some(s) => format!("{} ago", human_duration(Duration::seconds(s))),
            None if self.location.is_some() => "no expiry recorded".to_string(),
            None => format!("no expiry, {}d old", self.age_days),
        }
    }
}

/// RFC 6749 §7.1 token types compare case-insensitively; shown as the RFCs
/// spell them.
fn token_type_name(t: &str) -> String {
    match t.to_ascii_lowercase().as_str() {
        "bearer" => "Bearer".to_string(),
        "dpop" => "DPoP".to_string(),
        _ => t.to_string(),
    }
}

/// Every credential in the store as rows, plus the problems met reading it.
pub fn collect_rows(store: &Store, now: DateTime<Utc>) -> (Vec<StatusRow>, Vec<String>) {
    let listing = store.list();
    let rotation = store.config().rotation_age_days();
    let mut problems: Vec<String> = listing.problems.iter().map(|e| e.to_string()).collect();
    let providers = Providers::load(store.home()).unwrap_or_else(|e| {
        problems.push(e.to_string());
        Providers::default()
    });
    let rows = listing
        .credentials
        .iter()
        .map(|c| {
            let mut row = StatusRow::new(c, now, providers.refresh_at(&c.provider), rotation)
                .with_remote(store.home());
            // A failed or paused lane says more than the clock does.
            if let Some(status) = lane::load(store.home(), &c.name).and_then(|l| l.status_for(c)) {
                row.status = status;
            }
            row
        })
        .collect();
    (rows, problems)
}

/// The credentials other tools hold, as rows (read-only; see
/// [`crate::discover`]), plus the problems met reading them.
pub fn discovered_rows(
    env: &Env,
    config: &Config,
    now: DateTime<Utc>,
) -> (Vec<StatusRow>, Vec<String>) {
    let found = discover_all(env, &config.discover);
    let rows = found
        .credentials
        .iter()
        .map(|c| StatusRow::new(c, now, None, config.rotation_age_days()))
        .collect();
    (rows, found.problems.iter().map(|p| p.to_string()).collect())
}

/// credtop's own rows, then (unless `no_discover`) other tools' rows.
pub fn all_rows(store: &Store, no_discover: bool) -> (Vec<StatusRow>, Vec<String>) {
    let now = Utc::now();
    let (mut rows, mut problems) = collect_rows(store, now);
    if !no_discover {
        let (more, more_problems) = discovered_rows(&Env::from_process(), store.config(), now);
        rows.extend(more);
        problems.extend(more_problems);
    }
    (rows, problems)
}

pub fn run(ctx: &Context, json: bool, no_discover: bool) -> Result<ExitCode, Failure> {
    let store = ctx.store()?;
    let (rows, problems) = all_rows(&store, no_discover);
    for p in &problems {
        eprintln!("credtop: {p}");
    }
    if json {
        let text = serde_json::to_string_pretty(&rows).expect("rows serialize");
        println!("{text}");
    } else {
        print_table(&rows);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(rows: &[StatusRow]) {
    if rows.is_empty() {
        println!("No credentials yet. Add a key with `credtop add-key NAME < keyfile`,");
        println!("or describe a provider in providers.toml and run `credtop login PROVIDER`.");
        return;
    }
    let name_w = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    let prov_w = rows
        .iter()
        .map(|r| r.provider.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let src_w = rows
        .iter()
        .map(|r| r.source.len())
        .max()
        .unwrap_or(6)
        .max(6);
    println!(
        "{:name_w$}  {:8}  {:prov_w$}  {:18}  {:8}  {:src_w$}  EXPIRES",
        "NAME", "KIND", "PROVIDER", "STATUS", "ZONE", "SOURCE"
    );
    for r in rows {
        let mut expiry = r.expiry_text();
        if r.rotation_due {
            expiry.push_str(" (rotation due)");
        }
        println!(
            "{:name_w$}  {:8}  {:prov_w$}  {:18}  {:8}  {:src_w$}  {}",
            r.name,
            r.kind,
            r.provider,
            r.status.as_str(),
            r.zone.as_str(),
            r.source,
            expiry
        );
        if let Some(location) = &r.location {
            let relogin = r
                .relogin
                .as_deref()
                .map(|c| format!("; log in again: {c}"))
                .unwrap_or_default();
            println!("{:name_w$}    from {location}{relogin}", "");
        }
        if let Some(note) = &r.note {
            println!("{:name_w$}    note: {note}", "");
        }
    }
}
