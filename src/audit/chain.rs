//! The hash chain that makes the trail tamper-evident.
//!
//! Every record ends in `,"prev":"<hex>","hash":"<hex>"}`:
//! - `hash` is the SHA-256 of the line's bytes up to (not including)
//!   `,"hash":`, so an edited record no longer matches its own hash;
//! - `prev` is the `hash` of the line before it (the SHA-256 of that whole
//!   line when it predates the chain, 64 zeros for the first line), so a
//!   removed, inserted or reordered record no longer fits where it stands.
//!
//! `audit.head` (written under the same lock as each append) holds the
//! length of the trail and the hash of its last record, so that records cut
//! from the end are found too. Someone who can write the home can still
//! rewrite the whole chain and the head; what the chain guarantees is that
//! an edit, a deletion or a reorder by hand or by a careless tool does not
//! go unnoticed.

use sha2::{Digest, Sha256};

/// `prev` of the very first record of a trail.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const HASH_KEY: &[u8] = b",\"hash\":\"";
/// `,"hash":"` + 64 hex digits + `"}`.
const HASH_SUFFIX_LEN: usize = HASH_KEY.len() + 64 + 2;

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        hex.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
    }
    hex
}

/// Turns a serialized record (`{...}`, without prev or hash) into its chained
/// line (without the newline).
pub fn seal(mut json: Vec<u8>, prev: &str) -> Vec<u8> {
    debug_assert_eq!(json.last(), Some(&b'}'));
    json.pop();
    if json.len() > 1 {
        json.push(b',');
    }
    json.extend_from_slice(b"\"prev\":\"");
    json.extend_from_slice(prev.as_bytes());
    json.push(b'"');
    let hash = sha256_hex(&json);
    json.extend_from_slice(HASH_KEY);
    json.extend_from_slice(hash.as_bytes());
    json.extend_from_slice(b"\"}");
    json
}

/// What a line says about its place in the chain.
#[derive(Debug, PartialEq, Eq)]
pub enum Link<'a> {
    /// Written before the chain (or by hand): no hash at its end.
    Unchained,
    /// Carries `prev` and `hash`; `intact` says whether the hash matches.
    Chained {
        prev: &'a str,
        hash: &'a str,
        intact: bool,
    },
}

/// Reads the chain fields from the end of a line, without parsing the JSON.
pub fn link(line: &[u8]) -> Link<'_> {
    let Some(split) = line.len().checked_sub(HASH_SUFFIX_LEN) else {
        return Link::Unchained;
    };
    let (body, suffix) = line.split_at(split);
    if !suffix.starts_with(HASH_KEY) || !suffix.ends_with(b"\"}") {
        return Link::Unchained;
    }
    let Ok(hash) = std::str::from_utf8(&suffix[HASH_KEY.len()..HASH_KEY.len() + 64]) else {
        return Link::Unchained;
    };
    let prev = prev_field(body).unwrap_or("");
    Link::Chained {
        prev,
        hash,
        intact: sha256_hex(body) == hash,
    }
}

/// The `prev` value: the body ends in `"prev":"<64 hex>"`.
fn prev_field(body: &[u8]) -> Option<&str> {
    let start = body.len().checked_sub(64 + 1)?;
    let key_start = start.checked_sub(b"\"prev\":\"".len())?;
    if &body[key_start..start] != b"\"prev\":\"" || body.last() != Some(&b'"') {
        return None;
    }
    std::str::from_utf8(&body[start..body.len() - 1]).ok()
}

/// What the next record's `prev` must be, given the line before it.
pub fn next_prev(last_line: Option<&[u8]>) -> String {
    match last_line {
        None => GENESIS.to_string(),
        Some(line) => match link(line) {
            Link::Chained { hash, .. } => hash.to_string(),
            Link::Unchained => sha256_hex(line),
        },
    }
}

/// Why a trail is not intact: the first broken record, by its line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The record's content no longer matches its own hash.
    Edited { line: usize },
    /// The record does not follow the one before it: a record was removed,
    /// inserted or moved here.
    OutOfPlace { line: usize },
    /// A record without a hash after the chain began.
    Unsealed { line: usize },
    /// Records after `line` were cut from the end (`audit.head` remembers a
    /// longer trail or another last record).
    Truncated { line: usize },
}

impl Break {
    pub fn line(&self) -> usize {
        match self {
            Break::Edited { line }
            | Break::OutOfPlace { line }
            | Break::Unsealed { line }
            | Break::Truncated { line } => *line,
        }
    }
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::Edited { line } => write!(
                f,
                "line {line}: the record was changed after it was written (its hash no longer matches)"
            ),
            Break::OutOfPlace { line } => write!(
                f,
                "line {line}: the record does not follow the one before it (a record was removed, inserted or moved here)"
            ),
            Break::Unsealed { line } => write!(
                f,
                "line {line}: a record without a hash inside the chain (added or rewritten by hand)"
            ),
            Break::Truncated { line } => write!(
                f,
                "line {line}: the trail ends here, but credtop wrote more after it (records were cut from the end)"
            ),
        }
    }
}

/// Checks a trail line by line, as its bytes arrive: `verify` feeds it a
/// whole file, the dashboard only what was appended since it last looked.
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    lines: usize,
    /// Lines before the first chained record.
    unchained: usize,
    chained: usize,
    expected_prev: Option<String>,
    broken: Option<Break>,
}

impl Verifier {
    pub fn new() -> Self {
        Verifier::default()
    }

    /// Checks one line (without its newline). credtop never writes a blank
    /// line, so inside the chain one is a break like any unsealed line.
    pub fn feed(&mut self, line: &[u8]) {
        self.lines += 1;
        if self.broken.is_some() {
            return;
        }
        let expected = self
            .expected_prev
            .take()
            .unwrap_or_else(|| GENESIS.to_string());
        match link(line) {
            Link::Unchained if self.chained == 0 => self.unchained += 1,
            Link::Unchained => self.broken = Some(Break::Unsealed { line: self.lines }),
            Link::Chained { intact: false, .. } => {
                self.broken = Some(Break::Edited { line: self.lines })
            }
            Link::Chained { prev, .. } if prev != expected => {
                self.broken = Some(Break::OutOfPlace { line: self.lines })
            }
            Link::Chained { .. } => self.chained += 1,
        }
        self.expected_prev = Some(next_prev(Some(line)));
    }

    /// Compares the end of the trail with what `audit.head` remembers.
    pub fn check_head(&mut self, head: Option<&Head>, trail_len: u64) {
        let Some(head) = head else { return };
        if self.broken.is_some() {
            return;
        }
        let last = self.expected_prev.as_deref().unwrap_or(GENESIS);
        if trail_len < head.len || (trail_len == head.len && last != head.last_hash) {
            self.broken = Some(Break::Truncated { line: self.lines });
        }
    }

    pub fn broken(&self) -> Option<&Break> {
        self.broken.as_ref()
    }

    /// Records before the chain began (a trail written by an older credtop).
    pub fn unchained(&self) -> usize {
        self.unchained
    }

    pub fn chained(&self) -> usize {
        self.chained
    }
}

/// `audit.head`: the trail's length and its last record's hash after the
/// last append, as `<len> <hash>\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub len: u64,
    pub last_hash: String,
}

impl Head {
    pub fn parse(text: &str) -> Option<Head> {
        let (len, hash) = text.trim().split_once(' ')?;
        let len = len.parse().ok()?;
        (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Head {
            len,
            last_hash: hash.to_string(),
        })
    }

    pub fn render(&self) -> String {
        format!("{} {}\n", self.len, self.last_hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Vec<Vec<u8>> {
        let mut lines: Vec<Vec<u8>> = Vec::new();
        for i in 0..n {
            let prev = next_prev(lines.last().map(Vec::as_slice));
            lines.push(seal(format!("{{\"n\":{i}}}").into_bytes(), &prev));
        }
        lines
    }

    fn verdict(lines: &[Vec<u8>]) -> Option<Break> {
        let mut v = Verifier::new();
        for l in lines {
            v.feed(l);
        }
        v.broken().cloned()
    }

    #[test]
    fn a_sealed_line_links_to_its_hash() {
        let line = seal(b"{\"a\":1}".to_vec(), GENESIS);
        let text = String::from_utf8(line.clone()).unwrap();
        assert!(text.starts_with("{\"a\":1,\"prev\":\"0000"), "{text}");
        let parsed: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(parsed["prev"], GENESIS);
        match link(&line) {
            Link::Chained { prev, intact, .. } => {
                assert_eq!(prev, GENESIS);
                assert!(intact);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_untouched_chain_is_intact() {
        assert_eq!(verdict(&chain(50)), None);
    }

    #[test]
    fn an_edit_names_the_edited_line() {
        let mut lines = chain(10);
        lines[4] = String::from_utf8(lines[4].clone())
            .unwrap()
            .replace("\"n\":4", "\"n\":5")
            .into_bytes();
        assert_eq!(verdict(&lines), Some(Break::Edited { line: 5 }));
    }

    #[test]
    fn a_deletion_names_the_record_after_the_gap() {
        let mut lines = chain(10);
        lines.remove(3);
        assert_eq!(verdict(&lines), Some(Break::OutOfPlace { line: 4 }));
    }

    #[test]
    fn a_reorder_names_the_first_moved_record() {
        let mut lines = chain(10);
        lines.swap(6, 7);
        assert_eq!(verdict(&lines), Some(Break::OutOfPlace { line: 7 }));
    }

    #[test]
    fn an_unsealed_line_inside_the_chain_is_a_break() {
        let mut lines = chain(5);
        lines.insert(2, b"{\"forged\":true}".to_vec());
        assert_eq!(verdict(&lines), Some(Break::Unsealed { line: 3 }));
    }

    #[test]
    fn a_legacy_trail_starts_a_chain_at_its_end() {
        let mut lines: Vec<Vec<u8>> = vec![b"{\"old\":1}".to_vec(), b"{\"old\":2}".to_vec()];
        for i in 0..3 {
            let prev = next_prev(lines.last().map(Vec::as_slice));
            lines.push(seal(format!("{{\"n\":{i}}}").into_bytes(), &prev));
        }
        let mut v = Verifier::new();
        for l in &lines {
            v.feed(l);
        }
        assert_eq!(v.broken(), None);
        assert_eq!((v.unchained(), v.chained()), (2, 3));
        // Editing a legacy line is found by the first chained record.
        lines[1] = b"{\"old\":3}".to_vec();
        assert_eq!(verdict(&lines), Some(Break::OutOfPlace { line: 3 }));
    }

    #[test]
    fn a_cut_end_is_found_by_the_head() {
        let lines = chain(6);
        let full_len: u64 = lines.iter().map(|l| l.len() as u64 + 1).sum();
        let head = Head {
            len: full_len,
            last_hash: next_prev(lines.last().map(Vec::as_slice)),
        };
        let mut v = Verifier::new();
        for l in &lines[..4] {
            v.feed(l);
        }
        let cut_len: u64 = lines[..4].iter().map(|l| l.len() as u64 + 1).sum();
        v.check_head(Some(&head), cut_len);
        assert_eq!(v.broken(), Some(&Break::Truncated { line: 4 }));

        let mut whole = Verifier::new();
        for l in &lines {
            whole.feed(l);
        }
        whole.check_head(Some(&head), full_len);
        assert_eq!(whole.broken(), None);
    }

    #[test]
    fn head_round_trips_and_refuses_garbage() {
        let h = Head {
            len: 42,
            last_hash: "ab".repeat(32),
        };
        assert_eq!(Head::parse(&h.render()), Some(h));
        assert_eq!(Head::parse("42"), None);
        assert_eq!(Head::parse("x abc"), None);
    }
}
