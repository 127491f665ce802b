//! `.credtop.toml` aliases for `token`, `exec`, `git-credential` and `mcp
//! exec`, and `credtop trust` / `untrust`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Context, Failure, exit};
use crate::store::StoreError;
use crate::store::project::{self, Aliases, ProjectError, ProjectFile, Trust};

impl From<ProjectError> for Failure {
    fn from(e: ProjectError) -> Self {
        match e {
            ProjectError::Store(s) => s.into(),
            other => Failure::new(exit::ERROR, other.to_string()),
        }
    }
}

/// The aliases in force in this directory: those of the nearest
/// `.credtop.toml`, if it is trusted as it is now. An untrusted or edited
/// file is ignored with one line on stderr naming the command that trusts
/// it.
pub fn in_force(ctx: &Context) -> Result<Option<Aliases>, Failure> {
    let Some(path) = std::env::current_dir().ok().and_then(|d| project::find(&d)) else {
        return Ok(None);
    };
    let file = ProjectFile::read(&path)?;
    let why = match file.trust_state(&ctx.home) {
        Trust::Trusted => return Ok(Some(file.aliases()?)),
        Trust::Untrusted => "it is not trusted",
        Trust::Changed => "it changed since it was trusted",
    };
    // Once per process, however many names one command resolves.
    static WARNED: AtomicBool = AtomicBool::new(false);
    if WARNED.swap(true, Ordering::Relaxed) {
        return Ok(None);
    }
    eprintln!(
        "credtop: ignoring {} ({why}); run `credtop trust {}` to use its aliases",
        file.path.display(),
        file.path.display()
    );
    Ok(None)
}

/// The credential `name` stands for here.
pub fn resolve(ctx: &Context, name: &str) -> Result<String, Failure> {
    let Some(aliases) = in_force(ctx)? else {
        return Ok(name.to_string());
    };
    let Some((target, line)) = aliases.resolve(name)? else {
        return Ok(name.to_string());
    };
    match ctx.store()?.load(&target) {
        Ok(_) => Ok(target),
        Err(StoreError::NotFound { .. }) => Err(ProjectError::Missing {
            path: aliases.path,
            line,
            alias: name.to_string(),
            target,
        }
        .into()),
        Err(e) => Err(e.into()),
    }
}

fn locate(path: Option<&Path>) -> Result<PathBuf, Failure> {
    match path {
        Some(p) if p.is_dir() => Ok(p.join(project::FILE_NAME)),
        Some(p) => Ok(p.to_path_buf()),
        None => std::env::current_dir()
            .ok()
            .and_then(|d| project::find(&d))
            .ok_or_else(|| {
                Failure::new(
                    exit::NOT_FOUND,
                    format!("no {} in this directory or above it", project::FILE_NAME),
                )
            }),
    }
}

/// `credtop trust [PATH]`: its aliases apply from now on, for this content.
pub fn trust(ctx: &Context, path: Option<&Path>) -> Result<ExitCode, Failure> {
    ctx.store()?;
    let file = ProjectFile::read(&locate(path)?)?;
    file.trust(&ctx.home)?;
    let aliases = file.aliases()?;
    println!("Trusted {}.", file.path.display());
    for (alias, (target, _)) in &aliases.map {
        println!("  {alias} -> {target}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `credtop untrust [PATH]`.
pub fn untrust(ctx: &Context, path: Option<&Path>) -> Result<ExitCode, Failure> {
    let path = locate(path)?;
    if project::untrust(&ctx.home, &path)? {
        println!("{} is no longer trusted.", path.display());
    } else {
        println!("{} was not trusted.", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// For `status`: "Aliases in force here (FILE): a -> b, c -> d".
pub fn status_line(ctx: &Context) -> Option<String> {
    let aliases = in_force(ctx).ok().flatten()?;
    if aliases.map.is_empty() {
        return None;
    }
    let pairs: Vec<String> = aliases
        .map
        .iter()
        .map(|(a, (t, _))| format!("{a} -> {t}"))
        .collect();
    Some(format!(
        "Aliases in force here ({}): {}",
        aliases.path.display(),
        pairs.join(", ")
    ))
}
