use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use super::lifecycle_cmds::{block_on, lifecycle};
use super::{Context, Failure, exit};
use crate::model::{Credential, Kind, Name, shown};

/// `credtop logout [PROVIDER] [--oauth-only]`: revoke remotely where the
/// provider allows, always delete locally, and say exactly what happened.
pub fn run(
    ctx: &Context,
    provider: Option<&str>,
    oauth_only: bool,
    yes: bool,
) -> Result<ExitCode, Failure> {
    if let Some(p) = provider {
        Name::parse(p).map_err(|e| Failure::new(exit::USAGE, e))?;
    }
    let lc = lifecycle(ctx)?;
    let listing = lc.store().list();
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
    // More than one credential, or all of them: a mass deletion, which
    // asks a person first and needs -y from a script.
    let mass = provider.is_none() || chosen.len() > 1;
    if mass && !yes && !confirm_all(chosen.len())? {
        return Err(Failure::new(
            exit::ERROR,
            "logout cancelled; nothing was removed",
        ));
    }
    let mut failed = 0;
    let mut removed: Vec<&str> = Vec::new();
    block_on(async {
        for cred in chosen {
            match lc.logout(&cred.name).await {
                Ok(report) => {
                    println!(
                        "Removed {} ({}, {}); {}.",
                        cred.name,
                        cred.kind.as_str(),
                        shown(&cred.provider_account()),
                        shown(&report.remote.describe(&cred.provider))
                    );
                    removed.push(&cred.name);
                }
                Err(e) => {
                    failed += 1;
                    eprintln!(
                        "credtop: could not remove {}: {}",
                        cred.name,
                        shown(&e.to_string())
                    );
                }
            }
        }
    });
    if let Some(line) = super::mcp_cmd::stop_working_line(lc.store().config(), &removed) {
        println!("{line}");
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::ERROR)
    })
}

/// Removing several credentials asks first when a person is at the
/// terminal; without one (a script, an agent) it needs `-y`, never a guess.
fn confirm_all(count: usize) -> Result<bool, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::new(
            exit::USAGE,
            format!(
                "logout would remove {count} credentials and there is no terminal to confirm it; \
                 pass -y to remove them; nothing was removed"
            ),
        ));
    }
    eprint!("Remove {count} credentials from this home? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::new(exit::ERROR, e.to_string()))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
