//! A dashboard state for tests that draw it: the engine running and
//! `entries` loaded, as the runtime would leave it after the first read.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use credtop::tui::{App, EngineState, Entry, Msg, update};

/// The dashboard at `now` with `entries` loaded and one engine lane each;
/// `color` as when `NO_COLOR` is unset.
pub fn loaded(now: DateTime<Utc>, entries: Vec<Entry>, color: bool) -> App {
    let mut app = App::new(now, "/home/demo/.agent".into(), color);
    app.engine = EngineState::Running {
        lanes: entries.len(),
    };
    update(
        &mut app,
        Msg::Loaded {
            entries,
            problems: vec![],
            dependents: HashMap::new(),
        },
    );
    app
}
