//! Reading what changed, off the UI thread. An event about one credential
//! re-reads that credential (its file, lane state and history); the whole
//! store is read at start and when the engine's events overflowed; other
//! tools' files and the MCP configs when something changes in their
//! folders, or on a slow timer. Requests that arrive during a read are
//! served together by the next one.

use std::collections::BTreeSet;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{Notify, mpsc};

use super::app::Entry;
use super::data::{Hooks, add_found, history, own_entries, readers};
use super::msg::Msg;
use crate::engine::Lifecycle;
use crate::oauth::Providers;
use crate::report::store_row;
use crate::store::StoreError;

/// How often other tools' credentials and the MCP configs are read again.
/// Nothing credtop does changes them, and a stale row there costs nothing
/// but a late note.
const DISCOVERY_EVERY: Duration = Duration::from_secs(60);
/// Bursts of engine events (a hundred refreshes at once) come as a hundred
/// requests: they settle into one read.
const SETTLE: Duration = Duration::from_millis(100);

#[derive(Default)]
struct Pending {
    all: bool,
    discovery: bool,
    names: BTreeSet<String>,
}

/// The requests waiting for the reload task.
#[derive(Default)]
pub(super) struct Reloads {
    pending: Mutex<Pending>,
    wake: Notify,
}

impl Reloads {
    /// Everything: the store and other tools' files.
    pub fn all(&self) {
        self.with(|p| {
            p.all = true;
            p.discovery = true;
        });
    }

    /// One of credtop's credentials.
    pub fn one(&self, name: String) {
        self.with(|p| {
            p.names.insert(name);
        });
    }

    fn with(&self, f: impl FnOnce(&mut Pending)) {
        f(&mut self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        self.wake.notify_one();
    }

    fn take(&self) -> Pending {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// What the reload task remembers between reads.
#[derive(Default)]
struct Known {
    /// providers.toml as of the last full read, for single re-reads.
    providers: Providers,
    /// Other tools' rows and the MCP servers, as of the last discovery.
    found: Vec<Entry>,
    dependents: HashMap<String, Vec<String>>,
    /// The audit trail's chain, checked as it grows.
    chain: super::chain_watch::ChainWatch,
    /// What the screen was last told about the chain.
    told: Option<Option<String>>,
}

pub(super) async fn reload_loop(
    lc: Arc<Lifecycle>,
    tx: mpsc::UnboundedSender<Msg>,
    reloads: Arc<Reloads>,
    hooks: Arc<Hooks>,
) {
    let mut known = Known::default();
    // Set up after the first read, which the first frame waits for.
    let mut watcher: Option<Option<notify::RecommendedWatcher>> = None;
    let mut timer = tokio::time::interval(DISCOVERY_EVERY);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    timer.tick().await;
    loop {
        tokio::select! {
            () = reloads.wake.notified() => {}
            _ = timer.tick() => reloads.with(|p| p.discovery = true),
        }
        let pending = reloads.take();
        let (lc2, hooks2, tx2) = (Arc::clone(&lc), Arc::clone(&hooks), tx.clone());
        let read = tokio::task::spawn_blocking(move || {
            let send = |msg: Msg| tx2.send(msg).is_ok();
            let open = read(&lc2, &hooks2, pending, &mut known, &send);
            (known, open)
        })
        .await;
        match read {
            Ok((_, false)) => return,
            Ok((k, true)) => known = k,
            Err(e) => {
                tracing::error!(error = %e, "store reload failed");
                known = Known::default();
            }
        }
        if watcher.is_none() {
            watcher = Some(watch_sources(&hooks, &reloads));
            // A change made before the watch began is read now.
            reloads.with(|p| p.discovery = true);
        }
        tokio::time::sleep(SETTLE).await;
    }
}

/// Asks for discovery when something changes in another tool's folder.
/// Keep the returned watcher for as long as that is wanted.
fn watch_sources(hooks: &Hooks, reloads: &Arc<Reloads>) -> Option<notify::RecommendedWatcher> {
    use notify::{RecursiveMode, Watcher};
    let wake = Arc::clone(reloads);
    let mut watcher = notify::recommended_watcher(move |e: notify::Result<notify::Event>| {
        if e.is_ok_and(|e| !e.kind.is_access()) {
            wake.with(|p| p.discovery = true);
        }
    })
    .inspect_err(|e| tracing::warn!(error = %e, "no watch on other tools' folders"))
    .ok()?;
    for dir in (hooks.watched)() {
        if let Err(e) = watcher.watch(&dir, RecursiveMode::NonRecursive) {
            tracing::debug!(error = %e, dir = %dir.display(), "folder not watched");
        }
    }
    Some(watcher)
}

/// Reads what `pending` asks for and sends it, credtop's own rows first
/// (they are the first frame); false once nobody listens.
fn read(
    lc: &Lifecycle,
    hooks: &Hooks,
    pending: Pending,
    known: &mut Known,
    send: &dyn Fn(Msg) -> bool,
) -> bool {
    let store = lc.store();
    let now = Utc::now();
    if pending.all {
        let (mut entries, problems, providers) = own_entries(store, now);
        // The providers to offer in the login dialog; a providers.toml
        // that cannot be read is reported with the rows already.
        let names = providers.names().map(str::to_string).collect();
        known.providers = providers;
        if !send(Msg::Providers(names)) {
            return false;
        }
        add_found(&mut entries, &known.found);
        let loaded = Msg::Loaded {
            entries,
            problems,
            dependents: known.dependents.clone(),
        };
        if !send(loaded) {
            return false;
        }
        crate::memory::release_free_memory();
    }
    // After the rows: at start the whole trail is read, which must not
    // hold up the first frame.
    if !check_chain(lc, known, send) {
        return false;
    }
    if pending.discovery {
        let home = lc.home();
        let rotation = store.config().rotation_age_days();
        known.found = (hooks.discovered)(home)
            .iter()
            .map(|c| Entry::new(c, now, None, rotation, None))
            .collect();
        known.dependents = (hooks.dependents)(home);
        let found = Msg::Discovered {
            entries: known.found.clone(),
            problems: Vec::new(),
            dependents: known.dependents.clone(),
        };
        if !send(found) {
            return false;
        }
    }
    if pending.all {
        return true;
    }
    // Who read each secret: one look at the trail's tail for the batch.
    let mut read_by = if pending.names.is_empty() {
        HashMap::new()
    } else {
        readers(lc.home())
    };
    for name in pending.names {
        let (entry, problem) = match store_row(store, &known.providers, &name, now) {
            Ok(row) => {
                let mut entry = Entry::from_row(row);
                entry.history = history(lc.home(), &name);
                entry.readers = read_by.remove(&name).unwrap_or_default();
                (Some(Box::new(entry)), None)
            }
            Err(StoreError::NotFound { .. }) => (None, None),
            Err(e) => (None, Some(format!("{name}: {e}"))),
        };
        let reread = Msg::Reread {
            name,
            entry,
            problem,
        };
        if !send(reread) {
            return false;
        }
    }
    true
}

/// Every read follows an engine event, which the trail records: checks
/// what was appended since the last look, and says when that changed the
/// verdict. False once nobody listens.
fn check_chain(lc: &Lifecycle, known: &mut Known, send: &dyn Fn(Msg) -> bool) -> bool {
    let audit = lc.audit();
    let head = std::fs::read_to_string(audit.head_path()).ok();
    let broken = known.chain.poll(audit.path(), head.as_deref());
    if known.told.as_ref() == Some(&broken) {
        return true;
    }
    known.told = Some(broken.clone());
    send(Msg::AuditChain(broken))
}
