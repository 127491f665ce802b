//! The persisted state of one credential's refresh lane,
//! `state/<name>.json`: why it is failing and whether it is paused. Shared
//! by every process (the daemon, the dashboard, `credtop token`), so a
//! revoked grant shows as revoked everywhere and survives restarts. No
//! file means a healthy lane.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Credential, FailureKind, Fingerprint, Name, Status};
use crate::store::{StoreError, ensure_private_dir, fleet_docs, read_private, write_atomic};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LaneState {
    pub kind: FailureKind,
    pub message: String,
    pub since: DateTime<Utc>,
    pub retry_at: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    /// Paused lanes are not retried until the credential changes.
    pub paused: bool,
    /// The credential the failure was about; a new one (a login, a
    /// rotation by hand) clears the lane.
    pub fingerprint: Fingerprint,
}

impl LaneState {
    /// The status this lane imposes on its credential, if it still applies.
    pub fn status_for(&self, cred: &Credential) -> Option<Status> {
        (self.fingerprint == cred.secret.fingerprint())
            .then(|| Status::from_failure(self.kind, self.retry_at))
    }

    /// Whether a failure of this kind stops the lane until the operator
    /// acts: a grant that is gone or refused. A config error (invalid_client,
    /// a providers.toml mistake) is ours to fix and says nothing about the
    /// grant: the lane keeps trying, with backoff, and a fixed config
    /// resumes it without a new login.
    pub fn pauses(kind: FailureKind) -> bool {
        !kind.is_retryable() && kind != FailureKind::ConfigError
    }
}

fn dir(home: &Path) -> PathBuf {
    home.join("state")
}

fn path(home: &Path, name: &Name) -> PathBuf {
    dir(home).join(name.file_name(".json"))
}

/// The names that have a lane state file: one directory read instead of a
/// failed open per healthy credential, when reading many. In a fleet the
/// states live in etcd, not in files: `None`, ask [`load`] for each.
pub fn present(home: &Path) -> Option<std::collections::HashSet<String>> {
    if fleet_docs(home).is_some() {
        return None;
    }
    Some(names_in(&dir(home), ".json"))
}

/// The file names in `dir` ending in `suffix`, without it.
pub(super) fn names_in(dir: &Path, suffix: &str) -> std::collections::HashSet<String> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_suffix(suffix).map(str::to_string)
        })
        .collect()
}

/// In a fleet, lane states are shared (a grant revoked is revoked for every
/// host): they live beside the credentials in etcd, never in local files.
pub fn load(home: &Path, name: &str) -> Option<LaneState> {
    let parsed = Name::parse(name).ok()?;
    let bytes = match fleet_docs(home) {
        Some(fleet) => fleet.ok()?.read_doc("state", name).ok()??,
        None => read_private(&path(home, &parsed)).ok()?,
    };
    serde_json::from_slice(&bytes).ok()
}

pub fn save(home: &Path, name: &str, state: &LaneState) -> Result<(), StoreError> {
    let parsed = Name::parse(name).map_err(StoreError::InvalidName)?;
    let bytes = serde_json::to_vec_pretty(state).expect("lane state serializes");
    if let Some(fleet) = fleet_docs(home) {
        return fleet?.write_doc("state", name, &bytes);
    }
    ensure_private_dir(&dir(home))?;
    write_atomic(&path(home, &parsed), &bytes)
}

pub fn clear(home: &Path, name: &str) {
    let Ok(parsed) = Name::parse(name) else {
        return;
    };
    match fleet_docs(home) {
        Some(Ok(fleet)) => {
            // Only when there is one: a refresh clears the lane every time.
            if fleet.read_doc("state", name).ok().flatten().is_some()
                && let Err(e) = fleet.remove_doc("state", name)
            {
                tracing::warn!(error = %e, credential = %name, "lane state not cleared");
            }
        }
        Some(Err(e)) => tracing::warn!(error = %e, credential = %name, "lane state not cleared"),
        None => {
            let _ = std::fs::remove_file(path(home, &parsed));
        }
    }
}

/// Notes when the engine will try again, for a lane that is failing but
/// not paused (the failure itself may not have said, as a 500 without
/// Retry-After does not).
pub fn set_retry_at(home: &Path, name: &str, at: DateTime<Utc>) {
    let Some(mut state) = load(home, name).filter(|s| !s.paused) else {
        return;
    };
    if state.retry_at.is_some_and(|r| r >= at) {
        return;
    }
    state.retry_at = Some(at);
    if let Err(e) = save(home, name, &state) {
        tracing::warn!(error = %e, credential = %name, "lane retry time not saved");
    }
}

/// Records a failure; returns the new state and whether this failure
/// paused a lane that was running (the moment to alert, exactly once).
pub fn record_failure(
    home: &Path,
    cred: &Credential,
    kind: FailureKind,
    message: &str,
    retry_at: Option<DateTime<Utc>>,
) -> (LaneState, bool) {
    let previous = load(home, &cred.name).filter(|s| s.fingerprint == cred.secret.fingerprint());
    let was_paused = previous.as_ref().is_some_and(|p| p.paused);
    let state = LaneState {
        kind,
        message: message.to_string(),
        since: previous.as_ref().map_or_else(Utc::now, |p| p.since),
        retry_at,
        consecutive_failures: previous.map_or(1, |p| p.consecutive_failures + 1),
        // Once paused, a passing failure (a network error on an explicit
        // retry) does not resume the lane: only a success or a new
        // credential does.
        paused: LaneState::pauses(kind) || was_paused,
        fingerprint: cred.secret.fingerprint(),
    };
    if let Err(e) = save(home, &cred.name, &state) {
        tracing::error!(error = %e, credential = %cred.name, "lane state not saved");
    }
    let newly_paused = state.paused && !was_paused;
    (state, newly_paused)
}
