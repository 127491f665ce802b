//! Opening the login page. Over SSH nothing opens, so the caller always
//! shows the URL too.

use std::process::{Command, Stdio};

/// Opens `url` with the program named by `$BROWSER` (called with the URL as
/// its one argument) when set, else with the system opener. The browser's
/// output is discarded so it never draws over the dashboard.
pub fn open(url: &str) -> Result<(), String> {
    match std::env::var_os("BROWSER").filter(|b| !b.is_empty()) {
        Some(program) => {
            let mut child = Command::new(&program)
                .arg(url)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| {
                    format!("cannot start $BROWSER ({}): {e}", program.to_string_lossy())
                })?;
            // Reap it whenever it ends, without making the login wait for it.
            std::thread::spawn(move || child.wait());
            Ok(())
        }
        None => open::that_detached(url).map_err(|e| format!("cannot open a browser: {e}")),
    }
}
