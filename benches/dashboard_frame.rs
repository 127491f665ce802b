//! Benchmark for one dashboard frame, not a timed test: what the
//! one-second tick costs the process kept open all day.
//!
//! The home is benches/churn_home.py's (200 OAuth credentials expiring
//! over the next hour, so every countdown on screen moves each second).
//! The table is drawn at 160x50 through ratatui's crossterm backend into
//! a sink, so the escape sequences are produced as for a terminal, once
//! per simulated second for TICKS seconds (default 600):
//!
//! - **full**: every frame drawn from nothing ([`view`]), as before the
//!   memo;
//! - **screen**: what the dashboard does ([`Screen`]): the last frame
//!   kept, only the cells whose text changed drawn on it and sent.
//!
//! Each is also checked against the other: the screen's frames must be
//! the full draw's, cell for cell, or the bench fails.
//!
//! Run: `cargo bench --bench dashboard_frame` (`-- --ticks N`;
//! `--screen-only` draws through the screen alone, unchecked, for a
//! profiler).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

use credtop::store::Store;
use credtop::tui::{App, EngineState, Msg, Screen, load_entries, update, view};

const WIDTH: u16 = 160;
const HEIGHT: u16 = 50;

fn main() {
    let ticks = arg("--ticks").unwrap_or(600);
    // For a profiler: the screen's draws alone, unchecked.
    let screen_only = std::env::args().any(|a| a == "--screen-only");
    let dir = tempfile::tempdir().expect("temporary directory");
    let home = dir.path().join("home");
    let made = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/churn_home.py"))
        .arg(&home)
        .arg("200")
        .status()
        .expect("python3 runs benches/churn_home.py");
    assert!(made.success(), "churn_home.py failed");
    let store = Store::open(&home).expect("the churn home opens");
    let start = Utc::now();
    let (entries, problems) = load_entries(&store, start, vec![]);
    assert_eq!(entries.len(), 200, "the churn home holds 200 credentials");

    let mut app = App::new(start, home.clone(), true);
    app.engine = EngineState::Running { lanes: 200 };
    update(
        &mut app,
        Msg::Loaded {
            entries,
            problems,
            dependents: Default::default(),
        },
    );

    let mut full = terminal();
    let area = Rect::new(0, 0, WIDTH, HEIGHT);
    let mut out = CrosstermBackend::new(std::io::sink());
    let mut screen = Screen::new(area);
    screen.draw(&app, area, &mut out).expect("first frame");
    let (mut full_time, mut screen_time) = (Duration::ZERO, Duration::ZERO);
    let mut sent = 0usize;
    for tick in 1..=ticks {
        let now = start + chrono::Duration::seconds(i64::from(tick));
        update(&mut app, Msg::Tick(now));

        let full_frame = (!screen_only).then(|| {
            let t = Instant::now();
            let done = full.draw(|f| view(&app, f)).expect("full frame");
            full_time += t.elapsed();
            done.buffer.clone()
        });

        let t = Instant::now();
        screen.draw(&app, area, &mut out).expect("screen frame");
        screen_time += t.elapsed();
        if let Some(full_frame) = full_frame {
            assert_eq!(
                &full_frame,
                screen.shown(),
                "tick {tick}: the screen's frame differs from a full draw"
            );
        }
        sent += screen.sent();
    }
    let per = |d: Duration| d.as_secs_f64() * 1e6 / f64::from(ticks);
    println!("dashboard frame, 200 churning credentials at {WIDTH}x{HEIGHT}, {ticks} ticks");
    println!("  full draw (ratatui)  {:8.1} µs per tick", per(full_time));
    println!(
        "  screen (patched)     {:8.1} µs per tick ({:.2}x the full draw)",
        per(screen_time),
        screen_time.as_secs_f64() / full_time.as_secs_f64()
    );
    println!(
        "  cells sent per tick: {:.0} of {}",
        sent as f64 / f64::from(ticks),
        usize::from(WIDTH) * usize::from(HEIGHT)
    );
    println!(
        "  frames drawn whole: {} of {ticks} (the shape changed)",
        screen.whole_frames() - 1
    );
}

type Term = Terminal<CrosstermBackend<std::io::Sink>>;

fn terminal() -> Term {
    Terminal::with_options(
        CrosstermBackend::new(std::io::sink()),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, WIDTH, HEIGHT)),
        },
    )
    .expect("a terminal on a sink")
}

fn arg(name: &str) -> Option<u32> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1)?.parse().ok()
}
