//! Starting and stopping the engine, the same way for the daemon and the
//! dashboard: one spawn, one way to stop with a bound, one set of signals.

use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use super::{Engine, EngineConfig, EngineEvent, Lifecycle};

/// A running engine: its events, and the way to stop it.
pub struct EngineHandle {
    pub events: broadcast::Receiver<EngineEvent>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Starts the refresh engine on the current tokio runtime.
pub fn spawn(lc: Arc<Lifecycle>, cfg: EngineConfig) -> EngineHandle {
    let (engine, events) = Engine::new(lc, cfg);
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(engine.run(stop_rx));
    EngineHandle { events, stop, task }
}

impl EngineHandle {
    /// Asks the engine to stop and waits up to `grace` for the refreshes in
    /// flight to finish; past it they are abandoned (each is single-flight
    /// under its lock, so the next process simply tries again). Returns
    /// whether the engine stopped in time.
    pub async fn stop(self, grace: Duration) -> bool {
        let _ = self.stop.send(true);
        let abort = self.task.abort_handle();
        match tokio::time::timeout(grace, self.task).await {
            Ok(_) => true,
            Err(_) => {
                abort.abort();
                tracing::warn!(
                    grace_ms = grace.as_millis() as u64,
                    "engine did not stop in time; abandoning refreshes in flight"
                );
                false
            }
        }
    }
}

/// SIGTERM, SIGINT and SIGHUP: the signals that end a credtop process
/// cleanly (the terminal restored, the engine stopped).
pub struct StopSignals {
    term: Signal,
    int: Signal,
    hup: Signal,
}

impl StopSignals {
    /// Installs the handlers; needs a tokio runtime.
    pub fn install() -> std::io::Result<StopSignals> {
        Ok(StopSignals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// Resolves when one of them arrives.
    pub async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
            _ = self.hup.recv() => {}
        }
    }
}
