//! Warnings about credentials credtop cannot refresh, said once: in the
//! audit trail (unless another engine, the daemon beside the dashboard,
//! has just said the same about this token) and on the event channel.
//! Also which tokens credtop processes wrote lately, so that a change an
//! engine sees is called external only when no credtop process made it.

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;

use super::schedule::{cap_key, rank};
use super::{EngineEvent, Lifecycle};
use crate::audit::{AuditLog, AuditRecord, Event, Outcome, scan_tail};
use crate::model::Zone;

/// The strongest warning the last `max_bytes` of the audit trail hold for
/// each fingerprint: Danger for `warning_raised` (a danger zone, or a key
/// past its rotation age), Expired for `token_expired`. A warning about a
/// grant's end is held under its [`cap_key`] instead.
pub(super) fn audited(audit: &AuditLog, max_bytes: u64) -> HashMap<String, Zone> {
    let mut out: HashMap<String, Zone> = HashMap::new();
    let events = [Event::WarningRaised, Event::TokenExpired];
    let _ = scan_tail(audit, max_bytes, &events, |r| {
        if r.reason.as_deref() == Some(GRANT_CAP) {
            if let (Some(name), Some(cap)) = (&r.credential, r.refresh_expires_at) {
                out.insert(cap_key(name, cap), Zone::Danger);
            }
            return;
        }
        let zone = warned_zone(r.event);
        if let Some(fp) = r.fingerprint {
            let seen = out.entry(fp.0).or_insert(zone);
            if rank(zone) > rank(*seen) {
                *seen = zone;
            }
        }
    });
    out
}

/// The zone a warning event stands for.
fn warned_zone(e: Event) -> Zone {
    if e == Event::TokenExpired {
        Zone::Expired
    } else {
        Zone::Danger
    }
}

/// Audits (unless just said by another engine) and announces a warning
/// about credential `name`.
pub(super) fn raise(
    lc: &Lifecycle,
    name: &str,
    event: Event,
    zone: Zone,
    detail: String,
) -> EngineEvent {
    let mut record = AuditRecord::new(event, lc.actor(), Outcome::Info)
        .named(name)
        .detail(detail);
    let fingerprint = match lc.store().load(name) {
        Ok(cred) => {
            record = record.about(&cred);
            Some(cred.secret.fingerprint().0)
        }
        Err(_) => None,
    };
    let said = audited(lc.audit(), 16 << 10);
    let already = fingerprint
        .and_then(|fp| said.get(&fp).copied())
        .is_some_and(|z| rank(z) >= rank(warned_zone(event)));
    if !already {
        lc.audit().record(record);
    }
    EngineEvent::Warning {
        name: name.to_string(),
        zone,
    }
}

/// The `reason` of a warning about a grant's end.
pub const GRANT_CAP: &str = "grant_cap";

/// Audits (unless another engine just did) and announces the warning that
/// the grant of `name` ends at `cap`.
pub(super) fn raise_cap(
    lc: &Lifecycle,
    name: &str,
    cap: chrono::DateTime<Utc>,
    detail: String,
) -> EngineEvent {
    let mut record = AuditRecord::new(Event::WarningRaised, lc.actor(), Outcome::Info)
        .named(name)
        .reason(GRANT_CAP)
        .detail(detail);
    if let Ok(cred) = lc.store().load(name) {
        record = record.about(&cred);
    }
    // The cap this warning is about, even if the file changed meanwhile:
    // it is what a restarted engine finds the warning under.
    record.refresh_expires_at = Some(cap);
    if !audited(lc.audit(), 16 << 10).contains_key(&cap_key(name, cap)) {
        lc.audit().record(record);
    }
    EngineEvent::Warning {
        name: name.to_string(),
        zone: Zone::Danger,
    }
}

/// Fingerprints written lately by any credtop process (refreshes by
/// `credtop token`, logins, rotations, adds, revokes and logouts), read from the audit trail's tail.
pub(super) fn recent_credtop_writes(audit: &AuditLog) -> BTreeSet<String> {
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
    let _ = scan_tail(audit, 8 << 20, &writes, |r| {
        if r.ts >= since
            && let Some(f) = r.fingerprint
        {
            out.insert(f.0);
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Actor;

    #[test]
    fn a_cap_warning_in_the_trail_is_found_under_its_grant_not_a_token() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path());
        let cap = chrono::DateTime::parse_from_rfc3339("2026-07-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut said = AuditRecord::new(Event::WarningRaised, Actor::Daemon, Outcome::Info)
            .named("gh")
            .reason(GRANT_CAP);
        said.refresh_expires_at = Some(cap);
        said.fingerprint = Some(crate::model::Fingerprint("abc123".into()));
        log.record(said);
        let found = audited(&log, 1 << 20);
        assert_eq!(found.get(&cap_key("gh", cap)), Some(&Zone::Danger));
        assert!(
            !found.contains_key("abc123"),
            "a cap warning is no zone warning"
        );
    }
}
