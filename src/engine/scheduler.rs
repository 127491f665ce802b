//! The engine's runner: it feeds the [`Schedule`] what it reads (the
//! store, the watch, finished refreshes, the clock) and performs the
//! effects it returns (refreshes on tasks, events, audit records). Every
//! decision is the schedule's; this file only does I/O.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinSet;

use super::schedule::{Effect, Input, Observed, Policy, Refreshed, Schedule};
use super::{EngineConfig, EngineEvent, Lifecycle, LifecycleError, RefreshMode, lane, warnings};
use crate::audit::{AuditRecord, Event, Outcome};
use crate::model::{Credential, FailureKind};
use crate::store::StoreError;

/// The longest the runner sleeps: a coarse safety net against clock jumps.
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// How long a stopping engine lets refreshes in flight finish.
const DRAIN: Duration = Duration::from_secs(10);
/// How long a change waits for the credential's lock, held by a credtop
/// write until its audit record is written.
const OWN_WRITE_WAIT: Duration = Duration::from_secs(2);

pub struct Engine {
    lc: Arc<Lifecycle>,
    cfg: EngineConfig,
    events: broadcast::Sender<EngineEvent>,
}

type Finished = (String, Duration, Result<Credential, LifecycleError>, bool);

/// The refresh tasks in flight, and which credential each one refreshes,
/// so that a task that panicked frees its lane instead of leaving it in
/// flight for ever.
#[derive(Default)]
struct Tasks {
    set: JoinSet<Finished>,
    names: HashMap<tokio::task::Id, String>,
}

impl Engine {
    pub fn new(
        lc: Arc<Lifecycle>,
        cfg: EngineConfig,
    ) -> (Engine, broadcast::Receiver<EngineEvent>) {
        let (events, rx) = broadcast::channel(1024);
        (Engine { lc, cfg, events }, rx)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.events.subscribe()
    }

    fn emit(&self, e: EngineEvent) {
        let _ = self.events.send(e);
    }

    /// Runs until `stop` turns true; in-flight refreshes are finished
    /// (bounded) before it returns.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let changes = super::watch::Changes::default();
        let _watcher = super::watch::watch_store(self.lc.home(), changes.clone())
            .inspect_err(|e| tracing::warn!(error = %e, "store watch unavailable; external changes need a restart"))
            .ok();
        // In a fleet, a refresh on any host reaches this engine the same way.
        let _fleet_watch = super::watch::watch_fleet(self.lc.store(), changes.clone());
        let policy = Policy {
            concurrency: self.cfg.concurrency.max(1),
            backoff_base: self.cfg.backoff_base,
            backoff_cap: self.cfg.backoff_cap,
            rotation_age_days: self.lc.store().config().rotation_age_days(),
        };
        // The last few MiB hold every warning of all but the largest
        // homes; one that scrolled out of them is said again.
        let warned_before = warnings::audited(self.lc.audit(), 8 << 20);
        let mut schedule = Schedule::new(policy, warned_before, Box::new(rand::random::<f64>));
        let mut tasks = Tasks::default();
        let listed = self.list(true);
        self.apply(&mut schedule, listed, &mut tasks);
        // A change is acted on after a short debounce, so that a burst of
        // writes is read once; meanwhile refreshes go on.
        let mut reload_at: Option<tokio::time::Instant> = None;
        loop {
            let wake = tokio::time::Instant::now() + self.sleep_for(&schedule);
            let wake = reload_at.map_or(wake, |r| r.min(wake));
            tokio::select! {
                _ = tokio::time::sleep_until(wake) => {
                    if reload_at.is_some_and(|r| r <= tokio::time::Instant::now()) {
                        reload_at = None;
                        let pending = changes.take();
                        if pending.rescan {
                            let listed = self.list(false);
                            self.apply(&mut schedule, listed, &mut tasks);
                        } else {
                            for name in pending.names {
                                let read = self.read(&schedule, name.clone());
                                self.apply(&mut schedule, read, &mut tasks);
                                self.emit(EngineEvent::CredentialChanged { name });
                            }
                        }
                    } else {
                        self.apply(&mut schedule, Input::Tick, &mut tasks);
                    }
                }
                () = changes.changed(), if reload_at.is_none() => {
                    reload_at = Some(tokio::time::Instant::now() + self.cfg.debounce);
                }
                Some(done) = tasks.set.join_next_with_id(), if !tasks.set.is_empty() => {
                    let input = self.joined(done, &mut tasks);
                    if let Some(input) = input {
                        self.apply(&mut schedule, input, &mut tasks);
                    }
                }
                _ = stop.changed() => break,
            }
        }
        let drain = async {
            while let Some(done) = tasks.set.join_next_with_id().await {
                if let Some(input) = self.joined(done, &mut tasks) {
                    // Only said and recorded: nothing new starts now.
                    let effects = schedule.on(Utc::now(), input);
                    self.perform_quietly(effects);
                }
            }
        };
        if tokio::time::timeout(DRAIN, drain).await.is_err() {
            tasks.set.abort_all();
        }
        self.emit(EngineEvent::Stopped);
    }

    fn sleep_for(&self, schedule: &Schedule) -> Duration {
        schedule
            .next_due()
            .map_or(MAX_SLEEP, |at| {
                (at - Utc::now()).to_std().unwrap_or_default()
            })
            .min(MAX_SLEEP)
    }

    fn apply(&self, schedule: &mut Schedule, input: Input, tasks: &mut Tasks) {
        let effects = schedule.on(Utc::now(), input);
        let mut known_writes = None;
        for effect in effects {
            match effect {
                Effect::Refresh { name } => {
                    let lc = Arc::clone(&self.lc);
                    let task_name = name.clone();
                    let handle = tasks.set.spawn(async move {
                        let started = std::time::Instant::now();
                        let result = lc.refresh(&name, RefreshMode::IfNeeded).await;
                        let refreshed = matches!(result, Ok(super::RefreshOutcome::Refreshed(_)));
                        let result = result.map(|o| o.credential().clone());
                        (name, started.elapsed(), result, refreshed)
                    });
                    tasks.names.insert(handle.id(), task_name);
                }
                other => self.perform(other, &mut known_writes),
            }
        }
    }

    /// The effects of refreshes that ended while stopping.
    fn perform_quietly(&self, effects: Vec<Effect>) {
        let mut known_writes = None;
        for effect in effects {
            if !matches!(effect, Effect::Refresh { .. }) {
                self.perform(effect, &mut known_writes);
            }
        }
    }

    fn perform(&self, effect: Effect, known_writes: &mut Option<BTreeSet<String>>) {
        match effect {
            Effect::Refresh { .. } => {}
            Effect::Emit(e) => self.emit(e),
            Effect::SaveRetryAt { name, at } => lane::set_retry_at(self.lc.home(), &name, at),
            Effect::Warn {
                name,
                event,
                zone,
                detail,
            } => self.emit(warnings::raise(&self.lc, &name, event, zone, detail)),
            Effect::WarnCap { name, cap, detail } => {
                self.emit(warnings::raise_cap(&self.lc, &name, cap, detail))
            }
            Effect::Changed {
                name,
                change,
                fingerprint,
            } => {
                if change == super::schedule::Change::Replaced
                    && let Some(host) = self.written_elsewhere(&name)
                {
                    return self.refreshed_elsewhere(&name, host);
                }
                // A change is someone else's unless a credtop process (`credtop
                // token`, a login, a rotation, an add, a revoke) made it.
                let Some(fp) = fingerprint.map(|f| f.0) else {
                    return external_change(&self.lc, &self.events, &name, change.as_str());
                };
                if known_writes
                    .get_or_insert_with(|| warnings::recent_credtop_writes(self.lc.audit()))
                    .contains(&fp)
                {
                    return self.emit(EngineEvent::CredentialChanged { name });
                }
                // Every credtop write holds the credential's lock until its
                // audit record is written: waiting for the lock (bounded, off
                // the event loop) closes the gap between the file appearing
                // and the record that explains it.
                let (lc, events) = (Arc::clone(&self.lc), self.events.clone());
                let change = change.as_str();
                tokio::task::spawn_blocking(move || {
                    let ours = lc.store().lock(&name, OWN_WRITE_WAIT).is_ok()
                        && warnings::recent_credtop_writes(lc.audit()).contains(&fp);
                    if ours {
                        let _ = events.send(EngineEvent::CredentialChanged { name });
                    } else {
                        external_change(&lc, &events, &name, change);
                    }
                });
            }
        }
    }

    /// A refresh task ended: its outcome, or, if it panicked, a transient
    /// failure of its credential (retried with backoff).
    fn joined(
        &self,
        done: Result<(tokio::task::Id, Finished), tokio::task::JoinError>,
        tasks: &mut Tasks,
    ) -> Option<Input> {
        let (name, latency, result, refreshed) = match done {
            Ok((id, finished)) => {
                tasks.names.remove(&id);
                finished
            }
            Err(e) => {
                let name = tasks.names.remove(&e.id())?;
                tracing::error!(credential = %name, "refresh task failed: {}", if e.is_panic() { "panic" } else { "cancelled" });
                let result = Refreshed::Failed {
                    kind: FailureKind::Transient,
                    message: format!("the refresh of {name} stopped unexpectedly; retrying"),
                    retry_at: None,
                    cred: None,
                };
                return Some(Input::Finished {
                    name,
                    latency: Duration::ZERO,
                    result,
                });
            }
        };
        if let Ok(cred) = &result
            && !refreshed
            && let Some(host) = self.written_elsewhere(&cred.name)
        {
            // Another host of the fleet was first at this due point.
            self.refreshed_elsewhere(&cred.name, host);
        }
        let result = match result {
            Ok(cred) => Refreshed::Ok {
                refreshed,
                cred: self.observe(&cred),
            },
            Err(e) => {
                let kind = e.kind();
                Refreshed::Failed {
                    kind,
                    message: e.to_string(),
                    retry_at: match &e {
                        LifecycleError::OAuth(o) => o.retry_at,
                        _ => None,
                    },
                    // A pause is in the lane state now: read it back.
                    cred: (!kind.is_retryable())
                        .then(|| self.lc.store().load(&name).ok())
                        .flatten()
                        .map(|c| self.observe(&c)),
                }
            }
        };
        Some(Input::Finished {
            name,
            latency,
            result,
        })
    }

    /// The schedule's view of `cred`: its timing, and whether its lane
    /// state pauses this very token.
    fn observe(&self, cred: &Credential) -> Observed {
        self.observe_with(cred, true)
    }

    /// [`Self::observe`], told whether a lane state file exists at all.
    fn observe_with(&self, cred: &Credential, lane_file: bool) -> Observed {
        let paused = lane_file
            && lane::load(self.lc.home(), &cred.name)
                .is_some_and(|s| s.paused && s.status_for(cred).is_some());
        Observed::new(cred, self.lc.providers().refresh_at(&cred.provider), paused)
    }

    /// Reads the whole store. The first read audits each credential as
    /// loaded, with its zone.
    fn list(&self, initial: bool) -> Input {
        let listing = self.lc.store().list();
        for problem in &listing.problems {
            tracing::warn!(problem = %problem, "unreadable credential");
        }
        let now = Utc::now();
        let lanes = lane::present(self.lc.home());
        let creds = listing
            .credentials
            .iter()
            .filter(|c| c.source.is_owned())
            .map(|cred| {
                let has_lane = lanes.as_ref().is_none_or(|l| l.contains(&cred.name));
                let seen = self.observe_with(cred, has_lane);
                if initial {
                    self.lc.audit().record(
                        AuditRecord::new(Event::CredentialLoaded, self.lc.actor(), Outcome::Info)
                            .about(cred)
                            .detail(format!("zone {}", seen.life.zone(now).as_str())),
                    );
                }
                seen
            })
            .collect();
        drop(listing);
        crate::memory::release_free_memory();
        Input::Listed { creds, initial }
    }

    /// Re-reads one credential whose file changed (not while it is being
    /// refreshed: the schedule ignores that read anyway).
    fn read(&self, schedule: &Schedule, name: String) -> Input {
        if schedule.in_flight(&name) {
            return Input::Read { name, cred: None };
        }
        match self.lc.store().load(&name) {
            Ok(cred) if cred.source.is_owned() => Input::Read {
                cred: Some(self.observe(&cred)),
                name,
            },
            Err(StoreError::NotFound { .. }) => Input::Read { name, cred: None },
            Ok(_) => Input::Tick,
            Err(e) => {
                tracing::warn!(credential = %name, problem = %e, "unreadable credential");
                Input::Tick
            }
        }
    }

    /// In a fleet, the host that last wrote `name`, when it is not this one.
    fn written_elsewhere(&self, name: &str) -> Option<String> {
        let ours = self.lc.store().fleet()?.host().to_string();
        let (_, written) = self.lc.store().load_written(name).ok()?;
        written.map(|w| w.host).filter(|h| *h != ours)
    }

    /// Another host of the fleet refreshed (or replaced) `name`: said on
    /// screen and in this host's trail as what it is, not as a change
    /// "outside credtop".
    fn refreshed_elsewhere(&self, name: &str, host: String) {
        let record = AuditRecord::new(Event::ExternalChange, self.lc.actor(), Outcome::Info);
        let record = match self.lc.store().load(name) {
            Ok(cred) => record.about(&cred),
            Err(_) => record.named(name),
        };
        self.lc
            .audit()
            .record(record.detail(format!("refreshed by {host} (fleet); picked up live")));
        self.emit(EngineEvent::RefreshedElsewhere {
            name: name.to_string(),
            host,
        });
    }
}

/// A change made outside credtop: audited and said.
fn external_change(
    lc: &Lifecycle,
    events: &broadcast::Sender<EngineEvent>,
    name: &str,
    change: &'static str,
) {
    let detail = format!("credential {change} outside credtop; picked up live");
    let record = AuditRecord::new(Event::ExternalChange, lc.actor(), Outcome::Info).named(name);
    let record = match lc.store().load(name) {
        Ok(cred) if change != "deleted" => record.about(&cred),
        _ => record,
    };
    lc.audit().record(record.detail(detail));
    let _ = events.send(EngineEvent::ExternalChange {
        name: name.to_string(),
        change,
    });
}
