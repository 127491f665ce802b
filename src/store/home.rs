use std::fs::{DirBuilder, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::StoreError;

const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

/// `~/.agent`: the layout agent harnesses already read.
pub fn default_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".agent")
}

/// `--home DIR`, else `$CREDTOP_HOME`, else `~/.agent`.
pub fn resolve_home(flag: Option<&Path>) -> PathBuf {
    if let Some(dir) = flag {
        return dir.to_path_buf();
    }
    match std::env::var_os("CREDTOP_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => default_home(),
    }
}

/// Creates `dir` 0700 when missing; refuses an existing one that group or
/// others can enter or read.
pub fn ensure_private_dir(dir: &Path) -> Result<(), StoreError> {
    match std::fs::metadata(dir) {
        Ok(meta) => {
            if !meta.is_dir() {
                return Err(StoreError::Config {
                    path: dir.to_path_buf(),
                    reason: "exists but is not a directory".into(),
                });
            }
            refuse_loose(dir, meta.permissions().mode(), DIR_MODE)
                .map_err(|e| no_chmod_through_links(dir, &meta, e))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)
            .map_err(|e| StoreError::io(dir, e)),
        Err(e) => Err(StoreError::io(dir, e)),
    }
}

pub(super) fn refuse_loose(path: &Path, mode: u32, want: u32) -> Result<(), StoreError> {
    if mode & 0o077 != 0 {
        return Err(StoreError::InsecurePermissions {
            path: path.to_path_buf(),
            mode: mode & 0o7777,
            want,
        });
    }
    Ok(())
}

/// The chmod hint of a loose directory is right only for a real directory
/// of this user's own: through a symlink (to `/`, to a shared directory) or
/// on someone else's directory it would loosen or break far more than the
/// home.
fn no_chmod_through_links(dir: &Path, meta: &std::fs::Metadata, e: StoreError) -> StoreError {
    use std::os::unix::fs::MetadataExt;
    let StoreError::InsecurePermissions { mode, .. } = e else {
        return e;
    };
    let is_link = dir
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink());
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let why = if is_link {
        "it is a symbolic link".to_string()
    } else if meta.uid() != me {
        format!("it is owned by uid {}, not by you", meta.uid())
    } else {
        return e;
    };
    StoreError::InsecureNotOurs {
        path: dir.to_path_buf(),
        mode,
        why,
    }
}

/// Creates a new file with mode 0600 from the start (`O_CREAT|O_EXCL`, never
/// a chmod afterwards), failing if it already exists.
pub fn create_file_0600(path: &Path) -> Result<File, StoreError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)
        .map_err(|e| StoreError::io(path, e))
}
