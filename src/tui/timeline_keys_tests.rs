//! The timeline's keys and clicks, through `update`.

use chrono::{Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent};

use super::*;
use crate::audit::{Actor, AuditRead, AuditRecord, Event, Outcome};
use crate::model::{Credential, Kind, Secret, Source};
use crate::tui::timeline::Window;
use crate::tui::{Entry, Msg, update};

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::from(code))
}

fn app() -> App {
    let now = Utc.with_ymd_and_hms(2026, 12, 2, 6, 0, 0).unwrap();
    let mut app = App::new(now, "/tmp/h".into(), false);
    let entries = ["alpha", "beta", "gamma"]
        .iter()
        .map(|n| {
            let cred = Credential {
                name: n.to_string(),
                kind: Kind::ApiKey,
                provider: "p".into(),
                account: None,
                scopes: vec![],
                created_at: now,
                expires_at: None,
                secret: Secret::new("s"),
                refresh_token: None,
                token_type: None,
                refresh_expires_at: None,
                source: Source::Store,
            };
            Entry::new(&cred, now, None, 90, None)
        })
        .collect();
    update(
        &mut app,
        Msg::Loaded {
            entries,
            problems: vec![],
            dependents: Default::default(),
        },
    );
    let rec = |mins: i64, name: &str, event, outcome| {
        let mut r = AuditRecord::new(event, Actor::Daemon, outcome);
        r.ts = now - Duration::minutes(mins);
        r.credential = Some(name.into());
        r
    };
    let task = update(&mut app, key(KeyCode::Char('t')));
    assert!(matches!(task, Some(Task::LoadAudit)));
    update(
        &mut app,
        Msg::AuditLoaded(AuditRead {
            records: vec![
                rec(40, "gamma", Event::Revoke, Outcome::Ok),
                rec(9, "beta", Event::RefreshFailed, Outcome::Failed),
                rec(5, "beta", Event::RefreshSucceeded, Outcome::Ok),
                rec(2, "alpha", Event::RefreshSucceeded, Outcome::Ok),
            ],
            unreadable_lines: 0,
        }),
    );
    app
}

#[test]
fn enter_selects_the_marks_credential_and_opens_its_detail_at_that_time() {
    let mut app = app();
    assert_eq!(app.mode, Mode::Timeline);
    assert_eq!(app.timeline.lanes.len(), 2, "gamma's revoke is 40 m ago");
    // Newest: alpha's refresh; down to beta, nearest in time; back one.
    update(&mut app, key(KeyCode::Char('j')));
    update(&mut app, key(KeyCode::Char('h')));
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Table);
    assert!(app.show_detail);
    assert_eq!(app.selected_entry().unwrap().name(), "beta");
    let picked = app.picked.as_ref().expect("a mark was picked");
    assert_eq!(picked.mark.event, Event::RefreshFailed);
    assert!(picked.before.is_empty());
    // Esc closes the detail pane and forgets the mark.
    update(&mut app, key(KeyCode::Esc));
    assert!(app.picked.is_none());
}

#[test]
fn w_cycles_the_window_and_takes_older_records_in() {
    let mut app = app();
    update(&mut app, key(KeyCode::Char('w')));
    assert_eq!(app.timeline.window, Window::Hour);
    assert_eq!(app.timeline.lanes.len(), 3);
    update(&mut app, key(KeyCode::Char('w')));
    update(&mut app, key(KeyCode::Char('w')));
    assert_eq!(app.timeline.window, Window::Minutes15);
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Table);
}

#[test]
fn the_open_timeline_follows_the_trail_on_the_tick() {
    let mut app = app();
    let later = app.now + Duration::seconds(1);
    assert!(matches!(
        update(&mut app, Msg::Tick(later)),
        Some(Task::FollowAudit)
    ));
    let mut r = AuditRecord::new(Event::Revoke, Actor::Cli, Outcome::Ok);
    r.ts = later;
    r.credential = Some("gamma".into());
    update(
        &mut app,
        Msg::AuditAppended(AuditRead {
            records: vec![r],
            unreadable_lines: 0,
        }),
    );
    assert_eq!(app.audit.records[0].event, Event::Revoke, "newest first");
    assert_eq!(app.audit.records.len(), 5);
    let lanes: Vec<&str> = app.timeline.lanes.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(lanes, ["alpha", "beta", "gamma"]);
    // Back at the table, nothing is followed.
    update(&mut app, key(KeyCode::Esc));
    assert!(update(&mut app, Msg::Tick(later)).is_none());
}

#[test]
fn the_trail_is_read_once_and_the_timeline_laid_out_only_while_shown() {
    let mut app = app();
    update(&mut app, key(KeyCode::Esc));
    let task = update(&mut app, key(KeyCode::Char('a')));
    assert!(matches!(task, Some(Task::FollowAudit)), "{task:?}");
    // Records arriving for the audit view alone leave the timeline be.
    let mut r = AuditRecord::new(Event::Revoke, Actor::Cli, Outcome::Ok);
    r.ts = app.now;
    r.credential = Some("gamma".into());
    let read = AuditRead {
        records: vec![r],
        unreadable_lines: 0,
    };
    update(&mut app, Msg::AuditAppended(read));
    assert_eq!(app.timeline.lanes.len(), 2);
    // Opening the timeline lays it out and follows from where it was.
    update(&mut app, key(KeyCode::Char('a')));
    let task = update(&mut app, key(KeyCode::Char('t')));
    assert!(matches!(task, Some(Task::FollowAudit)), "{task:?}");
    assert_eq!(app.timeline.lanes.len(), 3);
    let task = update(&mut app, key(KeyCode::Char('r')));
    assert!(matches!(task, Some(Task::LoadAudit)), "r reads it afresh");
}

#[test]
fn a_click_on_a_lane_selects_the_mark_nearest_the_pointer() {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let mut app = app();
    update(
        &mut app,
        Msg::Resize(ratatui::layout::Rect::new(0, 0, 80, 24)),
    );
    let click = |app: &mut App, column, row| {
        let kind = MouseEventKind::Down(MouseButton::Left);
        let modifiers = KeyModifiers::NONE;
        update(
            app,
            Msg::Mouse(MouseEvent {
                kind,
                column,
                row,
                modifiers,
            }),
        );
    };
    // Inside the border (row 1) and under the density strip (row 2):
    // alpha's lane on row 3, beta's on row 4. The plot starts after
    // the names (9 columns) at column 10 and is 69 columns wide: beta's
    // failure 9 minutes ago is in its column 27, its refresh in 46.
    click(&mut app, 36, 4);
    assert_eq!(app.timeline.cursor, Some((1, 0)));
    click(&mut app, 60, 4);
    assert_eq!(app.timeline.cursor, Some((1, 1)));
    click(&mut app, 12, 3);
    assert_eq!(app.timeline.cursor, Some((0, 0)), "alpha's only mark");
    // The names, the strip and the space below the lanes take no click.
    for (x, y) in [(5, 4), (40, 2), (40, 6), (40, 22)] {
        click(&mut app, x, y);
        assert_eq!(app.timeline.cursor, Some((0, 0)), "({x}, {y})");
    }
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.selected_entry().unwrap().name(), "alpha");
}

#[test]
fn a_click_on_the_top_lane_leaves_the_lanes_where_they_are() {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let mut app = app();
    update(
        &mut app,
        Msg::Resize(ratatui::layout::Rect::new(0, 0, 80, 24)),
    );
    // 25 lanes, the newest mark (the cursor) on the last one.
    let records = (0..25)
        .map(|i| {
            let mut r = AuditRecord::new(Event::SecretRead, Actor::Cli, Outcome::Info);
            r.ts = app.now - Duration::seconds(100 - i);
            r.credential = Some(format!("lane-{i:02}"));
            r
        })
        .collect();
    let read = AuditRead {
        records,
        unreadable_lines: 0,
    };
    update(&mut app, Msg::AuditLoaded(read));
    assert_eq!(app.timeline.cursor, Some((24, 0)));
    // Counted in update, for the plot's 68 columns (78 inside the
    // border, 10 for the names).
    assert_eq!(app.timeline.density.len(), 68);
    assert_eq!(app.timeline.density.iter().sum::<u64>(), 25);
    // 15 lanes fit (rows 3..=17): lanes 10..=24.
    assert_eq!(app.timeline.top, 10);
    let click = |app: &mut App, row| {
        let kind = MouseEventKind::Down(MouseButton::Left);
        let (column, modifiers) = (40, KeyModifiers::NONE);
        update(
            app,
            Msg::Mouse(MouseEvent {
                kind,
                column,
                row,
                modifiers,
            }),
        );
        app.timeline.cursor.map(|(l, _)| l)
    };
    assert_eq!(click(&mut app, 3), Some(10));
    assert_eq!(app.timeline.top, 10, "the lanes did not move");
    assert_eq!(
        click(&mut app, 3),
        Some(10),
        "the same lane under the pointer"
    );
    assert_eq!(click(&mut app, 4), Some(11));
    // Moving up past the top scrolls by one lane.
    update(&mut app, key(KeyCode::Char('k')));
    update(&mut app, key(KeyCode::Char('k')));
    assert_eq!(
        (app.timeline.cursor.map(|c| c.0), app.timeline.top),
        (Some(9), 9)
    );
}

#[test]
fn a_window_longer_than_the_records_held_says_from_when_it_is_whole() {
    let mut app = app();
    let now = app.now;
    let records = (0..AUDIT_KEPT as i64)
        .rev()
        .map(|s| {
            let mut r = AuditRecord::new(Event::SecretRead, Actor::Cli, Outcome::Info);
            r.ts = now - Duration::seconds(s + 1);
            r.credential = Some("alpha".into());
            r
        })
        .collect();
    update(
        &mut app,
        Msg::AuditLoaded(AuditRead {
            records,
            unreadable_lines: 0,
        }),
    );
    // 5,000 seconds of records cover 15 m and 1 h, not 24 h.
    assert_eq!(app.timeline.whole_since, None);
    update(&mut app, key(KeyCode::Char('w')));
    assert_eq!(app.timeline.whole_since, None);
    update(&mut app, key(KeyCode::Char('w')));
    let oldest = now - Duration::seconds(AUDIT_KEPT as i64);
    assert_eq!(app.timeline.whole_since, Some(oldest));
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 12)).unwrap();
    term.draw(|f| crate::tui::view(&app, f)).unwrap();
    let screen = term.backend().to_string();
    assert!(
        screen.contains("last 24 h (records from 04:36 on)"),
        "{screen}"
    );
}

#[test]
fn enter_clears_a_filter_that_hides_the_credential() {
    let mut app = app();
    app.filter = "gamma".into();
    app.derive();
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.selected_entry().unwrap().name(), "alpha");
    assert!(app.filter.value().is_empty());
}
