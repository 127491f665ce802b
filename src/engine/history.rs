//! The refresh history of each credential: `history/<name>.jsonl`, one line
//! per attempt (time, outcome, failure kind, latency, who tried), written by
//! whichever credtop process made the attempt and kept across restarts. The
//! dashboard's detail pane reads the last few. The file is appended to and,
//! once it has grown past a bound, rewritten atomically with only its tail,
//! so it never grows without limit.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::Actor;
use crate::model::{FailureKind, Name};
use crate::store::{
    StoreError, ensure_private_dir, fleet_docs, open_append_0600, read_private, write_atomic,
};

/// Attempts kept when the file is trimmed.
pub const KEEP: usize = 50;
/// Size past which the file is trimmed to its last `KEEP` lines.
const TRIM_AT: u64 = 32 * 1024;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub ts: DateTime<Utc>,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<FailureKind>,
    pub latency_ms: u64,
    pub actor: Actor,
}

fn path(home: &Path, name: &Name) -> PathBuf {
    home.join("history").join(name.file_name(".jsonl"))
}

/// The names that have a refresh history; in a fleet (histories live in
/// etcd) `None`: ask [`last`] for each.
pub fn present(home: &Path) -> Option<std::collections::HashSet<String>> {
    if fleet_docs(home).is_some() {
        return None;
    }
    Some(super::lane::names_in(&home.join("history"), ".jsonl"))
}

/// Appends one attempt.
pub fn record(home: &Path, name: &str, attempt: &Attempt) -> Result<(), StoreError> {
    let parsed = Name::parse(name).map_err(StoreError::InvalidName)?;
    let mut line = serde_json::to_vec(attempt).expect("attempts serialize");
    // In a fleet every host's attempts go to one shared history.
    if let Some(fleet) = fleet_docs(home) {
        return fleet?.append_doc_line("history", name, &line, KEEP);
    }
    ensure_private_dir(&home.join("history"))?;
    let path = path(home, &parsed);
    line.push(b'\n');
    let mut file = open_append_0600(&path)?;
    file.write_all(&line)
        .map_err(|e| StoreError::io(&path, e))?;
    let len = file.metadata().map_err(|e| StoreError::io(&path, e))?.len();
    drop(file);
    if len > TRIM_AT {
        let tail = last(home, name, KEEP);
        let mut bytes = Vec::new();
        for a in tail.iter().rev() {
            bytes.extend(serde_json::to_vec(a).expect("attempts serialize"));
            bytes.push(b'\n');
        }
        write_atomic(&path, &bytes)?;
    }
    Ok(())
}

/// The last `n` attempts, newest first. A missing or unreadable file is an
/// empty history; a torn last line (a writer killed mid-append) is skipped.
pub fn last(home: &Path, name: &str, n: usize) -> Vec<Attempt> {
    let read = match fleet_docs(home) {
        Some(_) if Name::parse(name).is_err() => return Vec::new(),
        Some(fleet) => fleet
            .and_then(|f| f.read_doc("history", name))
            .map(Option::unwrap_or_default),
        None => Name::parse(name)
            .map_err(StoreError::InvalidName)
            .and_then(|n| read_private(&path(home, &n))),
    };
    let Ok(bytes) = read else {
        return Vec::new();
    };
    bytes
        .split(|b| *b == b'\n')
        .rev()
        .filter_map(|line| serde_json::from_slice(line).ok())
        .take(n)
        .collect()
}

/// Forgets a credential's history (it was revoked or logged out).
pub fn forget(home: &Path, name: &str) {
    let Ok(parsed) = Name::parse(name) else {
        return;
    };
    match fleet_docs(home) {
        Some(fleet) => {
            let _ = fleet.and_then(|f| f.remove_doc("history", name));
        }
        None => {
            let _ = std::fs::remove_file(path(home, &parsed));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(i: u64, ok: bool) -> Attempt {
        Attempt {
            ts: DateTime::from_timestamp(1_700_000_000 + i as i64, 0).unwrap(),
            ok,
            kind: (!ok).then_some(FailureKind::Transient),
            latency_ms: i,
            actor: Actor::Daemon,
        }
    }

    #[test]
    fn newest_first_and_bounded_on_disk() {
        let home = tempfile::tempdir().unwrap();
        for i in 0..1000 {
            record(home.path(), "acme", &attempt(i, i % 7 != 0)).unwrap();
        }
        let got = last(home.path(), "acme", 3);
        assert_eq!(
            got.iter().map(|a| a.latency_ms).collect::<Vec<_>>(),
            [999, 998, 997]
        );
        let size = std::fs::metadata(path(home.path(), &Name::parse("acme").unwrap()))
            .unwrap()
            .len();
        assert!(size <= TRIM_AT + 200, "history trimmed, {size} bytes");
        assert!(last(home.path(), "acme", 1000).len() >= KEEP);
    }

    #[test]
    fn a_torn_line_is_skipped_and_a_missing_file_is_empty() {
        let home = tempfile::tempdir().unwrap();
        assert!(last(home.path(), "none", 5).is_empty());
        record(home.path(), "acme", &attempt(1, true)).unwrap();
        let p = path(home.path(), &Name::parse("acme").unwrap());
        let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"{\"ts\":\"2024-").unwrap();
        let got = last(home.path(), "acme", 5);
        assert_eq!(got, vec![attempt(1, true)]);
    }
}
