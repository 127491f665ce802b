//! The table's order: credtop's own credentials first, other tools' after
//! them, each group in the order `s` cycles through (expiry, name, status,
//! last refresh). Derived in update, when the rows or the order change,
//! never while drawing.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use super::app::{App, Entry};
use crate::model::Status;

/// What the table is sorted by; `s` goes to the next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    /// Soonest expiry first; no expiry last.
    Expiry,
    #[default]
    Name,
    /// What needs a person first.
    Status,
    /// Most recently refreshed first; never refreshed last.
    LastRefresh,
}

impl SortKey {
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Expiry => SortKey::Name,
            SortKey::Name => SortKey::Status,
            SortKey::Status => SortKey::LastRefresh,
            SortKey::LastRefresh => SortKey::Expiry,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Expiry => "expiry",
            SortKey::Name => "name",
            SortKey::Status => "status",
            SortKey::LastRefresh => "last refresh",
        }
    }
}

/// How much a status needs a person: lower first.
fn need(e: &Entry, now: DateTime<Utc>) -> u8 {
    if e.paused {
        return 1;
    }
    match e.status(now) {
        Status::Expired | Status::Revoked | Status::NeedsLogin => 0,
        Status::ScopeInsufficient => 1,
        Status::RateLimited { .. } | Status::TransientError { .. } => 2,
        Status::Danger => 3,
        Status::UnknownExpiry => 4,
        Status::Refreshing => 5,
        Status::Healthy => 6,
    }
}

fn compare(key: SortKey, a: &Entry, b: &Entry, now: DateTime<Utc>) -> Ordering {
    let by_key = match key {
        SortKey::Expiry => match (a.row.expires_at, b.row.expires_at) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
        SortKey::Name => Ordering::Equal,
        SortKey::Status => need(a, now).cmp(&need(b, now)),
        SortKey::LastRefresh => {
            let at = |e: &Entry| e.last_refresh().map(|r| r.at);
            // Newest first; `None` (never) sorts below every time.
            at(b).cmp(&at(a))
        }
    };
    // Own before others', then the key, then the name so ties are stable.
    b.owned
        .cmp(&a.owned)
        .then(by_key)
        .then_with(|| a.name().cmp(b.name()))
}

/// Puts `app.entries` in the current order, keeping the selected
/// credential selected.
pub fn apply(app: &mut App) {
    let keep = app.selected_entry().map(|e| e.name().to_string());
    sort_entries(app);
    app.derive();
    super::update::reselect(app, keep.as_deref());
}

/// Puts `app.entries` in the current order; the caller reselects.
pub fn sort_entries(app: &mut App) {
    let (key, now) = (app.sort, app.now);
    app.entries.sort_by(|a, b| compare(key, a, b, now));
}
