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
        self.audit().record(
            AuditRecord::new(Event::CredentialAdded, self.actor(), Outcome::Ok).about(cred),
        );
        Ok(())
    }
}
