//! Debug logs go to `$CREDTOP_HOME/logs/credtop.log.YYYY-MM-DD`, never to
//! the terminal (the dashboard owns it; scripts read stdout). Level from
//! `CREDTOP_LOG` (default `info`).

use std::path::Path;

use tracing_subscriber::EnvFilter;

/// Installs the file logger. Returns false (and logs nothing) when the log
/// directory cannot be made private: logging must never stop a command.
pub fn init(home: &Path) -> bool {
    let dir = home.join("logs");
    if crate::store::ensure_private_dir(home).is_err()
        || crate::store::ensure_private_dir(&dir).is_err()
    {
        return false;
    }
    let appender = tracing_appender::rolling::daily(&dir, "credtop.log");
    let filter = EnvFilter::try_from_env("CREDTOP_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(appender)
        .with_ansi(false)
        .try_init()
        .is_ok()
}
