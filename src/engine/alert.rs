//! Telling the operator: a tmux message when running inside tmux, the
//! terminal bell otherwise, and the `notify_command` of config.toml run with
//! the alert as JSON on stdin. Alerts carry no secret.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::FailureKind;

#[derive(Clone, Debug, Serialize)]
pub struct Alert {
    pub ts: DateTime<Utc>,
    pub event: &'static str,
    pub credential: String,
    pub provider: String,
    pub kind: FailureKind,
    pub message: String,
}

impl Alert {
    pub fn headline(&self) -> String {
        format!(
            "credtop: {} {} ({})",
            self.credential,
            self.event.replace('_', " "),
            self.kind
        )
    }
}

/// Sends `alert` everywhere it should go; returns the channels that took it.
pub fn notify(alert: &Alert, notify_command: Option<&str>) -> Vec<&'static str> {
    let mut channels = Vec::new();
    if std::env::var_os("TMUX").is_some() {
        let shown = Command::new("tmux")
            .args(["display-message", "-d", "8000", &alert.headline()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if shown {
            channels.push("tmux");
        }
    } else if ring_bell() {
        channels.push("bell");
    }
    if let Some(cmd) = notify_command.filter(|c| !c.trim().is_empty()) {
        match run_command(cmd, alert) {
            Ok(()) => channels.push("notify_command"),
            Err(e) => tracing::warn!(error = %e, "notify_command failed"),
        }
    }
    channels
}

fn ring_bell() -> bool {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/tty")
        .and_then(|mut tty| tty.write_all(b"\x07"))
        .is_ok()
}

/// What `notify_command` inherits: enough to find programs and print text,
/// never credtop's own environment (model API keys, tokens of other tools).
const NOTIFY_ENV: [&str; 3] = ["PATH", "HOME", "LANG"];

/// Runs the operator's command with the alert on stdin, bounded in time,
/// in a cleared environment.
fn run_command(cmd: &str, alert: &Alert) -> Result<(), String> {
    let mut command = Command::new("sh");
    command.env_clear();
    for var in NOTIFY_ENV {
        if let Some(value) = std::env::var_os(var) {
            command.env(var, value);
        }
    }
    let mut child = command
        .args(["-c", cmd])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let json = serde_json::to_vec(alert).expect("alert serializes");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(&json);
        let _ = stdin.write_all(b"\n");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("exited with {status}")),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("took longer than 10 s; killed".into());
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}
