//! `credtop completions SHELL` and `credtop man`: generated from the same
//! clap definitions that parse the arguments, so they cannot drift.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;

use super::{Cli, Failure, Shell, exit};

pub fn completions(shell: Shell) -> Result<ExitCode, Failure> {
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    // Into a buffer first: clap_complete panics on a failed write, and a
    // closed pipe is no reason to panic.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "credtop", &mut script);
    print_bytes(&script)
}

pub fn man() -> Result<ExitCode, Failure> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| Failure::new(exit::ERROR, format!("rendering the man page failed: {e}")))?;
    print_bytes(&page)
}

/// Writes to stdout; a reader that went away (`| head`) ends quietly.
pub fn print_bytes(bytes: &[u8]) -> Result<ExitCode, Failure> {
    let mut out = std::io::stdout().lock();
    finish_output(out.write_all(bytes).and_then(|()| out.flush()))
}

/// A closed pipe (`credtop audit | head`) ends the command quietly.
pub fn finish_output(written: std::io::Result<()>) -> Result<ExitCode, Failure> {
    match written {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(Failure::new(
            exit::ERROR,
            format!("writing the output failed: {e}"),
        )),
    }
}
