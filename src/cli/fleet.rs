//! `credtop fleet keygen|rekey|push|pull`: setting up and moving into and
//! out of a fleet (`store = "etcd"`).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use super::{Context, Failure, exit};
use crate::audit::{AuditRecord, Event, Outcome};
use crate::store::{DEFAULT_LOCK_TIMEOUT, FleetKey, Store, StoreError, create_file_0600};

/// `credtop fleet keygen PATH`: a new key file, 0600 from its creation.
pub fn keygen(path: &Path) -> Result<ExitCode, Failure> {
    let mut file = create_file_0600(path)?;
    file.write_all(format!("{}\n", FleetKey::generate_text()).as_bytes())
        .and_then(|_| file.sync_all())
        .map_err(|e| StoreError::io(path, e))?;
    let id = FleetKey::load(path)?.id().to_string();
    eprintln!(
        "Wrote a new fleet key to {} (key {id}). Copy it to every host, 0600.",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn fleet_store(ctx: &Context) -> Result<Store, Failure> {
    let store = ctx.store()?;
    if store.fleet().is_none() {
        return Err(Failure::new(
            exit::USAGE,
            "this home is not in a fleet: config.toml needs store = \"etcd\" and an [etcd] table",
        ));
    }
    Ok(store)
}

/// `credtop fleet rekey NEW_KEY_FILE`: every value re-sealed under the new
/// key in one transaction.
pub fn rekey(ctx: &Context, new_key_file: &Path) -> Result<ExitCode, Failure> {
    let store = fleet_store(ctx)?;
    let fleet = store.fleet().expect("checked above");
    let new = FleetKey::load(new_key_file)?;
    let id = new.id().to_string();
    let count = fleet.rekey(new)?;
    ctx.audit.record(
        AuditRecord::new(Event::FleetRekeyed, ctx.actor, Outcome::Ok).detail(format!(
            "{count} credentials under {} re-sealed with key {id}",
            fleet.prefix()
        )),
    );
    println!(
        "Re-sealed {count} credentials under {} with key {id}. Now install {} as key_file on every host: the old key no longer opens the fleet.",
        fleet.prefix(),
        new_key_file.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `credtop fleet push`: this home's credential files into the cluster.
/// Each file is removed once the cluster holds it: two live copies of one
/// rotating refresh token is what a fleet is there to prevent.
pub fn push(ctx: &Context, overwrite: bool) -> Result<ExitCode, Failure> {
    let fleet = fleet_store(ctx)?;
    let files = Store::open_files(&ctx.home)?;
    let listing = files.list();
    for problem in &listing.problems {
        eprintln!("credtop: skipped: {problem}");
    }
    for cred in listing.credentials {
        let _lock = fleet.lock(&cred.name, DEFAULT_LOCK_TIMEOUT)?;
        match fleet.load(&cred.name) {
            Ok(_) if !overwrite => {
                println!(
                    "{}: the fleet already has it; kept the fleet's and the local file (--overwrite replaces)",
                    cred.name
                );
                continue;
            }
            Ok(_) | Err(StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        fleet.save(&cred)?;
        files.delete(&cred.name)?;
        ctx.audit.record(
            AuditRecord::new(Event::FleetPushed, ctx.actor, Outcome::Ok)
                .about(&cred)
                .detail("moved into the fleet; local file removed"),
        );
        println!("{}: pushed", cred.name);
    }
    Ok(if listing.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::ERROR)
    })
}

/// `credtop fleet pull`: the cluster's credentials into this home's files
/// (the way out of a fleet: then set `store = "file"`).
pub fn pull(ctx: &Context, overwrite: bool) -> Result<ExitCode, Failure> {
    let fleet = fleet_store(ctx)?;
    let files = Store::open_files(&ctx.home)?;
    let listing = fleet.list();
    if let Some(e) = listing.problems.iter().find(|e| {
        matches!(
            e,
            StoreError::StoreUnavailable { .. } | StoreError::KeyMismatch { .. }
        )
    }) {
        return Err(Failure::new(exit::TRANSIENT, e.to_string()));
    }
    for problem in &listing.problems {
        eprintln!("credtop: skipped: {problem}");
    }
    for cred in listing.credentials {
        let _lock = files.lock(&cred.name, DEFAULT_LOCK_TIMEOUT)?;
        if files.load(&cred.name).is_ok() && !overwrite {
            println!(
                "{}: a local file exists; kept it (--overwrite replaces)",
                cred.name
            );
            continue;
        }
        files.save(&cred)?;
        ctx.audit.record(
            AuditRecord::new(Event::FleetPulled, ctx.actor, Outcome::Ok)
                .about(&cred)
                .detail("copied from the fleet into the local file store"),
        );
        println!("{}: pulled", cred.name);
    }
    eprintln!("To leave the fleet, set store = \"file\" in config.toml.");
    Ok(if listing.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::ERROR)
    })
}
