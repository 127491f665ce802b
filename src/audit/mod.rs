//! The append-only audit trail: `$CREDTOP_HOME/audit.jsonl`, one JSON object
//! a line, 0600. Records carry a token's fingerprint, never the token.

mod caller;
mod chain;
mod follow;
mod query;

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use caller::Caller;
pub use chain::{Break, Head, Verifier};
pub use follow::{Appended, Follower, RecordFilter, Verification, verify};
pub use query::{AuditRead, parse_duration, read_since, read_tail, scan_tail};

use crate::model::{Credential, FailureKind, Fingerprint};
use crate::store::{StoreError, open_append_0600, open_rw_0600};

/// A record longer than this cannot be the last line of a sane trail; the
/// chain refuses to hash past it rather than read an unbounded file.
const MAX_RECORD: u64 = 1 << 20;

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
    /// A secret left credtop for a process (`token`, `exec --parent`,
    /// `git-credential`, `mcp exec`), with who asked and for which task.
    SecretRead,
    /// A child token was obtained by RFC 8693 token exchange (`exec`).
    TokenExchanged,
    /// A child token was revoked (RFC 7009) when its command ended.
    ChildTokenRevoked,
    FleetPushed,
    FleetPulled,
    FleetRekeyed,
    McpSession,
}

impl Event {
    /// The event named `name` as the trail writes it (`refresh_failed`).
    pub fn from_name(name: &str) -> Option<Event> {
        serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
    }

    pub fn names() -> &'static [&'static str] {
        &EVENT_NAMES
    }

    pub fn as_str(self) -> &'static str {
        // Same order as the enum; a unit test holds them to the serde names.
        EVENT_NAMES[self as usize]
    }
}

const EVENT_NAMES: [&str; 24] = [
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
    "secret_read",
    "token_exchanged",
    "child_token_revoked",
    "fleet_pushed",
    "fleet_pulled",
    "fleet_rekeyed",
    "mcp_session",
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
    /// The task label of `--task` or `CREDTOP_TASK`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// The process that asked for a secret (`secret_read`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<Caller>,
    /// The audience a child token is bound to (`token_exchanged`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// The token a child token was exchanged from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_fingerprint: Option<Fingerprint>,
    /// In a fleet (`store = "etcd"`), the host that did it: each host keeps
    /// its own trail, and records name their host wherever they end up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// `mcp_session`: the bridge's client, parent process and counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<serde_json::Value>,
    /// The hard end of the credential's grant, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_expires_at: Option<DateTime<Utc>>,
    /// What a warning is about when it is not the token's zone:
    /// `grant_cap` (the grant ends at `refresh_expires_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
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
            task: None,
            caller: None,
            audience: None,
            parent_fingerprint: None,
            host: None,
            session: None,
            refresh_expires_at: None,
            reason: None,
        }
    }

    /// Fills credential, provider, scopes, expiry and fingerprint from `c`.
    pub fn about(mut self, c: &Credential) -> Self {
        self.credential = Some(c.name.clone());
        self.provider = Some(c.provider.clone());
        self.scopes = c.scopes.clone();
        self.expires_at = c.expires_at;
        self.refresh_expires_at = c.refresh_expires_at;
        self.fingerprint = Some(c.secret.fingerprint());
        self
    }

    pub fn reason(mut self, reason: &str) -> Self {
        self.reason = Some(reason.to_string());
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

    pub fn session(mut self, session: serde_json::Value) -> Self {
        self.session = Some(session);
        self
    }

    pub fn old_fingerprint(mut self, fp: Fingerprint) -> Self {
        self.old_fingerprint = Some(fp);
        self
    }

    pub fn task(mut self, task: Option<&str>) -> Self {
        self.task = task.map(str::to_string);
        self
    }

    pub fn caller(mut self, caller: Caller) -> Self {
        self.caller = Some(caller);
        self
    }
}

/// The trail of one home.
#[derive(Clone, Debug)]
pub struct AuditLog {
    path: PathBuf,
    /// The fleet host name, read from config.toml at the first write.
    host: std::sync::Arc<std::sync::OnceLock<Option<String>>>,
}

impl AuditLog {
    pub fn new(home: &Path) -> Self {
        AuditLog {
            path: home.join("audit.jsonl"),
            host: Default::default(),
        }
    }

    /// Tells the trail the fleet host from a config already read (the
    /// store's), so appends need not read config.toml again: `credtop
    /// token` appends on every call. Ignored once the host is known.
    pub fn seed_host(&self, config: &crate::store::Config) {
        let _ = self.host.set(crate::store::fleet_host(config));
    }

    fn host(&self) -> Option<String> {
        self.host
            .get_or_init(|| {
                let home = self.path.parent()?;
                crate::store::fleet_host(&crate::store::Config::load(home).ok()?)
            })
            .clone()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `audit.head`: the trail's length and last hash after the last append.
    pub fn head_path(&self) -> PathBuf {
        self.path.with_file_name("audit.head")
    }

    /// What `audit.head` remembers, when it exists and parses.
    pub fn head(&self) -> Option<Head> {
        let bytes = crate::store::read_private(&self.head_path()).ok()?;
        Head::parse(std::str::from_utf8(&bytes).ok()?)
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
                host: self.host(),
            }),
            Err(e) => Err(StoreError::AuditUnwritable {
                path: self.path.clone(),
                reason: e.to_string(),
            }),
        }
    }

    /// Appends one record, chained to the one before it (see
    /// [`AuditWriter::append`]).
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
    file: File,
    path: PathBuf,
    /// The fleet host, written into records that do not name one.
    host: Option<String>,
}

impl AuditWriter {
    /// Appends one record, chained to the one before it (see `chain`).
    ///
    /// Appenders from every process (daemon, dashboard, each CLI call) take
    /// an exclusive lock on the trail, read its last line, and write the new
    /// line with one `write` on an `O_APPEND` descriptor, so the chain stays
    /// one chain and lines never interleave.
    pub fn append(&mut self, record: &AuditRecord) -> Result<(), StoreError> {
        let encoded = match (&record.host, &self.host) {
            (None, Some(host)) => serde_json::to_vec(&AuditRecord {
                host: Some(host.clone()),
                ..record.clone()
            }),
            _ => serde_json::to_vec(record),
        };
        let json = encoded.map_err(|e| self.unwritable(&e.to_string()))?;
        self.file
            .lock()
            .map_err(|e| self.unwritable(&e.to_string()))?;
        let appended = self.append_locked(json);
        // Closing the descriptor would release it too; the writer may live on.
        let _ = self.file.unlock();
        appended
    }

    fn append_locked(&self, json: Vec<u8>) -> Result<(), StoreError> {
        let io = |e: std::io::Error| self.unwritable(&e.to_string());
        let len = self.file.metadata().map_err(io)?.len();
        let last = last_line(&self.file, len).map_err(io)?;
        let mut bytes = Vec::with_capacity(json.len() + 140);
        // A torn last line (a writer died mid-write) is closed, not
        // continued: it stays visible to `audit verify` as what it is.
        if last.as_ref().is_some_and(|l| !l.complete) {
            bytes.push(b'\n');
        }
        let prev = chain::next_prev(last.as_ref().map(|l| l.bytes.as_slice()));
        let line = chain::seal(json, &prev);
        bytes.extend_from_slice(&line);
        bytes.push(b'\n');
        (&self.file).write_all(&bytes).map_err(io)?;
        self.write_head(&Head {
            len: len + bytes.len() as u64,
            last_hash: chain::next_prev(Some(&line)),
        })
    }

    fn write_head(&self, head: &Head) -> Result<(), StoreError> {
        let path = self.path.with_file_name("audit.head");
        let file = open_rw_0600(&path)?;
        let text = head.render();
        file.write_all_at(text.as_bytes(), 0)
            .and_then(|()| file.set_len(text.len() as u64))
            .map_err(|e| StoreError::io(&path, e))
    }

    fn unwritable(&self, reason: &str) -> StoreError {
        StoreError::AuditUnwritable {
            path: self.path.clone(),
            reason: reason.to_string(),
        }
    }
}

struct LastLine {
    bytes: Vec<u8>,
    /// Ends in a newline (a whole record rather than a torn write).
    complete: bool,
}

/// The trail's last line, read backwards from its end in blocks.
fn last_line(file: &File, len: u64) -> std::io::Result<Option<LastLine>> {
    if len == 0 {
        return Ok(None);
    }
    let mut tail: Vec<u8> = Vec::new();
    let mut pos = len;
    loop {
        let step = pos.min(4096);
        pos -= step;
        let mut block = vec![0u8; step as usize];
        file.read_exact_at(&mut block, pos)?;
        block.extend_from_slice(&tail);
        tail = block;
        let complete = tail.last() == Some(&b'\n');
        let body = if complete {
            &tail[..tail.len() - 1]
        } else {
            &tail[..]
        };
        if let Some(i) = body.iter().rposition(|b| *b == b'\n') {
            return Ok(Some(LastLine {
                bytes: body[i + 1..].to_vec(),
                complete,
            }));
        }
        if pos == 0 {
            return Ok(Some(LastLine {
                bytes: body.to_vec(),
                complete,
            }));
        }
        if (len - pos) > MAX_RECORD {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the last audit record is longer than 1 MiB",
            ));
        }
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
