//! Live everywhere: a watch on `{prefix}/` (credentials and lane states), so that a refresh on one
//! host reaches every daemon and dashboard at once instead of at their next
//! due point. A watch that had to reconnect may have missed events, so it
//! asks for a full re-read then.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::Shared;
use super::bridge::Bridge;
use super::gateway::WatchSignal;

/// What changed in the fleet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FleetChange {
    /// Credential `name` (or its lane state) was written or deleted by
    /// some host.
    Changed(String),
    /// The watch reconnected; anything may have changed meanwhile.
    Rescan,
}

/// A running watch; dropping it stops the watch.
pub struct FleetWatch {
    task: JoinHandle<()>,
    _bridge: Arc<Bridge>,
}

impl Drop for FleetWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(super) fn start(
    shared: Arc<Shared>,
    bridge: Arc<Bridge>,
    on: Box<dyn Fn(FleetChange) + Send + Sync>,
) -> FleetWatch {
    let task = bridge.spawn(async move {
        let dir = shared.path("");
        let (cred, state) = (shared.path("cred/"), shared.path("state/"));
        let mut connected_before = false;
        let mut pause = Duration::from_millis(100);
        loop {
            let mut signal = |sig: WatchSignal| match sig {
                WatchSignal::Created => {
                    if connected_before {
                        on(FleetChange::Rescan);
                    }
                    connected_before = true;
                    pause = Duration::from_millis(100);
                }
                WatchSignal::Key(key) => {
                    let name = key
                        .strip_prefix(cred.as_slice())
                        .or_else(|| key.strip_prefix(state.as_slice()));
                    if let Some(name) = name {
                        on(FleetChange::Changed(
                            String::from_utf8_lossy(name).into_owned(),
                        ));
                    }
                }
            };
            shared.gateway.watch_once(&dir, &mut signal).await;
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    });
    FleetWatch {
        task,
        _bridge: bridge,
    }
}
