//! The real binary in a real terminal: `credtop` runs in a detached tmux
//! session of fixed size (private socket, no user config), keys are sent
//! with `send-keys`, and the screen is read back with `capture-pane`.
//! Skips, saying why, only when tmux is not installed.

use crate::support;

use std::path::Path;
use std::process::Command;

use chrono::Utc;
use credtop::model::{Credential, Kind, Secret, Source};
use credtop::store::Store;
use support::tmux::{
    assert_left_alternate_screen, mouse_reported, selected_line, start, tmux_for, tmux_missing,
};

/// Four credentials that need nothing from the engine: keys, and OAuth
/// tokens without refresh tokens in their safe zone.
fn prepare_home(home: &Path) {
    let store = Store::open(home).expect("store opens");
    let now = Utc::now();
    for (name, kind, provider, ttl_min) in [
        ("alpha-key", Kind::ApiKey, "openai", None),
        ("beta-oauth", Kind::OAuth, "github", Some(60)),
        ("gamma-pat", Kind::Pat, "gitlab", Some(60 * 24 * 30)),
        ("delta-oauth", Kind::OAuth, "google", Some(60)),
    ] {
        store
            .save(&Credential {
                name: name.into(),
                kind,
                provider: provider.into(),
                account: None,
                scopes: vec!["read".into()],
                created_at: now - chrono::Duration::minutes(5),
                expires_at: ttl_min.map(|m| now + chrono::Duration::minutes(m)),
                secret: Secret::new(format!("tmux-canary-{name}")),
                refresh_token: None,
                refresh_expires_at: None,
                token_type: None,
                source: Source::Store,
            })
            .expect("credential saved");
    }
}

#[test]
fn sigterm_quits_and_restores_the_terminal() {
    if tmux_missing() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it: scripts/test-deps.sh)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    prepare_home(&home);
    let tmux = tmux_for("term");
    start(&tmux, &home, &[]);
    tmux.wait_for("the table", |s| s.contains("Credentials (4)"));
    assert!(mouse_reported(&tmux), "the dashboard takes the mouse");
    // The pane runs `sh -c 'credtop …; echo …'`: credtop is the shell's child.
    let shell = tmux.cmd(&["display-message", "-p", "-t", "main", "#{pane_pid}"]);
    let shell = String::from_utf8_lossy(&shell.stdout).trim().to_string();
    let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
        .expect("the pane's shell has a children list");
    let credtop = children.split_whitespace().next().expect("credtop runs");
    let killed = Command::new("kill")
        .args(["-TERM", credtop])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    tmux.wait_for("the shell after SIGTERM", |s| s.contains("EXITED-0"));
    assert_left_alternate_screen(&tmux);
    assert!(
        !mouse_reported(&tmux),
        "the mouse is still reported after SIGTERM"
    );
}

/// A panic inside the dashboard (provoked by a debug-build-only key) still
/// leaves the alternate screen and raw mode, and the panic message is
/// readable on the restored terminal.
#[test]
fn a_panic_restores_the_terminal_and_shows_its_message() {
    if tmux_missing() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it: scripts/test-deps.sh)");
        return;
    }
    if !cfg!(debug_assertions) {
        eprintln!("SKIPPED: the panic key exists in debug builds only");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    prepare_home(&home);
    let tmux = tmux_for("panic");
    start(
        &tmux,
        &home,
        &[("CREDTOP_DEBUG_PANIC_KEY", "P"), ("RUST_BACKTRACE", "0")],
    );
    tmux.wait_for("the table", |s| s.contains("Credentials (4)"));
    assert!(mouse_reported(&tmux), "the dashboard takes the mouse");
    tmux.keys(&["P"]);
    let screen = tmux.wait_for("the shell after the panic", |s| s.contains("EXITED-101"));
    assert!(screen.contains("deliberate panic"), "{screen}");
    assert!(
        !screen.contains("Credentials (4)"),
        "the dashboard is still drawn:\n{screen}"
    );
    assert_left_alternate_screen(&tmux);
    assert!(
        !mouse_reported(&tmux),
        "the mouse is still reported after a panic"
    );
    // Raw mode is off too: the shell's line discipline echoes typed text.
    tmux.keys(&["-l", "echoed-after-panic"]);
    tmux.wait_for("echo of typed text", |s| s.contains("echoed-after-panic"));
}

#[test]
fn dashboard_in_tmux_moves_filters_helps_details_and_quits_cleanly() {
    if tmux_missing() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it: scripts/test-deps.sh)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    prepare_home(&home);
    let tmux = tmux_for("keys");
    start(&tmux, &home, &[]);

    let screen = tmux.wait_for("the table", |s| s.contains("Credentials (4)"));
    assert!(selected_line(&screen).contains("alpha-key"), "{screen}");
    assert!(
        !screen.contains("tmux-canary"),
        "a secret on screen:\n{screen}"
    );

    tmux.keys(&["j"]);
    tmux.wait_for("j to select beta", |s| {
        selected_line(s).contains("beta-oauth")
    });
    tmux.keys(&["j", "j", "k"]);
    // Rows are sorted by name: alpha, beta, delta, gamma.
    tmux.wait_for("j j k to select delta", |s| {
        selected_line(s).contains("delta-oauth")
    });

    tmux.keys(&["/", "g", "a", "m"]);
    let screen = tmux.wait_for("the filter", |s| {
        s.contains("filter: gam") && s.contains("Credentials (1)")
    });
    assert!(!screen.contains("beta-oauth"), "{screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("Esc to clear the filter", |s| {
        s.contains("Credentials (4)") && !s.contains("filter:")
    });

    tmux.keys(&["?"]);
    tmux.wait_for("help", |s| s.contains("Help") && s.contains("this help"));
    tmux.keys(&["Escape"]);
    tmux.wait_for("help to close", |s| !s.contains("this help"));

    tmux.keys(&["g", "Enter"]);
    let screen = tmux.wait_for("the detail pane", |s| {
        s.contains("fingerprint") && s.contains("MCP servers")
    });
    assert!(screen.contains("sha256:"), "{screen}");
    assert!(
        !screen.contains("tmux-canary"),
        "a secret on screen:\n{screen}"
    );

    tmux.keys(&["q"]);
    let screen = tmux.wait_for("the shell after quit", |s| s.contains("EXITED-0"));
    assert!(!screen.contains("Credentials"), "{screen}");
    assert_left_alternate_screen(&tmux);
}

#[test]
fn actions_run_in_the_background_and_report_in_place() {
    if tmux_missing() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it: scripts/test-deps.sh)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    prepare_home(&home);
    let tmux = tmux_for("actions");
    start(&tmux, &home, &[]);
    tmux.wait_for("the table", |s| s.contains("Credentials (4)"));

    // beta-oauth has no refresh token: `r` says what to do instead.
    tmux.keys(&["j", "r"]);
    tmux.wait_for("the no-refresh-token notice", |s| {
        s.contains("beta-oauth has no refresh token")
    });
    // Its provider is not in providers.toml: the login fails, typed, in place.
    tmux.keys(&["l"]);
    tmux.wait_for("the login failure", |s| {
        s.contains("log in failed (config_error)")
    });

    // Revoke asks first; `n` keeps it, `y` deletes it and the row goes.
    tmux.keys(&["g", "x"]);
    tmux.wait_for("the confirmation", |s| s.contains("Revoke alpha-key?"));
    tmux.keys(&["n"]);
    tmux.wait_for("the dialog to close", |s| !s.contains("Revoke alpha-key?"));
    assert!(home.join("keys/alpha-key.json").exists());
    tmux.keys(&["x", "y"]);
    let screen = tmux.wait_for("the row to go", |s| s.contains("Credentials (3)"));
    assert!(screen.contains("alpha-key deleted"), "{screen}");
    assert!(!home.join("keys/alpha-key.json").exists());

    tmux.keys(&["q"]);
    tmux.wait_for("the shell after quit", |s| s.contains("EXITED-0"));
}

/// Another credtop process rotates a key while the dashboard shows it: the
/// detail pane follows (a write by another credtop process is read again
/// like any other; only the audit trail says whose it was).
#[test]
fn a_rotation_from_a_shell_shows_in_the_open_detail_pane() {
    if tmux_missing() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it: scripts/test-deps.sh)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    prepare_home(&home);
    let old = Secret::new("tmux-canary-alpha-key").fingerprint().0;
    let new = Secret::new("tmux-canary-rotated").fingerprint().0;
    let tmux = tmux_for("rotate");
    start(&tmux, &home, &[]);
    tmux.wait_for("the table", |s| s.contains("Credentials (4)"));
    tmux.keys(&["g", "Enter"]);
    tmux.wait_for("the old fingerprint", |s| s.contains(&old));

    let mut rotate = Command::new(env!("CARGO_BIN_EXE_credtop"))
        .args(["--home", &home.display().to_string(), "rotate", "alpha-key"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = rotate.stdin.take().unwrap();
        stdin.write_all(b"tmux-canary-rotated\n").unwrap();
    }
    let out = rotate.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let screen = tmux.wait_for("the new fingerprint", |s| s.contains(&new));
    assert!(!screen.contains(&old), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("the shell after quit", |s| s.contains("EXITED-0"));
}

#[test]
fn demo_refreshes_live_shows_a_revoked_grant_and_leaves_nothing_behind() {
    if tmux_missing() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it: scripts/test-deps.sh)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let tmux = tmux_for("demo");
    let run = format!(
        "sh -c 'env TMPDIR={} {} demo; echo EXITED-$?; sleep 60'",
        tmp.path().display(),
        env!("CARGO_BIN_EXE_credtop"),
    );
    let started = tmux.cmd(&[
        "new-session",
        "-d",
        "-s",
        "main",
        "-x",
        "120",
        "-y",
        "30",
        &run,
    ]);
    assert!(started.status.success(), "{started:?}");
    let row = |screen: &str, name: &str| {
        screen
            .lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_default()
            .to_string()
    };
    // slack-bot opens in its danger zone: the in-process endpoint refreshes it.
    let screen = tmux.wait_for("slack-bot refreshed", |s| {
        row(s, "slack-bot").contains(" ago")
    });
    assert!(row(&screen, "openai").contains("rotate"), "{screen}");
    tmux.wait_for("the revoked grant paused", |s| {
        s.contains("legacy-crm paused")
    });
    let homes = || {
        std::fs::read_dir(tmp.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("credtop-demo-"))
            .count()
    };
    assert_eq!(homes(), 1, "the demo's home lives in TMPDIR while it runs");
    tmux.keys(&["q"]);
    tmux.wait_for("exit", |s| s.contains("EXITED-0"));
    assert_eq!(homes(), 0, "the demo's home is removed on the way out");
    assert_left_alternate_screen(&tmux);
}

/// One credential in each zone, and one credtop holds a refresh token for
/// but has no provider for: the real binary says each zone in words, and
/// why that one is not refreshed.
#[test]
fn each_zone_is_said_in_words_and_a_missing_provider_is_named() {
    if tmux_missing() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it: scripts/test-deps.sh)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let store = Store::open(&home).expect("store opens");
    let now = Utc::now();
    let min = chrono::Duration::minutes;
    for (name, kind, age, ttl, rt) in [
        ("z-safe", Kind::OAuth, 5, Some(60), false),
        ("z-danger", Kind::OAuth, 55, Some(60), false),
        ("z-expired", Kind::OAuth, 90, Some(60), false),
        ("z-none", Kind::ApiKey, 5, None, false),
        ("z-google", Kind::OAuth, 50, Some(60), true),
    ] {
        store
            .save(&Credential {
                name: name.into(),
                kind,
                provider: if rt { "google" } else { "github" }.into(),
                account: None,
                scopes: vec![],
                created_at: now - min(age),
                expires_at: ttl.map(|t| now - min(age) + min(t)),
                secret: Secret::new(format!("tmux-canary-{name}")),
                refresh_token: rt.then(|| Secret::new("tmux-canary-rt")),
                refresh_expires_at: None,
                token_type: None,
                source: Source::Store,
            })
            .expect("credential saved");
    }
    let tmux = tmux_for("zones");
    start(&tmux, &home, &[("NO_COLOR", "1")]);
    let screen = tmux.wait_for("the table", |s| s.contains("Credentials (5)"));
    let row = |name: &str| {
        screen
            .lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("no row {name}:\n{screen}"))
            .to_string()
    };
    for (name, zone) in [
        ("z-safe", "safe"),
        ("z-danger", "danger"),
        ("z-expired", "expired"),
        ("z-none", "none"),
    ] {
        assert!(row(name).contains(&format!(" {zone} ")), "{name}: {screen}");
    }
    assert!(!row("z-expired").contains("refresh failed"), "{screen}");
    let screen = tmux.wait_for("the missing provider named", |s| {
        s.lines()
            .any(|l| l.contains(" z-google ") && l.contains("no provider 'google'"))
    });
    assert!(!screen.contains("tmux-canary"), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("the shell after quit", |s| s.contains("EXITED-0"));
}
