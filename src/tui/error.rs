//! Why the dashboard could not open or had to close.

use crate::engine::LifecycleError;

#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error(
        "the dashboard needs a terminal; scripts want `credtop status --json` or `credtop check`"
    )]
    NotATerminal,
    #[error(transparent)]
    Home(#[from] LifecycleError),
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot open the terminal: {0}")]
    Terminal(std::io::Error),
    #[error("cannot handle signals: {0}")]
    Signals(std::io::Error),
    #[error("cannot read the terminal: {0}")]
    Input(std::io::Error),
    #[error("cannot draw: {0}")]
    Draw(std::io::Error),
}
