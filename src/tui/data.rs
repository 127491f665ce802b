//! Reading what the dashboard shows: the store's rows (the read model's,
//! the same as `credtop status`, lane states included), refresh history,
//! and whatever the hooks add. Runs off the UI thread.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::app::{Attempt, Entry, Reader};
use crate::audit::{AuditLog, Event};
use crate::engine::history;
use crate::model::Credential;
use crate::oauth::Providers;
use crate::report::read_store;
use crate::store::Store;

/// Attempts kept per credential.
const HISTORY_LEN: usize = 20;
/// Reads shown per credential, and how much of the trail's end is read
/// for them (the trail only grows; its head is never needed here).
const READERS_LEN: usize = 5;
const READERS_TAIL_BYTES: u64 = 256 * 1024;

type DiscoverFn = dyn Fn(&Path) -> Vec<Credential> + Send + Sync;
type DependentsFn = dyn Fn(&Path) -> HashMap<String, Vec<String>> + Send + Sync;
type DirsFn = dyn Fn() -> Vec<std::path::PathBuf> + Send + Sync;

/// What other parts of credtop contribute to the dashboard, called on
/// every reload with the home directory. The defaults contribute nothing.
pub struct Hooks {
    /// Extra rows: credentials found in other tools' files
    /// (`Source::Discovered`), shown read-only beside the store's.
    pub discovered: Box<DiscoverFn>,
    /// The MCP servers that depend on each credential, by credential name.
    pub dependents: Box<DependentsFn>,
    /// The folders whose changes make [`Hooks::discovered`] worth calling
    /// again before its slow timer.
    pub watched: Box<DirsFn>,
}

impl Default for Hooks {
    fn default() -> Self {
        Hooks {
            discovered: Box::new(|_| Vec::new()),
            dependents: Box::new(|_| HashMap::new()),
            watched: Box::new(Vec::new),
        }
    }
}

/// Every row as of `now`, with the problems met reading them.
pub fn load_entries(
    store: &Store,
    now: DateTime<Utc>,
    discovered: Vec<Credential>,
) -> (Vec<Entry>, Vec<String>) {
    let (mut entries, problems, _) = own_entries(store, now);
    let rotation = store.config().rotation_age_days();
    let found: Vec<Entry> = discovered
        .iter()
        .map(|c| Entry::new(c, now, None, rotation, None))
        .collect();
    add_found(&mut entries, &found);
    (entries, problems)
}

/// credtop's own rows with their refresh history, the problems met, and
/// the providers they were read with.
pub(super) fn own_entries(
    store: &Store,
    now: DateTime<Utc>,
) -> (Vec<Entry>, Vec<String>, Providers) {
    let read = read_store(store, now);
    let mut entries: Vec<Entry> = read.rows.into_iter().map(Entry::from_row).collect();
    // Most credentials were never refreshed: list the folder once.
    let with_history = history::present(store.home());
    for e in entries
        .iter_mut()
        .filter(|e| with_history.as_ref().is_none_or(|h| h.contains(e.name())))
    {
        e.history = history(store.home(), e.name());
    }
    let mut readers = readers(store.home());
    for e in entries.iter_mut() {
        e.readers = readers.remove(e.name()).unwrap_or_default();
    }
    (entries, read.problems, read.providers)
}

/// Other tools' rows after credtop's; one never hides credtop's own of the
/// same name. Another tool's credential has no refresh point of credtop's
/// providers.toml: its zones are those `credtop status` shows.
pub(super) fn add_found(entries: &mut Vec<Entry>, found: &[Entry]) {
    let own: std::collections::HashSet<String> =
        entries.iter().map(|e| e.name().to_string()).collect();
    entries.extend(found.iter().filter(|e| !own.contains(e.name())).cloned());
}

/// The credential's last refresh attempts, newest first, from the history
/// every credtop process appends to (`history/<name>.jsonl`).
pub(super) fn history(home: &Path, name: &str) -> Vec<Attempt> {
    history::last(home, name, HISTORY_LEN)
        .into_iter()
        .map(|a| Attempt {
            at: a.ts,
            ok: a.ok,
            latency_ms: Some(a.latency_ms),
            note: match a.kind {
                Some(kind) => kind.as_str().to_string(),
                None => format!("{:?}", a.actor).to_lowercase(),
            },
        })
        .collect()
}

/// Recent `secret_read` records, newest first, by credential. Only the
/// trail's `secret_read` lines are parsed: the others (most of a busy
/// trail) are skipped by a byte search, so a re-read after each engine
/// event costs little more than reading the tail.
pub(super) fn readers(home: &Path) -> HashMap<String, Vec<Reader>> {
    let mut by_name: HashMap<String, Vec<Reader>> = HashMap::new();
    let log = AuditLog::new(home);
    let scanned = crate::audit::scan_tail(&log, READERS_TAIL_BYTES, &[Event::SecretRead], |r| {
        let Some(name) = r.credential else { return };
        let caller = r.caller.unwrap_or(crate::audit::Caller {
            pid: r.pid,
            comm: None,
            cwd: None,
        });
        let list = by_name.entry(name).or_default();
        // Oldest first here: the last READERS_LEN are kept.
        if list.len() == READERS_LEN {
            list.remove(0);
        }
        list.push(Reader {
            at: r.ts,
            pid: caller.pid,
            comm: caller.comm,
            task: r.task,
        });
    });
    if scanned.is_err() {
        return HashMap::new();
    }
    for list in by_name.values_mut() {
        list.reverse();
    }
    by_name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Actor;
    use crate::model::{Kind, Secret, Source};
    use chrono::Duration;

    fn key(name: &str, source: Source) -> Credential {
        Credential {
            name: name.into(),
            kind: Kind::ApiKey,
            provider: "acme".into(),
            account: None,
            scopes: vec![],
            created_at: Utc::now() - Duration::days(1),
            expires_at: None,
            secret: Secret::new(format!("secret-{name}")),
            refresh_token: None,
            refresh_expires_at: None,
            token_type: None,
            source,
        }
    }

    #[test]
    fn store_rows_discovered_rows_and_history_come_together() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let store = Store::open(&home).unwrap();
        let own = key("own", Source::Store);
        store.save(&own).unwrap();
        history::record(
            &home,
            "own",
            &history::Attempt {
                ts: Utc::now(),
                ok: true,
                kind: None,
                latency_ms: 42,
                actor: Actor::Daemon,
            },
        )
        .unwrap();
        let found = key(
            "found",
            Source::Discovered {
                tool: "codex".into(),
                location: "~/.codex/auth.json".into(),
                relogin: Some("codex login".into()),
                note: None,
            },
        );
        // A discovered credential never hides the store's own of that name.
        let shadow = key("own", found.source.clone());
        let (entries, problems) = load_entries(&store, Utc::now(), vec![found, shadow]);
        assert!(problems.is_empty(), "{problems:?}");
        let names: Vec<(&str, bool)> = entries.iter().map(|e| (e.name(), e.owned)).collect();
        assert_eq!(names, [("own", true), ("found", false)]);
        assert_eq!(entries[0].history.len(), 1);
        assert_eq!(entries[0].history[0].latency_ms, Some(42));
        assert_eq!(entries[1].relogin.as_deref(), Some("codex login"));
    }

    #[test]
    fn readers_are_the_newest_secret_reads_of_each_credential() {
        use crate::audit::{AuditRecord, Caller, Outcome};
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let store = Store::open(&home).unwrap();
        store.save(&key("own", Source::Store)).unwrap();
        let log = AuditLog::new(&home);
        for i in 0..(READERS_LEN as u32 + 2) {
            let mut r = AuditRecord::new(Event::SecretRead, Actor::Cli, Outcome::Ok)
                .named("own")
                .task(Some(&format!("task-{i}")))
                .caller(Caller {
                    pid: 100 + i,
                    comm: Some("agent".into()),
                    cwd: None,
                });
            r.ts = Utc::now() - Duration::minutes(10 - i64::from(i));
            log.append(&r).unwrap();
        }
        log.append(
            &AuditRecord::new(Event::RefreshSucceeded, Actor::Daemon, Outcome::Ok).named("own"),
        )
        .unwrap();
        let (entries, _) = load_entries(&store, Utc::now(), vec![]);
        let readers = &entries[0].readers;
        assert_eq!(readers.len(), READERS_LEN);
        assert_eq!(readers[0].task.as_deref(), Some("task-6"));
        assert_eq!(readers[0].pid, 106);
        assert_eq!(readers[0].comm.as_deref(), Some("agent"));
    }
}
