//! The refresh schedule as a pure state machine: [`Schedule::on`] takes the
//! clock and one [`Input`] (what was read, what finished) and returns the
//! [`Effect`]s to perform (start a refresh, say something, audit a
//! warning). It reads no clock, no file and no randomness of its own, so
//! every decision is tested at a fixed instant (`tests.rs`); the runner in
//! `scheduler.rs` performs the effects.
//!
//! Policy: each credential credtop owns is refreshed when it enters its
//! danger zone (refresh point plus jitter), never waiting for a 401.
//! Transient failures back off (exponential, full jitter, capped,
//! Retry-After respected); dead ones pause the lane until the credential
//! changes. Credentials credtop cannot refresh are warned about once per
//! zone.

mod cap;
mod lane;
#[cfg(test)]
mod tests;
mod types;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};

pub(super) use cap::cap_key;
pub(super) use lane::{Lane, Observed, rank};
pub(super) use types::{Change, Effect, Input, Policy, Refreshed};

use super::EngineEvent;

use crate::model::{FailureKind, Zone};

pub(super) struct Schedule {
    policy: Policy,
    lanes: HashMap<String, Lane>,
    queue: BTreeSet<(DateTime<Utc>, String)>,
    /// Names of the refreshes in flight.
    running: BTreeSet<String>,
    /// The warnings already in the audit trail when the engine started, by
    /// fingerprint: an engine started again does not repeat them.
    warned_before: HashMap<String, Zone>,
    /// A number in [0, 1) for the backoff's full jitter.
    dice: Box<dyn FnMut() -> f64 + Send>,
}

impl Schedule {
    pub fn new(
        policy: Policy,
        warned_before: HashMap<String, Zone>,
        dice: Box<dyn FnMut() -> f64 + Send>,
    ) -> Schedule {
        Schedule {
            policy,
            lanes: HashMap::new(),
            queue: BTreeSet::new(),
            running: BTreeSet::new(),
            warned_before,
            dice,
        }
    }

    /// Applies `input` at `now`, then starts whatever is due.
    pub fn on(&mut self, now: DateTime<Utc>, input: Input) -> Vec<Effect> {
        let mut out = Vec::new();
        match input {
            Input::Listed { creds, initial } => self.listed(creds, initial, &mut out),
            Input::Read { name, cred } => self.read(&name, cred, &mut out),
            Input::Finished {
                name,
                latency,
                result,
            } => self.finished(now, &name, latency, result, &mut out),
            Input::Tick => {}
        }
        self.start_due(now, &mut out);
        out
    }

    /// When something is next due; None while every slot is taken (a
    /// finished refresh wakes the runner) or nothing is scheduled.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        if self.running.len() >= self.policy.concurrency {
            return None;
        }
        self.queue.first().map(|(at, _)| *at)
    }

    #[cfg(test)]
    pub fn lane(&self, name: &str) -> Option<&Lane> {
        self.lanes.get(name)
    }

    pub fn in_flight(&self, name: &str) -> bool {
        self.running.contains(name)
    }

    fn reschedule(&mut self, name: &str, next: Option<DateTime<Utc>>) {
        let Some(lane) = self.lanes.get_mut(name) else {
            return;
        };
        if let Some(old) = lane.next.take() {
            self.queue.remove(&(old, name.to_string()));
        }
        lane.next = next;
        if let Some(at) = next {
            self.queue.insert((at, name.to_string()));
        }
    }

    fn start_due(&mut self, now: DateTime<Utc>, out: &mut Vec<Effect>) {
        while let Some((at, name)) = self.queue.first().cloned() {
            if at > now || self.running.len() >= self.policy.concurrency {
                // Over the cap, a due credential stays first in the queue
                // and starts as soon as a refresh ends.
                break;
            }
            self.queue.remove(&(at, name.clone()));
            let Some(lane) = self.lanes.get_mut(&name) else {
                continue;
            };
            lane.next = None;
            // Past its warning point the grant's warning is settled: said
            // now, or moot because the grant ended unseen (no engine ran
            // in its last week). Either way it is never due again, or the
            // lane would be planned for that past moment and fall silent.
            if lane.cap_warning_due().is_some_and(|at| at <= now) {
                out.extend(lane.cap_warning(&name, now));
                lane.cap_warned = true;
            }
            if !lane.renewable_at(now) || lane.paused {
                self.warn(now, &name, out);
                continue;
            }
            // Woken for the warning alone: the refresh comes later (or
            // never, for a token without expiry).
            if lane
                .life
                .scheduled_refresh(lane.jitter_seed)
                .is_none_or(|at| at > now)
            {
                let next = lane.plan(self.policy.rotation_age_days);
                self.reschedule(&name, next);
                continue;
            }
            self.running.insert(name.clone());
            out.push(Effect::Emit(EngineEvent::RefreshStarted {
                name: name.clone(),
            }));
            out.push(Effect::Refresh { name });
        }
    }

    /// Starts (or updates) tracking `cred` and schedules its next action.
    fn track(&mut self, cred: Observed) {
        let name = cred.name.clone();
        let previous = self.lanes.remove(&name);
        let lane = Lane::tracked(cred, previous.as_ref(), &self.warned_before);
        let next = lane.plan(self.policy.rotation_age_days);
        // A re-read of the same credential (the watch reports the lane
        // state this engine just wrote) must not undo a backoff or a
        // Retry-After: after failures, the later of the two times wins.
        let backing_off = previous
            .as_ref()
            .filter(|p| p.fingerprint == lane.fingerprint && p.failures > 0)
            .and_then(|p| p.next);
        let next = match (next, backing_off) {
            (Some(n), Some(b)) => Some(n.max(b)),
            (n, _) => n,
        };
        let queued = previous.and_then(|p| p.next);
        if let Some(old) = queued {
            self.queue.remove(&(old, name.clone()));
        }
        self.lanes.insert(name.clone(), lane);
        if !self.running.contains(&name) {
            self.reschedule(&name, next);
        }
    }

    fn listed(&mut self, creds: Vec<Observed>, initial: bool, out: &mut Vec<Effect>) {
        let lanes_before = self.lanes.len();
        let mut seen = BTreeSet::new();
        for cred in creds {
            seen.insert(cred.name.clone());
            if self.running.contains(&cred.name) {
                continue;
            }
            if !initial {
                self.note_change(&cred, out);
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
            self.forget(&name, out);
        }
        // The header's lane count follows an add or a delete made anywhere.
        if initial || self.lanes.len() != lanes_before {
            out.push(Effect::Emit(EngineEvent::Loaded {
                count: self.lanes.len(),
            }));
        }
    }

    /// One credential re-read. One being refreshed right now is left
    /// alone: its refresh is about to report the new state, and a file
    /// read mid-flight would pass for a change by someone else.
    fn read(&mut self, name: &str, cred: Option<Observed>, out: &mut Vec<Effect>) {
        if self.running.contains(name) {
            return;
        }
        let lanes_before = self.lanes.len();
        match cred {
            Some(cred) => {
                self.note_change(&cred, out);
                self.track(cred);
            }
            None => self.forget(name, out),
        }
        if self.lanes.len() != lanes_before {
            out.push(Effect::Emit(EngineEvent::Loaded {
                count: self.lanes.len(),
            }));
        }
    }

    fn note_change(&self, cred: &Observed, out: &mut Vec<Effect>) {
        let change = match self.lanes.get(&cred.name) {
            None => Change::Added,
            Some(l) if l.fingerprint != cred.fingerprint => Change::Replaced,
            Some(_) => return,
        };
        out.push(Effect::Changed {
            name: cred.name.clone(),
            change,
            fingerprint: Some(cred.fingerprint.clone()),
        });
    }

    fn forget(&mut self, name: &str, out: &mut Vec<Effect>) {
        if !self.lanes.contains_key(name) {
            return;
        }
        self.reschedule(name, None);
        let lane = self.lanes.remove(name);
        if !self.running.contains(name) {
            // The fingerprint of what was deleted tells credtop's own
            // revoke or logout from a deletion by hand.
            out.push(Effect::Changed {
                name: name.to_string(),
                change: Change::Deleted,
                fingerprint: lane.map(|l| l.fingerprint),
            });
        }
    }

    fn finished(
        &mut self,
        now: DateTime<Utc>,
        name: &str,
        latency: Duration,
        result: Refreshed,
        out: &mut Vec<Effect>,
    ) {
        self.running.remove(name);
        let Some(lane) = self.lanes.get_mut(name) else {
            return;
        };
        match result {
            Refreshed::Ok { refreshed, cred } => {
                lane.failures = 0;
                lane.paused = false;
                out.push(Effect::Emit(if refreshed {
                    EngineEvent::RefreshSucceeded {
                        name: name.to_string(),
                        latency,
                        expires_at: cred.life.expires_at,
                    }
                } else {
                    EngineEvent::RefreshNotNeeded {
                        name: name.to_string(),
                    }
                }));
                self.track(cred);
            }
            Refreshed::Failed {
                kind,
                message,
                retry_at,
                cred,
            } => self.failed(now, name, latency, (kind, message, retry_at), cred, out),
        }
    }

    fn failed(
        &mut self,
        now: DateTime<Utc>,
        name: &str,
        latency: Duration,
        (kind, message, retry_at): (FailureKind, String, Option<DateTime<Utc>>),
        cred: Option<Observed>,
        out: &mut Vec<Effect>,
    ) {
        let pauses = !kind.is_retryable();
        let failures = match self.lanes.get_mut(name) {
            Some(lane) => {
                lane.paused = pauses;
                lane.failures += u32::from(!pauses);
                lane.failures
            }
            None => return,
        };
        // When the engine tries again: as told (Retry-After), or after the
        // backoff. Said in the event and in the lane state, so that every
        // view shows the same "retry at".
        let next = (!pauses).then(|| {
            let next = now + self.backoff(failures);
            retry_at.map_or(next, |r| r.max(next))
        });
        if let Some(at) = next {
            out.push(Effect::SaveRetryAt {
                name: name.to_string(),
                at,
            });
        }
        out.push(Effect::Emit(EngineEvent::RefreshFailed {
            name: name.to_string(),
            kind,
            message,
            retry_at: next,
            latency,
        }));
        if !pauses {
            return self.reschedule(name, next);
        }
        out.push(Effect::Emit(EngineEvent::LanePaused {
            name: name.to_string(),
            kind,
        }));
        // The lane state records the pause: tracking again schedules only
        // the expiry.
        match cred {
            Some(cred) => self.track(cred),
            None => self.reschedule(name, None),
        }
    }

    /// Exponential backoff with full jitter: uniform in
    /// [0, min(cap, base·2ⁿ)], at least 200 ms.
    fn backoff(&mut self, failures: u32) -> chrono::Duration {
        let ceiling = self
            .policy
            .backoff_base
            .saturating_mul(2u32.saturating_pow(failures.min(20)))
            .min(self.policy.backoff_cap);
        let pick = ceiling
            .mul_f64((self.dice)().clamp(0.0, 1.0))
            .max(Duration::from_millis(200));
        chrono::Duration::from_std(pick).unwrap_or_default()
    }

    /// A credential credtop cannot refresh (not refreshable, or paused)
    /// reached its refresh point, its expiry or its rotation age: warn once
    /// for each, then plan the next moment worth a look.
    fn warn(&mut self, now: DateTime<Utc>, name: &str, out: &mut Vec<Effect>) {
        let Some(lane) = self.lanes.get_mut(name) else {
            return;
        };
        if let Some((event, zone, detail)) = lane.warning(name, now, self.policy.rotation_age_days)
        {
            lane.warned = if zone == Zone::None {
                Zone::Danger
            } else {
                zone
            };
            out.push(Effect::Warn {
                name: name.to_string(),
                event,
                zone,
                detail,
            });
        }
        // Never due again at this very instant: that would spin.
        let next = lane
            .plan(self.policy.rotation_age_days)
            .filter(|at| *at > now);
        self.reschedule(name, next);
    }
}
