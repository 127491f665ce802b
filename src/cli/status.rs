use std::process::ExitCode;

use super::{Context, Failure};
use crate::report::{StatusRow, all_rows};

pub fn run(ctx: &Context, json: bool, no_discover: bool) -> Result<ExitCode, Failure> {
    let store = ctx.store()?;
    let (rows, problems) = all_rows(&store, no_discover);
    for p in &problems {
        eprintln!("credtop: {p}");
    }
    if json {
        let text = serde_json::to_string_pretty(&rows).expect("rows serialize");
        println!("{text}");
    } else {
        print_table(&rows);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(rows: &[StatusRow]) {
    if rows.is_empty() {
        println!("No credentials yet. Add a key with `credtop add-key NAME < keyfile`,");
        println!("or describe a provider in providers.toml and run `credtop login PROVIDER`.");
        return;
    }
    let name_w = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    let prov_w = rows
        .iter()
        .map(|r| r.provider.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let src_w = rows
        .iter()
        .map(|r| r.source.len())
        .max()
        .unwrap_or(6)
        .max(6);
    println!(
        "{:name_w$}  {:8}  {:prov_w$}  {:18}  {:8}  {:src_w$}  EXPIRES",
        "NAME", "KIND", "PROVIDER", "STATUS", "ZONE", "SOURCE"
    );
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
        if let Some(note) = &r.note {
            println!("{:name_w$}    note: {note}", "");
        }
    }
}
