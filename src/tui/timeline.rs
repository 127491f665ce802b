//! The timeline's model: the audit records the audit view already holds,
//! laid out as one lane per credential over a window that ends now. Built
//! in `update` (when records arrive, the window changes or the clock
//! ticks), never per frame; the view only maps times to columns.

use chrono::{DateTime, Duration, Utc};

use crate::audit::{AuditRecord, Event, Outcome};
use crate::model::FailureKind;

/// How far back the timeline looks; `w` cycles it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Window {
    #[default]
    Minutes15,
    Hour,
    Day,
}

impl Window {
    pub fn next(self) -> Window {
        match self {
            Window::Minutes15 => Window::Hour,
            Window::Hour => Window::Day,
            Window::Day => Window::Minutes15,
        }
    }

    pub fn duration(self) -> Duration {
        match self {
            Window::Minutes15 => Duration::minutes(15),
            Window::Hour => Duration::hours(1),
            Window::Day => Duration::hours(24),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Window::Minutes15 => "15 m",
            Window::Hour => "1 h",
            Window::Day => "24 h",
        }
    }
}

/// What a mark says, each with its own symbol so that the timeline reads
/// without colour; ordered by how much it matters, which is also the
/// order they are drawn in: a failure is never hidden under a refresh
/// that fell into the same column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MarkKind {
    Other,
    Refresh,
    Login,
    Warning,
    Revocation,
    Failure,
}

impl MarkKind {
    pub fn of(event: Event, outcome: Outcome) -> MarkKind {
        use Event::*;
        if outcome == Outcome::Failed || matches!(event, RefreshFailed | LoginFailed) {
            return MarkKind::Failure;
        }
        match event {
            Revoke | RevocationDetected | Logout | ChildTokenRevoked => MarkKind::Revocation,
            WarningRaised | TokenExpired | LanePaused | OperatorNotified | ExternalChange => {
                MarkKind::Warning
            }
            LoginStarted | LoginCompleted | CredentialAdded | Rotate => MarkKind::Login,
            RefreshAttempted | RefreshSucceeded => MarkKind::Refresh,
            _ => MarkKind::Other,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            MarkKind::Failure => "✗",
            MarkKind::Revocation => "⊘",
            MarkKind::Warning => "▲",
            MarkKind::Login => "◆",
            MarkKind::Refresh => "↻",
            MarkKind::Other => "·",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            MarkKind::Failure => "failure",
            MarkKind::Revocation => "revoked",
            MarkKind::Warning => "warning",
            MarkKind::Login => "login/rotate",
            MarkKind::Refresh => "refresh",
            MarkKind::Other => "other",
        }
    }

    /// Most important first, as the legend lists them.
    pub const ALL: [MarkKind; 6] = [
        MarkKind::Failure,
        MarkKind::Revocation,
        MarkKind::Warning,
        MarkKind::Login,
        MarkKind::Refresh,
        MarkKind::Other,
    ];
}

/// One audit record on a lane.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub at: DateTime<Utc>,
    pub event: Event,
    pub outcome: Outcome,
    pub kind: MarkKind,
    pub failure: Option<FailureKind>,
    pub detail: Option<String>,
}

impl Mark {
    fn of(r: &AuditRecord) -> Mark {
        Mark {
            at: r.ts,
            event: r.event,
            outcome: r.outcome,
            kind: MarkKind::of(r.event, r.outcome),
            failure: r.kind,
            detail: r.detail.clone(),
        }
    }

    /// "refresh_failed ✗ failed (credential_expired)".
    pub fn describe(&self) -> String {
        let outcome = super::audit_feed::outcome_label(self.outcome);
        let why = self
            .failure
            .map(|k| k.as_str().to_string())
            .or_else(|| self.detail.clone());
        match why {
            Some(why) => format!("{} {outcome} ({why})", self.event.as_str()),
            None => format!("{} {outcome}", self.event.as_str()),
        }
    }
}

/// One credential's marks in the window, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    pub name: String,
    pub marks: Vec<Mark>,
}

/// The mark Enter opened in the detail pane: the credential's record at
/// that time, and the marks before it on its lane (newest first).
#[derive(Clone, Debug, PartialEq)]
pub struct Picked {
    pub name: String,
    pub mark: Mark,
    pub before: Vec<Mark>,
}

/// How many earlier marks the detail pane shows under a picked one.
const PICKED_CONTEXT: usize = 5;

/// The timeline view's state.
#[derive(Clone, Debug, Default)]
pub struct TimelinePane {
    pub window: Window,
    /// Lanes with at least one mark in the window, by name.
    pub lanes: Vec<Lane>,
    /// The selected mark: (lane, mark within the lane).
    pub cursor: Option<(usize, usize)>,
    /// When the records held start inside the window (the views keep the
    /// newest few thousand): the time from which on the window is whole.
    pub whole_since: Option<DateTime<Utc>>,
    /// The first lane shown (kept by `update`, as the table's first row),
    /// so that a click does not move the lanes under the pointer.
    pub top: usize,
    /// What drawing would otherwise derive per frame, laid out in `update`:
    /// the longest lane name in characters,
    pub name_chars: usize,
    /// each lane's marks in the order they are drawn (least important
    /// first, so that a failure is never hidden under a refresh),
    pub draw_order: Vec<Vec<usize>>,
    /// and how many marks of all lanes fall into each column of the plot
    /// as wide as the frame last told makes it.
    pub density: Vec<u64>,
}

impl TimelinePane {
    pub fn selected(&self) -> Option<(&Lane, &Mark)> {
        let (l, m) = self.cursor?;
        let lane = self.lanes.get(l)?;
        Some((lane, lane.marks.get(m)?))
    }

    /// The selected mark with what led up to it, for the detail pane.
    pub fn picked(&self) -> Option<Picked> {
        let (l, m) = self.cursor?;
        let lane = self.lanes.get(l)?;
        Some(Picked {
            name: lane.name.clone(),
            mark: lane.marks.get(m)?.clone(),
            before: lane.marks[..m]
                .iter()
                .rev()
                .take(PICKED_CONTEXT)
                .cloned()
                .collect(),
        })
    }

    pub fn marks(&self) -> usize {
        self.lanes.iter().map(|l| l.marks.len()).sum()
    }

    /// Lays `records` (in any order) out again for the window ending at
    /// `now`, keeping the same mark selected if it is still in view, else
    /// the newest mark.
    pub fn rebuild(&mut self, records: &[AuditRecord], now: DateTime<Utc>) {
        let focus = self
            .selected()
            .map(|(l, m)| (l.name.clone(), m.at, m.event));
        self.lanes = lanes(records, now, self.window);
        self.name_chars = self
            .lanes
            .iter()
            .map(|l| l.name.chars().count())
            .max()
            .unwrap_or(0);
        self.draw_order = self.lanes.iter().map(draw_order).collect();
        self.cursor = focus
            .and_then(|(name, at, event)| {
                let l = self.lanes.iter().position(|l| l.name == name)?;
                let m = self.lanes[l]
                    .marks
                    .iter()
                    .position(|m| m.at == at && m.event == event)?;
                Some((l, m))
            })
            .or_else(|| newest(&self.lanes));
    }

    /// `h`/`l`: the previous or next mark on the same lane.
    pub fn step(&mut self, forward: bool) {
        let Some((l, m)) = self.cursor else { return };
        let last = self.lanes[l].marks.len().saturating_sub(1);
        let m = if forward {
            (m + 1).min(last)
        } else {
            m.saturating_sub(1)
        };
        self.cursor = Some((l, m));
    }

    /// `j`/`k`: the lane below or above, at the mark nearest in time.
    pub fn change_lane(&mut self, down: bool) {
        let Some((l, m)) = self.cursor else { return };
        let at = self.lanes[l].marks[m].at;
        let target = if down {
            (l + 1).min(self.lanes.len() - 1)
        } else {
            l.saturating_sub(1)
        };
        let nearest = self.lanes[target]
            .marks
            .iter()
            .enumerate()
            .min_by_key(|(_, mk)| (mk.at - at).num_milliseconds().abs())
            .map_or(0, |(i, _)| i);
        self.cursor = Some((target, nearest));
    }
}

/// The records about a credential inside `[now - window, now]`, one lane
/// per credential, lanes by name, marks oldest first. Records about no
/// credential, and records stamped after `now` (another host's clock
/// running ahead), are left out.
pub fn lanes(records: &[AuditRecord], now: DateTime<Utc>, window: Window) -> Vec<Lane> {
    let start = now - window.duration();
    let mut lanes: Vec<Lane> = Vec::new();
    for r in records.iter().filter(|r| r.ts >= start && r.ts <= now) {
        let Some(name) = r.credential.as_deref() else {
            continue;
        };
        match lanes.binary_search_by(|l| l.name.as_str().cmp(name)) {
            Ok(i) => lanes[i].marks.push(Mark::of(r)),
            Err(i) => lanes.insert(
                i,
                Lane {
                    name: name.to_string(),
                    marks: vec![Mark::of(r)],
                },
            ),
        }
    }
    for lane in &mut lanes {
        lane.marks.sort_by_key(|m| m.at);
    }
    lanes
}

/// The column (of `columns`) that `at` falls into on a window ending at
/// `now`: each column is an equal slice of the window, the window's first
/// instant in column 0, `now` itself in the last. None outside the window.
pub fn column(at: DateTime<Utc>, now: DateTime<Utc>, window: Window, columns: u16) -> Option<u16> {
    let span = window.duration().num_milliseconds();
    let offset = (at - (now - window.duration())).num_milliseconds();
    if columns == 0 || offset < 0 || offset > span {
        return None;
    }
    let col = offset as i128 * i128::from(columns) / i128::from(span);
    Some((col as u16).min(columns - 1))
}

/// How many marks of all lanes fall into each of `columns` columns.
pub fn density(lanes: &[Lane], now: DateTime<Utc>, window: Window, columns: u16) -> Vec<u64> {
    let mut counts = vec![0; usize::from(columns)];
    for m in lanes.iter().flat_map(|l| &l.marks) {
        if let Some(c) = column(m.at, now, window, columns) {
            counts[usize::from(c)] += 1;
        }
    }
    counts
}

/// A lane's marks by importance, least first (ties oldest first).
fn draw_order(lane: &Lane) -> Vec<usize> {
    let mut order: Vec<usize> = (0..lane.marks.len()).collect();
    order.sort_by_key(|&i| lane.marks[i].kind);
    order
}

fn newest(lanes: &[Lane]) -> Option<(usize, usize)> {
    lanes
        .iter()
        .enumerate()
        .filter_map(|(l, lane)| Some((l, lane.marks.len().checked_sub(1)?)))
        .max_by_key(|&(l, m)| lanes[l].marks[m].at)
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
mod tests;
