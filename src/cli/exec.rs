//! `credtop exec NAME -- CMD`: CMD runs with a child token of NAME (RFC
//! 8693), which is revoked (RFC 7009) when CMD ends, whatever the reason.

use std::process::ExitCode;

use futures_util::FutureExt;
use tokio::signal::unix::{Signal, SignalKind, signal};

use super::lifecycle_cmds::{block_on, lifecycle};
use super::mcp_cmd::child_code;
use super::{Context, Failure, exit};
use crate::engine::{ExchangeError, ExchangeRequest};
use crate::model::Secret;

pub struct ExecArgs {
    pub name: String,
    pub env: String,
    pub scope: Option<String>,
    pub audience: Option<String>,
    pub task: Option<String>,
    pub parent: bool,
    pub command: Vec<String>,
}

impl From<ExchangeError> for Failure {
    fn from(e: ExchangeError) -> Self {
        match e {
            ExchangeError::Lifecycle(l) => l.into(),
            ExchangeError::ScopeWider { .. } => Failure::new(exit::NEEDS_ACTION, e.to_string()),
            ExchangeError::Unsupported { .. } => Failure::new(exit::ERROR, e.to_string()),
        }
    }
}

pub fn run(ctx: &Context, args: ExecArgs) -> Result<ExitCode, Failure> {
    if args.env.is_empty() || args.env.contains(['=', '\0']) {
        return Err(Failure::new(
            exit::USAGE,
            format!("--env {:?} is not a variable name", args.env),
        ));
    }
    if args.parent {
        return run_with_parent(ctx, &args);
    }
    let lc = lifecycle(ctx)?;
    let req = ExchangeRequest {
        scopes: args
            .scope
            .as_deref()
            .map(|s| s.split_whitespace().map(str::to_string).collect()),
        audience: args.audience.clone(),
        task: args.task.clone(),
    };
    block_on(async {
        // Caught from here on, so that no signal ends credtop between the
        // exchange and the revocation.
        let mut signals = Signals::new()?;
        let child = lc.exchange(&args.name, &req).await?;
        let code = match signals.pending() {
            Some(sig) => 128 + sig as u8,
            None => run_command(&args, &child.credential.secret, &mut signals).await,
        };
        let remote = lc.revoke_child(&child, args.task.as_deref()).await;
        if !remote.succeeded() {
            eprintln!(
                "credtop: the child token of {} was {}",
                args.name,
                remote.describe(&child.credential.provider)
            );
        }
        Ok(ExitCode::from(code))
    })
}

/// `--parent`: the parent token itself, knowingly, audited as a read.
fn run_with_parent(ctx: &Context, args: &ExecArgs) -> Result<ExitCode, Failure> {
    let cred = super::token::valid(ctx, &args.name)?;
    super::token::audit_read(
        ctx,
        &cred,
        args.task.as_deref(),
        Some(&format!("handed to {:?} by exec --parent", args.command[0])),
    );
    block_on(async {
        let mut signals = Signals::new()?;
        Ok(ExitCode::from(
            run_command(args, &cred.secret, &mut signals).await,
        ))
    })
}

/// Runs CMD with the token in its variable (and the task label, so that
/// its own `credtop token` calls carry it), forwarding signals, and
/// returns its exit code (128+n when signal n ended it).
async fn run_command(args: &ExecArgs, token: &Secret, signals: &mut Signals) -> u8 {
    let mut cmd = tokio::process::Command::new(&args.command[0]);
    cmd.args(&args.command[1..]).env(&args.env, token.expose());
    if let Some(task) = &args.task {
        cmd.env("CREDTOP_TASK", task);
    }
    let umask = crate::mcp::child_umask() as libc::mode_t;
    // SAFETY: umask is async-signal-safe and the closure allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            libc::umask(umask);
            Ok(())
        });
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("credtop: cannot start {:?}: {}", args.command[0], e.kind());
            // The shells' "command not found".
            return 127;
        }
    };
    let pid = child.id().and_then(|p| i32::try_from(p).ok());
    loop {
        tokio::select! {
            status = child.wait() => {
                return match status {
                    Ok(s) => child_code(s),
                    Err(_) => exit::ERROR,
                };
            }
            sig = signals.next() => {
                if let Some(pid) = pid {
                    // SAFETY: kill has no memory effects; pid is our child,
                    // not yet reaped (wait() has not returned).
                    unsafe { libc::kill(pid, sig) };
                }
            }
        }
    }
}

/// SIGINT, SIGTERM and SIGHUP, caught for forwarding.
struct Signals(Vec<(i32, Signal)>);

impl Signals {
    fn new() -> Result<Self, Failure> {
        [libc::SIGINT, libc::SIGTERM, libc::SIGHUP]
            .into_iter()
            .map(|n| {
                signal(SignalKind::from_raw(n))
                    .map(|s| (n, s))
                    .map_err(|e| Failure::new(exit::ERROR, format!("cannot catch signals: {e}")))
            })
            .collect::<Result<_, _>>()
            .map(Signals)
    }

    /// The next signal to forward.
    async fn next(&mut self) -> i32 {
        let waits = self
            .0
            .iter_mut()
            .map(|(n, s)| Box::pin(async move { s.recv().await.map(|_| *n) }));
        match futures_util::future::select_all(waits).await {
            (Some(n), _, _) => n,
            // A closed signal stream never yields again.
            (None, _, _) => std::future::pending().await,
        }
    }

    /// A signal that arrived already (during the exchange), if any.
    fn pending(&mut self) -> Option<i32> {
        self.next().now_or_never()
    }
}
