//! The dashboard's one loop: it waits on terminal input, engine events,
//! action results, signals and a one-second tick, applies each as a
//! [`Msg`], and draws: at once for what the person does, with the next
//! tick for what the engine reports ([`Msg::draws_at_once`]). Nothing
//! polls: between messages the process sleeps.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event, EventStream, KeyEventKind};
use futures_util::StreamExt;
use ratatui::layout::Rect;
use tokio::sync::{broadcast, mpsc};
use tokio::time::MissedTickBehavior;

use super::actions::Executor;
use super::app::App;
use super::data::Hooks;
use super::error::DashboardError;
use super::msg::{Msg, Task};
use super::screen::Screen;
use super::update;
use crate::audit::Actor;
use crate::engine::{EngineConfig, EngineEvent, EngineHandle, Lifecycle, StopSignals};

/// How long quitting waits for the engine to finish a refresh in flight.
const ENGINE_STOP_GRACE: Duration = Duration::from_secs(3);
/// How long after the first full table the engine starts: its first pass
/// reads every credential and audits each as loaded, which would take the
/// CPU from the terminal still drawing that table (on 2 cores, about 8 ms
/// of the first frame with 1,000 credentials, in benches/dashboard_idle.sh).
/// A credential already in its danger zone waits this long once.
const ENGINE_START_AFTER: Duration = Duration::from_millis(250);

/// Opens the dashboard on `home` until the person quits or a signal comes.
/// The terminal is restored on every way out: quit, error, panic (ratatui's
/// hook restores it, then calls the previous hook) and SIGTERM / SIGHUP.
pub fn run(home: &Path, hooks: Hooks) -> Result<(), DashboardError> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(DashboardError::NotATerminal);
    }
    crate::engine::process::make_undumpable();
    let lc = Lifecycle::open(home, Actor::Dashboard)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(DashboardError::Runtime)?;
    let result = runtime.block_on(dashboard(Arc::new(lc), hooks));
    // A login waiting on its callback must not keep the process alive.
    runtime.shutdown_timeout(Duration::from_millis(500));
    result
}

fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

async fn dashboard(lc: Arc<Lifecycle>, hooks: Hooks) -> Result<(), DashboardError> {
    // The terminal first: without one there is no dashboard, and the engine
    // must not start (and audit) for nothing.
    let mut terminal = ratatui::try_init().map_err(|e| {
        ratatui::restore();
        DashboardError::Terminal(e)
    })?;
    // Released on every way out: by the guard's drop on return (quit,
    // error, signal), by the panic hook before ratatui's restores the rest.
    let mouse = MouseCapture::start();
    let (tx, rx) = mpsc::unbounded_channel();
    let exec = Executor::start(Arc::clone(&lc), tx, hooks);
    exec.run(Task::Reload);
    let mut app = App::new(Utc::now(), lc.home().to_path_buf(), !no_color());
    if let Ok(size) = terminal.size() {
        update(&mut app, Msg::Resize(size.into()));
    }
    let mut engine = None;

    let result = event_loop(&mut terminal, &mut app, &exec, &mut engine, &lc, rx).await;
    drop(mouse);
    ratatui::restore();
    if let Some(engine) = engine {
        engine.stop(ENGINE_STOP_GRACE).await;
    }
    result
}

/// Mouse reporting (clicks and the wheel), on while the dashboard runs.
/// A terminal left reporting the mouse prints escape codes at every
/// click in the shell that follows, so it is turned off on drop and, once
/// per process, by a panic hook that runs before ratatui's restore.
struct MouseCapture;

impl MouseCapture {
    fn start() -> MouseCapture {
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                release_mouse();
                previous(info);
            }));
        });
        // Without it the keyboard still works: not worth failing for.
        let _ = crossterm::execute!(std::io::stdout(), EnableMouseCapture);
        MouseCapture
    }
}

impl Drop for MouseCapture {
    fn drop(&mut self) {
        release_mouse();
    }
}

fn release_mouse() {
    let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
}

/// The same engine as `credtop daemon`, without the daemon lock: they may
/// run together, the per-credential locks keep refreshes single-flight. It
/// starts [`ENGINE_START_AFTER`] the first full table is on screen, so
/// that its own first pass over the store does not hold up the first frame.
fn start_engine(slot: &mut Option<EngineHandle>, lc: &Arc<Lifecycle>) {
    if slot.is_none() {
        *slot = Some(crate::engine::spawn(
            Arc::clone(lc),
            EngineConfig::default(),
        ));
    }
}

/// The next engine event, or never while the engine has not started.
async fn next_event(
    engine: &mut Option<EngineHandle>,
) -> Result<EngineEvent, broadcast::error::RecvError> {
    match engine {
        Some(e) => e.events.recv().await,
        None => std::future::pending().await,
    }
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    exec: &Executor,
    engine: &mut Option<EngineHandle>,
    lc: &Arc<Lifecycle>,
    mut results: mpsc::UnboundedReceiver<Msg>,
) -> Result<(), DashboardError> {
    let mut signals = StopSignals::install().map_err(DashboardError::Signals)?;
    let mut input = Input::start();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut engine_open = true;
    // When the engine is to start: set once the first full table is drawn.
    let mut engine_at: Option<tokio::time::Instant> = None;
    // The screen as last drawn: a tick redraws the countdowns, not the
    // screen.
    let mut screen = Screen::new(Rect::default());
    terminal.hide_cursor().map_err(DashboardError::Draw)?;
    draw(terminal, &mut screen, app)?;
    loop {
        let msg = tokio::select! {
            event = input.events.recv() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => Msg::Key(key),
                Some(Ok(Event::Resize(w, h))) => Msg::Resize(Rect::new(0, 0, w, h)),
                Some(Ok(Event::Mouse(m))) if super::mouse::wanted(&m) => Msg::Mouse(m),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(DashboardError::Input(e)),
                None => Msg::Quit,
            },
            event = next_event(engine), if engine_open => match event {
                Ok(e) => Msg::Engine(e),
                Err(broadcast::error::RecvError::Lagged(_)) => Msg::EngineLagged,
                Err(broadcast::error::RecvError::Closed) => {
                    engine_open = false;
                    continue;
                }
            },
            Some(msg) = results.recv() => msg,
            _ = tick.tick() => Msg::Tick(Utc::now()),
            () = signals.recv() => Msg::Quit,
            () = start_at(engine_at), if engine.is_none() => {
                start_engine(engine, lc);
                continue;
            }
        };
        #[cfg(debug_assertions)]
        debug_panic_on_key(&msg);
        let at_once = msg.draws_at_once();
        if let Some(cmd) = update(app, msg) {
            exec.run(cmd);
        }
        if app.quit {
            return Ok(());
        }
        if at_once {
            draw(terminal, &mut screen, app)?;
        }
        if app.loaded && engine_at.is_none() {
            engine_at = Some(tokio::time::Instant::now() + ENGINE_START_AFTER);
        }
    }
}

/// The terminal's input, read by a task of its own and passed on. Polled
/// from the loop's `select!` instead, crossterm's stream would be asked
/// for input at every message the loop takes (engine events, ticks), and
/// each ask spins on the lock its reader thread holds while it waits:
/// under churn, about 17 `sched_yield` calls a second for nothing.
struct Input {
    events: mpsc::UnboundedReceiver<std::io::Result<Event>>,
    task: tokio::task::JoinHandle<()>,
}

impl Input {
    fn start() -> Input {
        let (tx, events) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            let mut stream = EventStream::new();
            while let Some(event) = stream.next().await {
                let failed = event.is_err();
                if tx.send(event).is_err() || failed {
                    break;
                }
            }
        });
        Input { events, task }
    }
}

impl Drop for Input {
    /// Dropping the stream stops crossterm's reader thread.
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Draws what changed since the last frame, at the terminal's size as
/// the last resize event told it. Asking the terminal instead costs an
/// open of /dev/tty, an ioctl and a close per frame (crossterm's `size`).
fn draw(
    terminal: &mut ratatui::DefaultTerminal,
    screen: &mut Screen,
    app: &App,
) -> Result<(), DashboardError> {
    let area = if app.frame.is_empty() {
        let size = terminal.size().map_err(DashboardError::Draw)?;
        Rect::new(0, 0, size.width, size.height)
    } else {
        app.frame
    };
    screen
        .draw(app, area, terminal.backend_mut())
        .map_err(DashboardError::Draw)
}

/// Resolves at `at`, or never while there is no time set.
async fn start_at(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Debug builds only: a panic on the key named by `CREDTOP_DEBUG_PANIC_KEY`,
/// so that tests/tui_tmux.rs can prove the terminal is restored when the
/// dashboard panics. Release builds do not contain it.
#[cfg(debug_assertions)]
fn debug_panic_on_key(msg: &Msg) {
    use crossterm::event::KeyCode;
    let Msg::Key(key) = msg else { return };
    let Some(wanted) = std::env::var("CREDTOP_DEBUG_PANIC_KEY")
        .ok()
        .and_then(|v| v.chars().next())
    else {
        return;
    };
    if key.code == KeyCode::Char(wanted) {
        panic!("deliberate panic on key {wanted:?} (CREDTOP_DEBUG_PANIC_KEY)");
    }
}
