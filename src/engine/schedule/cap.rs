//! The schedule and a grant's hard end (see [`crate::model::cap_warning_point`]):
//! one warning before it, said once per grant and never again after a
//! restart; no refresh after it, since the refresh token is dead then.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Effect, Lane, Observed};
use crate::model::{Zone, cap_warning_point, grant_ended, relogin_command};

/// The key under which the warning about `name`'s grant ending at `cap`
/// is remembered among the warnings already given (whose other keys are
/// token fingerprints, hex). A grant outlives the access tokens refreshed
/// under it, so its warning is keyed by credential and instant instead: a
/// refresh that keeps the cap keeps the key, a new login gets a new one.
pub(in crate::engine) fn cap_key(name: &str, cap: DateTime<Utc>) -> String {
    format!("cap:{name}@{}", cap.timestamp())
}

/// Whether the warning about `cred`'s cap was given already: by the lane
/// before (the same cap, whatever token), or in the audit trail.
pub(super) fn cap_warned(
    cred: &Observed,
    previous: Option<&Lane>,
    warned_before: &HashMap<String, Zone>,
) -> bool {
    let Some(cap) = cred.cap else {
        return false;
    };
    previous.is_some_and(|p| p.cap == Some(cap) && p.cap_warned)
        || warned_before.contains_key(&cap_key(&cred.name, cap))
}

impl Lane {
    /// credtop can refresh it at `at`: refreshable, and its grant not
    /// ended by then.
    pub fn renewable_at(&self, at: DateTime<Utc>) -> bool {
        self.refreshable && !grant_ended(self.cap, at)
    }

    /// When the warning about the grant's end is due, unless given.
    pub fn cap_warning_due(&self) -> Option<DateTime<Utc>> {
        self.cap.filter(|_| !self.cap_warned).map(cap_warning_point)
    }

    /// The warning about the grant's end, when due at `now` (the caller
    /// marks it given).
    pub fn cap_warning(&self, name: &str, now: DateTime<Utc>) -> Option<Effect> {
        let cap = self.cap?;
        if self.cap_warning_due().is_none_or(|at| at > now) || grant_ended(Some(cap), now) {
            return None;
        }
        Some(Effect::WarnCap {
            name: name.to_string(),
            cap,
            detail: format!(
                "the grant ends at {} and cannot be refreshed past it; log in again before: {}",
                cap.format("%Y-%m-%d %H:%M:%SZ"),
                relogin_command(&self.provider, name)
            ),
        })
    }

    /// What to say about a credential whose grant ended by `now`.
    pub fn ended_grant(&self, now: DateTime<Utc>) -> Option<String> {
        let cap = self
            .cap
            .filter(|c| self.refreshable && grant_ended(Some(*c), now))?;
        Some(format!(
            "the grant ended at {}; log in again",
            cap.format("%Y-%m-%d %H:%M:%SZ")
        ))
    }
}
