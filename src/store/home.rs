use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
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
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)
            .map_err(|e| StoreError::io(dir, e)),
        Err(e) => Err(StoreError::io(dir, e)),
    }
}

fn refuse_loose(path: &Path, mode: u32, want: u32) -> Result<(), StoreError> {
    if mode & 0o077 != 0 {
        return Err(StoreError::InsecurePermissions {
            path: path.to_path_buf(),
            mode: mode & 0o7777,
            want,
        });
    }
    Ok(())
}

/// Opens a file for reading after checking, on the open descriptor, that
/// only its owner can read it.
pub fn open_private(path: &Path) -> Result<File, StoreError> {
    let file = File::open(path).map_err(|e| StoreError::io(path, e))?;
    let meta = file.metadata().map_err(|e| StoreError::io(path, e))?;
    refuse_loose(path, meta.mode(), FILE_MODE)?;
    Ok(file)
}

/// Reads a whole private file (see [`open_private`]).
pub fn read_private(path: &Path) -> Result<Vec<u8>, StoreError> {
    let mut file = open_private(path)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| StoreError::io(path, e))?;
    Ok(bytes)
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

/// Opens a private file for appending (and reading, for the audit chain),
/// creating it 0600 when missing; never through a symlink.
pub fn open_append_0600(path: &Path) -> Result<File, StoreError> {
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| StoreError::io(path, e))?;
    let meta = file.metadata().map_err(|e| StoreError::io(path, e))?;
    refuse_loose(path, meta.mode(), FILE_MODE)?;
    Ok(file)
}

/// Opens a small private file for rewriting in place, creating it 0600
/// when missing; never through a symlink.
pub fn open_rw_0600(path: &Path) -> Result<File, StoreError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| StoreError::io(path, e))?;
    let meta = file.metadata().map_err(|e| StoreError::io(path, e))?;
    refuse_loose(path, meta.mode(), FILE_MODE)?;
    Ok(file)
}
