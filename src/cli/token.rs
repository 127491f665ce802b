use std::io::Write;
use std::process::ExitCode;

use chrono::Utc;

use super::{Context, Failure, exit};
use crate::model::Zone;

/// `credtop token NAME`: the one place a secret reaches stdout.
pub fn run(ctx: &Context, name: &str) -> Result<ExitCode, Failure> {
    let store = ctx.store()?;
    let cred = store.load(name)?;
    let now = Utc::now();
    if cred.zone(now, None) == Zone::Expired {
        let fix = if cred.kind == crate::model::Kind::OAuth {
            format!("credtop login {}", cred.provider)
        } else {
            format!("credtop rotate {name}")
        };
        return Err(Failure::new(
            exit::NEEDS_ACTION,
            format!(
                "credential_expired: {name} expired at {}; run `{fix}`",
                cred.expires_at.map(|t| t.to_rfc3339()).unwrap_or_default()
            ),
        ));
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", cred.secret.expose())
        .and_then(|_| out.flush())
        .map_err(|e| Failure::new(exit::ERROR, format!("cannot write to stdout: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
