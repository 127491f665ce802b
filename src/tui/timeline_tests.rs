use chrono::{TimeZone, Utc};

use super::*;
use crate::audit::Actor;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 6, 0, 0).unwrap()
}

fn rec(secs_ago: i64, name: Option<&str>, event: Event, outcome: Outcome) -> AuditRecord {
    let mut r = AuditRecord::new(event, Actor::Daemon, outcome);
    r.ts = now() - Duration::seconds(secs_ago);
    r.credential = name.map(str::to_string);
    r
}

#[test]
fn the_window_edges_fall_into_the_first_and_last_columns() {
    let w = Window::Minutes15;
    let start = now() - Duration::minutes(15);
    assert_eq!(column(start, now(), w, 60), Some(0));
    assert_eq!(column(now(), now(), w, 60), Some(59));
    // Each of 60 columns is 15 s of a 15 m window.
    assert_eq!(column(start + Duration::seconds(15), now(), w, 60), Some(1));
    assert_eq!(
        column(start + Duration::milliseconds(14_999), now(), w, 60),
        Some(0)
    );
    assert_eq!(column(now() - Duration::seconds(1), now(), w, 60), Some(59));
    assert_eq!(
        column(now() - Duration::seconds(16), now(), w, 60),
        Some(58)
    );
}

#[test]
fn times_outside_the_window_have_no_column() {
    let w = Window::Hour;
    let before = now() - Duration::hours(1) - Duration::milliseconds(1);
    assert_eq!(column(before, now(), w, 80), None);
    assert_eq!(column(now() + Duration::seconds(1), now(), w, 80), None);
    assert_eq!(column(now(), now(), w, 0), None);
}

#[test]
fn lanes_hold_the_window_per_credential_by_name_oldest_first() {
    let records = vec![
        rec(10, Some("zeta"), Event::RefreshSucceeded, Outcome::Ok),
        rec(600, Some("alpha"), Event::RefreshFailed, Outcome::Failed),
        rec(30, Some("alpha"), Event::RefreshSucceeded, Outcome::Ok),
        // Exactly at the window's start: inside.
        rec(900, Some("alpha"), Event::LoginCompleted, Outcome::Ok),
        // One second before it: outside.
        rec(901, Some("zeta"), Event::Revoke, Outcome::Ok),
        // After now (a clock running ahead): outside.
        rec(-5, Some("zeta"), Event::Revoke, Outcome::Ok),
        // About no credential: no lane.
        rec(20, None, Event::FleetPulled, Outcome::Ok),
    ];
    let lanes = lanes(&records, now(), Window::Minutes15);
    let names: Vec<&str> = lanes.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["alpha", "zeta"]);
    let alpha: Vec<Event> = lanes[0].marks.iter().map(|m| m.event).collect();
    assert_eq!(
        alpha,
        [
            Event::LoginCompleted,
            Event::RefreshFailed,
            Event::RefreshSucceeded
        ]
    );
    assert_eq!(lanes[1].marks.len(), 1);
    // A wider window takes the record the narrow one left out.
    let wide = super::lanes(&records, now(), Window::Hour);
    assert_eq!(wide[1].marks.len(), 2);
}

#[test]
fn failures_are_marked_apart_by_symbol_and_rank_above_everything() {
    assert_eq!(
        MarkKind::of(Event::RefreshFailed, Outcome::Failed),
        MarkKind::Failure
    );
    // A failed outcome of any event is a failure, whatever the event.
    assert_eq!(
        MarkKind::of(Event::Rotate, Outcome::Failed),
        MarkKind::Failure
    );
    assert_eq!(
        MarkKind::of(Event::RefreshSucceeded, Outcome::Ok),
        MarkKind::Refresh
    );
    assert_eq!(
        MarkKind::of(Event::RevocationDetected, Outcome::Info),
        MarkKind::Revocation
    );
    assert_eq!(
        MarkKind::of(Event::LoginCompleted, Outcome::Ok),
        MarkKind::Login
    );
    let symbols: std::collections::BTreeSet<&str> =
        MarkKind::ALL.iter().map(|k| k.symbol()).collect();
    assert_eq!(symbols.len(), MarkKind::ALL.len(), "symbols must differ");
    assert!(MarkKind::ALL.iter().all(|k| *k <= MarkKind::Failure));
}

#[test]
fn density_counts_every_lane_per_column() {
    let records = vec![
        rec(0, Some("a"), Event::RefreshSucceeded, Outcome::Ok),
        rec(1, Some("b"), Event::RefreshFailed, Outcome::Failed),
        rec(899, Some("a"), Event::RefreshSucceeded, Outcome::Ok),
        rec(2000, Some("a"), Event::RefreshSucceeded, Outcome::Ok),
    ];
    let lanes = lanes(&records, now(), Window::Minutes15);
    let d = density(&lanes, now(), Window::Minutes15, 10);
    assert_eq!(d.len(), 10);
    assert_eq!(d[9], 2);
    assert_eq!(d[0], 1);
    assert_eq!(d.iter().sum::<u64>(), 3);
}

#[test]
fn the_cursor_starts_at_the_newest_mark_and_moves_in_time_and_across_lanes() {
    let records = vec![
        rec(800, Some("a"), Event::RefreshSucceeded, Outcome::Ok),
        rec(400, Some("a"), Event::RefreshFailed, Outcome::Failed),
        rec(100, Some("a"), Event::RefreshSucceeded, Outcome::Ok),
        rec(390, Some("b"), Event::Revoke, Outcome::Ok),
        rec(50, Some("b"), Event::LoginCompleted, Outcome::Ok),
    ];
    let mut pane = TimelinePane::default();
    pane.rebuild(&records, now());
    assert_eq!(pane.cursor, Some((1, 1)), "newest: b's login");
    pane.step(false);
    assert_eq!(pane.selected().unwrap().1.event, Event::Revoke);
    pane.change_lane(false);
    // Nearest in time to the revocation (390 s ago): a's failure (400 s).
    assert_eq!(pane.selected().unwrap().1.event, Event::RefreshFailed);
    pane.step(false);
    pane.step(false);
    assert_eq!(pane.cursor, Some((0, 0)), "stops at the lane's start");
    pane.change_lane(false);
    assert_eq!(pane.cursor, Some((0, 0)), "stops at the first lane");
    // The same mark stays selected when the window slides on.
    pane.rebuild(&records, now() + Duration::seconds(30));
    assert_eq!(
        pane.selected().unwrap().1.at,
        now() - Duration::seconds(800)
    );
    // Once it has slid out, the newest mark is selected.
    pane.rebuild(&records, now() + Duration::seconds(200));
    assert_eq!(pane.cursor, Some((1, 1)));
}
