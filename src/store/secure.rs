//! The one way credtop opens a file that holds or guards a secret: a
//! credential, a lock, the audit trail, config.toml, providers.toml, lane
//! state. `O_NOFOLLOW` (a symlink is refused, never read through),
//! `O_NONBLOCK` (a FIFO cannot hang us), then, on the open descriptor, a
//! regular file owned by this user with no second link and no group or other
//! access, and at most a size cap read. Anything else is a typed error.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use super::StoreError;

/// The most a credential (or config, or state) file may hold.
pub const CREDENTIAL_CAP: u64 = 64 * 1024;

const FILE_MODE: u32 = 0o600;

fn flags() -> i32 {
    libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC
}

/// Opens `path` for reading (see the module documentation).
pub fn open_private(path: &Path) -> Result<File, StoreError> {
    open_checked(path).map(|(file, _)| file)
}

fn open_checked(path: &Path) -> Result<(File, std::fs::Metadata), StoreError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(flags())
        .open(path)
        .map_err(|e| open_error(path, e))?;
    let meta = check_private(path, &file)?;
    Ok((file, meta))
}

/// Reads a whole private file of at most `cap` bytes.
pub fn read_private_capped(path: &Path, cap: u64) -> Result<Vec<u8>, StoreError> {
    let (file, meta) = open_checked(path)?;
    read_checked(path, file, &meta, cap)
}

/// [`read_private`] of the entry `name` of the open folder `dir` (whose
/// path `path` is, for errors): a listing of thousands of files then walks
/// one path component per file instead of the whole path.
pub(super) fn read_private_at(
    dir: &File,
    name: &std::ffi::OsStr,
    path: &Path,
) -> Result<Vec<u8>, StoreError> {
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::CString::new(name.as_bytes())
        .map_err(|e| StoreError::io(path, std::io::Error::other(e)))?;
    // SAFETY: a valid folder descriptor and a NUL-terminated name; the
    // descriptor returned is new and owned by the File alone.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), libc::O_RDONLY | flags()) };
    if fd < 0 {
        return Err(open_error(path, std::io::Error::last_os_error()));
    }
    // SAFETY: see above.
    let file = unsafe { File::from_raw_fd(fd) };
    let meta = check_private(path, &file)?;
    read_checked(path, file, &meta, CREDENTIAL_CAP)
}

fn read_checked(
    path: &Path,
    file: File,
    meta: &std::fs::Metadata,
    cap: u64,
) -> Result<Vec<u8>, StoreError> {
    // Sized from the fstat already made: one read for the whole file
    // (`take` alone would hide the size and read in small steps).
    let mut bytes = Vec::with_capacity(meta.len().min(cap) as usize + 1);
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| StoreError::io(path, e))?;
    if bytes.len() as u64 > cap {
        return Err(StoreError::TooLarge {
            path: path.to_path_buf(),
            cap,
        });
    }
    Ok(bytes)
}

/// Reads a credential-sized private file (at most [`CREDENTIAL_CAP`]).
pub fn read_private(path: &Path) -> Result<Vec<u8>, StoreError> {
    read_private_capped(path, CREDENTIAL_CAP)
}

/// Opens (creating 0600 when missing) a private file for appending, and
/// reading: the audit chain hashes the line it appends after.
pub fn open_append_0600(path: &Path) -> Result<File, StoreError> {
    open_created(
        path,
        OpenOptions::new().read(true).append(true).create(true),
    )
}

/// Opens (creating 0600 when missing) a private file for reading and
/// writing without truncating it: a lock file.
pub fn open_rw_0600(path: &Path) -> Result<File, StoreError> {
    open_created(
        path,
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
    )
}

fn open_created(path: &Path, options: &mut OpenOptions) -> Result<File, StoreError> {
    let file = options
        .mode(FILE_MODE)
        .custom_flags(flags())
        .open(path)
        .map_err(|e| open_error(path, e))?;
    check_private(path, &file)?;
    Ok(file)
}

/// `O_NOFOLLOW` on a symlink fails with `ELOOP`: say what it was.
fn open_error(path: &Path, e: std::io::Error) -> StoreError {
    if e.raw_os_error() == Some(libc::ELOOP) {
        return StoreError::NotAFile {
            path: path.to_path_buf(),
            found: "a symbolic link",
        };
    }
    StoreError::io(path, e)
}

fn check_private(path: &Path, file: &File) -> Result<std::fs::Metadata, StoreError> {
    let meta = file.metadata().map_err(|e| StoreError::io(path, e))?;
    let kind = meta.file_type();
    if !kind.is_file() {
        let found = if kind.is_dir() {
            "a directory"
        } else if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else if kind.is_socket() {
            "a socket"
        } else {
            "not a regular file"
        };
        return Err(StoreError::NotAFile {
            path: path.to_path_buf(),
            found,
        });
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(StoreError::NotOwned {
            path: path.to_path_buf(),
            owner: meta.uid(),
        });
    }
    // 0 links: an atomic write renamed a new file over this one after we
    // opened it; what we read is the whole previous version, and no other
    // name can reach it.
    if meta.nlink() > 1 {
        return Err(StoreError::HardLinked {
            path: path.to_path_buf(),
            links: meta.nlink(),
        });
    }
    super::home::refuse_loose(path, meta.mode(), FILE_MODE)?;
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn private(dir: &Path, name: &str, body: &[u8]) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        std::fs::set_permissions(&p, PermissionsExt::from_mode(0o600)).unwrap();
        p
    }

    #[test]
    fn links_fifos_devices_and_huge_files_are_refused_typed() {
        let dir = tempfile::tempdir().unwrap();
        let target = private(dir.path(), "t.json", b"{}");
        assert_eq!(read_private(&target).unwrap(), b"{}");
        let link = dir.path().join("l.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(
            read_private(&link),
            Err(StoreError::NotAFile { .. })
        ));
        let hard = dir.path().join("h.json");
        std::fs::hard_link(&target, &hard).unwrap();
        assert!(matches!(
            read_private(&hard),
            Err(StoreError::HardLinked { links: 2, .. })
        ));
        let fifo = dir.path().join("f.json");
        let c = std::ffi::CString::new(fifo.as_os_str().to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            read_private(&fifo),
            Err(StoreError::NotAFile {
                found: "a FIFO",
                ..
            })
        ));
        assert!(matches!(
            read_private(Path::new("/dev/zero")),
            Err(StoreError::NotAFile {
                found: "a device",
                ..
            })
        ));
        let huge = private(
            dir.path(),
            "big.json",
            &vec![b' '; CREDENTIAL_CAP as usize + 1],
        );
        assert!(matches!(
            read_private(&huge),
            Err(StoreError::TooLarge { .. })
        ));
        assert!(matches!(
            open_append_0600(&link),
            Err(StoreError::NotAFile { .. })
        ));
        assert!(matches!(
            open_rw_0600(&link),
            Err(StoreError::NotAFile { .. })
        ));
    }
}
