use std::process::ExitCode;

use clap::Parser;

use credtop::cli::{self, Cli, Context};

fn main() -> ExitCode {
    // Every file and directory this process creates is private, whatever
    // the caller's umask (belt and braces: the store also passes explicit
    // modes).
    // SAFETY: umask only changes this process's file-creation mask.
    unsafe {
        libc::umask(0o077);
    }
    let args = Cli::parse();
    let ctx = Context::new(args.home.as_deref());
    let _log = credtop::logging::init(&ctx.home);
    let Some(command) = args.command else {
        return match credtop::tui::run(&ctx.home, credtop::tui::Hooks::default()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                tracing::warn!(%message, "dashboard failed");
                eprintln!("credtop: {message}");
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
