use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;

use super::alert::{self, Alert};
use super::{history, lane};
use crate::audit::{Actor, AuditLog, AuditRecord, AuditWriter, Event, Outcome};
use crate::model::{Credential, FailureKind, Kind, Zone};
use crate::oauth::{
    self, Endpoints, HttpClient, LoginPrompt, OAuthClient, OAuthError, ProviderConfig, Providers,
    RemoteRevocation, RevokeScope,
};
use crate::store::{CredentialLock, DEFAULT_LOCK_TIMEOUT, Store, StoreError};

/// A lifecycle operation failed in the store or at the provider.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    #[error("the new secret is the same as the old one")]
    SameSecret,
    #[error("{name} already exists; replace its secret with `credtop rotate {name}`")]
    AlreadyExists { name: String },
}

impl LifecycleError {
    /// The typed kind, for statuses, audit and exit codes.
    pub fn kind(&self) -> FailureKind {
        match self {
            LifecycleError::OAuth(e) => e.kind,
            LifecycleError::Store(StoreError::StoreUnavailable { .. }) => {
                FailureKind::StoreUnavailable
            }
            // These pass once fixed: the engine backs off and tries again.
            LifecycleError::Store(
                StoreError::LockTimeout { .. }
                | StoreError::Fenced { .. }
                | StoreError::AuditUnwritable { .. },
            ) => FailureKind::Transient,
            LifecycleError::Store(_)
            | LifecycleError::SameSecret
            | LifecycleError::AlreadyExists { .. } => FailureKind::ConfigError,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshMode {
    /// Only in the danger zone or later (what `token` and the engine do).
    IfNeeded,
    /// Now, whatever the zone (`credtop refresh`, the dashboard's `r`).
    Force,
}

#[derive(Debug)]
pub enum RefreshOutcome {
    Refreshed(Credential),
    /// Nothing to do: another process refreshed it while we waited for the
    /// lock, or it is still in its safe zone.
    AlreadyFresh(Credential),
}

impl RefreshOutcome {
    pub fn credential(&self) -> &Credential {
        match self {
            RefreshOutcome::Refreshed(c) | RefreshOutcome::AlreadyFresh(c) => c,
        }
    }
}

pub struct LoginOptions {
    pub provider: String,
    /// The credential's name (default: the provider's).
    pub name: Option<String>,
    pub device: bool,
    pub timeout: Duration,
}

/// What `complete_login` says about a login in its audit records.
pub(super) struct LoginAttempt<'a> {
    pub name: &'a str,
    pub provider: &'a str,
    pub detail: &'a str,
    /// The command that tries again, for the failure's hint.
    pub again: &'a str,
}

#[derive(Debug)]
pub struct RevokeReport {
    pub credential: Credential,
    pub remote: RemoteRevocation,
}

/// Everything a lifecycle operation needs about one home.
pub struct Lifecycle {
    home: PathBuf,
    store: Arc<Store>,
    providers: Providers,
    /// Why providers.toml could not be read: reported by every operation
    /// that needs a provider, never by those that do not (revoking or
    /// logging out of an API key always works).
    providers_error: Option<OAuthError>,
    http: HttpClient,
    audit: AuditLog,
    /// Set while the trail cannot be written, so the operator is alerted
    /// once when it breaks, not on every refresh that it blocks.
    audit_down: AtomicBool,
    actor: Actor,
}

impl Lifecycle {
    pub fn open(home: &Path, actor: Actor) -> Result<Self, LifecycleError> {
        let (providers, providers_error) = match Providers::load(home) {
            Ok(p) => (p, None),
            Err(e) => (Providers::default(), Some(e)),
        };
        Ok(Lifecycle {
            home: home.to_path_buf(),
            store: Arc::new(Store::open(home)?),
            providers,
            providers_error,
            http: HttpClient::new(),
            audit: AuditLog::new(home),
            audit_down: AtomicBool::new(false),
            actor,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn providers(&self) -> &Providers {
        &self.providers
    }

    /// Why providers.toml could not be read, if it could not.
    pub fn providers_error(&self) -> Option<&OAuthError> {
        self.providers_error.as_ref()
    }

    pub fn actor(&self) -> Actor {
        self.actor
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    pub(super) fn record(&self, event: Event, outcome: Outcome) -> AuditRecord {
        AuditRecord::new(event, self.actor, outcome)
    }

    /// The provider `name` of providers.toml, or, for a credential made by
    /// `credtop mcp login`, its remote MCP server's authorization server
    /// (with the server's URL as the RFC 8707 resource).
    pub(super) async fn provider(
        &self,
        name: &str,
    ) -> Result<(ProviderConfig, Endpoints, OAuthClient), OAuthError> {
        crate::model::Name::parse(name)
            .map_err(|e| OAuthError::config(format!("provider name refused: {e}")))?;
        let cfg = match crate::store::load_remote(&self.home, name) {
            Ok(Some(remote)) => super::mcp_login::provider_config(&remote),
            Ok(None) => {
                if let Some(e) = &self.providers_error {
                    return Err(e.clone());
                }
                self.providers.require(name)?.clone()
            }
            Err(e) => return Err(OAuthError::config(e.to_string())),
        };
        let endpoints = oauth::resolve_endpoints(&self.home, name, &cfg, &self.http).await?;
        let client = oauth::build_client(&endpoints, &cfg)?;
        Ok((cfg, endpoints, client))
    }

    pub(super) fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The HTTP client for credential `name`'s token requests: with its
    /// DPoP key when its tokens are bound to one (RFC 9449 §5).
    pub(super) fn http_for(&self, name: &str) -> Result<HttpClient, OAuthError> {
        match crate::store::load_remote(&self.home, name) {
            Ok(Some(remote)) if remote.dpop => match oauth::dpop::load(&self.home, name)? {
                Some(key) => Ok(self.http.with_dpop(Arc::new(key))),
                None => Err(OAuthError::config(format!(
                    "the DPoP key of {name} is missing; log in again: `credtop mcp login {} --name {name}`",
                    remote.url
                ))),
            },
            _ => Ok(self.http.clone()),
        }
    }

    /// Audit or fail: the trail, opened before an operation changes
    /// anything, or a typed error and no change. The daemon and the
    /// dashboard alert the operator once when the trail becomes
    /// unwritable (a CLI command says so itself).
    async fn reserve_audit(&self) -> Result<AuditWriter, LifecycleError> {
        match self.audit.writer() {
            Ok(w) => {
                self.audit_down.store(false, Ordering::Relaxed);
                Ok(w)
            }
            Err(e) => {
                if self.actor != Actor::Cli && !self.audit_down.swap(true, Ordering::Relaxed) {
                    self.send_alert(Alert {
                        ts: Utc::now(),
                        event: "audit_unwritable",
                        credential: String::new(),
                        provider: String::new(),
                        kind: FailureKind::ConfigError,
                        message: e.to_string(),
                    })
                    .await;
                }
                Err(e.into())
            }
        }
    }

    /// The cross-process lock, waited for off the async threads.
    async fn lock(&self, name: &str) -> Result<CredentialLock, LifecycleError> {
        self.lock_within(name, DEFAULT_LOCK_TIMEOUT).await
    }

    async fn lock_within(
        &self,
        name: &str,
        wait: Duration,
    ) -> Result<CredentialLock, LifecycleError> {
        let store = Arc::clone(&self.store);
        let name = name.to_string();
        tokio::task::spawn_blocking(move || store.lock(&name, wait))
            .await
            .expect("lock task does not panic")
            .map_err(LifecycleError::from)
    }

    async fn lock_and_load(
        &self,
        name: &str,
        wait: Duration,
    ) -> Result<(CredentialLock, Credential), LifecycleError> {
        let lock = self.lock_within(name, wait).await?;
        let cred = self.store.load(name)?;
        Ok((lock, cred))
    }

    /// Refreshes credential `name`, single-flight across processes: take the
    /// lock, re-read the credential under it, refresh only if still needed,
    /// and persist the new tokens (a rotated refresh token above all) before
    /// anything else happens. Two concurrent refreshes with one refresh
    /// token would make a reuse-detecting server revoke the whole grant.
    pub async fn refresh(
        &self,
        name: &str,
        mode: RefreshMode,
    ) -> Result<RefreshOutcome, LifecycleError> {
        self.refresh_within(name, mode, DEFAULT_LOCK_TIMEOUT).await
    }

    /// [`Self::refresh`], waiting at most `wait` for another process's
    /// refresh (`credtop token` with a still-valid token waits little).
    pub async fn refresh_within(
        &self,
        name: &str,
        mode: RefreshMode,
        wait: Duration,
    ) -> Result<RefreshOutcome, LifecycleError> {
        self.refresh_unless(name, mode, None, wait).await
    }

    /// A resource server refused access token `rejected` (401
    /// `invalid_token`): refresh now, unless another process already
    /// replaced that token while we waited for the lock (then four bridges
    /// refused at once make one refresh, not four).
    pub async fn refresh_rejected(
        &self,
        name: &str,
        rejected: &crate::model::Fingerprint,
    ) -> Result<RefreshOutcome, LifecycleError> {
        self.refresh_unless(
            name,
            RefreshMode::IfNeeded,
            Some(rejected),
            DEFAULT_LOCK_TIMEOUT,
        )
        .await
    }

    /// In fleet mode, `name` as another host left it, when that is in its
    /// safe zone: refreshed elsewhere already.
    fn fresh_in_the_fleet(&self, name: &str) -> Option<Credential> {
        self.store.fleet()?;
        let cred = self.store.load(name).ok()?;
        let refresh_at = self.providers.refresh_at(&cred.provider);
        matches!(cred.zone(Utc::now(), refresh_at), Zone::Safe).then_some(cred)
    }

    /// Why a refresh on the way (`token`, the engine) must not replay
    /// `cred`'s refresh token, when it must not: its lane is paused on this
    /// very token (revoked, expired grant), or its grant's cap has passed.
    /// Either way the token is dead by the provider's own word; replaying
    /// it for every call helps nobody and can look like an attack. Only an
    /// explicit refresh (the operator's `r`, `credtop refresh NAME`) tries
    /// again, in case the pause or the cap was wrong.
    fn not_on_the_way(&self, name: &str, cred: &Credential) -> Option<LifecycleError> {
        let (kind, message) = if let Some(state) = lane::load(&self.home, name)
            .filter(|s| s.paused && s.fingerprint == cred.secret.fingerprint())
        {
            (
                state.kind,
                format!("refreshing {name} is paused: {}", state.message),
            )
        } else {
            let cap = cred
                .refresh_expires_at
                .filter(|_| cred.grant_ended(Utc::now()))?;
            (
                FailureKind::CredentialExpired,
                format!(
                    "the grant of {name} ended at {}; it needs a login",
                    cap.format("%Y-%m-%d %H:%M:%SZ")
                ),
            )
        };
        Some(
            OAuthError::new(kind, message)
                .with_hint(&relogin(cred))
                .into(),
        )
    }

    async fn refresh_unless(
        &self,
        name: &str,
        mode: RefreshMode,
        rejected: Option<&crate::model::Fingerprint>,
        wait: Duration,
    ) -> Result<RefreshOutcome, LifecycleError> {
        // The provider may rotate the refresh token: nothing is sent that
        // the trail cannot record. Checked before the lock, so that the
        // alert about a broken trail never holds up other processes.
        let mut audit = self.reserve_audit().await?;
        // In a fleet, the other hosts due at the same point find the token
        // already rotated by a plain read, without queueing for the lock
        // (four etcd writes each). Whoever does refresh re-reads under the
        // lock all the same.
        if mode == RefreshMode::IfNeeded
            && rejected.is_none()
            && let Some(cred) = self.fresh_in_the_fleet(name)
        {
            return Ok(RefreshOutcome::AlreadyFresh(cred));
        }
        let (lock, cred) = self.lock_and_load(name, wait).await.inspect_err(|e| {
            // A fleet whose cluster is gone is a failed refresh, said
            // and audited like any other (the engine backs off).
            if e.kind() == FailureKind::StoreUnavailable {
                self.audit.record(
                    self.record(Event::RefreshFailed, Outcome::Failed)
                        .named(name)
                        .kind(e.kind())
                        .detail(e.to_string()),
                );
            }
        })?;
        let refresh_at = self.providers.refresh_at(&cred.provider);
        let still_good = match rejected {
            Some(fp) => cred.secret.fingerprint() != *fp,
            None => matches!(cred.zone(Utc::now(), refresh_at), Zone::Safe | Zone::None),
        };
        if mode == RefreshMode::IfNeeded && still_good {
            return Ok(RefreshOutcome::AlreadyFresh(cred));
        }
        if mode == RefreshMode::IfNeeded
            && let Some(refusal) = self.not_on_the_way(name, &cred)
        {
            return Err(refusal);
        }
        let Some(refresh_token) = cred
            .refresh_token
            .clone()
            .filter(|_| cred.source.is_owned())
        else {
            return Err(OAuthError::new(
                FailureKind::CredentialExpired,
                format!("{name} has no refresh token credtop can use"),
            )
            .with_hint(&relogin(&cred))
            .into());
        };
        audit.append(
            &self
                .record(Event::RefreshAttempted, Outcome::Info)
                .about(&cred),
        )?;
        let started = Instant::now();
        let result = async {
            let (cfg, _, client) = self.provider(&cred.provider).await?;
            let http = self.http_for(&cred.provider)?;
            let tokens =
                oauth::refresh_grant(&client, &http, &refresh_token, &cfg.resource).await?;
            Ok::<_, OAuthError>(tokens.into_credential(
                name,
                &cred.provider,
                &cfg.scopes,
                Some(&cred),
                self.store.source(),
            ))
        }
        .await;
        match result {
            Ok(fresh) => {
                // Two fsyncs: done off the async threads, so that the other
                // refreshes in flight keep going meanwhile.
                let (store, to_save) = (Arc::clone(&self.store), fresh.clone());
                let saved = tokio::task::spawn_blocking(move || store.save(&to_save))
                    .await
                    .expect("save task does not panic");
                if let Err(e) = saved {
                    // The worst silent failure there is: the provider may
                    // already have rotated the refresh token we still hold.
                    let e = LifecycleError::from(e);
                    self.audit.record(
                        self.record(Event::RefreshFailed, Outcome::Failed)
                            .about(&cred)
                            .kind(e.kind())
                            .latency(started.elapsed())
                            .detail(format!(
                                "the provider issued new tokens but saving them failed ({e}); \
                                 if it rotates refresh tokens, {} will be needed",
                                relogin(&cred)
                            )),
                    );
                    self.note_attempt(name, started, Some(e.kind()));
                    return Err(e);
                }
                lane::clear(&self.home, name);
                self.note_attempt(name, started, None);
                audit.append(
                    &self
                        .record(Event::RefreshSucceeded, Outcome::Ok)
                        .about(&fresh)
                        .old_fingerprint(cred.secret.fingerprint())
                        .latency(started.elapsed()),
                )?;
                Ok(RefreshOutcome::Refreshed(fresh))
            }
            Err(e) => {
                let e = e.with_hint(&relogin(&cred));
                self.audit.record(
                    self.record(Event::RefreshFailed, Outcome::Failed)
                        .about(&cred)
                        .kind(e.kind)
                        .latency(started.elapsed())
                        .detail(e.message.clone()),
                );
                self.note_attempt(name, started, Some(e.kind));
                let alert = self.note_failure(&cred, &e);
                // The operator is told after the lock is released: a slow
                // notify_command must not hold up `credtop token` callers.
                drop(lock);
                if let Some(alert) = alert {
                    self.send_alert(alert).await;
                }
                Err(e.into())
            }
        }
    }

    /// Adds the attempt to the credential's refresh history.
    fn note_attempt(&self, name: &str, started: Instant, failed: Option<FailureKind>) {
        let attempt = history::Attempt {
            ts: Utc::now(),
            ok: failed.is_none(),
            kind: failed,
            latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            actor: self.actor,
        };
        if let Err(e) = history::record(&self.home, name, &attempt) {
            tracing::warn!(error = %e, credential = %name, "refresh history not written");
        }
    }

    /// Persists a failed refresh in the lane; the moment a lane pauses,
    /// returns the alert that tells the operator, once.
    fn note_failure(&self, cred: &Credential, e: &OAuthError) -> Option<Alert> {
        let (state, newly_paused) =
            lane::record_failure(&self.home, cred, e.kind, &e.message, e.retry_at);
        if !newly_paused {
            return None;
        }
        let event = if e.kind == FailureKind::CredentialRevoked {
            Event::RevocationDetected
        } else {
            Event::LanePaused
        };
        self.audit.record(
            self.record(event, Outcome::Failed)
                .about(cred)
                .kind(e.kind)
                .detail(state.message.clone()),
        );
        Some(Alert {
            ts: Utc::now(),
            event: if event == Event::RevocationDetected {
                "revocation_detected"
            } else {
                "lane_paused"
            },
            credential: cred.name.clone(),
            provider: cred.provider.clone(),
            kind: e.kind,
            message: e.message.clone(),
        })
    }

    /// Sends `alert` (tmux, the bell, notify_command) and audits how.
    async fn send_alert(&self, alert: Alert) {
        let (name, provider, kind) = (alert.credential.clone(), alert.provider.clone(), alert.kind);
        // tmux, the bell and notify_command may take a while (bounded to
        // 10 s): off the async threads, so other refreshes go on.
        let command = self.store.config().notify_command.clone();
        let sent =
            tokio::task::spawn_blocking(move || alert::notify(&alert, command.as_deref())).await;
        let (outcome, detail) = match sent {
            Ok(channels) if channels.is_empty() => (
                Outcome::Ok,
                "via nothing (no tmux, no tty, no notify_command)".to_string(),
            ),
            Ok(channels) => (Outcome::Ok, format!("via {}", channels.join(", "))),
            Err(_) => (Outcome::Failed, "the alert could not be sent".to_string()),
        };
        self.audit.record(
            self.record(Event::OperatorNotified, outcome)
                .named(&name)
                .provider(&provider)
                .kind(kind)
                .detail(detail),
        );
    }

    /// Logs in through the browser (PKCE) or the device flow and stores the
    /// new credential atomically. `prompt` shows the URL (and code).
    pub async fn login(
        &self,
        opts: &LoginOptions,
        prompt: &(dyn Fn(LoginPrompt) + Send + Sync),
    ) -> Result<Credential, LifecycleError> {
        self.login_replacing(opts, prompt)
            .await
            .map(|(cred, _)| cred)
    }

    /// [`Self::login`], also returning the credential the new one replaced,
    /// as it was under the lock at that moment (a refresh may have rotated
    /// it while the person was at the browser).
    async fn login_replacing(
        &self,
        opts: &LoginOptions,
        prompt: &(dyn Fn(LoginPrompt) + Send + Sync),
    ) -> Result<(Credential, Option<Credential>), LifecycleError> {
        let name = opts.name.clone().unwrap_or_else(|| opts.provider.clone());
        // A remote MCP server's credential logs in the MCP way (its
        // registration, its resource, DPoP where the server binds tokens),
        // never as a plain provider login that would store a Bearer token
        // beside a record that says DPoP.
        if let Ok(Some(remote)) = crate::store::load_remote(&self.home, &name) {
            if opts.device {
                return Err(OAuthError::config(format!(
                    "{name} is a remote MCP server's credential; it logs in with the browser: `{}`",
                    super::mcp_relogin(&remote.url, &name, None)
                ))
                .into());
            }
            let replaced = self.store.load(&name).ok();
            let mcp = super::McpLoginOptions {
                url: remote.url,
                name: Some(name),
                scope: None,
                timeout: opts.timeout,
            };
            return Ok((self.mcp_login(&mcp, prompt).await?, replaced));
        }
        let mut again = crate::model::relogin_command(&opts.provider, &name);
        if opts.device {
            again.push_str(" --device");
        }
        let attempt = LoginAttempt {
            name: &name,
            provider: &opts.provider,
            detail: if opts.device {
                "device flow"
            } else {
                "browser, PKCE"
            },
            again: &again,
        };
        let obtain = async {
            let (cfg, endpoints, client) = self.provider(&opts.provider).await?;
            // Read before the browser opens: a bad value fails the login now.
            let session_cap = cfg.session_cap(&opts.provider)?;
            let tokens = if opts.device {
                oauth::login_device(&client, &endpoints, &self.http, &cfg.scopes, prompt).await?
            } else {
                oauth::login_loopback(
                    client,
                    &endpoints,
                    &self.http,
                    &cfg.scopes,
                    &cfg.resource,
                    opts.timeout,
                    prompt,
                )
                .await?
            };
            Ok::<_, OAuthError>(
                tokens
                    .into_credential(
                        &name,
                        &opts.provider,
                        &cfg.scopes,
                        None,
                        self.store.source(),
                    )
                    .with_session_cap(session_cap),
            )
        };
        self.complete_login(&attempt, obtain, || Ok(())).await
    }

    /// The audited frame of every login: `login_started`, the grant
    /// obtained by `obtain`, then under the credential's lock `before_save`
    /// (what must be on disk before the credential is) and the atomic save,
    /// or `login_failed` with the command to try again. Nothing is stored
    /// when `obtain` fails.
    pub(super) async fn complete_login(
        &self,
        attempt: &LoginAttempt<'_>,
        obtain: impl std::future::Future<Output = Result<Credential, OAuthError>>,
        before_save: impl FnOnce() -> Result<(), StoreError>,
    ) -> Result<(Credential, Option<Credential>), LifecycleError> {
        let name = attempt.name;
        crate::model::validate_name(name).map_err(StoreError::InvalidName)?;
        let mut audit = self.reserve_audit().await?;
        audit.append(
            &self
                .record(Event::LoginStarted, Outcome::Info)
                .named(name)
                .provider(attempt.provider)
                .detail(attempt.detail),
        )?;
        let cred = match obtain.await {
            Ok(c) => c,
            Err(e) => {
                let e = e.with_hint(attempt.again);
                self.audit.record(
                    self.record(Event::LoginFailed, Outcome::Failed)
                        .named(name)
                        .provider(attempt.provider)
                        .kind(e.kind)
                        .detail(e.message.clone()),
                );
                return Err(e.into());
            }
        };
        let _lock = self.lock(name).await?;
        let replaced = self.store.load(name).ok();
        before_save()?;
        self.store.save(&cred)?;
        lane::clear(&self.home, name);
        audit.append(&self.record(Event::LoginCompleted, Outcome::Ok).about(&cred))?;
        Ok((cred, replaced))
    }

    /// Revokes at the provider where it can, and always deletes locally.
    pub async fn revoke(&self, name: &str) -> Result<RevokeReport, LifecycleError> {
        let mut audit = self.reserve_audit().await?;
        let _lock = self.lock(name).await?;
        let cred = self.store.load(name)?;
        let remote = self.revoke_remote(&cred, RevokeScope::Grant).await;
        self.store.delete(name)?;
        // A remote MCP server's record and DPoP key go with the grant.
        crate::store::forget_remote(&self.home, name);
        lane::clear(&self.home, name);
        history::forget(&self.home, name);
        let outcome = if remote.succeeded() {
            Outcome::Ok
        } else {
            Outcome::Failed
        };
        let mut record = self
            .record(Event::Revoke, outcome)
            .about(&cred)
            .detail(format!(
                "deleted locally; {}",
                remote.describe(&cred.provider)
            ));
        if let RemoteRevocation::Failed(e) = &remote {
            record = record.kind(e.kind);
        }
        audit.append(&record)?;
        Ok(RevokeReport {
            credential: cred,
            remote,
        })
    }

    /// Remote revocation only (used by revoke, logout and rotate).
    pub async fn revoke_remote(&self, cred: &Credential, scope: RevokeScope) -> RemoteRevocation {
        if cred.kind != Kind::OAuth {
            return RemoteRevocation::NotSupported {
                page: None,
                why: format!(
                    "credtop cannot revoke a {} remotely; revoke it in {}'s console",
                    cred.kind.as_str(),
                    cred.provider
                ),
            };
        }
        match self.provider(&cred.provider).await {
            Ok((cfg, endpoints, _)) => {
                oauth::revoke_remote(&endpoints, &cfg, &self.http, cred, scope).await
            }
            Err(e) => RemoteRevocation::Failed(e),
        }
    }

    /// Replaces the secret of key or PAT `name` atomically under its lock
    /// (re-read there: another rotation may have just landed) and audits
    /// old and new fingerprints, or the failure. Returns the old and the new
    /// credential. Blocking: call it off the async threads.
    pub fn rotate_key(
        &self,
        name: &str,
        secret: crate::model::Secret,
        expires_at: Option<chrono::DateTime<Utc>>,
    ) -> Result<(Credential, Credential), LifecycleError> {
        // Audit or fail: a rotation the trail cannot record does not happen.
        let mut audit = self.audit.writer()?;
        let result = (|| {
            let _lock = self.store.lock(name, DEFAULT_LOCK_TIMEOUT)?;
            let old = self.store.load(name)?;
            if secret == old.secret {
                return Err(LifecycleError::SameSecret);
            }
            let new = Credential {
                secret,
                created_at: Utc::now(),
                expires_at,
                ..old.clone()
            };
            self.store.save(&new)?;
            Ok((old, new))
        })();
        match &result {
            Ok((old, new)) => audit.append(
                &self
                    .record(Event::Rotate, Outcome::Ok)
                    .about(new)
                    .old_fingerprint(old.secret.fingerprint())
                    .detail("old secret retired locally; revoke it at the provider"),
            )?,
            Err(e) => self.audit.record(
                self.record(Event::Rotate, Outcome::Failed)
                    .named(name)
                    .kind(e.kind())
                    .detail(e.to_string()),
            ),
        }
        result
    }

    /// Rotates an OAuth credential: a new grant (login again) stored
    /// atomically, then the old grant revoked.
    pub async fn rotate_oauth(
        &self,
        name: &str,
        opts: &LoginOptions,
        prompt: &(dyn Fn(LoginPrompt) + Send + Sync),
    ) -> Result<(Credential, RemoteRevocation), LifecycleError> {
        let old = self.store.load(name)?;
        let (fresh, replaced) = self.login_replacing(opts, prompt).await?;
        // The old grant as it was when the new one took its place: the
        // engine may have rotated its refresh token meanwhile, and revoking
        // a dead copy would leave the live one behind.
        let old = replaced.unwrap_or(old);
        let remote = self.revoke_remote(&old, RevokeScope::OldToken).await;
        self.audit.record(
            self.record(
                Event::Rotate,
                if remote.succeeded() {
                    Outcome::Ok
                } else {
                    Outcome::Failed
                },
            )
            .about(&fresh)
            .old_fingerprint(old.secret.fingerprint())
            .detail(format!(
                "new grant stored; old grant {}",
                remote.describe(&old.provider)
            )),
        );
        Ok((fresh, remote))
    }
}

/// The command that gets a new grant for `cred`, its words quoted for the
/// shell (the provider comes from a file).
pub fn relogin(cred: &Credential) -> String {
    crate::model::relogin_command(&cred.provider, &cred.name)
}
