use std::process::ExitCode;

use super::{Context, Failure};
use crate::model::shown;
use crate::report::{ErrorRow, StatusRow, all_rows_and_errors};

/// `credtop status`: exit 1 when a credential file of credtop's own could
/// not be read (it is listed as an `error` row with the reason).
pub fn run(ctx: &Context, json: bool, no_discover: bool) -> Result<ExitCode, Failure> {
    let store = ctx.store()?;
    let (rows, problems, errors) = all_rows_and_errors(&store, no_discover);
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
        print_table(&rows, &errors);
        if let Some(line) = super::alias::status_line(ctx) {
            println!("\n{line}");
        }
    }
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::exit::ERROR)
    })
}

fn print_table(rows: &[StatusRow], errors: &[ErrorRow]) {
    if rows.is_empty() && errors.is_empty() {
        println!("No credentials yet. Add a key with `credtop add-key NAME < keyfile`,");
        println!("or describe a provider in providers.toml and run `credtop login PROVIDER`.");
        return;
    }
    // Names, providers and notes can come from other tools' files: shown
    // with control characters escaped, so no row can forge another.
    let rows: Vec<StatusRow> = rows.iter().map(shown_row).collect();
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
    for r in &rows {
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
        if let Some(note) = &r.note {
            println!("{:name_w$}    note: {note}", "");
        }
    }
}

/// `r` with every text field that may come from a file shown as data.
fn shown_row(r: &StatusRow) -> StatusRow {
    let opt = |s: &Option<String>| s.as_deref().map(shown);
    StatusRow {
        name: shown(&r.name),
        provider: shown(&r.provider),
        account: opt(&r.account),
        source: shown(&r.source),
        location: opt(&r.location),
        relogin: opt(&r.relogin),
        note: opt(&r.note),
        ..r.clone()
    }
}
