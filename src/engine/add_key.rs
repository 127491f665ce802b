//! Storing a new API key or PAT: `credtop add-key`.

use super::{Lifecycle, LifecycleError};
use crate::audit::{AuditRecord, Event, Outcome};
use crate::model::Credential;
use crate::store::{DEFAULT_LOCK_TIMEOUT, StoreError};

impl Lifecycle {
    /// Stores `cred` under its lock unless a credential of that name is
    /// already there (a rotation is the way to replace one), and audits
    /// it. Blocking: call it off the async threads.
    pub fn add_key(&self, cred: &Credential) -> Result<(), LifecycleError> {
        // Audit or fail: a key that cannot be audited is not stored.
        let mut audit = self.audit().writer()?;
        let _lock = self.store().lock(&cred.name, DEFAULT_LOCK_TIMEOUT)?;
        match self.store().load(&cred.name) {
            Err(StoreError::NotFound { .. }) => {}
            Ok(_) => {
                return Err(LifecycleError::AlreadyExists {
                    name: cred.name.clone(),
                });
            }
            Err(e) => return Err(e.into()),
        }
        self.store().save(cred)?;
        let record =
            AuditRecord::new(Event::CredentialAdded, self.actor(), Outcome::Ok).about(cred);
        if let Err(e) = audit.append(&record) {
            // The trail failed between opening and writing (a full disk):
            // take the key back out rather than keep it unaudited.
            let _ = self.store().delete(&cred.name);
            return Err(e.into());
        }
        Ok(())
    }
}
