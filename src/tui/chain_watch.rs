//! The audit trail's hash chain, checked as the trail grows: only the
//! bytes appended since the last look are read and fed to
//! [`Verifier`], never the whole trail again.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::audit::{Head, Verifier};

#[derive(Default)]
pub struct ChainWatch {
    verifier: Verifier,
    /// Bytes of the trail already fed.
    offset: u64,
    /// The start of a line not yet ended by its newline.
    partial: Vec<u8>,
    shrank: Option<String>,
}

impl ChainWatch {
    /// Feeds what was appended to `trail` since the last call; returns why
    /// the chain is broken, if it is. `head` is `audit.head`'s text.
    pub fn poll(&mut self, trail: &Path, head: Option<&str>) -> Option<String> {
        if let Some(why) = &self.shrank {
            return Some(why.clone());
        }
        let Ok(mut file) = File::open(trail) else {
            return self.broken();
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len < self.offset {
            let why = format!(
                "the trail is shorter than when it was last read ({len} < {} bytes): records were cut",
                self.offset
            );
            self.shrank = Some(why.clone());
            return Some(why);
        }
        let mut added = Vec::new();
        if file.seek(SeekFrom::Start(self.offset)).is_ok() {
            let _ = file.read_to_end(&mut added);
        }
        self.offset += added.len() as u64;
        self.partial.extend_from_slice(&added);
        let complete = self.partial.iter().rposition(|b| *b == b'\n');
        if let Some(end) = complete {
            let rest = self.partial.split_off(end + 1);
            for line in self
                .partial
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
            {
                self.verifier.feed(line);
            }
            self.partial = rest;
            if self.partial.is_empty() {
                let head = head.and_then(Head::parse);
                self.verifier.check_head(head.as_ref(), self.offset);
            }
        }
        self.broken()
    }

    fn broken(&self) -> Option<String> {
        self.verifier.broken().map(|b| b.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Actor, AuditLog, AuditRecord, Event, Outcome};

    fn append(log: &AuditLog, n: usize) {
        for _ in 0..n {
            log.record(
                AuditRecord::new(Event::CredentialLoaded, Actor::Cli, Outcome::Info).named("k"),
            );
        }
    }

    #[test]
    fn appends_are_checked_incrementally_and_an_edit_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path());
        append(&log, 3);
        let head = || std::fs::read_to_string(log.head_path()).ok();
        let mut watch = ChainWatch::default();
        assert_eq!(watch.poll(log.path(), head().as_deref()), None);
        let first = watch.offset;
        append(&log, 2);
        assert_eq!(watch.poll(log.path(), head().as_deref()), None);
        assert!(watch.offset > first, "only the appended bytes are read");
        assert_eq!(watch.verifier.chained(), 5);
        // A record appended by hand, without a hash, breaks the chain.
        let mut text = std::fs::read_to_string(log.path()).unwrap();
        text.push_str("{\"event\":\"refresh_succeeded\"}\n");
        std::fs::write(log.path(), text).unwrap();
        let why = watch.poll(log.path(), head().as_deref()).expect("broken");
        assert!(why.contains("line 6"), "{why}");
    }

    #[test]
    fn a_trail_cut_short_is_broken() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path());
        append(&log, 3);
        let mut watch = ChainWatch::default();
        assert_eq!(watch.poll(log.path(), None), None);
        let text = std::fs::read_to_string(log.path()).unwrap();
        let cut: String = text.lines().take(1).map(|l| format!("{l}\n")).collect();
        std::fs::write(log.path(), cut).unwrap();
        assert!(
            watch
                .poll(log.path(), None)
                .expect("broken")
                .contains("cut")
        );
    }
}
