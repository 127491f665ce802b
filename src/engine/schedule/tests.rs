//! The schedule's decisions at fixed clocks: no sleeps, no server, no
//! files. Each table row is one situation and what must follow from it.

use std::collections::HashMap;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::audit::Event;
use crate::model::{Fingerprint, Lifetime};

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn at(secs: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(secs)
}

fn policy(concurrency: usize) -> Policy {
    Policy {
        concurrency,
        backoff_base: StdDuration::from_secs(2),
        backoff_cap: StdDuration::from_secs(300),
        rotation_age_days: 90,
    }
}

fn schedule_with(concurrency: usize, dice: f64, warned: HashMap<String, Zone>) -> Schedule {
    Schedule::new(policy(concurrency), warned, Box::new(move || dice))
}

fn schedule() -> Schedule {
    schedule_with(8, 1.0, HashMap::new())
}

/// An OAuth credential credtop can refresh, created at `created` (seconds
/// after t0) and living `ttl` seconds.
fn oauth(name: &str, created: i64, ttl: i64) -> Observed {
    Observed {
        name: name.into(),
        provider: "acme".into(),
        fingerprint: Fingerprint(format!("fp-{name}-{created}")),
        refreshable: true,
        life: Lifetime::new(at(created), Some(at(created + ttl)), None),
        jitter_seed: 0.0,
        paused_on_disk: false,
        cap: None,
    }
}

/// One credtop cannot refresh: a key, or an access token without refresh
/// token.
fn fixed(name: &str, created: i64, ttl: Option<i64>) -> Observed {
    Observed {
        refreshable: false,
        life: Lifetime::new(at(created), ttl.map(|t| at(created + t)), None),
        ..oauth(name, created, 0)
    }
}

fn listed(creds: Vec<Observed>) -> Input {
    Input::Listed {
        creds,
        initial: true,
    }
}

fn refreshes(effects: &[Effect]) -> Vec<&str> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Refresh { name } => Some(name.as_str()),
            _ => None,
        })
        .collect()
}

fn warnings(effects: &[Effect]) -> Vec<(Event, Zone)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Warn { event, zone, .. } => Some((*event, *zone)),
            _ => None,
        })
        .collect()
}

fn changes(effects: &[Effect]) -> Vec<(&str, Change)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Changed { name, change, .. } => Some((name.as_str(), *change)),
            _ => None,
        })
        .collect()
}

fn failed(kind: FailureKind, retry_at: Option<DateTime<Utc>>) -> Refreshed {
    Refreshed::Failed {
        kind,
        message: format!("{kind}"),
        retry_at,
        cred: None,
    }
}

fn finish(s: &mut Schedule, now: DateTime<Utc>, name: &str, result: Refreshed) -> Vec<Effect> {
    s.on(
        now,
        Input::Finished {
            name: name.into(),
            latency: StdDuration::from_millis(40),
            result,
        },
    )
}

#[test]
fn a_refresh_is_due_at_its_refresh_point_plus_jitter() {
    // (jitter seed, provider refresh_at, ttl, seconds after creation)
    let cases = [
        (0.0, None, 1000, 800),
        (0.5, None, 1000, 825),
        (1.0, None, 1000, 850),
        (0.0, Some(0.5), 1000, 500),
        (1.0, Some(0.5), 1000, 550),
        // The jitter stays in the first quarter of what is left.
        (1.0, Some(0.96), 1000, 970),
    ];
    for (seed, refresh_at, ttl, due) in cases {
        let mut cred = oauth("acme", 0, ttl);
        cred.jitter_seed = seed;
        cred.life = Lifetime::new(at(0), Some(at(ttl)), refresh_at);
        let mut s = schedule();
        assert!(refreshes(&s.on(at(0), listed(vec![cred]))).is_empty());
        assert_eq!(
            s.next_due(),
            Some(at(due)),
            "seed {seed}, refresh_at {refresh_at:?}"
        );
        assert!(refreshes(&s.on(at(due - 1), Input::Tick)).is_empty());
        assert_eq!(refreshes(&s.on(at(due), Input::Tick)), ["acme"]);
        assert_eq!(s.next_due(), None, "in flight: nothing else queued");
    }
}

#[test]
fn an_already_expired_credential_is_refreshed_at_once() {
    let mut s = schedule();
    let effects = s.on(at(2000), listed(vec![oauth("acme", 0, 1000)]));
    assert_eq!(refreshes(&effects), ["acme"]);
    assert!(effects.contains(&Effect::Emit(EngineEvent::RefreshStarted {
        name: "acme".into()
    })));
}

#[test]
fn failures_back_off_or_pause_by_kind() {
    // (kind, pauses): only what may pass by itself is retried.
    let cases = [
        (FailureKind::Transient, false),
        (FailureKind::RateLimited, false),
        (FailureKind::CredentialRevoked, true),
        (FailureKind::CredentialExpired, true),
        (FailureKind::ScopeInsufficient, true),
        (FailureKind::AccessDenied, true),
        (FailureKind::ConfigError, true),
    ];
    for (kind, pauses) in cases {
        let mut s = schedule_with(8, 1.0, HashMap::new());
        s.on(at(900), listed(vec![oauth("acme", 0, 1000)]));
        let effects = finish(&mut s, at(900), "acme", failed(kind, None));
        let paused = effects.contains(&Effect::Emit(EngineEvent::LanePaused {
            name: "acme".into(),
            kind,
        }));
        assert_eq!(paused, pauses, "{kind}");
        let retry = effects.iter().find_map(|e| match e {
            Effect::Emit(EngineEvent::RefreshFailed { retry_at, .. }) => Some(*retry_at),
            _ => None,
        });
        // First failure: base 2 s · 2¹, the dice at its maximum.
        let expected = (!pauses).then(|| at(904));
        assert_eq!(retry, Some(expected), "{kind}");
        assert_eq!(s.next_due(), expected, "{kind}");
        let saved = effects
            .iter()
            .any(|e| matches!(e, Effect::SaveRetryAt { at: t, .. } if Some(*t) == expected));
        assert_eq!(saved, !pauses, "{kind}");
    }
}

#[test]
fn backoff_doubles_up_to_its_cap_with_full_jitter() {
    // (dice, consecutive failures, seconds from the last failure to the
    // retry): min(cap, base·2ⁿ) scaled by the dice, at least 200 ms.
    let cases = [
        (1.0, 1, 4.0),
        (1.0, 2, 8.0),
        (1.0, 5, 64.0),
        (1.0, 8, 300.0),
        (1.0, 30, 300.0),
        (0.5, 3, 8.0),
        (0.0, 3, 0.2),
    ];
    for (dice, failures, secs) in cases {
        let mut s = schedule_with(8, dice, HashMap::new());
        s.on(at(900), listed(vec![oauth("acme", 0, 1000)]));
        let mut now = at(900);
        let mut waited = None;
        for n in 0..failures {
            if n > 0 {
                assert_eq!(refreshes(&s.on(now, Input::Tick)), ["acme"]);
            }
            let effects = finish(&mut s, now, "acme", failed(FailureKind::Transient, None));
            assert!(refreshes(&effects).is_empty());
            let next = s.next_due().unwrap_or(now);
            waited = Some((next - now).num_milliseconds() as f64 / 1000.0);
            now = next;
        }
        assert_eq!(waited, Some(secs), "dice {dice}, failures {failures}");
    }
}

#[test]
fn retry_after_is_respected_when_later_than_the_backoff() {
    // (Retry-After in seconds from the failure, expected retry in seconds)
    let cases = [(None, 4), (Some(120), 120), (Some(1), 4)];
    for (retry_after, expected) in cases {
        let mut s = schedule();
        s.on(at(900), listed(vec![oauth("acme", 0, 1000)]));
        let told = retry_after.map(|r| at(900 + r));
        finish(
            &mut s,
            at(900),
            "acme",
            failed(FailureKind::RateLimited, told),
        );
        assert_eq!(s.next_due(), Some(at(900 + expected)), "{retry_after:?}");
        assert!(refreshes(&s.on(at(900 + expected - 1), Input::Tick)).is_empty());
        assert_eq!(refreshes(&s.on(at(900 + expected), Input::Tick)), ["acme"]);
    }
}

#[test]
fn a_paused_lane_waits_for_a_new_credential() {
    let mut s = schedule();
    let cred = oauth("acme", 0, 1000);
    s.on(at(800), listed(vec![cred.clone()]));
    let mut after = cred.clone();
    after.paused_on_disk = true;
    let result = Refreshed::Failed {
        kind: FailureKind::CredentialRevoked,
        message: "revoked".into(),
        retry_at: None,
        cred: Some(after.clone()),
    };
    finish(&mut s, at(800), "acme", result);
    assert!(s.lane("acme").is_some_and(|l| l.paused));
    // Only its expiry is scheduled (to record it); the watch re-reading
    // the same token changes nothing.
    assert_eq!(s.next_due(), Some(at(1000)));
    let effects = s.on(
        at(810),
        Input::Read {
            name: "acme".into(),
            cred: Some(after),
        },
    );
    assert!(changes(&effects).is_empty() && refreshes(&effects).is_empty());
    assert_eq!(s.next_due(), Some(at(1000)));
    // A login writes a new token: the lane resumes at the new refresh point.
    let fresh = oauth("acme", 900, 1000);
    let effects = s.on(
        at(900),
        Input::Read {
            name: "acme".into(),
            cred: Some(fresh),
        },
    );
    assert_eq!(changes(&effects), [("acme", Change::Replaced)]);
    assert!(s.lane("acme").is_some_and(|l| !l.paused));
    assert_eq!(s.next_due(), Some(at(1700)));
}

#[test]
fn a_lane_paused_on_disk_is_not_refreshed_and_its_expiry_is_recorded_once() {
    let mut s = schedule();
    let mut cred = oauth("acme-work", 0, 1000);
    cred.paused_on_disk = true;
    s.on(at(850), listed(vec![cred]));
    assert!(refreshes(&s.on(at(900), Input::Tick)).is_empty());
    let effects = s.on(at(1000), Input::Tick);
    assert!(refreshes(&effects).is_empty());
    assert_eq!(warnings(&effects), [(Event::TokenExpired, Zone::Expired)]);
    let hint = effects.iter().find_map(|e| match e {
        Effect::Warn { detail, .. } => Some(detail.clone()),
        _ => None,
    });
    assert!(
        hint.is_some_and(|d| d.contains("credtop login acme --name acme-work")),
        "the hint names the second account"
    );
    assert!(s.on(at(5000), Input::Tick).is_empty());
    assert_eq!(s.next_due(), None);
}

#[test]
fn at_most_the_cap_refresh_at_once_and_the_rest_follow() {
    let mut s = schedule_with(2, 1.0, HashMap::new());
    let creds = vec![
        oauth("a", 0, 1000),
        oauth("b", 0, 1000),
        oauth("c", 0, 1000),
    ];
    let started = refreshes(&s.on(at(950), listed(creds))).len();
    assert_eq!(started, 2);
    assert_eq!(s.next_due(), None, "saturated: woken by a finished refresh");
    let done = Refreshed::Ok {
        refreshed: true,
        cred: oauth("a", 950, 1000),
    };
    let effects = finish(&mut s, at(951), "a", done);
    assert_eq!(refreshes(&effects), ["c"]);
    assert!(
        effects.contains(&Effect::Emit(EngineEvent::RefreshSucceeded {
            name: "a".into(),
            latency: StdDuration::from_millis(40),
            expires_at: Some(at(1950)),
        }))
    );
}

#[test]
fn the_engines_own_lane_state_write_does_not_undo_a_backoff() {
    let mut s = schedule();
    let cred = oauth("acme", 0, 1000);
    s.on(at(900), listed(vec![cred.clone()]));
    finish(
        &mut s,
        at(900),
        "acme",
        failed(FailureKind::Transient, Some(at(960))),
    );
    assert_eq!(s.next_due(), Some(at(960)));
    // The watch sees state/acme.json change and the runner re-reads acme:
    // same token, so no change is reported and the backoff holds, although
    // the refresh point (800 + jitter) is long past.
    let effects = s.on(
        at(901),
        Input::Read {
            name: "acme".into(),
            cred: Some(cred),
        },
    );
    assert!(changes(&effects).is_empty());
    assert!(refreshes(&effects).is_empty());
    assert_eq!(s.next_due(), Some(at(960)));
}

#[test]
fn changes_by_others_are_told_apart_on_a_rescan() {
    let mut s = schedule();
    s.on(
        at(0),
        listed(vec![
            oauth("kept", 0, 1000),
            oauth("gone", 0, 1000),
            oauth("new-token", 0, 1000),
        ]),
    );
    let rescan = Input::Listed {
        creds: vec![
            oauth("kept", 0, 1000),
            oauth("new-token", 10, 1000),
            oauth("added", 0, 1000),
        ],
        initial: false,
    };
    let effects = s.on(at(20), rescan);
    let mut found = changes(&effects);
    found.sort_by_key(|(n, _)| n.to_string());
    assert_eq!(
        found,
        [
            ("added", Change::Added),
            ("gone", Change::Deleted),
            ("new-token", Change::Replaced)
        ]
    );
}

#[test]
fn the_first_read_reports_no_change_and_counts_the_lanes() {
    let mut s = schedule();
    let effects = s.on(
        at(0),
        listed(vec![oauth("a", 0, 1000), fixed("k", 0, None)]),
    );
    assert!(changes(&effects).is_empty());
    assert_eq!(effects, [Effect::Emit(EngineEvent::Loaded { count: 2 })]);
}

#[test]
fn a_credential_being_refreshed_is_not_reread_nor_reported_deleted() {
    let mut s = schedule();
    s.on(at(900), listed(vec![oauth("acme", 0, 1000)]));
    let read = s.on(
        at(901),
        Input::Read {
            name: "acme".into(),
            cred: Some(oauth("acme", 900, 1000)),
        },
    );
    assert!(changes(&read).is_empty());
    let gone = s.on(
        at(902),
        Input::Read {
            name: "acme".into(),
            cred: None,
        },
    );
    assert!(changes(&gone).is_empty());
}

#[test]
fn a_refresh_not_needed_plans_the_next_point_of_what_is_stored() {
    let mut s = schedule();
    s.on(at(900), listed(vec![oauth("acme", 0, 1000)]));
    let done = Refreshed::Ok {
        refreshed: false,
        cred: oauth("acme", 890, 1000),
    };
    let effects = finish(&mut s, at(901), "acme", done);
    assert!(
        effects.contains(&Effect::Emit(EngineEvent::RefreshNotNeeded {
            name: "acme".into()
        }))
    );
    assert_eq!(s.next_due(), Some(at(1690)));
}

#[test]
fn a_credential_credtop_cannot_refresh_is_warned_about_once_per_zone() {
    // (seconds after t0, warnings then)
    let steps = [
        (100, vec![]),
        (800, vec![(Event::WarningRaised, Zone::Danger)]),
        (900, vec![]),
        (1000, vec![(Event::TokenExpired, Zone::Expired)]),
        (2000, vec![]),
    ];
    let mut s = schedule();
    s.on(at(0), listed(vec![fixed("ci-token", 0, Some(1000))]));
    for (t, expected) in steps {
        assert_eq!(warnings(&s.on(at(t), Input::Tick)), expected, "at {t}");
    }
}

#[test]
fn a_restarted_engine_does_not_repeat_what_the_trail_says() {
    // (warned before the restart, warnings at the danger point, at expiry)
    let cases = [
        (
            None,
            vec![(Event::WarningRaised, Zone::Danger)],
            vec![(Event::TokenExpired, Zone::Expired)],
        ),
        (
            Some(Zone::Danger),
            vec![],
            vec![(Event::TokenExpired, Zone::Expired)],
        ),
        (Some(Zone::Expired), vec![], vec![]),
    ];
    for (before, at_danger, at_expiry) in cases {
        let cred = fixed("ci-token", 0, Some(1000));
        let warned = before
            .map(|z| HashMap::from([(cred.fingerprint.0.clone(), z)]))
            .unwrap_or_default();
        let mut s = schedule_with(8, 1.0, warned);
        s.on(at(700), listed(vec![cred]));
        assert_eq!(
            warnings(&s.on(at(850), Input::Tick)),
            at_danger,
            "{before:?}"
        );
        assert_eq!(
            warnings(&s.on(at(1000), Input::Tick)),
            at_expiry,
            "{before:?}"
        );
    }
}

#[test]
fn a_key_past_its_rotation_age_is_warned_about_once() {
    let day = 86_400;
    let mut s = schedule();
    s.on(at(0), listed(vec![fixed("openai", 0, None)]));
    assert_eq!(s.next_due(), Some(at(90 * day)));
    assert!(warnings(&s.on(at(89 * day), Input::Tick)).is_empty());
    let effects = s.on(at(90 * day), Input::Tick);
    assert_eq!(warnings(&effects), [(Event::WarningRaised, Zone::None)]);
    assert!(effects.iter().any(
        |e| matches!(e, Effect::Warn { detail, .. } if detail.contains("credtop rotate openai"))
    ));
    assert!(s.on(at(200 * day), Input::Tick).is_empty());
    assert_eq!(s.next_due(), None);
}

#[test]
fn a_refresh_that_panicked_is_retried_with_backoff() {
    let mut s = schedule();
    s.on(at(900), listed(vec![oauth("acme", 0, 1000)]));
    // The runner turns a panicked task into a transient failure.
    finish(
        &mut s,
        at(900),
        "acme",
        failed(FailureKind::Transient, None),
    );
    assert_eq!(s.next_due(), Some(at(904)));
    assert!(s.lane("acme").is_some_and(|l| l.failures == 1 && !l.paused));
}

#[test]
fn adds_and_deletes_recount_the_lanes_and_a_deletion_names_what_went() {
    let mut s = schedule();
    s.on(at(0), listed(vec![oauth("a", 0, 1000)]));
    let gone_fp = oauth("a", 0, 1000).fingerprint;
    let effects = s.on(
        at(10),
        Input::Read {
            name: "b".into(),
            cred: Some(oauth("b", 0, 1000)),
        },
    );
    assert!(effects.contains(&Effect::Emit(EngineEvent::Loaded { count: 2 })));
    let effects = s.on(
        at(20),
        Input::Read {
            name: "a".into(),
            cred: None,
        },
    );
    assert!(effects.contains(&Effect::Changed {
        name: "a".into(),
        change: Change::Deleted,
        fingerprint: Some(gone_fp),
    }));
    assert!(effects.contains(&Effect::Emit(EngineEvent::Loaded { count: 1 })));
    // A rescan that changes nothing says nothing.
    let effects = s.on(
        at(30),
        Input::Listed {
            creds: vec![oauth("b", 0, 1000)],
            initial: false,
        },
    );
    assert!(effects.is_empty(), "{effects:?}");
}

/// The warning before a grant's end, table by table.
mod cap;
