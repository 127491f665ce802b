//! Live reload: a watch on the store's folders. Each event names the
//! credential whose file changed; the scheduler collects the names for a
//! short debounce and re-reads only those, so a burst of writes (the
//! engine's own refreshes included) costs one small reload, not a re-read
//! of the whole store per write. When the watch loses track (an overflowed
//! kernel queue, an event without a path), it asks for a full rescan.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use notify::{RecursiveMode, Watcher};
use tokio::sync::Notify;

/// Past this many distinct names a full rescan is cheaper to keep track of.
const MAX_PENDING: usize = 4096;

/// What changed since the scheduler last looked.
#[derive(Debug, Default)]
pub struct Pending {
    pub names: BTreeSet<String>,
    pub rescan: bool,
}

/// Shared between the watch callback and the scheduler.
#[derive(Clone, Default)]
pub struct Changes {
    pending: Arc<Mutex<Pending>>,
    wake: Arc<Notify>,
}

impl Changes {
    /// Takes everything noted so far.
    pub fn take(&self) -> Pending {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Resolves once something was noted since the last `take`.
    pub async fn changed(&self) {
        self.wake.notified().await;
    }

    fn note(&self, event: &notify::Event) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if event.need_rescan() || event.paths.is_empty() {
            pending.rescan = true;
        }
        for path in &event.paths {
            // A temp file of an atomic write has no name: its rename does.
            if let Some(name) = credential_name(path) {
                pending.names.insert(name);
            }
        }
        if pending.names.len() > MAX_PENDING {
            pending.names.clear();
            pending.rescan = true;
        }
        drop(pending);
        self.wake.notify_one();
    }
}

impl Changes {
    /// A change the fleet's etcd watch saw, noted like a file's.
    fn note_fleet(&self, change: crate::store::FleetChange) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        match change {
            crate::store::FleetChange::Changed(name) => {
                pending.names.insert(name);
            }
            crate::store::FleetChange::Rescan => pending.rescan = true,
        }
        if pending.names.len() > MAX_PENDING {
            pending.names.clear();
            pending.rescan = true;
        }
        drop(pending);
        self.wake.notify_one();
    }
}

/// With `store = "etcd"`, a watch on the fleet's credentials: a refresh on
/// any host reaches this engine within moments. Keep it alive as long as
/// changes are wanted.
pub fn watch_fleet(
    store: &crate::store::Store,
    changes: Changes,
) -> Option<crate::store::FleetWatch> {
    let fleet = store.fleet()?;
    Some(fleet.watch(Box::new(move |c| changes.note_fleet(c))))
}

/// `oauth/acme.json`, `keys/openai.json`, `state/acme.json` → the name;
/// temp files of atomic writes (`.acme.json.tmp.…`) → None.
fn credential_name(path: &Path) -> Option<String> {
    let file = path.file_name()?.to_str()?;
    if file.starts_with('.') {
        return None;
    }
    file.strip_suffix(".json").map(str::to_string)
}

/// Starts watching `oauth/`, `keys/` and `state/` under `home`, creating
/// them as needed. Keep the
/// returned watcher alive for as long as changes are wanted.
pub fn watch_store(home: &Path, changes: Changes) -> notify::Result<notify::RecommendedWatcher> {
    let mut watcher =
        notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
            Ok(e) if e.kind.is_access() => {}
            Ok(e) => changes.note(&e),
            Err(_) => changes.note(
                &notify::Event::new(notify::EventKind::Other).set_flag(notify::event::Flag::Rescan),
            ),
        })?;
    for dir in ["oauth", "keys", "state"] {
        // Created if missing, so that a folder made later (the first lane
        // state, the first key) is watched too.
        let path = home.join(dir);
        if crate::store::ensure_private_dir(&path).is_ok() {
            watcher.watch(&path, RecursiveMode::NonRecursive)?;
        }
    }
    Ok(watcher)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_credential_files_and_temp_files_are_ignored() {
        assert_eq!(
            credential_name(Path::new("/h/oauth/acme.json")).as_deref(),
            Some("acme")
        );
        assert_eq!(
            credential_name(Path::new("/h/state/acme-work.json")).as_deref(),
            Some("acme-work")
        );
        assert_eq!(
            credential_name(Path::new("/h/oauth/.acme.json.tmp.12.0000abcd")),
            None
        );
        assert_eq!(credential_name(Path::new("/h/oauth/notes.txt")), None);
    }

    #[test]
    fn too_many_names_turn_into_one_rescan() {
        let changes = Changes::default();
        for i in 0..=MAX_PENDING {
            let e = notify::Event::new(notify::EventKind::Any)
                .add_path(format!("/h/oauth/c{i}.json").into());
            changes.note(&e);
        }
        let p = changes.take();
        assert!(p.rescan);
        assert!(p.names.is_empty());
        assert!(
            changes.take().names.is_empty(),
            "take empties the pending set"
        );
    }
}
