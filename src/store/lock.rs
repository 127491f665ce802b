use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::StoreError;

/// An exclusive advisory lock on one credential, held across processes
/// (flock on `locks/<name>.lock`). Dropping it releases the lock; so does
/// the death of the process holding it, so a crash never wedges a lane.
#[derive(Debug)]
pub struct CredentialLock {
    _file: File,
    name: String,
    /// With `store = "etcd"`: the fleet-wide lock, taken after the local
    /// one (which keeps this host's own callers in line without a round
    /// trip each) and released before it.
    fleet: Option<super::etcd::FleetLock>,
}

impl CredentialLock {
    pub(super) fn acquire(dir: &Path, name: &str, timeout: Duration) -> Result<Self, StoreError> {
        let path = dir.join(format!("{name}.lock"));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|e| StoreError::io(&path, e))?;
        let start = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            match file.try_lock() {
                Ok(()) => {
                    return Ok(CredentialLock {
                        _file: file,
                        name: name.to_string(),
                        fleet: None,
                    });
                }
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => return Err(StoreError::io(&path, e)),
            }
            let waited = start.elapsed();
            if waited >= timeout {
                return Err(lock_timeout(name, path, waited));
            }
            std::thread::sleep(pause.min(timeout - waited));
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub(super) fn with_fleet(mut self, fleet: super::etcd::FleetLock) -> Self {
        self.fleet = Some(fleet);
        self
    }

    /// The fleet lock under this one, with `store = "etcd"`.
    pub fn fleet(&self) -> Option<&super::etcd::FleetLock> {
        self.fleet.as_ref()
    }
}

fn lock_timeout(name: &str, path: PathBuf, waited: Duration) -> StoreError {
    StoreError::LockTimeout {
        name: name.to_string(),
        path,
        waited,
    }
}
