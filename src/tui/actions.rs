//! Running [`Task`]s in the background: each on its own tokio task,
//! reporting back as a [`Msg`], so input and drawing never wait for a
//! provider, a lock or the disk.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::audit_feed::AuditFeed;
use super::data::Hooks;
use super::msg::{Msg, Task};
use super::reload::{Reloads, reload_loop};
use crate::engine::{Lifecycle, LifecycleError, LoginOptions, RefreshMode, RefreshOutcome};
use crate::oauth::{DEFAULT_LOGIN_TIMEOUT, LoginPrompt, RemoteRevocation};

pub struct Executor {
    lc: Arc<Lifecycle>,
    tx: mpsc::UnboundedSender<Msg>,
    /// The one reload task's requests; a burst of them costs one read.
    reloads: Arc<Reloads>,
    /// The audit views' records, followed as the trail grows.
    audit: Arc<AuditFeed>,
}

impl Executor {
    /// Starts the reload task and returns the executor.
    pub fn start(lc: Arc<Lifecycle>, tx: mpsc::UnboundedSender<Msg>, hooks: Hooks) -> Executor {
        let reloads = Arc::new(Reloads::default());
        tokio::spawn(reload_loop(
            Arc::clone(&lc),
            tx.clone(),
            Arc::clone(&reloads),
            Arc::new(hooks),
        ));
        Executor {
            lc,
            tx,
            reloads,
            audit: Arc::default(),
        }
    }

    pub fn run(&self, cmd: Task) {
        let lc = Arc::clone(&self.lc);
        let tx = self.tx.clone();
        match cmd {
            Task::Reload => self.reloads.all(),
            Task::ReloadOne { name } => self.reloads.one(name),
            Task::LoadAudit => {
                let feed = Arc::clone(&self.audit);
                tokio::task::spawn_blocking(move || {
                    feed.load(lc.audit(), |m| {
                        let _ = tx.send(m);
                    })
                });
            }
            Task::FollowAudit => {
                let feed = Arc::clone(&self.audit);
                tokio::task::spawn_blocking(move || {
                    feed.poll(|m| {
                        let _ = tx.send(m);
                    })
                });
            }
            Task::Refresh { name } => {
                tokio::spawn(async move {
                    let started = std::time::Instant::now();
                    let (ok, text) = match lc.refresh(&name, RefreshMode::Force).await {
                        Ok(RefreshOutcome::Refreshed(_)) => (
                            true,
                            format!("{name} refreshed in {} ms", started.elapsed().as_millis()),
                        ),
                        Ok(RefreshOutcome::AlreadyFresh(_)) => {
                            (true, format!("{name} was refreshed by another process"))
                        }
                        Err(e) => (false, failure(&name, "refresh", &e)),
                    };
                    let _ = tx.send(Msg::ActionDone { name, ok, text });
                });
            }
            Task::Revoke { name } => {
                tokio::spawn(async move {
                    let (ok, text) = match lc.revoke(&name).await {
                        Ok(report) => (
                            remote_ok(&report.remote),
                            format!(
                                "{name} deleted; {}",
                                report.remote.describe(&report.credential.provider)
                            ),
                        ),
                        Err(e) => (false, failure(&name, "revoke", &e)),
                    };
                    let _ = tx.send(Msg::ActionDone { name, ok, text });
                });
            }
            Task::Logout { provider, names } => {
                tokio::spawn(logout(lc, tx, provider, names));
            }
            Task::Login {
                provider,
                name,
                device,
            } => {
                tokio::spawn(async move {
                    let row = name.clone().unwrap_or_else(|| provider.clone());
                    let opts = login_options(&provider, name, device);
                    let prompt = prompt(tx.clone(), provider.clone());
                    let (ok, text) = match lc.login(&opts, &prompt).await {
                        Ok(c) => (
                            true,
                            format!("logged in: {} ({})", c.name, c.secret.fingerprint()),
                        ),
                        Err(e) => (false, failure(&row, "log in", &e)),
                    };
                    let _ = tx.send(Msg::ActionDone {
                        name: row,
                        ok,
                        text,
                    });
                });
            }
            Task::RotateOAuth { name, provider } => {
                tokio::spawn(async move {
                    let opts = login_options(&provider, Some(name.clone()), false);
                    let prompt = prompt(tx.clone(), provider.clone());
                    let (ok, text) = match lc.rotate_oauth(&name, &opts, &prompt).await {
                        Ok((fresh, remote)) => (
                            remote_ok(&remote),
                            format!(
                                "{name} rotated: new grant {}; old grant {}",
                                fresh.secret.fingerprint(),
                                remote.describe(&provider)
                            ),
                        ),
                        Err(e) => (false, failure(&name, "rotate", &e)),
                    };
                    let _ = tx.send(Msg::ActionDone { name, ok, text });
                });
            }
            Task::RotateKey { name, secret } => {
                tokio::task::spawn_blocking(move || {
                    let result = lc.rotate_key(&name, secret, None);
                    let (ok, text) = match result {
                        Ok((old, new)) => (
                            true,
                            format!(
                                "{name} rotated: {} -> {}; revoke the old one at {}",
                                old.secret.fingerprint(),
                                new.secret.fingerprint(),
                                old.provider
                            ),
                        ),
                        Err(e) => (false, failure(&name, "rotate", &e)),
                    };
                    let _ = tx.send(Msg::ActionDone { name, ok, text });
                });
            }
        }
    }
}

/// As `credtop revoke` exits: only a remote call that failed is a failure;
/// a provider without a revocation API is said in the text, not as an error.
fn remote_ok(remote: &RemoteRevocation) -> bool {
    !matches!(remote, RemoteRevocation::Failed(_))
}

fn failure(name: &str, what: &str, e: &LifecycleError) -> String {
    format!("{name}: {what} failed ({}): {e}", e.kind())
}

fn login_options(provider: &str, name: Option<String>, device: bool) -> LoginOptions {
    LoginOptions {
        provider: provider.to_string(),
        name,
        device,
        timeout: DEFAULT_LOGIN_TIMEOUT,
    }
}

/// The login prompt of the dashboard: the browser is opened as the CLI
/// opens it (`$BROWSER`, else the system opener, its output discarded so it
/// never draws over the dashboard), and the URL (and code) go to a dialog
/// too, because over SSH no browser opens.
fn prompt(tx: mpsc::UnboundedSender<Msg>, provider: String) -> impl Fn(LoginPrompt) + Send + Sync {
    move |p: LoginPrompt| {
        if let Err(e) = crate::oauth::open_browser(&p.url) {
            tracing::warn!(error = %e, "no browser opened; the dialog shows the URL");
        }
        let _ = tx.send(Msg::LoginPrompt {
            provider: provider.clone(),
            url: p.url,
            user_code: p.user_code,
        });
    }
}

/// `d`: what `credtop logout PROVIDER` does, one credential at a time.
async fn logout(
    lc: Arc<Lifecycle>,
    tx: mpsc::UnboundedSender<Msg>,
    provider: String,
    names: Vec<String>,
) {
    for name in names {
        let (ok, text) = match lc.logout(&name).await {
            Ok(report) => (
                true,
                format!(
                    "logged out of {name}; {}",
                    report.remote.describe(&provider)
                ),
            ),
            Err(e) => (false, failure(&name, "log out", &e)),
        };
        let _ = tx.send(Msg::ActionDone { name, ok, text });
    }
}
