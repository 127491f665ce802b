use std::process::ExitCode;

use chrono::Utc;

use super::{Context, Failure, exit};
use crate::audit::{AuditRecord, parse_duration, read_since};

/// `credtop audit [--json] [--since 1h]`.
pub fn run(ctx: &Context, json: bool, since: Option<&str>) -> Result<ExitCode, Failure> {
    let since = match since {
        Some(text) => {
            let back = parse_duration(text).map_err(|e| Failure::new(exit::USAGE, e))?;
            // Further back than chrono's calendar: everything there is.
            Some(
                Utc::now()
                    .checked_sub_signed(back)
                    .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC),
            )
        }
        None => None,
    };
    let read = read_since(&ctx.audit, since)?;
    if read.unreadable_lines > 0 {
        eprintln!(
            "credtop: {} unreadable line(s) in {} were skipped",
            read.unreadable_lines,
            ctx.audit.path().display()
        );
    }
    if json {
        let text = serde_json::to_string_pretty(&read.records).expect("records serialize");
        println!("{text}");
    } else {
        for r in &read.records {
            println!("{}", one_line(r));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `2026-11-24T18:00:00Z  refresh_failed  acme  cli[123]  failed  transient  …`,
/// control characters escaped: the trail is a file anyone with the user's
/// rights may have written to.
pub fn one_line(r: &AuditRecord) -> String {
    crate::model::shown(&raw_line(r))
}

fn raw_line(r: &AuditRecord) -> String {
    let mut line = format!(
        "{}  {:20}  {:16}  {:>16}  {:7}",
        r.ts.format("%Y-%m-%dT%H:%M:%SZ"),
        r.event.as_str(),
        r.credential.as_deref().unwrap_or("-"),
        format!("{}[{}]", serde_plain(&r.actor), r.pid),
        serde_plain(&r.outcome),
    );
    if let Some(k) = r.kind {
        line.push_str(&format!("  {k}"));
    }
    if let Some(ms) = r.latency_ms {
        line.push_str(&format!("  {ms}ms"));
    }
    if let Some(fp) = &r.fingerprint {
        line.push_str(&format!("  {fp}"));
    }
    if let Some(d) = &r.detail {
        line.push_str(&format!("  {d}"));
    }
    line
}

fn serde_plain<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}
