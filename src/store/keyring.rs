//! The OS keyring backend, through the `keyring` crate. One keyring item per
//! credential holds its secrets together (so a refresh replaces access and
//! refresh token in one write); the metadata stays in the file store.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::StoreError;
use crate::model::Secret;

const SERVICE: &str = "credtop";

pub(super) struct KeyringSecrets {
    pub secret: Secret,
    pub refresh_token: Option<Secret>,
}

#[derive(Serialize, Deserialize)]
struct Blob {
    secret: Secret,
    #[serde(default)]
    refresh_token: Option<Secret>,
}

pub(super) struct KeyringBackend {
    /// Distinguishes homes, so two homes never share keyring items.
    home_id: String,
}

impl KeyringBackend {
    /// Connects and proves the keyring answers (a locked or absent Secret
    /// Service fails here, plainly, not at the first refresh).
    pub(super) fn connect(home: &Path) -> Result<Self, StoreError> {
        if let Err(e) = keyring::Entry::store_status() {
            return Err(StoreError::KeyringUnavailable {
                reason: describe(e),
            });
        }
        let canonical = home.canonicalize().unwrap_or_else(|_| home.to_path_buf());
        let digest = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
        let home_id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        let backend = KeyringBackend { home_id };
        // A read of an item that does not exist tells "reachable and
        // unlocked" from "unavailable".
        match backend.entry("credtop-probe")?.get_secret() {
            Ok(_) | Err(keyring::Error::NoEntry) => Ok(backend),
            Err(e) => Err(StoreError::KeyringUnavailable {
                reason: describe(&e),
            }),
        }
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry, StoreError> {
        keyring::Entry::new(SERVICE, &format!("{name}@{}", self.home_id))
            .map_err(|e| StoreError::Keyring(describe(&e)))
    }

    pub(super) fn read(&self, name: &str) -> Result<KeyringSecrets, StoreError> {
        let bytes = self.entry(name)?.get_secret().map_err(|e| match e {
            keyring::Error::NoEntry => StoreError::Keyring(format!(
                "the keyring has no secret for {name:?}; log in again or re-add the key"
            )),
            e => StoreError::Keyring(describe(&e)),
        })?;
        let blob: Blob = serde_json::from_slice(&bytes).map_err(|_| {
            StoreError::Keyring(format!(
                "the keyring item of {name:?} is not credtop's format"
            ))
        })?;
        Ok(KeyringSecrets {
            secret: blob.secret,
            refresh_token: blob.refresh_token,
        })
    }

    pub(super) fn write(
        &self,
        name: &str,
        secret: &Secret,
        refresh_token: Option<&Secret>,
    ) -> Result<(), StoreError> {
        let blob = Blob {
            secret: secret.clone(),
            refresh_token: refresh_token.cloned(),
        };
        let bytes = serde_json::to_vec(&blob).expect("blob serializes");
        self.entry(name)?
            .set_secret(&bytes)
            .map_err(|e| StoreError::Keyring(describe(&e)))
    }

    /// One secret alone in its own item (a key bound to a credential).
    pub(super) fn read_raw(&self, item: &str) -> Result<Option<Secret>, StoreError> {
        match self.entry(item)?.get_secret() {
            Ok(bytes) => Ok(Some(Secret::new(
                String::from_utf8_lossy(&bytes).into_owned(),
            ))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(StoreError::Keyring(describe(&e))),
        }
    }

    pub(super) fn write_raw(&self, item: &str, secret: &Secret) -> Result<(), StoreError> {
        self.entry(item)?
            .set_secret(secret.expose().as_bytes())
            .map_err(|e| StoreError::Keyring(describe(&e)))
    }

    pub(super) fn delete(&self, name: &str) -> Result<(), StoreError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(StoreError::Keyring(describe(&e))),
        }
    }
}

/// The keyring error in words, never its payload: `BadEncoding` and
/// `BadDataFormat` carry the secret's bytes.
fn describe(e: &keyring::Error) -> String {
    match e {
        keyring::Error::PlatformFailure(p) => format!("platform failure: {p}"),
        keyring::Error::NoStorageAccess(p) => {
            format!("no access to the keyring (is it locked?): {p}")
        }
        keyring::Error::NoEntry => "no such item".into(),
        keyring::Error::BadEncoding(_) | keyring::Error::BadDataFormat(..) => {
            "the stored item is not in the expected format".into()
        }
        keyring::Error::NoDefaultStore => "no keyring is available on this system".into(),
        keyring::Error::Invalid(what, why) => format!("invalid {what}: {why}"),
        keyring::Error::TooLong(what, max) => format!("{what} is longer than {max}"),
        keyring::Error::NotSupportedByStore(what) => format!("not supported: {what}"),
        _ => "keyring error".into(),
    }
}
