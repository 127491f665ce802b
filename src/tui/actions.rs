//! Running [`Task`]s in the background: each on its own tokio task,
//! reporting back as a [`Msg`], so input and drawing never wait for a
//! provider, a lock or the disk.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{Notify, mpsc};

use super::data::{Hooks, load_entries};
use super::msg::{Msg, Task};
use crate::audit::read_tail;
use crate::engine::{Lifecycle, LifecycleError, LoginOptions, RefreshMode, RefreshOutcome};
use crate::oauth::{DEFAULT_LOGIN_TIMEOUT, LoginPrompt, RemoteRevocation};

/// How many audit records the audit view holds (the newest ones).
const AUDIT_VIEW_LIMIT: usize = 5_000;
/// How much of the trail's end is read for the audit view (records are a
/// few hundred bytes: more than the view keeps).
const AUDIT_VIEW_BYTES: u64 = 4 << 20;

pub struct Executor {
    lc: Arc<Lifecycle>,
    tx: mpsc::UnboundedSender<Msg>,
    /// Wakes the one reload task; a burst of reload requests costs one read.
    reload: Arc<Notify>,
}

impl Executor {
    /// Starts the reload task and returns the executor.
    pub fn start(lc: Arc<Lifecycle>, tx: mpsc::UnboundedSender<Msg>, hooks: Hooks) -> Executor {
        let reload = Arc::new(Notify::new());
        tokio::spawn(reload_loop(
            Arc::clone(&lc),
            tx.clone(),
            Arc::clone(&reload),
            Arc::new(hooks),
        ));
        Executor { lc, tx, reload }
    }

    pub fn run(&self, cmd: Task) {
        let lc = Arc::clone(&self.lc);
        let tx = self.tx.clone();
        match cmd {
            Task::Reload => self.reload.notify_one(),
            Task::LoadAudit => {
                tokio::task::spawn_blocking(move || {
                    let mut read = match read_tail(lc.audit(), None, AUDIT_VIEW_BYTES) {
                        Ok(r) => r,
                        Err(e) => {
                            let _ = tx.send(Msg::Notice {
                                ok: false,
                                text: format!("cannot read the audit trail: {e}"),
                            });
                            return;
                        }
                    };
                    let excess = read.records.len().saturating_sub(AUDIT_VIEW_LIMIT);
                    read.records.drain(..excess);
                    let _ = tx.send(Msg::AuditLoaded(read));
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

/// Re-reads the store whenever asked, one read at a time; requests that
/// arrive during a read are served by one more read after it.
async fn reload_loop(
    lc: Arc<Lifecycle>,
    tx: mpsc::UnboundedSender<Msg>,
    wake: Arc<Notify>,
    hooks: Arc<Hooks>,
) {
    let chain = Arc::new(std::sync::Mutex::new(
        super::chain_watch::ChainWatch::default(),
    ));
    let mut told: Option<Option<String>> = None;
    loop {
        wake.notified().await;
        let lc = Arc::clone(&lc);
        let hooks = Arc::clone(&hooks);
        let chain = Arc::clone(&chain);
        let read = tokio::task::spawn_blocking(move || {
            let home = lc.home();
            let discovered = (hooks.discovered)(home);
            let dependents = (hooks.dependents)(home);
            let (entries, problems) = load_entries(lc.store(), Utc::now(), discovered);
            // The providers to offer in the login dialog; a providers.toml
            // that cannot be read is reported with the rows already.
            let providers = crate::oauth::Providers::load(home)
                .map(|p| p.names().map(str::to_string).collect())
                .unwrap_or_default();
            // Every reload follows an engine event, which the trail records:
            // check what was appended since the last look.
            let audit = lc.audit();
            let head = std::fs::read_to_string(audit.head_path()).ok();
            let broken = chain
                .lock()
                .map(|mut c| c.poll(audit.path(), head.as_deref()))
                .unwrap_or_default();
            crate::memory::release_free_memory();
            let loaded = Msg::Loaded {
                entries,
                problems,
                dependents,
            };
            (loaded, Msg::Providers(providers), broken)
        })
        .await;
        match read {
            Ok((loaded, providers, broken)) => {
                if told.as_ref() != Some(&broken) {
                    told = Some(broken.clone());
                    let _ = tx.send(Msg::AuditChain(broken));
                }
                if tx.send(providers).is_err() || tx.send(loaded).is_err() {
                    return;
                }
            }
            Err(e) => tracing::error!(error = %e, "store reload failed"),
        }
        // Bursts of engine events (a hundred refreshes at once) come as a
        // hundred reload requests: let them settle into one read.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
