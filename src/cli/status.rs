use std::process::ExitCode;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{Context, Failure, human_duration};
use crate::discover::{Env, discover_all};
use crate::engine::lane;
use crate::model::shown;
use crate::model::{Credential, Status, Zone};
use crate::oauth::Providers;
use crate::store::{Config, Listing, Store, StoreError};

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
        }
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

/// Every credential in the store as rows, plus the problems met reading it.
pub fn collect_rows(store: &Store, now: DateTime<Utc>) -> (Vec<StatusRow>, Vec<String>) {
    rows_of(store, &store.list(), now)
}

/// [`collect_rows`] of a listing already read.
fn rows_of(store: &Store, listing: &Listing, now: DateTime<Utc>) -> (Vec<StatusRow>, Vec<String>) {
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
            let mut row = StatusRow::new(c, now, providers.refresh_at(&c.provider), rotation);
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
            remaining_seconds: None,
            source: "credtop",
            location: shown(&path.display().to_string()),
            reason: shown(&e.to_string()),
        })
    }
}

/// What `status` shows: the rows, the problems met, and credtop's own
/// unreadable files as error rows.
struct Found {
    rows: Vec<StatusRow>,
    problems: Vec<String>,
    errors: Vec<ErrorRow>,
    /// Something of credtop's own store could not be read.
    store_failed: bool,
}

/// [`all_rows`], with credtop's own unreadable files as error rows too.
fn all_rows_and_errors(store: &Store, no_discover: bool) -> Found {
    let now = Utc::now();
    let listing = store.list();
    let errors: Vec<ErrorRow> = listing.problems.iter().filter_map(ErrorRow::of).collect();
    let (mut rows, mut problems) = rows_of(store, &listing, now);
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

/// `credtop status`: exit 1 when anything of credtop's own store could not
/// be read (a credential file is listed as an `error` row with the reason).
pub fn run(ctx: &Context, json: bool, no_discover: bool) -> Result<ExitCode, Failure> {
    let store = ctx.store()?;
    let Found {
        rows,
        problems,
        errors,
        store_failed,
    } = all_rows_and_errors(&store, no_discover);
    for p in &problems {
        eprintln!("credtop: {}", shown(p));
    }
    if json {
        let mut all: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| serde_json::to_value(r).expect("rows serialize"))
            .collect();
        all.extend(
            errors
                .iter()
                .map(|e| serde_json::to_value(e).expect("rows serialize")),
        );
        let text = serde_json::to_string_pretty(&all).expect("rows serialize");
        println!("{text}");
    } else {
        print_table(&rows, &errors);
    }
    Ok(if !store_failed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::exit::ERROR)
    })
}

fn print_table(rows: &[StatusRow], errors: &[ErrorRow]) {
    if rows.is_empty() && errors.is_empty() {
        println!("No credentials yet. Add a key with `credtop add-key NAME < keyfile`,");
        println!("or describe a provider in providers.toml and run `credtop login PROVIDER`.");
        return;
    }
    let name_w = rows
        .iter()
        .map(|r| r.name.chars().count())
        .chain(errors.iter().map(|e| e.name.chars().count()))
        .max()
        .unwrap_or(4)
        .max(4);
    let prov_w = rows
        .iter()
        .map(|r| r.provider.chars().count())
        .max()
        .unwrap_or(8)
        .max(8);
    let src_w = rows
        .iter()
        .map(|r| r.source.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    println!(
        "{:name_w$}  {:8}  {:prov_w$}  {:18}  {:8}  {:src_w$}  EXPIRES",
        "NAME", "KIND", "PROVIDER", "STATUS", "ZONE", "SOURCE"
    );
    for e in errors {
        println!(
            "{:name_w$}  {:8}  {:prov_w$}  {:18}  {:8}  {:src_w$}  -",
            e.name,
            e.kind.unwrap_or("?"),
            "?",
            e.status,
            e.zone.as_str(),
            e.source
        );
        println!("{:name_w$}    {}", "", e.reason);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, Secret, Source};

    #[test]
    fn a_row_shows_text_from_files_as_data() {
        let c = Credential {
            name: "gh:evil\u{1b}[2J\nforged".into(),
            kind: Kind::Pat,
            provider: "x\u{9b}31m".into(),
            account: Some("me\r".into()),
            scopes: Vec::new(),
            created_at: Utc::now(),
            expires_at: None,
            secret: Secret::new("t"),
            refresh_token: None,
            token_type: None,
            source: Source::Discovered {
                tool: "gh".into(),
                location: "~/.config/gh\u{7}".into(),
                relogin: Some("gh auth login\n; rm -rf ~".into()),
                note: Some("\u{1b}]0;title\u{7}".into()),
            },
        };
        let row = StatusRow::new(&c, Utc::now(), None, 90);
        let text = serde_json::to_value(&row).unwrap().to_string();
        let fields = [
            Some(row.name),
            Some(row.provider),
            row.account,
            row.location,
            row.relogin,
            row.note,
        ];
        for f in fields.into_iter().flatten() {
            assert!(!f.chars().any(char::is_control), "{f:?} in {text}");
        }
    }
}
