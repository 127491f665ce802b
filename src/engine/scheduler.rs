//! The proactive refresh engine: a schedule of every credential credtop
//! owns, each refreshed when it enters its danger zone (refresh point plus
//! jitter), never waiting for a 401. Failures are handled by type:
//! transient ones back off (exponential, full jitter, capped, Retry-After
//! respected), dead ones pause the lane (the lifecycle alerts once).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinSet;

use super::lane;
use super::{Lifecycle, LifecycleError, RefreshMode, RefreshOutcome};
use crate::audit::{AuditRecord, Event, Outcome};
use crate::model::{Credential, FailureKind, Fingerprint, Zone};
use crate::store::StoreError;

#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// At most this many refreshes in flight, so that a hundred credentials
    /// expiring together do not become a storm.
    pub concurrency: usize,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    pub debounce: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            concurrency: 8,
            backoff_base: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(300),
            debounce: Duration::from_millis(250),
        }
    }
}

/// What the engine tells the audit log, the daemon's log and the dashboard.
#[derive(Clone, Debug)]
pub enum EngineEvent {
    Loaded {
        count: usize,
    },
    RefreshStarted {
        name: String,
    },
    RefreshSucceeded {
        name: String,
        latency: Duration,
        expires_at: Option<DateTime<Utc>>,
    },
    /// Another process refreshed it first (the lock made us wait).
    RefreshNotNeeded {
        name: String,
    },
    RefreshFailed {
        name: String,
        kind: FailureKind,
        message: String,
        /// When the engine tries again (None: paused).
        retry_at: Option<DateTime<Utc>>,
        latency: Duration,
    },
    LanePaused {
        name: String,
        kind: FailureKind,
    },
    /// A credential credtop cannot refresh (not refreshable, or its lane
    /// paused) entered its danger zone or expired, or a key without expiry
    /// passed the rotation age (`zone: None`).
    Warning {
        name: String,
        zone: Zone,
    },
    ExternalChange {
        name: String,
        change: &'static str,
    },
    /// In a fleet: another host refreshed (or replaced) `name`.
    RefreshedElsewhere {
        name: String,
        host: String,
    },
    Stopped,
}

/// What the engine keeps of a credential: timing and identity, no secret.
#[derive(Clone, Debug)]
struct Lane {
    provider: String,
    fingerprint: Fingerprint,
    refreshable: bool,
    next: Option<DateTime<Utc>>,
    /// The zone last warned about (credentials credtop cannot refresh:
    /// not refreshable, or a paused lane).
    warned: Zone,
    failures: u32,
    paused: bool,
    in_flight: bool,
}

pub struct Engine {
    lc: Arc<Lifecycle>,
    cfg: EngineConfig,
    events: broadcast::Sender<EngineEvent>,
    lanes: HashMap<String, Lane>,
    schedule: BTreeSet<(DateTime<Utc>, String)>,
    /// The warnings already in the audit trail when this engine started, by
    /// fingerprint: an engine started again (the dashboard is opened many
    /// times a day) does not repeat them.
    warned_before: HashMap<String, Zone>,
}

type Finished = (String, Duration, Result<RefreshOutcome, LifecycleError>);

impl Engine {
    pub fn new(
        lc: Arc<Lifecycle>,
        cfg: EngineConfig,
    ) -> (Engine, broadcast::Receiver<EngineEvent>) {
        let (events, rx) = broadcast::channel(1024);
        let engine = Engine {
            lc,
            cfg,
            events,
            lanes: HashMap::new(),
            schedule: BTreeSet::new(),
            warned_before: HashMap::new(),
        };
        (engine, rx)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.events.subscribe()
    }

    fn emit(&self, e: EngineEvent) {
        let _ = self.events.send(e);
    }

    /// Runs until `stop` turns true; in-flight refreshes are finished
    /// (bounded) before it returns.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let changes = super::watch::Changes::default();
        let _watcher = super::watch::watch_store(self.lc.home(), changes.clone())
            .inspect_err(|e| tracing::warn!(error = %e, "store watch unavailable; external changes need a restart"))
            .ok();
        let _fleet_watch = super::watch::watch_fleet(self.lc.store(), changes.clone());
        self.reload(true);
        let mut tasks: JoinSet<Finished> = JoinSet::new();
        // Which credential each task refreshes, so that a task that panicked
        // frees its lane instead of leaving it in flight for ever.
        let mut running: HashMap<tokio::task::Id, String> = HashMap::new();
        // A change is acted on after a short debounce, so that a burst of
        // writes is read once; meanwhile refreshes go on being started and
        // finished.
        let mut reload_at: Option<tokio::time::Instant> = None;
        loop {
            self.start_due(&mut tasks, &mut running);
            // With every slot taken, a due credential waits for a refresh
            // to finish (join_next wakes us), not for the clock.
            let saturated = tasks.len() >= self.cfg.concurrency;
            let wake = tokio::time::Instant::now() + self.next_wake(saturated);
            let wake = reload_at.map_or(wake, |r| r.min(wake));
            tokio::select! {
                _ = tokio::time::sleep_until(wake) => {
                    if reload_at.is_some_and(|r| r <= tokio::time::Instant::now()) {
                        reload_at = None;
                        let pending = changes.take();
                        if pending.rescan {
                            self.reload(false);
                        } else {
                            self.reload_names(&pending.names);
                        }
                    }
                }
                () = changes.changed(), if reload_at.is_none() => {
                    reload_at = Some(tokio::time::Instant::now() + self.cfg.debounce);
                }
                Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                    self.joined(done, &mut running);
                }
                _ = stop.changed() => break,
            }
        }
        let drain = async {
            while let Some(done) = tasks.join_next_with_id().await {
                self.joined(done, &mut running);
            }
        };
        if tokio::time::timeout(Duration::from_secs(10), drain)
            .await
            .is_err()
        {
            tasks.abort_all();
        }
        self.emit(EngineEvent::Stopped);
    }

    /// A refresh task ended: its outcome, or, if it panicked, a transient
    /// failure of its credential (retried with backoff).
    fn joined(
        &mut self,
        done: Result<(tokio::task::Id, Finished), tokio::task::JoinError>,
        running: &mut HashMap<tokio::task::Id, String>,
    ) {
        match done {
            Ok((id, finished)) => {
                running.remove(&id);
                self.finish(finished);
            }
            Err(e) => {
                let Some(name) = running.remove(&e.id()) else {
                    return;
                };
                tracing::error!(credential = %name, "refresh task failed: {}", if e.is_panic() { "panic" } else { "cancelled" });
                let failed = LifecycleError::OAuth(crate::oauth::OAuthError::new(
                    FailureKind::Transient,
                    format!("the refresh of {name} stopped unexpectedly; retrying"),
                ));
                self.finish((name, Duration::ZERO, Err(failed)));
            }
        }
    }

    /// How long to sleep: until the next scheduled instant, at most a minute
    /// (a coarse safety net against clock jumps).
    fn next_wake(&self, saturated: bool) -> Duration {
        let Some((at, _)) = self.schedule.first().filter(|_| !saturated) else {
            return Duration::from_secs(60);
        };
        (*at - Utc::now())
            .to_std()
            .unwrap_or_default()
            .min(Duration::from_secs(60))
    }

    fn reschedule(&mut self, name: &str, next: Option<DateTime<Utc>>) {
        let Some(lane) = self.lanes.get_mut(name) else {
            return;
        };
        if let Some(old) = lane.next.take() {
            self.schedule.remove(&(old, name.to_string()));
        }
        lane.next = next;
        if let Some(at) = next {
            self.schedule.insert((at, name.to_string()));
        }
    }

    fn start_due(
        &mut self,
        tasks: &mut JoinSet<Finished>,
        running: &mut HashMap<tokio::task::Id, String>,
    ) {
        let now = Utc::now();
        let mut waiting = Vec::new();
        while let Some((at, name)) = self.schedule.first().cloned() {
            if at > now {
                break;
            }
            self.schedule.remove(&(at, name.clone()));
            let Some(lane) = self.lanes.get_mut(&name) else {
                continue;
            };
            lane.next = None;
            if !lane.refreshable || lane.paused {
                self.warn(&name);
                continue;
            }
            if tasks.len() >= self.cfg.concurrency {
                waiting.push((at, name));
                break;
            }
            lane.in_flight = true;
            self.emit(EngineEvent::RefreshStarted { name: name.clone() });
            let lc = Arc::clone(&self.lc);
            let task_name = name.clone();
            let handle = tasks.spawn(async move {
                let started = std::time::Instant::now();
                let result = lc.refresh(&name, RefreshMode::IfNeeded).await;
                (name, started.elapsed(), result)
            });
            running.insert(handle.id(), task_name);
        }
        // Over the concurrency limit: retried as soon as a slot frees.
        for (at, name) in waiting {
            if let Some(lane) = self.lanes.get_mut(&name) {
                lane.next = Some(at);
                self.schedule.insert((at, name));
            }
        }
    }

    fn finish(&mut self, (name, latency, result): Finished) {
        let Some(lane) = self.lanes.get_mut(&name) else {
            return;
        };
        lane.in_flight = false;
        match result {
            Ok(outcome) => {
                let refreshed = matches!(outcome, RefreshOutcome::Refreshed(_));
                let cred = outcome.credential().clone();
                let changed = lane.fingerprint != cred.secret.fingerprint();
                lane.failures = 0;
                lane.paused = false;
                if refreshed {
                    self.emit(EngineEvent::RefreshSucceeded {
                        name: name.clone(),
                        latency,
                        expires_at: cred.expires_at,
                    });
                } else if let Some(host) = changed
                    .then(|| self.lc.store().load_written(&name).ok())
                    .flatten()
                    .and_then(|(_, w)| self.other_host(w))
                {
                    // Another host of the fleet was first at this due point.
                    self.refreshed_elsewhere(&cred, host);
                } else {
                    self.emit(EngineEvent::RefreshNotNeeded { name: name.clone() });
                }
                self.track(&cred);
            }
            Err(e) => {
                let kind = e.kind();
                let retry_at = match &e {
                    LifecycleError::OAuth(o) => o.retry_at,
                    _ => None,
                };
                let pauses = lane::LaneState::pauses(kind);
                lane.paused = pauses;
                lane.failures += u32::from(!pauses);
                let failures = lane.failures;
                // When the engine tries again: as told (Retry-After), or
                // after the backoff. Said in the event and in the lane state,
                // so that every view shows the same "retry at".
                let next = (!pauses).then(|| {
                    let next = Utc::now() + self.backoff(failures);
                    retry_at.map_or(next, |r| r.max(next))
                });
                if let Some(at) = next {
                    lane::set_retry_at(self.lc.home(), &name, at);
                }
                self.emit(EngineEvent::RefreshFailed {
                    name: name.clone(),
                    kind,
                    message: e.to_string(),
                    retry_at: next,
                    latency,
                });
                if pauses {
                    self.emit(EngineEvent::LanePaused {
                        name: name.clone(),
                        kind,
                    });
                    // The lifecycle has recorded the pause in the lane
                    // state: tracking again schedules only the expiry.
                    match self.lc.store().load(&name) {
                        Ok(cred) => self.track(&cred),
                        Err(_) => self.reschedule(&name, None),
                    }
                } else {
                    self.reschedule(&name, next);
                }
            }
        }
    }

    /// Exponential backoff with full jitter: uniform in [0, min(cap, base·2ⁿ)].
    fn backoff(&self, failures: u32) -> chrono::Duration {
        let ceiling = self
            .cfg
            .backoff_base
            .saturating_mul(2u32.saturating_pow(failures.min(20)))
            .min(self.cfg.backoff_cap);
        let pick = ceiling
            .mul_f64(rand::random::<f64>())
            .max(Duration::from_millis(200));
        chrono::Duration::from_std(pick).unwrap_or_default()
    }

    /// Starts (or updates) tracking `cred` and schedules its next action.
    fn track(&mut self, cred: &Credential) {
        let refresh_at = self.lc.providers().refresh_at(&cred.provider);
        let life = cred.lifetime(refresh_at);
        let fingerprint = cred.secret.fingerprint();
        let previous = self.lanes.get(&cred.name);
        let same = previous.filter(|p| p.fingerprint == fingerprint);
        // Paused as recorded in the lane state, or in memory by a failure
        // that could not be recorded (the lock or the store failing): either
        // way, only a new credential resumes the lane.
        let paused = lane::load(self.lc.home(), &cred.name)
            .is_some_and(|s| s.paused && s.status_for(cred).is_some())
            || same.is_some_and(|p| p.paused);
        let refreshable = cred.is_refreshable();
        let warned = match same {
            Some(p) => p.warned,
            None => self
                .warned_before
                .get(&fingerprint.0)
                .copied()
                .unwrap_or(Zone::Safe),
        };
        let lane = Lane {
            provider: cred.provider.clone(),
            fingerprint,
            refreshable,
            next: previous.and_then(|p| p.next),
            warned,
            failures: previous.map_or(0, |p| p.failures),
            paused,
            in_flight: previous.is_some_and(|p| p.in_flight),
        };
        let next = match (paused, refreshable) {
            // A paused lane's access token still works until it expires;
            // that moment goes on the record, once.
            (true, _) => (lane.warned != Zone::Expired)
                .then_some(life.expires_at)
                .flatten(),
            (false, true) => life.scheduled_refresh(cred.jitter_seed()),
            (false, false) => match lane.warned {
                Zone::Safe => life
                    .refresh_point()
                    .or_else(|| life.rotation_due(self.lc.store().config().rotation_age_days())),
                Zone::Danger => life.expires_at,
                _ => None,
            },
        };
        // A re-read of the same credential (the watch reports the lane
        // state this engine just wrote) must not undo a backoff or a
        // Retry-After: after failures, the later of the two times wins.
        let backing_off = previous
            .filter(|p| p.fingerprint == cred.secret.fingerprint() && p.failures > 0)
            .and_then(|p| p.next);
        let next = match (next, backing_off) {
            (Some(n), Some(b)) => Some(n.max(b)),
            (n, _) => n,
        };
        self.lanes.insert(cred.name.clone(), lane);
        if !self.lanes[&cred.name].in_flight {
            self.reschedule(&cred.name, next);
        }
    }

    /// A credential credtop cannot refresh reached its refresh point or its
    /// expiry: warn once for each.
    fn warn(&mut self, name: &str) {
        let Ok(cred) = self.lc.store().load(name) else {
            return;
        };
        let now = Utc::now();
        let zone = cred.zone(now, self.lc.providers().refresh_at(&cred.provider));
        let event = match zone {
            Zone::Danger => Event::WarningRaised,
            Zone::Expired => Event::TokenExpired,
            Zone::None => return self.warn_rotation(&cred, now),
            _ => return self.track(&cred),
        };
        let detail = if self.lanes.get(name).is_some_and(|l| l.paused) {
            format!(
                "refresh is paused; log in again: {}",
                super::lifecycle::relogin(&cred)
            )
        } else {
            "credtop cannot refresh this credential; renew it by hand".to_string()
        };
        self.record_warning(&cred, event, zone, detail);
        if let Some(lane) = self.lanes.get_mut(name) {
            lane.warned = zone;
        }
        self.track(&cred);
    }

    /// A key without expiry reached the rotation age: warn once. `warned`
    /// records it as Danger, the nearest thing a key without zones has.
    fn warn_rotation(&mut self, cred: &Credential, now: DateTime<Utc>) {
        let days = self.lc.store().config().rotation_age_days();
        let due = cred.lifetime(None).rotation_due(days);
        if due.is_some_and(|d| now >= d) {
            let detail = format!(
                "older than the rotation age ({days} days); rotate it: credtop rotate {}",
                cred.name
            );
            self.record_warning(cred, Event::WarningRaised, Zone::None, detail);
            if let Some(lane) = self.lanes.get_mut(&cred.name) {
                lane.warned = Zone::Danger;
            }
        }
        self.track(cred);
    }

    /// Audits and announces a warning, unless another engine (the daemon
    /// beside the dashboard) has just said the same about this token.
    fn record_warning(&self, cred: &Credential, event: Event, zone: Zone, detail: String) {
        let said = audited_warnings(self.lc.audit(), 16 << 10);
        let rank = zone_rank(warned_zone(event));
        if said
            .get(&cred.secret.fingerprint().0)
            .is_none_or(|z| zone_rank(*z) < rank)
        {
            self.lc.audit().record(
                AuditRecord::new(event, self.actor(), Outcome::Info)
                    .about(cred)
                    .detail(detail),
            );
        }
        self.emit(EngineEvent::Warning {
            name: cred.name.clone(),
            zone,
        });
    }

    fn actor(&self) -> crate::audit::Actor {
        self.lc.actor()
    }

    /// Re-reads the store: picks up credentials added, replaced or removed
    /// by anyone, and audits the changes no credtop process made.
    fn reload(&mut self, initial: bool) {
        if initial {
            // The last few MiB hold every warning of all but the largest
            // homes; one that scrolled out of them is said again.
            self.warned_before = audited_warnings(self.lc.audit(), 8 << 20);
        }
        let listing = self.lc.store().list();
        for problem in &listing.problems {
            tracing::warn!(problem = %problem, "unreadable credential");
        }
        let mut seen = BTreeSet::new();
        let mut known_writes = None;
        let lanes_before = self.lanes.len();
        for cred in listing.credentials.iter().filter(|c| c.source.is_owned()) {
            seen.insert(cred.name.clone());
            if self.lanes.get(&cred.name).is_some_and(|l| l.in_flight) {
                continue;
            }
            let change = match self.lanes.get(&cred.name) {
                None if initial => None,
                None => Some("added"),
                Some(l) if l.fingerprint != cred.secret.fingerprint() => Some("replaced"),
                Some(_) => None,
            };
            let change = change.filter(|_| {
                !self.written_by_credtop(
                    &cred.name,
                    &cred.secret.fingerprint().0,
                    &mut known_writes,
                )
            });
            if initial {
                self.lc.audit().record(
                    AuditRecord::new(Event::CredentialLoaded, self.actor(), Outcome::Info)
                        .about(cred)
                        .detail(format!(
                            "zone {}",
                            cred.zone(Utc::now(), self.lc.providers().refresh_at(&cred.provider))
                                .as_str()
                        )),
                );
            }
            if let Some(change) = change {
                self.external_change(&cred.name, Some(cred), change);
            }
            self.track(cred);
        }
        let gone: Vec<String> = self
            .lanes
            .keys()
            .filter(|n| !seen.contains(*n))
            .cloned()
            .collect();
        for name in gone {
            self.reschedule(&name, None);
            let lane = self.lanes.remove(&name);
            if let Some(lane) = lane.filter(|l| !l.in_flight)
                && !self.written_by_credtop(&name, &lane.fingerprint.0, &mut known_writes)
            {
                self.external_change(&name, None, "deleted");
            }
        }
        drop(listing);
        crate::memory::release_free_memory();
        if initial || self.lanes.len() != lanes_before {
            self.emit(EngineEvent::Loaded {
                count: self.lanes.len(),
            });
        }
    }

    /// Re-reads only the credentials whose files changed. One being
    /// refreshed right now is left alone: its refresh is about to report the
    /// new state, and a file read mid-flight would pass for a change by
    /// someone else.
    fn reload_names(&mut self, names: &BTreeSet<String>) {
        let mut known_writes = None;
        let lanes_before = self.lanes.len();
        for name in names {
            if self.lanes.get(name).is_some_and(|l| l.in_flight) {
                continue;
            }
            match self.lc.store().load_written(name) {
                Ok((cred, written)) if cred.source.is_owned() => {
                    let change = match self.lanes.get(name) {
                        None => Some("added"),
                        Some(l) if l.fingerprint != cred.secret.fingerprint() => {
                            if let Some(host) = self.other_host(written) {
                                self.refreshed_elsewhere(&cred, host);
                                self.track(&cred);
                                continue;
                            }
                            Some("replaced")
                        }
                        Some(_) => None,
                    };
                    let fp = cred.secret.fingerprint().0;
                    let change =
                        change.filter(|_| !self.written_by_credtop(name, &fp, &mut known_writes));
                    if let Some(change) = change {
                        self.external_change(name, Some(&cred), change);
                    }
                    self.track(&cred);
                }
                Ok(_) => {}
                Err(StoreError::NotFound { .. }) => {
                    if self.lanes.contains_key(name) {
                        self.reschedule(name, None);
                    }
                    if let Some(lane) = self.lanes.remove(name)
                        && !self.written_by_credtop(name, &lane.fingerprint.0, &mut known_writes)
                    {
                        self.external_change(name, None, "deleted");
                    }
                }
                Err(e) => tracing::warn!(credential = %name, problem = %e, "unreadable credential"),
            }
        }
        // The header's lane count follows a login or a revoke made anywhere.
        if self.lanes.len() != lanes_before {
            self.emit(EngineEvent::Loaded {
                count: self.lanes.len(),
            });
        }
    }

    /// Whether a credtop process (this one, the dashboard, the daemon, a
    /// CLI call) wrote or deleted `name` with fingerprint `fp`. Every such
    /// write holds the credential's lock until its audit record is written,
    /// so waiting for the lock (bounded) closes the gap between the file
    /// appearing and the record that explains it.
    fn written_by_credtop(
        &self,
        name: &str,
        fp: &str,
        known: &mut Option<BTreeSet<String>>,
    ) -> bool {
        if known
            .get_or_insert_with(|| recent_credtop_writes(self.lc.audit()))
            .contains(fp)
        {
            return true;
        }
        if let Ok(lock) = self.lc.store().lock(name, Duration::from_secs(2)) {
            drop(lock);
            *known = Some(recent_credtop_writes(self.lc.audit()));
        }
        known.as_ref().is_some_and(|k| k.contains(fp))
    }

    /// The host that wrote a fleet value, when it is not this one.
    fn other_host(&self, written: Option<crate::store::Written>) -> Option<String> {
        let ours = self.lc.store().fleet()?.host().to_string();
        written.map(|w| w.host).filter(|h| *h != ours)
    }

    /// Another host of the fleet refreshed (or replaced) `cred`: said on
    /// screen and in this host's trail, as what it is rather than as a
    /// change "outside credtop".
    fn refreshed_elsewhere(&self, cred: &Credential, host: String) {
        self.lc.audit().record(
            AuditRecord::new(Event::ExternalChange, self.actor(), Outcome::Info)
                .about(cred)
                .detail(format!("refreshed by {host} (fleet); picked up live")),
        );
        self.emit(EngineEvent::RefreshedElsewhere {
            name: cred.name.clone(),
            host,
        });
    }

    fn external_change(&self, name: &str, cred: Option<&Credential>, change: &'static str) {
        let mut record = AuditRecord::new(Event::ExternalChange, self.actor(), Outcome::Info)
            .named(name)
            .detail(format!(
                "credential {change} outside credtop; picked up live"
            ));
        if let Some(c) = cred {
            record = record.about(c).detail(format!(
                "credential {change} outside credtop; picked up live"
            ));
        }
        self.lc.audit().record(record);
        self.emit(EngineEvent::ExternalChange {
            name: name.to_string(),
            change,
        });
    }

    /// The credential's provider, for callers that only know the name.
    pub fn provider_of(&self, name: &str) -> Option<&str> {
        self.lanes.get(name).map(|l| l.provider.as_str())
    }
}

/// The strongest warning the last `max_bytes` of the audit trail hold for
/// each fingerprint: Danger for `warning_raised` (a danger zone, or a key
/// past its rotation age), Expired for `token_expired`.
fn audited_warnings(audit: &crate::audit::AuditLog, max_bytes: u64) -> HashMap<String, Zone> {
    let mut out: HashMap<String, Zone> = HashMap::new();
    let events = [Event::WarningRaised, Event::TokenExpired];
    let _ = crate::audit::scan_tail(audit, max_bytes, &events, |r| {
        let zone = warned_zone(r.event);
        if let Some(fp) = r.fingerprint {
            let seen = out.entry(fp.0).or_insert(zone);
            if zone_rank(zone) > zone_rank(*seen) {
                *seen = zone;
            }
        }
    });
    out
}

fn zone_rank(z: Zone) -> u8 {
    match z {
        Zone::Expired => 2,
        Zone::Danger => 1,
        _ => 0,
    }
}

/// The zone a warning event stands for in `Lane::warned`.
fn warned_zone(e: Event) -> Zone {
    if e == Event::TokenExpired {
        Zone::Expired
    } else {
        Zone::Danger
    }
}

/// Fingerprints written lately by any credtop process (refreshes by
/// `credtop token`, logins, rotations), read from the audit trail's tail.
fn recent_credtop_writes(audit: &crate::audit::AuditLog) -> BTreeSet<String> {
    let since = Utc::now() - chrono::Duration::hours(1);
    let writes = [
        Event::RefreshSucceeded,
        Event::LoginCompleted,
        Event::Rotate,
        Event::CredentialAdded,
        // A deletion carries the fingerprint of what was deleted.
        Event::Revoke,
        Event::Logout,
    ];
    let mut out = BTreeSet::new();
    // The last few MiB hold far more than an hour of any real home.
    let _ = crate::audit::scan_tail(audit, 8 << 20, &writes, |r| {
        if r.ts >= since
            && let Some(f) = r.fingerprint
        {
            out.insert(f.0);
        }
    });
    out
}
