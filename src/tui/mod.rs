//! The dashboard: `credtop` with no subcommand.
//!
//! The Elm architecture (as ratatui's docs teach it): [`App`] holds everything the screen shows,
//! terminal input, engine events, action results and the one-second tick
//! become one [`Msg`], [`update`] is the only place state changes and
//! returns the [`Task`] to run in the background, and [`view`] draws
//! from state alone (no I/O, no clock reads), which is what makes every
//! screen a snapshot test.

mod actions;
mod app;
mod audit_feed;
mod bindings;
mod chain_watch;
mod data;
mod dialog;
mod error;
mod keymap;
mod merge;
mod mouse;
mod msg;
mod reload;
mod runtime;
mod screen;
mod sort;
mod timeline;
mod timeline_keys;
mod update;
mod view;

pub use app::{
    Activity, App, Attempt, AuditPane, EngineState, Entry, Mode, Notice, Overlay, Reader,
};
pub use data::{Hooks, load_entries};
pub use error::DashboardError;
pub use msg::{Msg, Task};
pub use runtime::run;
pub use screen::Screen;
pub use sort::SortKey;
pub use timeline::{Lane, Mark, MarkKind, Picked, TimelinePane, Window};
pub use update::update;
pub use view::view;
