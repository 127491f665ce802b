//! The records the audit view and the timeline show, kept as the trail
//! grows: opening either view reads the trail's last few megabytes once;
//! while one is open, the tick asks for what was appended since, which
//! [`Follower`] reads from where it stopped. An idle trail costs a stat a
//! second; nothing is read twice.

use std::sync::Mutex;

use super::msg::Msg;
use crate::audit::{AuditLog, AuditRead, AuditRecord, Follower, Outcome};

/// How many audit records the views hold (the newest ones).
pub const AUDIT_KEPT: usize = 5_000;
/// How much of the trail's end is read when a view opens (records are a
/// few hundred bytes: more than the views keep).
const AUDIT_VIEW_BYTES: u64 = 4 << 20;

#[derive(Default)]
pub struct AuditFeed {
    /// Where the last read stopped; None until a view was opened.
    follower: Mutex<Option<Follower>>,
}

impl AuditFeed {
    /// Reads the trail's end afresh and follows it from there on.
    pub fn load(&self, log: &AuditLog, send: impl FnOnce(Msg)) {
        let mut slot = self.follower.lock().unwrap_or_else(|p| p.into_inner());
        let polled = Follower::starting_near(log, AUDIT_VIEW_BYTES).and_then(|mut f| {
            let lines = f.poll()?.lines;
            Ok((f, lines))
        });
        match polled {
            Ok((follower, lines)) => {
                *slot = Some(follower);
                // Sent under the lock: a poll cannot overtake the load.
                send(Msg::AuditLoaded(parse(lines)));
            }
            Err(e) => send(Msg::Notice {
                ok: false,
                text: format!("cannot read the audit trail: {e}"),
            }),
        }
    }

    /// What was appended since the last look, if anything: appended
    /// records, or everything again when the trail was cut or replaced.
    pub fn poll(&self, send: impl FnOnce(Msg)) {
        let mut slot = self.follower.lock().unwrap_or_else(|p| p.into_inner());
        let Some(follower) = slot.as_mut() else {
            return;
        };
        match follower.poll() {
            Ok(appended) if appended.restarted => send(Msg::AuditLoaded(parse(appended.lines))),
            Ok(appended) if appended.lines.is_empty() => {}
            Ok(appended) => send(Msg::AuditAppended(parse(appended.lines))),
            Err(e) => send(Msg::Notice {
                ok: false,
                text: format!("cannot follow the audit trail: {e}"),
            }),
        }
    }
}

/// A record's outcome as both views write it: a symbol, then a word.
pub fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Ok => "✓ ok",
        Outcome::Failed => "✗ failed",
        Outcome::Skipped => "- skip",
        Outcome::Info => "· info",
    }
}

/// The records of `lines`, oldest first, at most [`AUDIT_KEPT`] of them;
/// a line that does not parse is counted, never shown.
fn parse(lines: Vec<Vec<u8>>) -> AuditRead {
    let mut read = AuditRead::default();
    for line in lines.iter().filter(|l| !l.trim_ascii().is_empty()) {
        match serde_json::from_slice::<AuditRecord>(line) {
            Ok(r) => read.records.push(r),
            Err(_) => read.unreadable_lines += 1,
        }
    }
    let excess = read.records.len().saturating_sub(AUDIT_KEPT);
    read.records.drain(..excess);
    read
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Actor, Event, Outcome};

    fn append(log: &AuditLog, name: &str) {
        let mut r = AuditRecord::new(Event::RefreshSucceeded, Actor::Daemon, Outcome::Ok);
        r.credential = Some(name.into());
        log.append(&r).unwrap();
    }

    fn names(msg: &Msg) -> Vec<String> {
        let (Msg::AuditLoaded(read) | Msg::AuditAppended(read)) = msg else {
            panic!("not records: {msg:?}");
        };
        read.records
            .iter()
            .map(|r| r.credential.clone().unwrap_or_default())
            .collect()
    }

    #[test]
    fn a_load_reads_the_trail_and_polls_read_only_what_was_appended() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path());
        let feed = AuditFeed::default();
        let mut got = Vec::new();
        feed.poll(|m| got.push(m));
        assert!(got.is_empty(), "nothing is followed before a view opens");
        append(&log, "a");
        append(&log, "b");
        feed.load(&log, |m| got.push(m));
        assert!(matches!(got[0], Msg::AuditLoaded(_)));
        assert_eq!(names(&got[0]), ["a", "b"]);
        feed.poll(|m| got.push(m));
        assert_eq!(got.len(), 1, "an idle trail sends nothing");
        append(&log, "c");
        std::fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .and_then(|mut f| std::io::Write::write_all(&mut f, b"not json\n"))
            .unwrap();
        feed.poll(|m| got.push(m));
        assert!(matches!(got[1], Msg::AuditAppended(_)));
        assert_eq!(names(&got[1]), ["c"]);
        let Msg::AuditAppended(read) = &got[1] else {
            unreachable!()
        };
        assert_eq!(read.unreadable_lines, 1);
        // Cut short (replaced): everything again, as a load.
        std::fs::write(log.path(), b"").unwrap();
        append(&log, "d");
        feed.poll(|m| got.push(m));
        assert!(matches!(got[2], Msg::AuditLoaded(_)));
        assert_eq!(names(&got[2]), ["d"]);
    }
}
