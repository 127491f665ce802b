//! The dashboard's screen drawn as it runs: frame after frame on one
//! [`Screen`], which patches only the cells that changed, must leave the
//! terminal showing exactly what a whole frame drawn from nothing shows,
//! through ticks, keys, a row the engine changed, a filter, a resize, an
//! overlay and another view. And a tick must send the terminal the
//! countdowns, not the screen.

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Terminal;
use ratatui::backend::{Backend, TestBackend};
use ratatui::layout::Rect;

use crate::support;
use credtop::engine::EngineEvent;
use credtop::engine::lane::LaneState;
use credtop::model::{Credential, FailureKind, Kind, Secret, Source};
use credtop::tui::{App, Attempt, Entry, Msg, Screen, update, view};

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 9, 26, 53).unwrap()
}

fn cred(i: i64) -> Credential {
    let kind = if i % 5 == 4 {
        Kind::ApiKey
    } else {
        Kind::OAuth
    };
    let created_at = start() - Duration::minutes(50);
    Credential {
        name: format!("svc-{i:03}"),
        kind,
        provider: format!("vendor{}", i % 3),
        account: (kind == Kind::OAuth).then(|| "alice".to_string()),
        scopes: vec![],
        created_at,
        // Spread from seconds to hours: some count down each second.
        expires_at: (kind == Kind::OAuth)
            .then(|| created_at + Duration::minutes(50) + Duration::seconds(20 + i * i * 7)),
        secret: Secret::new(format!("secret-{i}")),
        refresh_token: (kind == Kind::OAuth).then(|| Secret::new(format!("rt-{i}"))),
        refresh_expires_at: None,
        token_type: Some("Bearer".into()),
        source: Source::Store,
    }
}

fn entry(c: &Credential, now: DateTime<Utc>, lane: Option<&LaneState>) -> Entry {
    Entry::new(c, now, None, 90, lane)
}

fn app(n: i64) -> App {
    let entries = (0..n).map(|i| entry(&cred(i), start(), None)).collect();
    support::dashboard::loaded(start(), entries, true)
}

fn key(app: &mut App, code: KeyCode) {
    update(app, Msg::Key(KeyEvent::from(code)));
}

/// The terminal a frame drawn from nothing would leave.
fn whole(app: &App, area: Rect) -> ratatui::buffer::Buffer {
    let mut terminal = Terminal::new(TestBackend::new(area.width, area.height)).unwrap();
    terminal.draw(|f| view(app, f)).unwrap();
    terminal.backend().buffer().clone()
}

struct Run {
    screen: Screen,
    terminal: TestBackend,
    area: Rect,
}

impl Run {
    fn new(width: u16, height: u16) -> Run {
        let area = Rect::new(0, 0, width, height);
        Run {
            screen: Screen::new(area),
            terminal: TestBackend::new(width, height),
            area,
        }
    }

    fn resize(&mut self, width: u16, height: u16) {
        self.area = Rect::new(0, 0, width, height);
        self.terminal.resize(width, height);
    }

    /// Draws a frame and checks the terminal against a whole frame;
    /// returns the cells the frame sent.
    fn frame(&mut self, app: &App, step: &str) -> usize {
        self.screen
            .draw(app, self.area, &mut self.terminal)
            .unwrap();
        self.terminal.flush().unwrap();
        let expected = whole(app, self.area);
        assert_eq!(
            self.terminal.buffer(),
            &expected,
            "after {step}, the terminal differs from a whole frame"
        );
        assert_eq!(self.screen.shown(), &expected, "after {step}");
        self.screen.sent()
    }
}

fn tick(app: &mut App, seconds: i64) {
    let now = app.now + Duration::seconds(seconds);
    update(app, Msg::Tick(now));
}

/// One thing that happens to the dashboard between two frames.
type Step = Box<dyn Fn(&mut App)>;

#[test]
fn every_frame_is_the_whole_frame_through_ticks_keys_and_changes() {
    let mut app = app(60);
    let mut run = Run::new(160, 50);
    let first = run.frame(&app, "the first frame");
    assert!(first > 2000, "the first frame draws the screen: {first}");

    let mut sent_by_ticks = Vec::new();
    for i in 0..40 {
        tick(&mut app, 1);
        sent_by_ticks.push(run.frame(&app, &format!("tick {i}")));
    }
    // A tick sends the countdowns that moved (and the clock), not the
    // 8,000 cells of the screen.
    let most = sent_by_ticks.iter().max().copied().unwrap_or(0);
    assert!(
        most < 600,
        "a tick sent up to {most} cells: {sent_by_ticks:?}"
    );
    assert!(sent_by_ticks.iter().all(|&n| n > 0), "the clock moves");

    let steps: Vec<(&str, Step)> = vec![
        ("j", Box::new(|a| key(a, KeyCode::Char('j')))),
        ("tick", Box::new(|a| tick(a, 1))),
        ("G", Box::new(|a| key(a, KeyCode::Char('G')))),
        ("tick", Box::new(|a| tick(a, 1))),
        ("g", Box::new(|a| key(a, KeyCode::Char('g')))),
        (
            "a row the engine changed",
            Box::new(|a| {
                let c = cred(2);
                let lane = LaneState {
                    kind: FailureKind::CredentialRevoked,
                    message: "vendor2 answered invalid_grant; log in again".into(),
                    since: a.now,
                    retry_at: None,
                    consecutive_failures: 1,
                    paused: true,
                    fingerprint: c.secret.fingerprint(),
                };
                let e = entry(&c, a.now, Some(&lane));
                update(
                    a,
                    Msg::Reread {
                        name: c.name.clone(),
                        entry: Some(Box::new(e)),
                        problem: None,
                    },
                );
            }),
        ),
        ("tick", Box::new(|a| tick(a, 1))),
        (
            "a row gone",
            Box::new(|a| {
                update(
                    a,
                    Msg::Reread {
                        name: "svc-005".into(),
                        entry: None,
                        problem: None,
                    },
                );
            }),
        ),
        ("tick", Box::new(|a| tick(a, 1))),
        ("enter (detail)", Box::new(|a| key(a, KeyCode::Enter))),
        ("tick", Box::new(|a| tick(a, 1))),
        ("esc", Box::new(|a| key(a, KeyCode::Esc))),
        ("tick", Box::new(|a| tick(a, 1))),
        ("/", Box::new(|a| key(a, KeyCode::Char('/')))),
        ("type 0", Box::new(|a| key(a, KeyCode::Char('0')))),
        ("type 1", Box::new(|a| key(a, KeyCode::Char('1')))),
        ("tick", Box::new(|a| tick(a, 1))),
        ("enter (filter kept)", Box::new(|a| key(a, KeyCode::Enter))),
        ("tick", Box::new(|a| tick(a, 1))),
        ("esc (filter cleared)", Box::new(|a| key(a, KeyCode::Esc))),
        ("?", Box::new(|a| key(a, KeyCode::Char('?')))),
        ("tick under help", Box::new(|a| tick(a, 1))),
        ("esc", Box::new(|a| key(a, KeyCode::Esc))),
        ("s (sort)", Box::new(|a| key(a, KeyCode::Char('s')))),
        ("tick", Box::new(|a| tick(a, 1))),
        ("a (audit)", Box::new(|a| key(a, KeyCode::Char('a')))),
        ("tick in audit", Box::new(|a| tick(a, 1))),
        ("esc", Box::new(|a| key(a, KeyCode::Esc))),
        ("ten minutes", Box::new(|a| tick(a, 600))),
        ("tick", Box::new(|a| tick(a, 1))),
    ];
    for (step, apply) in &steps {
        apply(&mut app);
        run.frame(&app, step);
    }

    run.resize(100, 30);
    run.frame(&app, "a resize");
    for i in 0..5 {
        tick(&mut app, 1);
        run.frame(&app, &format!("tick {i} after the resize"));
    }
}

#[test]
fn a_frame_with_nothing_changed_sends_nothing() {
    let app = app(20);
    let mut run = Run::new(120, 30);
    run.frame(&app, "the first frame");
    assert_eq!(run.frame(&app, "the same state again"), 0);
}

/// A status can change while nothing else does: an outcome shown, then
/// gone by the clock alone. Those frames are patched (the widest status,
/// a row that cannot refresh, holds the column's width; the header's
/// counts hold),
/// and must still redraw the status.
#[test]
fn a_status_that_changes_alone_is_patched_right() {
    let far = |i: i64| Credential {
        expires_at: Some(start() + Duration::hours(5) + Duration::minutes(i)),
        created_at: start() - Duration::minutes(10),
        ..cred(i * 5 + 1)
    };
    let creds: Vec<Credential> = (0..8).map(far).collect();
    let entries = creds
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut e = entry(c, start(), None);
            if i == 0 {
                // The widest status, whatever the others say.
                e.row.cannot_refresh =
                    Some("no provider 'vendor1' configured, nor any like it".into());
            }
            // "REFRESHED 50s ago" moves with the clock too.
            e.history = vec![Attempt {
                at: start() - Duration::seconds(50 + i as i64),
                ok: true,
                latency_ms: Some(40),
                note: "engine".into(),
            }];
            e
        })
        .collect();
    let mut app = support::dashboard::loaded(start(), entries, true);
    let mut run = Run::new(160, 30);
    run.frame(&app, "the first frame");
    tick(&mut app, 1);
    run.frame(&app, "a tick");
    let wholes = run.screen.whole_frames();
    let name = creds[3].name.clone();
    update(
        &mut app,
        Msg::Engine(EngineEvent::RefreshSucceeded {
            name: name.clone(),
            latency: std::time::Duration::from_millis(42),
            expires_at: None,
        }),
    );
    run.frame(&app, "an outcome shown");
    for y in 0..8 {
        let b = run.screen.shown();
        let l: String = (0..160).map(|x| b[(x, y)].symbol().to_string()).collect();
        eprintln!("{l}");
    }
    tick(&mut app, 1);
    run.frame(&app, "a tick with the outcome");
    tick(&mut app, 20);
    run.frame(&app, "the outcome gone with the clock");
    tick(&mut app, 1);
    run.frame(&app, "a tick after");
    assert_eq!(
        run.screen.whole_frames(),
        wholes,
        "these frames are all patched, or this test checks nothing"
    );
}
