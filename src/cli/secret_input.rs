use std::io::{BufRead, IsTerminal, Write};

use super::{Failure, exit};
use crate::model::Secret;

/// Reads one secret from stdin: masked (echo off) when stdin is a terminal,
/// else the first line of what is piped in. Never from argv, where every
/// user of `ps` could read it.
pub fn read_secret(prompt: &str) -> Result<Secret, Failure> {
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let _echo = if interactive {
        eprint!("{prompt}: ");
        let _ = std::io::stderr().flush();
        EchoOff::new()
    } else {
        None
    };
    let mut line = String::new();
    stdin.lock().read_line(&mut line).map_err(|e| {
        Failure::new(
            exit::ERROR,
            format!("cannot read the secret from stdin: {e}"),
        )
    })?;
    if interactive {
        eprintln!();
    }
    let value = line.trim_end_matches(['\r', '\n']).trim();
    if value.is_empty() {
        return Err(Failure::new(
            exit::USAGE,
            "no secret on stdin; pipe it in (e.g. `credtop add-key NAME < key.txt`)",
        ));
    }
    Ok(Secret::new(value))
}

/// Terminal echo switched off until dropped (so a panic restores it too).
struct EchoOff(libc::termios);

impl EchoOff {
    fn new() -> Option<Self> {
        // SAFETY: tcgetattr/tcsetattr on fd 0 with a valid termios buffer.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return None;
            }
            let saved = t;
            t.c_lflag &= !libc::ECHO;
            t.c_lflag |= libc::ECHONL;
            if libc::tcsetattr(0, libc::TCSANOW, &t) != 0 {
                return None;
            }
            Some(EchoOff(saved))
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        // SAFETY: restores the attributes read in `new`.
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, &self.0);
        }
    }
}
