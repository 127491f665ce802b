//! The engine ties store, OAuth and audit together: every lifecycle
//! operation (refresh, login, revoke, rotate) is done here, once, for the
//! CLI, the daemon and the dashboard alike.

mod add_key;
pub mod alert;
mod events;
mod handle;
pub mod history;
pub mod lane;
mod lifecycle;
mod logout;
mod schedule;
mod scheduler;
mod supply;
mod warnings;
mod watch;

pub use events::{EngineConfig, EngineEvent};
pub use handle::{EngineHandle, StopSignals, spawn};
pub use lifecycle::{
    Lifecycle, LifecycleError, LoginOptions, RefreshMode, RefreshOutcome, RevokeReport, relogin,
};
pub use scheduler::Engine;
