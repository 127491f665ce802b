use std::io::{BufRead, BufReader};

use chrono::{DateTime, Utc};

use super::{AuditLog, AuditRecord, Event};
use crate::store::{StoreError, open_private};

/// What reading the trail found.
#[derive(Debug, Default)]
pub struct AuditRead {
    pub records: Vec<AuditRecord>,
    /// Lines that did not parse (counted, never echoed: they might hold
    /// anything).
    pub unreadable_lines: usize,
}

/// Records at or after `since`, oldest first.
pub fn read_since(log: &AuditLog, since: Option<DateTime<Utc>>) -> Result<AuditRead, StoreError> {
    let path = log.path();
    let file = match open_private(path) {
        Ok(f) => f,
        Err(StoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Ok(AuditRead::default());
        }
        Err(e) => return Err(e),
    };
    let mut read = AuditRead::default();
    for line in BufReader::new(file).lines() {
        let line = line.map_err(|e| StoreError::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<AuditRecord>(&line) {
            Ok(r) if since.is_none_or(|s| r.ts >= s) => read.records.push(r),
            Ok(_) => {}
            Err(_) => read.unreadable_lines += 1,
        }
    }
    Ok(read)
}

/// The records in the last `max_bytes` of the trail (at or after `since`),
/// oldest first: what the dashboard's audit view and the engine's
/// "was that our write?" check need, at a cost that does not grow with the
/// trail, which is append-only and grows for ever.
pub fn read_tail(
    log: &AuditLog,
    since: Option<DateTime<Utc>>,
    max_bytes: u64,
) -> Result<AuditRead, StoreError> {
    let mut read = AuditRead::default();
    tail_lines(log, max_bytes, |line| {
        match serde_json::from_slice::<AuditRecord>(line) {
            Ok(r) if since.is_none_or(|s| r.ts >= s) => read.records.push(r),
            Ok(_) => {}
            Err(_) => read.unreadable_lines += 1,
        }
    })?;
    Ok(read)
}

/// Calls `each`, oldest first, with the records in the last `max_bytes` of
/// the trail whose line contains one of `events` (quoted, as the trail
/// writes event names): the others are not even parsed, and nothing is
/// collected, so scanning a large trail costs no memory.
pub fn scan_tail(
    log: &AuditLog,
    max_bytes: u64,
    events: &[Event],
    mut each: impl FnMut(AuditRecord),
) -> Result<(), StoreError> {
    let needles: Vec<String> = events
        .iter()
        .map(|e| format!("\"{}\"", e.as_str()))
        .collect();
    let finders: Vec<memchr::memmem::Finder<'_>> = needles
        .iter()
        .map(|n| memchr::memmem::Finder::new(n.as_bytes()))
        .collect();
    tail_lines(log, max_bytes, |line| {
        let wanted = finders.iter().any(|f| f.find(line).is_some());
        if let Some(r) = wanted
            .then(|| serde_json::from_slice::<AuditRecord>(line).ok())
            .flatten()
            .filter(|r| events.contains(&r.event))
        {
            each(r);
        }
    })
}

/// Each non-blank line in the last `max_bytes` of the trail.
fn tail_lines(
    log: &AuditLog,
    max_bytes: u64,
    mut each: impl FnMut(&[u8]),
) -> Result<(), StoreError> {
    use std::io::{Read, Seek, SeekFrom};
    let path = log.path();
    let mut file = match open_private(path) {
        Ok(f) => f,
        Err(StoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let len = file.metadata().map_err(|e| StoreError::io(path, e))?.len();
    let start = len.saturating_sub(max_bytes);
    file.seek(SeekFrom::Start(start))
        .map_err(|e| StoreError::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(max_bytes)
        .read_to_end(&mut bytes)
        .map_err(|e| StoreError::io(path, e))?;
    // Started mid-line: that partial line is not a record.
    let body = if start > 0 {
        bytes
            .iter()
            .position(|b| *b == b'\n')
            .map_or(&bytes[..0], |i| &bytes[i + 1..])
    } else {
        &bytes[..]
    };
    for line in body.split(|b| *b == b'\n') {
        if !line.iter().all(u8::is_ascii_whitespace) {
            each(line);
        }
    }
    Ok(())
}

/// Lives in `model`: providers.toml's `session_cap` is read with it too.
pub use crate::model::parse_duration;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn the_tail_holds_only_whole_recent_records() {
        use crate::audit::{Actor, Event, Outcome};
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path());
        for i in 0..2000 {
            log.append(
                &AuditRecord::new(Event::RefreshSucceeded, Actor::Daemon, Outcome::Ok)
                    .named(&format!("c{i:04}")),
            )
            .unwrap();
        }
        let all = read_since(&log, None).unwrap();
        let tail = read_tail(&log, None, 16 * 1024).unwrap();
        assert_eq!(tail.unreadable_lines, 0, "the cut line is not counted");
        assert!(tail.records.len() > 10 && tail.records.len() < 2000);
        let n = tail.records.len();
        assert_eq!(
            tail.records.last().unwrap().credential,
            all.records.last().unwrap().credential
        );
        assert_eq!(
            tail.records[0].credential,
            all.records[all.records.len() - n].credential
        );
        let whole = read_tail(&log, None, 1 << 30).unwrap();
        assert_eq!(whole.records.len(), 2000);
    }

    #[test]
    fn a_scan_yields_only_the_events_asked_for() {
        use crate::audit::{Actor, Event, Outcome};
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path());
        let rec = |e, name: &str, detail: &str| {
            log.append(
                &AuditRecord::new(e, Actor::Daemon, Outcome::Info)
                    .named(name)
                    .detail(detail),
            )
            .unwrap();
        };
        rec(Event::TokenExpired, "a", "");
        // Names the event in its text, but is another event.
        rec(Event::RefreshFailed, "b", "\"token_expired\"");
        rec(Event::WarningRaised, "c", "");
        rec(Event::TokenExpired, "d", "");
        let mut seen = Vec::new();
        scan_tail(&log, 1 << 20, &[Event::TokenExpired], |r| {
            seen.push(r.credential.unwrap())
        })
        .unwrap();
        assert_eq!(seen, ["a", "d"]);
    }

    #[test]
    fn absurd_durations_are_errors_not_panics() {
        assert!(parse_duration("99999999999999999s").is_err());
        assert!(parse_duration("9223372036854775807w").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }

    #[test]
    fn durations_in_the_forms_operators_type() {
        assert_eq!(parse_duration("1h").unwrap(), Duration::hours(1));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::minutes(90));
        assert_eq!(parse_duration("2d").unwrap(), Duration::days(2));
        for bad in ["", "h", "10", "5x", "0s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
