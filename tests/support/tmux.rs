//! The real binary in a real terminal: a detached tmux session of fixed
//! size on a private socket with no user config, driven by `send-keys` and
//! read back by `capture-pane`. Every wait is bounded.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use chrono::Utc;

/// Longest wait for any one screen; generous for a loaded CI machine.
const WAIT: Duration = Duration::from_secs(15);

pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn cmd(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "main"]).stdout)
            .into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend_from_slice(keys);
        assert!(self.cmd(&args).status.success(), "send-keys {keys:?}");
    }

    /// Waits (bounded) until the screen satisfies `ok`; fails with the
    /// last screen seen.
    pub fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the screen was:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

pub fn tmux_missing() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .map_or(true, |o| !o.status.success())
}

/// Starts `credtop --home HOME` in session `main` of a 100x30 pane; when
/// it exits the pane shows `EXITED-<code>`. `env` is set for credtop.
pub fn start(tmux: &Tmux, home: &Path, env: &[(&str, &str)]) {
    let env: String = env.iter().map(|(k, v)| format!("{k}={v} ")).collect();
    let run = format!(
        "sh -c 'env {env}{} --home {}; echo EXITED-$?; sleep 60'",
        env!("CARGO_BIN_EXE_credtop"),
        home.display()
    );
    let started = tmux.cmd(&[
        "new-session",
        "-d",
        "-s",
        "main",
        "-x",
        "100",
        "-y",
        "30",
        &run,
    ]);
    assert!(started.status.success(), "{started:?}");
}

pub fn tmux_for(test: &str) -> Tmux {
    Tmux {
        socket: format!(
            "credtop-{test}-{}-{}",
            std::process::id(),
            Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ),
    }
}

pub fn assert_left_alternate_screen(tmux: &Tmux) {
    let alt = tmux.cmd(&["display-message", "-p", "-t", "main", "#{alternate_on}"]);
    assert_eq!(
        String::from_utf8_lossy(&alt.stdout).trim(),
        "0",
        "the alternate screen was not left"
    );
}

/// Whether the program in the pane asked the terminal to report the mouse.
pub fn mouse_reported(tmux: &Tmux) -> bool {
    let flag = tmux.cmd(&["display-message", "-p", "-t", "main", "#{mouse_any_flag}"]);
    String::from_utf8_lossy(&flag.stdout).trim() == "1"
}

/// The table row marked as selected (`▶`) on `screen`, or "".
pub fn selected_line(screen: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains('▶'))
        .unwrap_or_default()
        .to_string()
}
