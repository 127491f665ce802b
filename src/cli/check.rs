use std::process::ExitCode;

use chrono::{DateTime, Utc};

use super::{Context, Failure};
use crate::discover::Env;
use crate::model::{Zone, grant_ends_soon, shown};
use crate::report::{StatusRow, collect_rows, discovered_rows, relogin_command, time_left};

/// The monitoring-plugin convention: 0 all safe, 1 a warning, 2 critical.
/// Other tools' credentials count too, unless `no_discover`.
///
/// A credential file of credtop's own that cannot be read is critical. A
/// file of another tool that cannot be read (torn, unreadable, an unknown
/// `[discover]` key) is a warning: 2 is reserved for a credential that is
/// expired, revoked or needs a login, and a discovery problem may be
/// transient or only a config typo.
pub fn run(ctx: &Context, no_discover: bool) -> Result<ExitCode, Failure> {
    // A store that cannot be opened (loose permissions, keyring locked) is
    // critical, not "error 1", which monitoring would read as a warning.
    let store = match ctx.store() {
        Ok(store) => store,
        Err(f) => {
            println!("CRITICAL {}", f.message);
            return Ok(ExitCode::from(2));
        }
    };
    let now = Utc::now();
    let (mut rows, store_problems) = collect_rows(&store, now);
    let mut discovery_problems = Vec::new();
    if !no_discover {
        let (more, problems) = discovered_rows(&Env::from_process(), store.config(), now);
        rows.extend(more);
        discovery_problems = problems;
    }
    let mut worst = 0u8;
    for p in &store_problems {
        println!("CRITICAL {}", shown(p));
        worst = 2;
    }
    for p in &discovery_problems {
        println!("WARNING {}", shown(p));
        worst = worst.max(1);
    }
    for row in &rows {
        for (level, line) in verdict(row).into_iter().chain(cap_verdict(row, now)) {
            println!("{}", shown(&line));
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
    if r.location.is_some() {
        return discovered_verdict(r);
    }
    let fix = if r.refreshable {
        format!("run `credtop refresh {}`", r.name)
    } else if r.kind == "oauth" {
        format!("run `{}`", relogin_command(&r.provider, &r.name))
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

/// A grant that ends within the warning window is a warning of its own
/// (a refresh cannot help, only a login), beside what its zone says. Past
/// its end the status says `needs_login`, which [`verdict`] reports.
pub fn cap_verdict(r: &StatusRow, now: DateTime<Utc>) -> Option<(u8, String)> {
    let cap = r
        .refresh_expires_at
        .filter(|_| grant_ends_soon(r.refresh_expires_at, now))?;
    Some((
        1,
        format!(
            "WARNING {}: its grant ends {} (at {}); log in again before: `{}`",
            r.name,
            time_left(cap - now),
            cap.format("%Y-%m-%d %H:%MZ"),
            relogin_command(&r.provider, &r.name)
        ),
    ))
}

/// Another tool's credential: credtop cannot renew it, so the fix is the
/// tool's own login command. When the tool holds a refresh token it renews
/// the access token itself on next use: its danger zone is routine and an
/// expired access token only a note.
fn discovered_verdict(r: &StatusRow) -> Option<(u8, String)> {
    let who = format!(
        "{} ({}, {})",
        r.name,
        r.source,
        r.location.as_deref().unwrap_or("?")
    );
    let fix = match &r.relogin {
        Some(cmd) => format!("log in again: `{cmd}`"),
        None => "renew it with the tool that wrote it".to_string(),
    };
    match r.zone {
        Zone::Expired if r.renewed_by_its_tool => Some((
            0,
            format!(
                "NOTE {who}: access token expired {}; the tool renews it when next used (if it cannot: {fix})",
                r.expiry_text()
            ),
        )),
        Zone::Expired => Some((
            2,
            format!("CRITICAL {who}: expired {}; {fix}", r.expiry_text()),
        )),
        Zone::Danger if !r.renewed_by_its_tool => Some((
            1,
            format!(
                "WARNING {who}: in its danger zone, expires {}; {fix}",
                r.expiry_text()
            ),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Credential, Kind, Secret, Source};
    use chrono::{Duration, Utc};

    #[test]
    fn an_expired_second_account_is_told_its_own_login() {
        let now = Utc::now();
        let cred = Credential {
            name: "acme-work".into(),
            kind: Kind::OAuth,
            provider: "acme".into(),
            account: None,
            scopes: vec![],
            created_at: now - Duration::hours(2),
            expires_at: Some(now - Duration::hours(1)),
            secret: Secret::new("at".to_string()),
            refresh_token: None,
            refresh_expires_at: None,
            token_type: None,
            source: Source::Store,
        };
        let row = StatusRow::new(&cred, now, None, 90);
        let (level, line) = verdict(&row).expect("an expired credential is reported");
        assert_eq!(level, 2);
        assert!(
            line.contains("`credtop login acme --name acme-work`"),
            "{line}"
        );
    }

    fn capped(cap_in: Duration) -> StatusRow {
        let now = Utc::now();
        let cred = Credential {
            name: "gh".into(),
            kind: Kind::OAuth,
            provider: "github".into(),
            account: None,
            scopes: vec![],
            created_at: now - Duration::minutes(10),
            expires_at: Some(now + Duration::hours(8)),
            secret: Secret::new("at".to_string()),
            refresh_token: Some(Secret::new("rt".to_string())),
            refresh_expires_at: Some(now + cap_in),
            token_type: None,
            source: Source::Store,
        };
        StatusRow::new(&cred, now, None, 90)
    }

    #[test]
    fn a_grant_ending_within_the_week_warns_and_a_far_one_does_not() {
        let near = capped(Duration::days(3));
        assert_eq!(verdict(&near), None, "the token itself is safe");
        let (level, line) = cap_verdict(&near, Utc::now()).expect("the cap is reported");
        assert_eq!(level, 1);
        assert!(line.contains("its grant ends in 2d 23h"), "{line}");
        assert!(line.contains("`credtop login github --name gh`"), "{line}");
        assert_eq!(cap_verdict(&capped(Duration::days(30)), Utc::now()), None);
        // Past the cap: critical (needs_login), told to log in, not refresh.
        let ended = capped(Duration::minutes(-1));
        assert_eq!(cap_verdict(&ended, Utc::now()), None);
        let (level, line) = verdict(&ended).expect("an ended grant is reported");
        assert_eq!(level, 2);
        assert!(
            line.contains("needs_login") && line.contains("credtop login"),
            "{line}"
        );
    }
}
