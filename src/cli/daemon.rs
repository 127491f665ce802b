//! `credtop daemon`: the engine without a UI. One per home; stops cleanly on
//! SIGINT and SIGTERM; logs to `$CREDTOP_HOME/logs/`.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use super::check::verdict;
use super::lifecycle_cmds::lifecycle;
use super::{Context, Failure, exit};
use crate::audit::Actor;
use crate::engine::{EngineConfig, EngineEvent, StopSignals};

/// How long a stopping daemon lets refreshes in flight finish (the
/// engine itself gives up on them after 10 s).
const STOP_GRACE: Duration = Duration::from_secs(12);

pub fn run(ctx: &Context) -> Result<ExitCode, Failure> {
    let ctx = Context {
        actor: Actor::Daemon,
        home: ctx.home.clone(),
        audit: ctx.audit.clone(),
    };
    crate::engine::process::make_undumpable();
    let lc = lifecycle(&ctx)?;
    // The engine refreshes through providers: without them it is useless.
    if let Some(e) = lc.providers_error() {
        return Err(Failure::new(exit::ERROR, e.to_string()));
    }
    let _only_one = claim_home(&ctx)?;
    preflight(&ctx, &lc);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::new(exit::ERROR, format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let mut signals = StopSignals::install()
            .map_err(|e| Failure::new(exit::ERROR, format!("cannot handle signals: {e}")))?;
        let mut engine = crate::engine::spawn(Arc::new(lc), EngineConfig::default());
        loop {
            tokio::select! {
                () = signals.recv() => break,
                event = engine.events.recv() => match event {
                    Ok(e) => log_event(&e),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => tracing::warn!(missed = n, "events lagged"),
                    Err(_) => break,
                },
            }
        }
        engine.stop(STOP_GRACE).await;
        Ok::<(), Failure>(())
    })?;
    eprintln!("credtop daemon: stopped");
    Ok(ExitCode::SUCCESS)
}

/// Holds `daemon.lock` for the daemon's life: a second daemon on the same
/// home is refused, with the pid of the first.
fn claim_home(ctx: &Context) -> Result<File, Failure> {
    let path = ctx.home.join("daemon.lock");
    // Opened like every lock: a symlink here is refused, not followed.
    let mut file = crate::store::open_rw_0600(&path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            return Err(Failure::new(
                exit::ERROR,
                format!(
                    "a credtop daemon is already running on {} (pid {}); stop it first",
                    ctx.home.display(),
                    pid.trim()
                ),
            ));
        }
        Err(TryLockError::Error(e)) => {
            return Err(Failure::new(
                exit::ERROR,
                format!("{}: {e}", path.display()),
            ));
        }
    }
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = writeln!(file, "{}", std::process::id());
    Ok(file)
}

/// The same classification `credtop check` uses, said once at start.
fn preflight(ctx: &Context, lc: &crate::engine::Lifecycle) {
    // Other tools' credentials too, read-only, unless [discover] says not to.
    let (rows, problems) = crate::report::all_rows(lc.store(), false);
    let found = rows.iter().filter(|r| r.location.is_some()).count();
    eprintln!(
        "credtop daemon: {} credentials in {} (pid {}); {found} more held by other tools, read-only",
        rows.len() - found,
        ctx.home.display(),
        std::process::id()
    );
    for p in problems {
        eprintln!("  CRITICAL {p}");
    }
    for line in rows
        .iter()
        .filter_map(verdict)
        .filter(|(level, _)| *level > 0)
    {
        eprintln!("  {}", line.1);
        tracing::warn!(preflight = %line.1);
    }
}

fn log_event(e: &EngineEvent) {
    match e {
        EngineEvent::RefreshFailed {
            name,
            kind,
            message,
            ..
        } => {
            tracing::warn!(credential = %name, kind = %kind, %message, "refresh failed")
        }
        EngineEvent::LanePaused { name, kind } => {
            tracing::error!(credential = %name, kind = %kind, "lane paused")
        }
        // Every write the watch sees, the engine's own included: noise at
        // the default level.
        EngineEvent::CredentialChanged { name } => tracing::debug!(credential = %name, "re-read"),
        other => tracing::info!(event = ?other),
    }
}
