//! Reading the trail as it grows: `credtop audit --follow` (tail -f) and
//! `credtop audit verify`, which stream lines instead of collecting records.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::PathBuf;

use super::{AuditLog, AuditRecord, Event, Verifier};
use crate::store::{StoreError, open_private};

/// Which records an operator asked for: `--credential` and `--event`, each
/// repeatable; an empty list lets everything through.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub credentials: Vec<String>,
    pub events: Vec<Event>,
}

impl RecordFilter {
    pub fn matches(&self, r: &AuditRecord) -> bool {
        (self.events.is_empty() || self.events.contains(&r.event))
            && (self.credentials.is_empty()
                || r.credential
                    .as_deref()
                    .is_some_and(|c| self.credentials.iter().any(|w| w == c)))
    }
}

/// Hands out the whole lines appended to the trail since the last call.
pub struct Follower {
    path: PathBuf,
    offset: u64,
    partial: Vec<u8>,
    /// The first line read is the tail of one that began earlier.
    skip_first: bool,
}

/// What one look at the trail found.
#[derive(Debug, Default)]
pub struct Appended {
    pub lines: Vec<Vec<u8>>,
    /// The trail got shorter than what was already read: it was truncated
    /// or replaced, and reading started again from its beginning.
    pub restarted: bool,
}

impl Follower {
    /// Starts `back` bytes before the trail's end, at the first whole line
    /// there (`back = 0`: only what is appended from now on).
    pub fn starting_near(log: &AuditLog, back: u64) -> Result<Follower, StoreError> {
        let path = log.path().to_path_buf();
        let len = match std::fs::symlink_metadata(&path) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        let offset = len.saturating_sub(back);
        Ok(Follower {
            path,
            // Back one byte: when that byte is a newline, the first "line"
            // is empty and the next is whole; otherwise it is a tail.
            offset: offset.saturating_sub(1),
            partial: Vec::new(),
            skip_first: offset > 0,
        })
    }

    pub fn poll(&mut self) -> Result<Appended, StoreError> {
        let mut out = Appended::default();
        let mut file = match open_private(&self.path) {
            Ok(f) => f,
            Err(StoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Ok(out);
            }
            Err(e) => return Err(e),
        };
        let io = |e| StoreError::io(&self.path, e);
        let len = file.metadata().map_err(io)?.len();
        if len < self.offset {
            self.offset = 0;
            self.partial.clear();
            out.restarted = true;
        }
        if len == self.offset {
            return Ok(out);
        }
        file.seek(SeekFrom::Start(self.offset)).map_err(io)?;
        let mut bytes = Vec::new();
        (&mut file)
            .take(len - self.offset)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        self.offset += bytes.len() as u64;
        self.partial.extend_from_slice(&bytes);
        while let Some(i) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=i).take(i).collect();
            if std::mem::take(&mut self.skip_first) {
                continue;
            }
            out.lines.push(line);
        }
        Ok(out)
    }
}

/// The verdict of `credtop audit verify`.
#[derive(Debug)]
pub struct Verification {
    pub verifier: Verifier,
    pub exists: bool,
}

/// Reads the whole trail once, line by line, and checks its chain and head.
pub fn verify(log: &AuditLog) -> Result<Verification, StoreError> {
    let path = log.path();
    let file = match open_private(path) {
        Ok(f) => f,
        Err(StoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Verification {
                verifier: Verifier::new(),
                exists: false,
            });
        }
        Err(e) => return Err(e),
    };
    let io = |e| StoreError::io(path, e);
    let len = file.metadata().map_err(io)?.len();
    let mut verifier = Verifier::new();
    let mut reader = BufReader::new(file.take(len));
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(io)? == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        verifier.feed(&line);
    }
    verifier.check_head(log.head().as_ref(), len);
    Ok(Verification {
        verifier,
        exists: true,
    })
}
