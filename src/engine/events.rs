//! What the engine is configured with, and what it tells the audit log,
//! the daemon's log and the dashboard.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::{FailureKind, Zone};

#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// At most this many refreshes in flight, so that a hundred credentials
    /// expiring together do not become a storm.
    pub concurrency: usize,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    pub debounce: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            concurrency: 8,
            backoff_base: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(300),
            debounce: Duration::from_millis(250),
        }
    }
}

/// What the engine tells the audit log, the daemon's log and the dashboard.
#[derive(Clone, Debug, PartialEq)]
pub enum EngineEvent {
    Loaded {
        count: usize,
    },
    RefreshStarted {
        name: String,
    },
    RefreshSucceeded {
        name: String,
        latency: Duration,
        expires_at: Option<DateTime<Utc>>,
    },
    /// Another process refreshed it first (the lock made us wait).
    RefreshNotNeeded {
        name: String,
    },
    RefreshFailed {
        name: String,
        kind: FailureKind,
        message: String,
        /// When the engine tries again (None: paused).
        retry_at: Option<DateTime<Utc>>,
        latency: Duration,
    },
    LanePaused {
        name: String,
        kind: FailureKind,
    },
    /// A credential credtop cannot refresh (not refreshable, or its lane
    /// paused) entered its danger zone or expired, or a key without expiry
    /// passed the rotation age (`zone: None`).
    Warning {
        name: String,
        zone: Zone,
    },
    ExternalChange {
        name: String,
        change: &'static str,
    },
    /// A credential's file or lane state changed and the engine read it
    /// again, whoever wrote it (this engine, another credtop process,
    /// another tool): a view showing it reads it again too.
    CredentialChanged {
        name: String,
    },
    /// In a fleet: another host refreshed (or replaced) `name`.
    RefreshedElsewhere {
        name: String,
        host: String,
    },
    Stopped,
}
