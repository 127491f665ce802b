//! A grant's hard end at fixed clocks: one `warning_raised` before it
//! (reason `grant_cap`), none again after a refresh or a restart, none
//! without a cap, and no refresh past it.

use super::*;

const DAY: i64 = 86_400;

/// A refreshable credential living `ttl` seconds from t0 whose grant ends
/// `cap` seconds after t0.
fn capped(ttl: i64, cap: Option<i64>) -> Observed {
    Observed {
        cap: cap.map(at),
        ..oauth("gh", 0, ttl)
    }
}

fn cap_warnings(effects: &[Effect]) -> Vec<DateTime<Utc>> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::WarnCap { cap, .. } => Some(*cap),
            _ => None,
        })
        .collect()
}

/// Lists `cred` at t0, then ticks at each of `ticks`: the cap warnings
/// and refreshes that came out.
fn run(cred: Observed, warned: HashMap<String, Zone>, ticks: &[i64]) -> (usize, usize) {
    let mut s = schedule_with(8, 1.0, warned);
    let mut effects = s.on(at(0), listed(vec![cred]));
    for t in ticks {
        effects.extend(s.on(at(*t), Input::Tick));
    }
    (cap_warnings(&effects).len(), refreshes(&effects).len())
}

/// (case, ttl, cap, said before, ticks, cap warnings, refreshes started)
type Case = (
    &'static str,
    i64,
    Option<i64>,
    bool,
    &'static [i64],
    usize,
    usize,
);

#[test]
fn the_cap_warning_is_raised_once_in_the_last_week() {
    let said = |cap: i64| HashMap::from([(cap_key("gh", at(cap)), Zone::Danger)]);
    #[rustfmt::skip]
    let cases: [Case; 8] = [
        ("no cap", 2 * DAY, None, false, &[DAY, 2 * DAY], 0, 1),
        ("far cap, before the week", 2 * DAY, Some(30 * DAY), false, &[DAY], 0, 0),
        ("cap within the week at start", 2 * DAY, Some(3 * DAY), false, &[], 1, 0),
        // Woken at the warning point (before the refresh point): the
        // warning, and the refresh only at its own time.
        ("warning point reached", 2 * DAY, Some(8 * DAY), false, &[DAY], 1, 0),
        ("then the refresh", 2 * DAY, Some(8 * DAY), false, &[DAY, 2 * DAY], 1, 1),
        ("in the trail already", 2 * DAY, Some(3 * DAY), true, &[DAY, 2 * DAY], 0, 1),
        ("ticks do not repeat it", 2 * DAY, Some(3 * DAY), false, &[1, 2, DAY], 1, 0),
        // A token without expiry (ttl 0 here) is never refreshed.
        ("no expiry", 0, Some(3 * DAY), false, &[DAY, 2 * DAY], 1, 0),
    ];
    for (case, ttl, cap, before, ticks, warned, refreshed) in cases {
        let history = match (before, cap) {
            (true, Some(c)) => said(c),
            _ => HashMap::new(),
        };
        let mut cred = capped(ttl, cap);
        if ttl == 0 {
            cred.life = Lifetime::new(at(0), None, None);
        }
        let got = run(cred, history, ticks);
        assert_eq!(got, (warned, refreshed), "{case}");
    }
}

#[test]
fn the_warning_point_is_when_the_schedule_wakes() {
    let mut s = schedule();
    s.on(at(0), listed(vec![capped(2 * DAY, Some(8 * DAY))]));
    assert_eq!(s.next_due(), Some(at(DAY)));
    let effects = s.on(at(DAY), Input::Tick);
    assert_eq!(cap_warnings(&effects), [at(8 * DAY)]);
    // The refresh point of a two-day token with seed 0: 80 %.
    assert_eq!(s.next_due(), Some(at(2 * DAY * 8 / 10)));
}

#[test]
fn a_refresh_under_the_same_cap_is_not_warned_again_but_a_new_grant_is() {
    let mut s = schedule();
    let first = s.on(at(0), listed(vec![capped(1000, Some(3 * DAY))]));
    assert_eq!(cap_warnings(&first).len(), 1);
    assert_eq!(refreshes(&s.on(at(800), Input::Tick)), ["gh"]);
    // New tokens, the same grant: the cap is kept.
    let renewed = Observed {
        cap: Some(at(3 * DAY)),
        ..oauth("gh", 800, 1000)
    };
    let ok = Refreshed::Ok {
        refreshed: true,
        cred: renewed,
    };
    let after = finish(&mut s, at(801), "gh", ok);
    assert!(cap_warnings(&after).is_empty(), "{after:?}");
    // A new login: a new grant with its own end, warned about in turn.
    let login = Input::Read {
        name: "gh".into(),
        cred: Some(Observed {
            cap: Some(at(4 * DAY)),
            ..oauth("gh", 900, 1000)
        }),
    };
    assert_eq!(cap_warnings(&s.on(at(900), login)), [at(4 * DAY)]);
}

#[test]
fn past_the_cap_no_refresh_is_tried_and_the_zones_are_warned_about() {
    // The grant ends at 500 s, before the refresh point (800 s).
    let mut s = schedule();
    let start = s.on(at(0), listed(vec![capped(1000, Some(500))]));
    assert_eq!(cap_warnings(&start).len(), 1);
    let mut effects = Vec::new();
    for t in [500, 800, 1000, 2000] {
        effects.extend(s.on(at(t), Input::Tick));
    }
    assert!(refreshes(&effects).is_empty(), "{effects:?}");
    assert_eq!(
        warnings(&effects),
        [
            (Event::WarningRaised, Zone::Danger),
            (Event::TokenExpired, Zone::Expired)
        ]
    );
    let said = effects.iter().find_map(|e| match e {
        Effect::Warn { detail, .. } => Some(detail.clone()),
        _ => None,
    });
    assert!(
        said.is_some_and(|d| d.contains("the grant ended at")),
        "{effects:?}"
    );
}

#[test]
fn a_grant_that_ended_while_no_engine_ran_still_gets_its_zone_warnings() {
    // The engine starts at 600 s: the grant ended at 500 s, its warning
    // point passed unseen, and no warning is in the trail. The lane must
    // go on to the danger and expired warnings, not fall silent.
    let mut s = schedule();
    let mut effects = s.on(at(600), listed(vec![capped(1000, Some(500))]));
    for t in [800, 1000, 2000] {
        effects.extend(s.on(at(t), Input::Tick));
    }
    assert!(cap_warnings(&effects).is_empty(), "{effects:?}");
    assert!(refreshes(&effects).is_empty(), "{effects:?}");
    assert_eq!(
        warnings(&effects),
        [
            (Event::WarningRaised, Zone::Danger),
            (Event::TokenExpired, Zone::Expired)
        ]
    );
}
