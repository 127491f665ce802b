//! What the schedule keeps of one credential: timing and identity, no
//! secret, and the decisions that depend on that alone.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::audit::Event;
use crate::model::{Credential, Fingerprint, Lifetime, Zone};

/// A credential as the runner read it (with its lane state on disk).
#[derive(Clone, Debug, PartialEq)]
pub(in crate::engine) struct Observed {
    pub name: String,
    pub provider: String,
    pub fingerprint: Fingerprint,
    pub refreshable: bool,
    pub life: Lifetime,
    pub jitter_seed: f64,
    /// The lane state on disk pauses this very token.
    pub paused_on_disk: bool,
    /// The grant's hard end, for a credential credtop refreshes.
    pub cap: Option<DateTime<Utc>>,
}

impl Observed {
    pub fn new(cred: &Credential, refresh_at: Option<f64>, paused_on_disk: bool) -> Observed {
        Observed {
            name: cred.name.clone(),
            provider: cred.provider.clone(),
            fingerprint: cred.secret.fingerprint(),
            refreshable: cred.is_refreshable(),
            life: cred.lifetime(refresh_at),
            jitter_seed: cred.jitter_seed(),
            paused_on_disk,
            cap: cred.refresh_expires_at.filter(|_| cred.is_refreshable()),
        }
    }
}

#[derive(Clone, Debug)]
pub(in crate::engine) struct Lane {
    pub provider: String,
    pub fingerprint: Fingerprint,
    pub refreshable: bool,
    pub life: Lifetime,
    pub jitter_seed: f64,
    pub next: Option<DateTime<Utc>>,
    /// The zone last warned about (credentials credtop cannot refresh:
    /// not refreshable, or a paused lane); a key past its rotation age
    /// counts as Danger.
    pub warned: Zone,
    pub failures: u32,
    pub paused: bool,
    pub cap: Option<DateTime<Utc>>,
    /// The warning before `cap` was given (by this engine, or before it in
    /// the audit trail).
    pub cap_warned: bool,
}

impl Lane {
    /// The lane of `cred`, carrying over what the previous lane of that
    /// name knew.
    pub fn tracked(
        cred: Observed,
        previous: Option<&Lane>,
        warned_before: &HashMap<String, Zone>,
    ) -> Lane {
        let same = previous.filter(|p| p.fingerprint == cred.fingerprint);
        // Paused as recorded in the lane state, or in memory by a failure
        // that could not be recorded (the lock or the store failing): either
        // way, only a new credential resumes the lane.
        let paused = cred.paused_on_disk || same.is_some_and(|p| p.paused);
        let warned = match same {
            Some(p) => p.warned,
            None => warned_before
                .get(&cred.fingerprint.0)
                .copied()
                .unwrap_or(Zone::Safe),
        };
        let cap_warned = super::cap::cap_warned(&cred, previous, warned_before);
        Lane {
            provider: cred.provider,
            fingerprint: cred.fingerprint,
            refreshable: cred.refreshable,
            life: cred.life,
            jitter_seed: cred.jitter_seed,
            next: None,
            warned,
            failures: previous.map_or(0, |p| p.failures),
            paused,
            cap: cred.cap,
            cap_warned,
        }
    }

    /// The next moment this lane needs the engine: its jittered refresh
    /// point; for one credtop cannot refresh, the next zone to warn about.
    /// Before its grant's end, the warning about that end comes first.
    pub fn plan(&self, rotation_age_days: i64) -> Option<DateTime<Utc>> {
        let next = self.plan_zones(rotation_age_days);
        match (next, self.cap_warning_due()) {
            (Some(n), Some(w)) => Some(n.min(w)),
            (n, w) => n.or(w),
        }
    }

    fn plan_zones(&self, rotation_age_days: i64) -> Option<DateTime<Utc>> {
        match (self.paused, self.refreshable) {
            // A paused lane's access token still works until it expires;
            // that moment goes on the record, once.
            (true, _) => (self.warned != Zone::Expired)
                .then_some(self.life.expires_at)
                .flatten(),
            (false, true) => match self.life.scheduled_refresh(self.jitter_seed) {
                // Due after the grant's end: only its warnings remain.
                Some(at) if !self.renewable_at(at) => self.plan_unrefreshable(rotation_age_days),
                at => at,
            },
            (false, false) => self.plan_unrefreshable(rotation_age_days),
        }
    }

    fn plan_unrefreshable(&self, rotation_age_days: i64) -> Option<DateTime<Utc>> {
        match self.warned {
            Zone::Safe => self
                .life
                .refresh_point()
                .or_else(|| self.life.rotation_due(rotation_age_days)),
            Zone::Danger => self.life.expires_at,
            _ => None,
        }
    }

    /// The warning due at `now` for `name`, unless it was given already:
    /// the audit event, the zone it is about (None for a key past its
    /// rotation age) and what to do.
    pub fn warning(
        &self,
        name: &str,
        now: DateTime<Utc>,
        rotation_age_days: i64,
    ) -> Option<(Event, Zone, String)> {
        let zone = self.life.zone(now);
        let event = match zone {
            Zone::Danger => Event::WarningRaised,
            Zone::Expired => Event::TokenExpired,
            Zone::None => return self.rotation_warning(name, now, rotation_age_days),
            Zone::Safe => return None,
        };
        if rank(zone) <= rank(self.warned) {
            return None;
        }
        let detail = if let Some(ended) = self.ended_grant(now) {
            ended
        } else if self.paused {
            format!(
                "refresh is paused; log in again: {}",
                crate::model::relogin_command(&self.provider, name)
            )
        } else {
            "credtop cannot refresh this credential; renew it by hand".to_string()
        };
        Some((event, zone, detail))
    }

    fn rotation_warning(
        &self,
        name: &str,
        now: DateTime<Utc>,
        days: i64,
    ) -> Option<(Event, Zone, String)> {
        let due = self.life.rotation_due(days)?;
        (now >= due && self.warned == Zone::Safe).then(|| {
            (
                Event::WarningRaised,
                Zone::None,
                format!(
                    "older than the rotation age ({days} days); rotate it: credtop rotate {name}"
                ),
            )
        })
    }
}

/// How serious a warned zone is: Expired over Danger over nothing.
pub(in crate::engine) fn rank(z: Zone) -> u8 {
    match z {
        Zone::Expired => 2,
        Zone::Danger => 1,
        _ => 0,
    }
}
