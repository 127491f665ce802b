//! Everything the dashboard shows, and nothing else: the state that
//! [`super::update`] changes and [`super::view`] draws.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use tui_input::Input;

use crate::audit::{AuditRecord, Event, RecordFilter};
use crate::engine::lane::LaneState;
use crate::model::{Credential, Kind, Lifetime, Source, Status, Zone};
use crate::report::{StatusRow, relogin_command};

pub use super::dialog::Overlay;

/// How long an action's outcome stays on its row before the row shows
/// the credential's own status again.
pub const OUTCOME_SHOWN_FOR: Duration = Duration::seconds(15);

/// One refresh attempt, read back from the audit trail (the lane state
/// keeps only the current failure, the trail keeps every attempt).
#[derive(Clone, Debug, PartialEq)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub latency_ms: Option<u64>,
    /// The typed failure kind, or the actor that refreshed.
    pub note: String,
}

/// One `secret_read` of a credential: who read it, when, for which task.
#[derive(Clone, Debug, PartialEq)]
pub struct Reader {
    pub at: DateTime<Utc>,
    pub pid: u32,
    pub comm: Option<String>,
    pub task: Option<String>,
}

/// One credential as a row: the read model's [`StatusRow`] (computed once,
/// when the store is read) plus what the dashboard needs to recompute zone and
/// status on every tick without touching the store.
#[derive(Clone, Debug)]
pub struct Entry {
    pub row: StatusRow,
    pub kind: Kind,
    pub refresh_at: Option<f64>,
    /// The status a failed or paused lane imposes, if it is about this
    /// very token; it wins over what the clock says.
    pub lane_status: Option<Status>,
    pub paused: bool,
    pub lane_message: Option<String>,
    /// Refresh attempts, newest first.
    pub history: Vec<Attempt>,
    /// Recent reads of its secret (`secret_read`), newest first.
    pub readers: Vec<Reader>,
    /// credtop owns it (may refresh, rotate, revoke); false for
    /// credentials discovered in other tools' files.
    pub owned: bool,
    /// For discovered credentials: where it was found and how to log in again.
    pub origin: Option<String>,
    pub relogin: Option<String>,
}

impl Entry {
    /// Builds the row of `cred` as of `now`; `lane` is its lane state, if
    /// any. This is how credentials from outside the store (discovered in
    /// other tools' files) become rows.
    pub fn new(
        cred: &Credential,
        now: DateTime<Utc>,
        refresh_at: Option<f64>,
        rotation_age_days: i64,
        lane: Option<&LaneState>,
    ) -> Entry {
        let mut row = StatusRow::new(cred, now, refresh_at, rotation_age_days);
        row.lane = lane.filter(|l| l.status_for(cred).is_some()).cloned();
        let mut entry = Entry::from_row(row);
        if let Source::Discovered {
            location, relogin, ..
        } = &cred.source
        {
            entry.owned = false;
            entry.origin = Some(location.clone());
            entry.relogin = relogin.clone();
        }
        entry
    }

    /// Wraps a row the read model already computed
    /// ([`crate::report::collect_rows`]), which is always a row of
    /// credtop's own store; its lane and refresh point come with it.
    pub fn from_row(row: StatusRow) -> Entry {
        let kind = row.kind.parse().unwrap_or(Kind::ApiKey);
        // A remote MCP server's credential logs in again with `mcp login`.
        let relogin = match &row.resource {
            Some(url) => crate::engine::mcp_relogin(url, &row.name, None),
            None => relogin_command(&row.provider, &row.name),
        };
        let lane = row.lane.as_ref();
        Entry {
            kind,
            refresh_at: row.refresh_at,
            lane_status: lane.map(|l| Status::from_failure(l.kind, l.retry_at)),
            paused: lane.is_some_and(|l| l.paused),
            lane_message: lane.map(|l| l.message.clone()),
            history: Vec::new(),
            readers: Vec::new(),
            owned: true,
            origin: None,
            relogin: Some(relogin),
            row,
        }
    }

    pub fn name(&self) -> &str {
        &self.row.name
    }

    pub fn lifetime(&self) -> Lifetime {
        Lifetime::new(self.row.created_at, self.row.expires_at, self.refresh_at)
    }

    pub fn zone(&self, now: DateTime<Utc>) -> Zone {
        self.lifetime().zone(now)
    }

    /// The status now: a lane's failure, else what the clock implies.
    pub fn status(&self, now: DateTime<Utc>) -> Status {
        self.lane_status
            .unwrap_or_else(|| Status::from_zone(self.zone(now), self.kind, self.row.refreshable))
            .under_grant(self.row.refresh_expires_at, now)
    }

    pub fn remaining(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.lifetime().remaining(now)
    }

    pub fn last_refresh(&self) -> Option<&Attempt> {
        self.history.iter().find(|a| a.ok)
    }

    /// The filter matches a substring of the name, the provider (and
    /// account) or the status, case-insensitively.
    pub fn matches(&self, needle: &str, now: DateTime<Utc>) -> bool {
        if needle.is_empty() {
            return true;
        }
        let needle = needle.to_lowercase();
        let status = self.status(now);
        [
            self.row.name.as_str(),
            self.row.provider.as_str(),
            self.row.account.as_deref().unwrap_or(""),
            status.as_str(),
            if self.paused { "paused" } else { "" },
        ]
        .iter()
        .any(|field| field.to_lowercase().contains(&needle))
    }
}

/// What is happening to one credential because of an action or the engine.
#[derive(Clone, Debug, PartialEq)]
pub enum Activity {
    /// In progress: "refreshing…", "revoking…".
    Busy(String),
    /// Finished at `at`; shown for [`OUTCOME_SHOWN_FOR`].
    Done {
        ok: bool,
        text: String,
        at: DateTime<Utc>,
    },
}

/// The status line: the last thing that happened, in a sentence.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub ok: bool,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum EngineState {
    Starting,
    Running { lanes: usize },
    Stopped,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Table,
    Audit,
    Timeline,
}

/// The audit view: records newest first, a filter and a scroll position.
#[derive(Clone, Debug, Default)]
pub struct AuditPane {
    pub records: Vec<AuditRecord>,
    pub unreadable_lines: usize,
    pub loaded: bool,
    pub filter: Input,
    pub editing: bool,
    pub scroll: usize,
}

impl AuditPane {
    /// `credential:NAME` and `event:NAME` terms select exactly, as
    /// `credtop audit --credential NAME --event NAME` does (the same
    /// [`RecordFilter`]); every other whitespace-separated term must occur
    /// in the record's credential, event name or `task:LABEL`.
    pub fn visible(&self) -> Vec<&AuditRecord> {
        let (exact, terms) = parse_audit_filter(self.filter.value());
        self.records
            .iter()
            .filter(|r| exact.matches(r))
            .filter(|r| {
                let hay = format!(
                    "{} {} task:{}",
                    r.credential.as_deref().unwrap_or("").to_lowercase(),
                    r.event.as_str(),
                    r.task.as_deref().unwrap_or("").to_lowercase()
                );
                terms.iter().all(|t| hay.contains(t.as_str()))
            })
            .collect()
    }
}

/// Splits the audit view's filter into the CLI's exact filter and the
/// remaining substring terms. An unknown event name stays a term, which
/// matches nothing, rather than being ignored.
fn parse_audit_filter(text: &str) -> (RecordFilter, Vec<String>) {
    let mut exact = RecordFilter::default();
    let mut terms = Vec::new();
    for term in text.split_whitespace() {
        if let Some(name) = term.strip_prefix("credential:") {
            exact.credentials.push(name.to_string());
        } else if let Some(event) = term.strip_prefix("event:").and_then(Event::from_name) {
            exact.events.push(event);
        } else {
            terms.push(term.to_lowercase());
        }
    }
    (exact, terms)
}

pub struct App {
    /// The clock the screen is drawn at; set by the tick, never read in view.
    pub now: DateTime<Utc>,
    pub home: PathBuf,
    /// False until the store was read once: "loading", not "empty".
    pub loaded: bool,
    /// Why the audit trail's hash chain is broken, shown as a red banner.
    pub audit_broken: Option<String>,
    /// The provider tables of providers.toml, offered at login.
    pub providers: Vec<String>,
    pub entries: Vec<Entry>,
    /// Unreadable files and config errors, shown, never skipped silently:
    /// the store's, then discovery's.
    pub problems: Vec<String>,
    pub(super) store_problems: Vec<String>,
    pub(super) found_problems: Vec<String>,
    /// MCP servers that depend on each credential, by credential name. The
    /// lead wires `credtop::mcp::dependents` into [`super::Hooks`]; empty
    /// means "none known".
    pub dependents: HashMap<String, Vec<String>>,
    /// Index into [`App::visible`].
    pub selected: usize,
    /// The first visible row the table shows (kept by `update`).
    pub table_top: usize,
    /// The terminal's area as last told ([`super::Msg::Resize`]); empty
    /// until then.
    pub frame: ratatui::layout::Rect,
    /// Derived in `update` when the rows, the filter or the clock change,
    /// never per frame: the indices of the rows the filter lets through.
    pub(super) visible_rows: Vec<usize>,
    /// The longest name among the visible rows, in characters.
    pub(super) name_width: usize,
    pub show_detail: bool,
    /// The table's order (`s` cycles it); own credentials always first.
    pub sort: super::sort::SortKey,
    pub filter: Input,
    pub filter_editing: bool,
    pub mode: Mode,
    pub overlay: Option<Overlay>,
    pub activity: HashMap<String, Activity>,
    pub notice: Option<Notice>,
    pub engine: EngineState,
    pub audit: AuditPane,
    /// The timeline (`t`), laid out from the audit view's records.
    pub timeline: super::timeline::TimelinePane,
    /// The mark the timeline's Enter opened: the detail pane shows it
    /// while its credential is selected.
    pub picked: Option<super::timeline::Picked>,
    /// False when `NO_COLOR` is set: status is told by text and symbol alone.
    pub color: bool,
    pub quit: bool,
    /// Counts the messages applied other than the tick: while it holds,
    /// the rows changed only with the clock (see `view::patch`).
    pub changes: u64,
}

impl App {
    pub fn new(now: DateTime<Utc>, home: PathBuf, color: bool) -> App {
        App {
            now,
            home,
            loaded: false,
            entries: Vec::new(),
            problems: Vec::new(),
            store_problems: Vec::new(),
            found_problems: Vec::new(),
            dependents: HashMap::new(),
            providers: Vec::new(),
            audit_broken: None,
            sort: super::sort::SortKey::default(),
            selected: 0,
            table_top: 0,
            frame: Default::default(),
            visible_rows: Vec::new(),
            name_width: 0,
            show_detail: false,
            filter: Input::default(),
            filter_editing: false,
            mode: Mode::Table,
            overlay: None,
            activity: HashMap::new(),
            notice: None,
            engine: EngineState::Starting,
            audit: AuditPane::default(),
            timeline: Default::default(),
            picked: None,
            color,
            quit: false,
            changes: 0,
        }
    }

    /// The rows the filter lets through, in store order (as last derived).
    pub fn visible(&self) -> Vec<&Entry> {
        self.visible_rows
            .iter()
            .filter_map(|&i| self.entries.get(i))
            .collect()
    }

    pub fn visible_len(&self) -> usize {
        self.visible_rows.len()
    }

    /// The `i`-th row the filter lets through.
    pub fn visible_entry(&self, i: usize) -> Option<&Entry> {
        self.visible_rows.get(i).and_then(|&r| self.entries.get(r))
    }

    /// Where the credential `name` is among the visible rows, if the
    /// filter lets it through.
    pub fn visible_index_of(&self, name: &str) -> Option<usize> {
        (0..self.visible_len()).find(|&i| self.visible_entry(i).is_some_and(|e| e.name() == name))
    }

    pub fn selected_entry(&self) -> Option<&Entry> {
        self.visible_entry(self.selected)
    }

    /// Filters the rows again: after the rows, the filter or the clock
    /// changed. (The header counts the words the rows show as it
    /// draws them, so the two cannot disagree.)
    pub fn derive(&mut self) {
        let needle = self.filter.value().trim();
        let now = self.now;
        self.visible_rows = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.matches(needle, now))
            .map(|(i, _)| i)
            .collect();
        self.name_width = self
            .visible_rows
            .iter()
            .filter_map(|&i| self.entries.get(i))
            .map(|e| e.name().chars().count())
            .max()
            .unwrap_or(0);
    }

    /// The outcome or progress to show on `name`'s row, while it is fresh.
    pub fn activity_of(&self, name: &str) -> Option<&Activity> {
        self.activity.get(name).filter(|a| match a {
            Activity::Busy(_) => true,
            Activity::Done { at, .. } => self.now - *at < OUTCOME_SHOWN_FOR,
        })
    }

    pub fn dependents_of(&self, name: &str) -> &[String] {
        self.dependents.get(name).map_or(&[], Vec::as_slice)
    }
}
