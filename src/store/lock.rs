use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::StoreError;
use crate::model::Name;

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
    pub(super) fn acquire(dir: &Path, name: &Name, timeout: Duration) -> Result<Self, StoreError> {
        let path = dir.join(name.file_name(".lock"));
        // Opened like a credential: a lock file that is a symlink would
        // create (or lock) a file outside the home.
        let file = super::open_rw_0600(&path)?;
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
                return Err(lock_timeout(name.as_str(), path, waited));
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
