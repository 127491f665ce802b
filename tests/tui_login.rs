//! Logging in from the dashboard against the real test authorization
//! server (oidc-provider), with no browser: the device flow's URL and code
//! must appear in the dialog, where a person on SSH copies them from.

use crate::support;

use std::process::Command;

use support::Home;
use support::authserver::{AuthServer, browser, stored_tokens};
use support::tmux::{start, tmux_for, tmux_missing};

#[test]
fn device_login_shows_url_and_code_then_the_new_row() {
    if tmux_missing() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it: scripts/test-deps.sh)");
        return;
    }
    let server = AuthServer::shared();
    let home = Home::new();
    home.write_private("providers.toml", &server.provider_toml("acme"));
    let tmux = tmux_for("login");
    start(&tmux, home.path(), &[]);
    tmux.wait_for("the first-run screen", |s| s.contains("No credentials yet"));

    // Empty store: `L` asks which provider, then runs the device flow.
    tmux.keys(&["L"]);
    tmux.wait_for("the provider question", |s| s.contains("Provider"));
    tmux.keys(&["a", "c", "m", "e", "Enter"]);
    let screen = tmux.wait_for("the login dialog", |s| {
        s.contains("open this URL") && s.contains("enter the code:")
    });
    let url: String = screen
        .find("http://127.0.0.1")
        .map(|at| &screen[at..])
        .unwrap_or_else(|| panic!("no verification URL on screen:\n{screen}"))
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '│')
        .collect();
    assert!(url.contains("user_code="), "{url}");

    // The person opens the URL elsewhere; the dashboard, polling, stores
    // the grant and shows its row.
    let visited = Command::new(browser()).arg(&url).output().unwrap();
    assert!(visited.status.success(), "{visited:?}");
    let screen = tmux.wait_for("the new row", |s| {
        s.contains("Credentials (1)") && s.contains("logged in: acme")
    });
    assert!(!screen.contains("open this URL"), "{screen}");
    let (access, refresh) = stored_tokens(home.path(), "acme");
    assert!(server.is_active(&access));
    assert!(!screen.contains(&access) && !screen.contains(&refresh));

    tmux.keys(&["q"]);
    tmux.wait_for("the shell after quit", |s| s.contains("EXITED-0"));
}
