//! What goes into the schedule and what comes out of it.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Observed;
use crate::audit::Event;
use crate::engine::EngineEvent;
use crate::model::{FailureKind, Fingerprint, Zone};

/// The policy knobs of [`Schedule`].
#[derive(Clone, Debug)]
pub(in crate::engine) struct Policy {
    pub concurrency: usize,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    pub rotation_age_days: i64,
}

/// Something that happened, for the schedule to decide on.
#[derive(Debug)]
pub(in crate::engine) enum Input {
    /// Every credential of the store: the engine's first read (`initial`)
    /// or a rescan.
    Listed { creds: Vec<Observed>, initial: bool },
    /// One credential re-read after its file changed; None: it is gone.
    Read {
        name: String,
        cred: Option<Observed>,
    },
    /// A refresh ended.
    Finished {
        name: String,
        latency: Duration,
        result: Refreshed,
    },
    /// The clock moved on: start what is due.
    Tick,
}

/// How a refresh ended.
#[derive(Debug)]
pub(in crate::engine) enum Refreshed {
    /// `refreshed`: new tokens; otherwise another process had already
    /// refreshed it, or it was not due.
    Ok { refreshed: bool, cred: Observed },
    Failed {
        kind: FailureKind,
        message: String,
        /// When the provider said to come back (Retry-After).
        retry_at: Option<DateTime<Utc>>,
        /// The credential as stored after a failure that paused it.
        cred: Option<Observed>,
    },
}

/// A credential changed under the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::engine) enum Change {
    Added,
    /// A new token: someone else's write unless the audit trail shows a
    /// credtop process wrote it (the runner asks the trail).
    Replaced,
    Deleted,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Replaced => "replaced",
            Change::Deleted => "deleted",
        }
    }
}

/// What the runner must do.
#[derive(Debug, PartialEq)]
pub(in crate::engine) enum Effect {
    /// Refresh this credential (in the background; its end is an
    /// [`Input::Finished`]).
    Refresh {
        name: String,
    },
    Emit(EngineEvent),
    /// Note in the lane state when the engine tries again.
    SaveRetryAt {
        name: String,
        at: DateTime<Utc>,
    },
    /// Audit (unless another engine just did) and announce a warning.
    Warn {
        name: String,
        event: Event,
        zone: Zone,
        detail: String,
    },
    /// Audit (unless said before) and announce that the grant of `name`
    /// ends at `cap`.
    WarnCap {
        name: String,
        cap: DateTime<Utc>,
        detail: String,
    },
    /// Audit and announce a change made outside this engine.
    Changed {
        name: String,
        change: Change,
        fingerprint: Option<Fingerprint>,
    },
}
