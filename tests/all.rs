//! Every integration test file is a module of this one binary
//! (`autotests = false` in Cargo.toml): linking 33 binaries against the
//! whole crate took longer than running most of them. A new test file is
//! added here.

mod support;

#[path = "aliases.rs"]
mod aliases;
#[path = "atomic_writes.rs"]
mod atomic_writes;
#[path = "audit_trail.rs"]
mod audit_trail;
#[path = "cli.rs"]
mod cli;
#[path = "discover.rs"]
mod discover;
#[path = "discover_dashboard.rs"]
mod discover_dashboard;
#[path = "engine_daemon.rs"]
mod engine_daemon;
#[path = "exec.rs"]
mod exec;
#[path = "fleet.rs"]
mod fleet;
#[path = "fleet_move.rs"]
mod fleet_move;
#[path = "fleet_refresh.rs"]
mod fleet_refresh;
#[path = "git_credential.rs"]
mod git_credential;
#[path = "grant_cap.rs"]
mod grant_cap;
#[path = "hostile.rs"]
mod hostile;
#[path = "hostile_ops.rs"]
mod hostile_ops;
#[path = "keyring_backend.rs"]
mod keyring_backend;
#[path = "locking.rs"]
mod locking;
#[path = "mcp.rs"]
mod mcp;
#[path = "mcp_connect.rs"]
mod mcp_connect;
#[path = "mcp_login.rs"]
mod mcp_login;
#[path = "oauth_faults.rs"]
mod oauth_faults;
#[path = "oauth_login.rs"]
mod oauth_login;
#[path = "oauth_refresh.rs"]
mod oauth_refresh;
#[path = "own_writes.rs"]
mod own_writes;
#[path = "permissions.rs"]
mod permissions;
#[path = "redaction.rs"]
mod redaction;
#[path = "secret_read.rs"]
mod secret_read;
#[path = "tui_audit_banner.rs"]
mod tui_audit_banner;
#[path = "tui_audit_filter.rs"]
mod tui_audit_filter;
#[path = "tui_caps.rs"]
mod tui_caps;
#[path = "tui_login.rs"]
mod tui_login;
#[path = "tui_screen.rs"]
mod tui_screen;
#[path = "tui_snapshots.rs"]
mod tui_snapshots;
#[path = "tui_sort.rs"]
mod tui_sort;
#[path = "tui_timeline.rs"]
mod tui_timeline;
#[path = "tui_tmux.rs"]
mod tui_tmux;
#[path = "tui_tmux_views.rs"]
mod tui_tmux_views;
#[path = "tui_zones.rs"]
mod tui_zones;

/// With `autotests = false` a file left out above would never run: every
/// `tests/*.rs` must be declared here.
#[test]
fn every_test_file_is_a_module_of_this_binary() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let this = std::fs::read_to_string(dir.join("all.rs")).expect("tests/all.rs");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/") {
        let path = entry.expect("entry").path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "rs")
            && stem != "all"
            && !this.contains(&format!("#[path = \"{stem}.rs\"]\nmod {stem};"))
        {
            missing.push(stem.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "not declared in tests/all.rs: {missing:?}"
    );
}
