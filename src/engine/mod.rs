//! The engine ties store, OAuth and audit together: every lifecycle
//! operation (refresh, login, revoke, rotate) is done here, once, for the
//! CLI, the daemon and the dashboard alike.

mod lifecycle;

pub use lifecycle::{
    Lifecycle, LifecycleError, LoginOptions, RefreshMode, RefreshOutcome, RevokeReport,
};
