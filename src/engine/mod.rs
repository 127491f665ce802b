//! The engine ties store, OAuth and audit together: every lifecycle
//! operation (refresh, login, revoke, rotate) is done here, once, for the
//! CLI, the daemon and the dashboard alike.

pub mod alert;
mod exchange;
pub mod history;
pub mod lane;
mod lifecycle;
mod scheduler;
mod watch;

pub use exchange::{ChildToken, ExchangeError, ExchangeRequest};
pub use lifecycle::{
    Lifecycle, LifecycleError, LoginOptions, RefreshMode, RefreshOutcome, RevokeReport, relogin,
};
pub use scheduler::{Engine, EngineConfig, EngineEvent};
