//! The append-only audit trail: `$CREDTOP_HOME/audit.jsonl`, one JSON object
//! a line, 0600. Records carry a token's fingerprint, never the token.

mod query;

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use query::{AuditRead, parse_duration, read_since, read_tail, scan_tail};

use crate::model::{Credential, FailureKind, Fingerprint};
use crate::store::{StoreError, open_append_0600};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    CredentialLoaded,
    CredentialAdded,
    RefreshAttempted,
    RefreshSucceeded,
    RefreshFailed,
    WarningRaised,
    TokenExpired,
    RevocationDetected,
    LanePaused,
    OperatorNotified,
    LoginStarted,
    LoginCompleted,
    LoginFailed,
    Logout,
    Rotate,
    Revoke,
    ExternalChange,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        // Same order as the enum; a unit test holds them to the serde names.
        EVENT_NAMES[self as usize]
    }
}

const EVENT_NAMES: [&str; 17] = [
    "credential_loaded",
    "credential_added",
    "refresh_attempted",
    "refresh_succeeded",
    "refresh_failed",
    "warning_raised",
    "token_expired",
    "revocation_detected",
    "lane_paused",
    "operator_notified",
    "login_started",
    "login_completed",
    "login_failed",
    "logout",
    "rotate",
    "revoke",
    "external_change",
];

/// Who did it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Cli,
    Dashboard,
    Daemon,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Failed,
    Skipped,
    Info,
}

/// One line of the trail.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuditRecord {
    pub ts: DateTime<Utc>,
    pub event: Event,
    pub credential: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    pub actor: Actor,
    pub pid: u32,
    pub outcome: Outcome,
    /// The typed failure, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<FailureKind>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Fingerprint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_fingerprint: Option<Fingerprint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// A short human sentence; built from typed errors, so never a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl AuditRecord {
    pub fn new(event: Event, actor: Actor, outcome: Outcome) -> Self {
        AuditRecord {
            ts: Utc::now(),
            event,
            credential: None,
            provider: None,
            actor,
            pid: std::process::id(),
            outcome,
            kind: None,
            scopes: Vec::new(),
            expires_at: None,
            fingerprint: None,
            old_fingerprint: None,
            latency_ms: None,
            detail: None,
        }
    }

    /// Fills credential, provider, scopes, expiry and fingerprint from `c`.
    pub fn about(mut self, c: &Credential) -> Self {
        self.credential = Some(c.name.clone());
        self.provider = Some(c.provider.clone());
        self.scopes = c.scopes.clone();
        self.expires_at = c.expires_at;
        self.fingerprint = Some(c.secret.fingerprint());
        self
    }

    pub fn named(mut self, credential: &str) -> Self {
        self.credential = Some(credential.to_string());
        self
    }

    pub fn provider(mut self, provider: &str) -> Self {
        self.provider = Some(provider.to_string());
        self
    }

    pub fn kind(mut self, kind: FailureKind) -> Self {
        self.kind = Some(kind);
        self
    }

    pub fn latency(mut self, d: std::time::Duration) -> Self {
        self.latency_ms = Some(d.as_millis() as u64);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn old_fingerprint(mut self, fp: Fingerprint) -> Self {
        self.old_fingerprint = Some(fp);
        self
    }
}

/// The trail of one home.
#[derive(Clone, Debug)]
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    pub fn new(home: &Path) -> Self {
        AuditLog {
            path: home.join("audit.jsonl"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the trail for appending: what an operation that must be
    /// audited does before it changes anything ("audit or fail"). Holding
    /// the descriptor, its records can then be written whatever happens to
    /// the path meanwhile. Opened like a credential (no symlink, a private
    /// regular file of this user's own).
    pub fn writer(&self) -> Result<AuditWriter, StoreError> {
        match open_append_0600(&self.path) {
            Ok(file) => Ok(AuditWriter {
                file,
                path: self.path.clone(),
            }),
            Err(e) => Err(StoreError::AuditUnwritable {
                path: self.path.clone(),
                reason: e.to_string(),
            }),
        }
    }

    /// Appends one record as one `write` on an `O_APPEND` descriptor, so
    /// lines from concurrent processes never interleave.
    pub fn append(&self, record: &AuditRecord) -> Result<(), StoreError> {
        self.writer()?.append(record)
    }

    /// Appends, and reports a failure to the debug log instead of failing
    /// the operation: only for records of what already happened or failed
    /// (a failure, a warning), never in place of [`Self::writer`] for a
    /// change.
    pub fn record(&self, record: AuditRecord) {
        if let Err(e) = self.append(&record) {
            tracing::error!(error = %e, event = record.event.as_str(), "audit write failed");
        }
    }
}

/// The trail, open for appending (see [`AuditLog::writer`]).
#[derive(Debug)]
pub struct AuditWriter {
    file: std::fs::File,
    path: PathBuf,
}

impl AuditWriter {
    /// One record, one `write(2)`: no interleaving with other processes.
    pub fn append(&mut self, record: &AuditRecord) -> Result<(), StoreError> {
        let mut line = serde_json::to_vec(record).expect("audit records serialize");
        line.push(b'\n');
        self.file
            .write_all(&line)
            .map_err(|e| StoreError::AuditUnwritable {
                path: self.path.clone(),
                reason: e.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_match_their_serde_names() {
        for (i, name) in EVENT_NAMES.iter().enumerate() {
            let json = format!("\"{name}\"");
            let ev: Event = serde_json::from_str(&json).unwrap();
            assert_eq!(ev as usize, i);
            assert_eq!(ev.as_str(), *name);
        }
    }

    #[test]
    fn an_unusable_trail_is_a_typed_error_before_anything_is_written() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join("audit.jsonl")).unwrap();
        let log = AuditLog::new(home.path());
        assert!(matches!(
            log.writer(),
            Err(StoreError::AuditUnwritable { .. })
        ));
        let rec = AuditRecord::new(Event::Logout, Actor::Cli, Outcome::Ok);
        assert!(matches!(
            log.append(&rec),
            Err(StoreError::AuditUnwritable { .. })
        ));
    }
}
