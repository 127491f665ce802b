#![deny(clippy::unwrap_used)]

use std::process::ExitCode;

use clap::Parser;

use credtop::cli::{self, Cli, Context};

fn main() -> ExitCode {
    // Every file and directory this process creates is private, whatever
    // the caller's umask (belt and braces: the store also passes explicit
    // modes).
    // SAFETY: umask only changes this process's file-creation mask.
    let original = unsafe { libc::umask(0o077) };
    // What the caller had goes to the programs credtop starts for them
    // (`mcp exec`), so that they behave as if started directly.
    credtop::mcp::ORIGINAL_UMASK.store(original, std::sync::atomic::Ordering::Relaxed);
    // clap's own exit code for bad usage is 2, which `credtop check`'s
    // callers read as "critical": bad usage is 64 (EX_USAGE) everywhere.
    let args = match Cli::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(cli::exit::USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    if matches!(args.command, Some(cli::Command::Demo)) {
        return demo();
    }
    let ctx = Context::new(args.home.as_deref());
    let _log = credtop::logging::init(&ctx.home);
    let Some(command) = args.command else {
        return match credtop::tui::run(&ctx.home, dashboard_hooks()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::warn!(error = %e, "dashboard failed");
                eprintln!("credtop: {e}");
                ExitCode::from(cli::exit::ERROR)
            }
        };
    };
    match cli::run(&ctx, command) {
        Ok(code) => code,
        Err(f) => {
            tracing::warn!(code = f.code, message = %f.message, "command failed");
            eprintln!("credtop: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// `credtop demo`: the dashboard on a throwaway home, removed on the way out.
fn demo() -> ExitCode {
    let demo = match credtop::demo::Demo::start() {
        Ok(demo) => demo,
        Err(e) => {
            eprintln!("credtop: {e}");
            return ExitCode::from(cli::exit::ERROR);
        }
    };
    let _log = credtop::logging::init(demo.home());
    // Only the demo's own credentials: no other tool's files are read.
    match credtop::tui::run(demo.home(), credtop::tui::Hooks::default()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("credtop: {message}");
            ExitCode::from(cli::exit::ERROR)
        }
    }
}

/// What the dashboard shows beside the store: other tools' credentials
/// (read-only, as `credtop status` lists them) and the MCP servers that
/// depend on each credential. Both honour config.toml, read afresh on each
/// reload so that an edit takes effect without a restart.
fn dashboard_hooks() -> credtop::tui::Hooks {
    use credtop::discover::{Env, discover_all};
    use credtop::store::Config;
    credtop::tui::Hooks {
        discovered: Box::new(|home| {
            let config = Config::load(home).unwrap_or_default();
            discover_all(&Env::from_process(), &config.discover).credentials
        }),
        dependents: Box::new(|home| {
            let config = Config::load(home).unwrap_or_default();
            credtop::mcp::dependents_by_credential(&Env::from_process(), &config.mcp_env)
        }),
        watched: Box::new(|| credtop::discover::source_dirs(&Env::from_process())),
    }
}
