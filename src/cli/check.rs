use std::process::ExitCode;

use chrono::Utc;

use super::{Context, Failure, StatusRow, collect_rows};
use crate::model::Zone;

/// The monitoring-plugin convention: 0 all safe, 1 a warning, 2 critical.
pub fn run(ctx: &Context) -> Result<ExitCode, Failure> {
    let store = ctx.store()?;
    let (rows, problems) = collect_rows(&store, Utc::now());
    let mut worst = 0u8;
    for p in &problems {
        println!("CRITICAL {p}");
        worst = 2;
    }
    for row in &rows {
        if let Some((level, line)) = verdict(row) {
            println!("{line}");
            worst = worst.max(level);
        }
    }
    if worst == 0 {
        println!(
            "OK: {} credentials, none expired or in the danger zone",
            rows.len()
        );
    }
    Ok(ExitCode::from(worst))
}

/// The level (0 note, 1 warning, 2 critical) and line for one credential,
/// or None when there is nothing to say.
pub fn verdict(r: &StatusRow) -> Option<(u8, String)> {
    let fix = if r.refreshable {
        format!("run `credtop refresh {}`", r.name)
    } else if r.kind == "oauth" {
        format!("run `credtop login {}`", r.provider)
    } else {
        format!("rotate it: `credtop rotate {}`", r.name)
    };
    if r.status.is_dead() {
        return Some((
            2,
            format!(
                "CRITICAL {}: {} (expires {}); {fix}",
                r.name,
                r.status,
                r.expiry_text()
            ),
        ));
    }
    match r.zone {
        Zone::Expired => Some((
            2,
            format!("CRITICAL {}: expired {}; {fix}", r.name, r.expiry_text()),
        )),
        Zone::Danger => Some((
            1,
            format!(
                "WARNING {}: in its danger zone, expires {}; {fix}",
                r.name,
                r.expiry_text()
            ),
        )),
        // Informational only: by contract, no expiry means exit 0.
        Zone::None if r.rotation_due => Some((
            0,
            format!(
                "NOTE {}: {} days old, past its rotation age; {fix}",
                r.name, r.age_days
            ),
        )),
        _ => None,
    }
}
