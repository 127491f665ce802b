use std::process::ExitCode;

use super::{Context, Failure};
use crate::model::shown;
use crate::report::{ErrorRow, Found, StatusRow, all_rows_and_errors};

/// `credtop status`: exit 1 when anything of credtop's own store could not
/// be read (a credential file is listed as an `error` row with the reason).
pub fn run(ctx: &Context, json: bool, no_discover: bool) -> Result<ExitCode, Failure> {
    let store = ctx.store()?;
    let Found {
        rows,
        problems,
        errors,
        store_failed,
    } = all_rows_and_errors(&store, no_discover);
    for p in &problems {
        eprintln!("credtop: {}", shown(p));
    }
    if json {
        let mut all: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| serde_json::to_value(r).expect("rows serialize"))
            .collect();
        all.extend(
            errors
                .iter()
                .map(|e| serde_json::to_value(e).expect("rows serialize")),
        );
        let text = serde_json::to_string_pretty(&all).expect("rows serialize");
        println!("{text}");
    } else {
        print_table(&rows, &errors, chrono::Utc::now());
    }
    if let Some(line) = super::alias::status_line(ctx)
        && !json
    {
        println!("\n{line}");
    }
    Ok(if !store_failed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::exit::ERROR)
    })
}

fn print_table(rows: &[StatusRow], errors: &[ErrorRow], now: chrono::DateTime<chrono::Utc>) {
    if rows.is_empty() && errors.is_empty() {
        println!("No credentials yet. Add a key with `credtop add-key NAME < keyfile`,");
        println!("or describe a provider in providers.toml and run `credtop login PROVIDER`.");
        return;
    }
    let name_w = rows
        .iter()
        .map(|r| r.name.chars().count())
        .chain(errors.iter().map(|e| e.name.chars().count()))
        .max()
        .unwrap_or(4)
        .max(4);
    let prov_w = rows
        .iter()
        .map(|r| r.provider.chars().count())
        .max()
        .unwrap_or(8)
        .max(8);
    let src_w = rows
        .iter()
        .map(|r| r.source.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    println!(
        "{:name_w$}  {:8}  {:prov_w$}  {:18}  {:8}  {:src_w$}  EXPIRES",
        "NAME", "KIND", "PROVIDER", "STATUS", "ZONE", "SOURCE"
    );
    for e in errors {
        println!(
            "{:name_w$}  {:8}  {:prov_w$}  {:18}  {:8}  {:src_w$}  -",
            e.name,
            e.kind.unwrap_or("?"),
            "?",
            e.status,
            e.zone.as_str(),
            e.source
        );
        println!("{:name_w$}    {}", "", e.reason);
    }
    for r in rows {
        let mut expiry = r.expiry_text();
        if r.rotation_due {
            expiry.push_str(" (rotation due)");
        }
        println!(
            "{:name_w$}  {:8}  {:prov_w$}  {:18}  {:8}  {:src_w$}  {}",
            r.name,
            r.kind,
            r.provider,
            r.status.as_str(),
            r.zone.as_str(),
            r.source,
            expiry
        );
        if let Some(location) = &r.location {
            let relogin = r
                .relogin
                .as_deref()
                .map(|c| format!("; log in again: {c}"))
                .unwrap_or_default();
            println!("{:name_w$}    from {location}{relogin}", "");
        }
        if let Some(end) = r.grant_end_text(now) {
            println!("{:name_w$}    {end}", "");
        }
        if let Some(note) = &r.note {
            println!("{:name_w$}    note: {note}", "");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Credential, Kind, Secret, Source};
    use chrono::Utc;

    #[test]
    fn a_row_shows_text_from_files_as_data() {
        let c = Credential {
            name: "gh:evil\u{1b}[2J\nforged".into(),
            kind: Kind::Pat,
            provider: "x\u{9b}31m".into(),
            account: Some("me\r".into()),
            scopes: Vec::new(),
            created_at: Utc::now(),
            expires_at: None,
            secret: Secret::new("t"),
            refresh_token: None,
            refresh_expires_at: None,
            token_type: None,
            source: Source::Discovered {
                tool: "gh".into(),
                location: "~/.config/gh\u{7}".into(),
                relogin: Some("gh auth login\n; rm -rf ~".into()),
                note: Some("\u{1b}]0;title\u{7}".into()),
            },
        };
        let row = StatusRow::new(&c, Utc::now(), None, 90);
        let text = serde_json::to_value(&row).unwrap().to_string();
        let fields = [
            Some(row.name),
            Some(row.provider),
            row.account,
            row.location,
            row.relogin,
            row.note,
        ];
        for f in fields.into_iter().flatten() {
            assert!(!f.chars().any(char::is_control), "{f:?} in {text}");
        }
    }
}
