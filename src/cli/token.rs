use std::io::Write;
use std::process::ExitCode;

use chrono::Utc;

use super::{Context, Failure, exit};
use crate::audit::{AuditRecord, Caller, Event, Outcome};
use crate::model::{Credential, Kind, Zone};
use crate::oauth::Providers;

/// `credtop token NAME`: the one place a secret reaches stdout. The call an
/// agent makes before every request, so the safe-zone path reads one file
/// and starts no runtime.
pub fn run(ctx: &Context, name: &str, task: Option<&str>) -> Result<ExitCode, Failure> {
    let cred = valid(ctx, name)?;
    audit_read(ctx, &cred, task, None);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", cred.secret.expose())
        .and_then(|_| out.flush())
        .map_err(|e| Failure::new(exit::ERROR, format!("cannot write to stdout: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

/// Credential `name` with a token that is valid now: refreshed first in
/// its danger zone, refused when expired beyond refreshing.
pub fn valid(ctx: &Context, name: &str) -> Result<Credential, Failure> {
    let store = ctx.store()?;
    let mut cred = store.load(name)?;
    let refresh_at = match cred.kind {
        Kind::OAuth => Providers::load(&ctx.home)
            .ok()
            .and_then(|p| p.refresh_at(&cred.provider)),
        _ => None,
    };
    let zone = cred.zone(Utc::now(), refresh_at);
    if matches!(zone, Zone::Danger | Zone::Expired) && cred.is_refreshable() {
        cred = super::lifecycle_cmds::token_after_refresh(ctx, cred, zone)?;
    } else if zone == Zone::Expired {
        let fix = match cred.kind {
            Kind::OAuth => crate::report::relogin_command(&cred.provider, name),
            _ => format!("credtop rotate {name}"),
        };
        return Err(Failure::new(
            exit::NEEDS_ACTION,
            format!(
                "credential_expired: {name} expired at {} and cannot be refreshed; run `{fix}`",
                cred.expires_at.map(|t| t.to_rfc3339()).unwrap_or_default()
            ),
        ));
    }
    Ok(cred)
}

/// `secret_read`: which process read which credential, for which task.
/// Written before the secret leaves, so no read goes unrecorded.
pub fn audit_read(ctx: &Context, cred: &Credential, task: Option<&str>, detail: Option<&str>) {
    let mut record = AuditRecord::new(Event::SecretRead, ctx.actor, Outcome::Ok)
        .about(cred)
        .task(task)
        .caller(Caller::parent());
    record.detail = detail.map(str::to_string);
    ctx.audit.record(record);
}
