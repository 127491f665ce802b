use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use super::{Context, Failure, exit};
use crate::audit::{AuditRecord, Event, Outcome};
use crate::model::{Credential, Kind};
use crate::store::DEFAULT_LOCK_TIMEOUT;

/// `credtop logout [PROVIDER] [--oauth-only]`: delete local credentials and
/// say exactly which.
pub fn run(
    ctx: &Context,
    provider: Option<&str>,
    oauth_only: bool,
    yes: bool,
) -> Result<ExitCode, Failure> {
    let store = ctx.store()?;
    let listing = store.list();
    let chosen: Vec<&Credential> = listing
        .credentials
        .iter()
        .filter(|c| provider.is_none_or(|p| c.provider == p || c.name == p))
        .filter(|c| !oauth_only || c.kind == Kind::OAuth)
        .collect();
    if chosen.is_empty() {
        let what = provider.map_or("credentials".to_string(), |p| {
            format!("credentials for {p:?}")
        });
        return Err(Failure::new(
            exit::NOT_FOUND,
            format!("no {what} to log out"),
        ));
    }
    if provider.is_none() && !yes && !confirm_all(chosen.len())? {
        return Err(Failure::new(
            exit::ERROR,
            "logout cancelled; nothing was removed",
        ));
    }
    let mut failed = 0;
    for cred in chosen {
        let removed = store
            .lock(&cred.name, DEFAULT_LOCK_TIMEOUT)
            .and_then(|_lock| store.delete(&cred.name));
        match removed {
            Ok(c) => {
                ctx.audit.record(
                    AuditRecord::new(Event::Logout, ctx.actor, Outcome::Ok)
                        .about(&c)
                        .detail("deleted locally"),
                );
                println!(
                    "Removed {} ({}, {}).",
                    c.name,
                    c.kind.as_str(),
                    c.provider_account()
                );
            }
            Err(e) => {
                failed += 1;
                ctx.audit.record(
                    AuditRecord::new(Event::Logout, ctx.actor, Outcome::Failed)
                        .about(cred)
                        .detail(e.to_string()),
                );
                eprintln!("credtop: could not remove {}: {e}", cred.name);
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::ERROR)
    })
}

/// Removing every credential asks first when a person is at the terminal.
fn confirm_all(count: usize) -> Result<bool, Failure> {
    if !std::io::stdin().is_terminal() {
        return Ok(true);
    }
    eprint!("Remove all {count} credentials from this home? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::new(exit::ERROR, e.to_string()))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
