//! The rows of `credtop status` and of the dashboard's table, read once.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::text::time_left;
use crate::discover::{Env, discover_all};
use crate::engine::lane::{self, LaneState};
use crate::model::{Credential, Status, Zone, shown};
use crate::oauth::Providers;
use crate::store::{Config, Listing, Store, StoreError};

/// One credential as `status --json` shows it (the fields README's
/// `status --json` documents, and a few more). Built from a credential; holds no secret, only a fingerprint.
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
    /// The grant's hard end (`refresh_token_expires_in`, a session cap):
    /// after it only a login helps. Null when none is known.
    pub refresh_expires_at: Option<DateTime<Utc>>,
    /// credtop can renew it now: false past its grant's end too.
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
    /// The provider's refresh point as a fraction of the lifetime
    /// (providers.toml), read once per reload for every view of the row.
    #[serde(skip)]
    pub refresh_at: Option<f64>,
    /// The lane state about this very token (a failure, a pause), if any.
    #[serde(skip)]
    pub lane: Option<LaneState>,
    /// Why credtop cannot refresh a token it holds a refresh token for
    /// ("no provider 'google' configured"), known before any attempt.
    #[serde(skip)]
    pub cannot_refresh: Option<String>,
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
        // Names, providers and notes can come from other tools' files: a
        // row holds them shown as data (control characters escaped), so
        // neither `status` nor the dashboard can be made to draw a forged
        // row or run an escape sequence.
        let (location, relogin, note) = match crate::discover::origin(c) {
            Some((l, r, n)) => (Some(shown(l)), r.map(shown), n.map(shown)),
            None => (None, None, None),
        };
        StatusRow {
            name: shown(&c.name),
            kind: c.kind.as_str(),
            provider: shown(&c.provider),
            account: c.account.as_deref().map(shown),
            status: c.status(now, refresh_at),
            zone,
            created_at: c.created_at,
            expires_at: c.expires_at,
            remaining_seconds: life.remaining(now).map(|d| d.num_seconds()),
            source: c.source.label().to_string(),
            refresh_point: life.refresh_point(),
            refresh_expires_at: c.refresh_expires_at,
            refreshable: c.is_refreshable() && !c.grant_ended(now),
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
            refresh_at,
            lane: None,
            cannot_refresh: None,
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

    /// "grant ends 2026-12-05 06:07:22 (in 2d 23h)": the hard end of the
    /// grant (`refresh_expires_at`), after which only a login helps.
    pub fn grant_end_text(&self, now: DateTime<Utc>) -> Option<String> {
        let cap = self.refresh_expires_at?;
        let verb = if cap > now { "ends" } else { "ended" };
        Some(format!(
            "grant {verb} {} ({})",
            cap.format("%Y-%m-%d %H:%M:%S"),
            time_left(cap - now)
        ))
    }

    /// "in 42m 10s", "3h 02m ago", or the age of a key without expiry.
    pub fn expiry_text(&self) -> String {
        match self.remaining_seconds {
            Some(s) => time_left(Duration::seconds(s)),
            None if self.location.is_some() => "no expiry recorded".to_string(),
            None => format!("no expiry, {}d old", self.age_days),
        }
    }
}

/// The store read once: its rows, the problems met, and the providers
/// they were read with (for re-reading one credential later).
pub struct StoreRows {
    pub rows: Vec<StatusRow>,
    pub problems: Vec<String>,
    pub providers: Providers,
}

/// Every credential in the store as rows, plus the problems met reading it.
/// providers.toml and each lane state are read once here; the rows carry
/// what was read, so no view reads them again.
pub fn read_store(store: &Store, now: DateTime<Utc>) -> StoreRows {
    read_listing(store, &store.list(), now)
}

/// [`read_store`] of a listing already read.
fn read_listing(store: &Store, listing: &Listing, now: DateTime<Utc>) -> StoreRows {
    let mut problems: Vec<String> = listing.problems.iter().map(|e| e.to_string()).collect();
    let providers = Providers::load(store.home()).unwrap_or_else(|e| {
        problems.push(e.to_string());
        Providers::default()
    });
    // Most credentials have no lane state and no remote MCP server: list
    // each folder once instead of a failed open per credential.
    let lanes = lane::present(store.home());
    let remotes = crate::store::remote_names(store.home());
    let rows = listing
        .credentials
        .iter()
        .map(|c| {
            let files = Files {
                lane: lanes.as_ref().is_none_or(|l| l.contains(&c.name)),
                remote: remotes.contains(&c.name),
            };
            own_row(store, &providers, c, now, files)
        })
        .collect();
    StoreRows {
        rows,
        problems,
        providers,
    }
}

/// [`read_store`]'s rows and problems.
pub fn collect_rows(store: &Store, now: DateTime<Utc>) -> (Vec<StatusRow>, Vec<String>) {
    let read = read_store(store, now);
    (read.rows, read.problems)
}

/// The row of credential `name` alone, read again (after its file or its
/// lane state changed).
pub fn store_row(
    store: &Store,
    providers: &Providers,
    name: &str,
    now: DateTime<Utc>,
) -> Result<StatusRow, StoreError> {
    let cred = store.load(name)?;
    let files = Files {
        lane: true,
        remote: true,
    };
    Ok(own_row(store, providers, &cred, now, files))
}

/// Which of a credential's side files may exist, as a listing of their
/// folders found: only those are opened.
#[derive(Clone, Copy)]
struct Files {
    lane: bool,
    remote: bool,
}

fn own_row(
    store: &Store,
    providers: &Providers,
    c: &Credential,
    now: DateTime<Utc>,
    files: Files,
) -> StatusRow {
    let rotation = store.config().rotation_age_days();
    let mut row = StatusRow::new(c, now, providers.refresh_at(&c.provider), rotation);
    if files.remote {
        row = row.with_remote(store.home());
    }
    // A failed or paused lane says more than the clock does, while it is
    // about this very token.
    row.lane = files
        .lane
        .then(|| lane::load(store.home(), &c.name))
        .flatten()
        .filter(|l| l.status_for(c).is_some());
    if let Some(status) = row.lane.as_ref().and_then(|l| l.status_for(c)) {
        row.status = status.under_grant(c.refresh_expires_at, now);
    }
    if c.is_refreshable() && providers.get(&c.provider).is_none() {
        row.cannot_refresh = Some(format!("no provider '{}' configured", c.provider));
    }
    if let Some(cap) = c.refresh_expires_at.filter(|_| c.grant_ended(now)) {
        row.cannot_refresh = Some(format!(
            "grant ended {}; log in again",
            cap.format("%Y-%m-%d %H:%MZ")
        ));
    }
    row
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
    let found = all_rows_and_errors(store, no_discover);
    (found.rows, found.problems)
}

/// A credential file of credtop's own that could not be read: shown as a
/// row of status `error` with the reason, never left out of the list.
#[derive(Clone, Debug, Serialize)]
pub struct ErrorRow {
    pub name: String,
    pub kind: Option<&'static str>,
    pub provider: Option<String>,
    pub status: &'static str,
    pub zone: Zone,
    pub created_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Always null: every object of `status --json` has the key.
    pub refresh_expires_at: Option<DateTime<Utc>>,
    pub remaining_seconds: Option<i64>,
    pub source: &'static str,
    pub location: String,
    pub reason: String,
}

impl ErrorRow {
    /// The row of a store problem that is about one file; `None` for the
    /// others (a folder that cannot be listed is reported as a problem).
    pub fn of(e: &StoreError) -> Option<ErrorRow> {
        let path = e.path()?;
        let name = path.file_name()?.to_string_lossy();
        let kind = match path.parent().and_then(|p| p.file_name()) {
            Some(d) if d == "oauth" => Some("oauth"),
            Some(d) if d == "keys" => Some("api_key"),
            _ => return None,
        };
        Some(ErrorRow {
            name: shown(name.strip_suffix(".json").unwrap_or(&name)),
            kind,
            provider: None,
            status: "error",
            zone: Zone::None,
            created_at: None,
            expires_at: None,
            refresh_expires_at: None,
            remaining_seconds: None,
            source: "credtop",
            location: shown(&path.display().to_string()),
            reason: shown(&e.to_string()),
        })
    }
}

/// What `status` shows: the rows, the problems met, and credtop's own
/// unreadable files as error rows.
pub struct Found {
    pub rows: Vec<StatusRow>,
    pub problems: Vec<String>,
    pub errors: Vec<ErrorRow>,
    /// Something of credtop's own store could not be read.
    pub store_failed: bool,
}

/// [`all_rows`], with credtop's own unreadable files as error rows too.
pub fn all_rows_and_errors(store: &Store, no_discover: bool) -> Found {
    let now = Utc::now();
    let listing = store.list();
    let errors: Vec<ErrorRow> = listing.problems.iter().filter_map(ErrorRow::of).collect();
    let read = read_listing(store, &listing, now);
    let (mut rows, mut problems) = (read.rows, read.problems);
    if !no_discover {
        let (more, more_problems) = discovered_rows(&Env::from_process(), store.config(), now);
        rows.extend(more);
        problems.extend(more_problems);
    }
    Found {
        rows,
        problems,
        errors,
        store_failed: !listing.problems.is_empty(),
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
