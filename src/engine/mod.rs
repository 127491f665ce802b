//! The engine ties store, OAuth and audit together: every lifecycle
//! operation (refresh, login, revoke, rotate) is done here, once, for the
//! CLI, the daemon and the dashboard alike.

mod add_key;
pub mod alert;
mod exchange;
mod handle;
pub mod history;
pub mod lane;
mod lifecycle;
mod logout;
mod mcp_bridge;
mod mcp_login;
mod scheduler;
mod supply;
mod watch;

pub use exchange::{ChildToken, ExchangeError, ExchangeRequest};
pub use handle::{EngineHandle, StopSignals, spawn};
pub use lifecycle::{
    Lifecycle, LifecycleError, LoginOptions, RefreshMode, RefreshOutcome, RevokeReport, relogin,
};
pub use mcp_bridge::BridgeTokens;
pub use mcp_login::{McpLoginOptions, default_name as mcp_default_name, mcp_relogin};
pub use scheduler::{Engine, EngineConfig, EngineEvent};
