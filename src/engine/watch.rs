//! Live reload: a watch on the store's folders. Events are only a nudge
//! ("look again"); the scheduler debounces them and re-reads the store, so
//! a burst of writes costs one reload.

use std::path::Path;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

/// Starts watching `oauth/` and `keys/` under `home`; every change sends a
/// nudge. Keep the returned watcher alive for as long as nudges are wanted.
pub fn watch_store(
    home: &Path,
    nudges: mpsc::Sender<()>,
) -> notify::Result<notify::RecommendedWatcher> {
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| !e.kind.is_access()) {
            // A full channel already holds a nudge: dropping this one is fine.
            let _ = nudges.try_send(());
        }
    })?;
    for dir in ["oauth", "keys", "state"] {
        let path = home.join(dir);
        if path.is_dir() {
            watcher.watch(&path, RecursiveMode::NonRecursive)?;
        }
    }
    Ok(watcher)
}
