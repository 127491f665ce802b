//! A private key bound to one credential (a DPoP key, RFC 9449), kept where
//! the credential's secrets are kept: a 0600 file under `mcp/keys/`, the OS
//! keyring with `store = "keyring"`, or the fleet's etcd (sealed like every
//! value there) with `store = "etcd"`. Never printed: it is a [`Secret`].

use std::path::{Path, PathBuf};

use super::keyring::KeyringBackend;
use super::{
    Backend, Config, StoreError, ensure_private_dir, fleet_docs, read_private, write_atomic,
};
use crate::model::{Secret, validate_name};

/// The keyring item and the fleet folder of bound keys.
const KIND: &str = "dpop";

fn path_for(home: &Path, name: &str) -> PathBuf {
    home.join("mcp").join("keys").join(format!("{name}.key"))
}

enum Place {
    File(PathBuf),
    Keyring(KeyringBackend),
    Fleet,
}

fn place(home: &Path, name: &str) -> Result<Place, StoreError> {
    validate_name(name).map_err(StoreError::InvalidName)?;
    Ok(match Config::load(home)?.store {
        Backend::Keyring => Place::Keyring(KeyringBackend::connect(home)?),
        Backend::Etcd => Place::Fleet,
        Backend::File => Place::File(path_for(home, name)),
    })
}

fn keyring_item(name: &str) -> String {
    format!("{KIND}:{name}")
}

/// The key bound to credential `name`, if it has one.
pub fn load_bound_key(home: &Path, name: &str) -> Result<Option<Secret>, StoreError> {
    let bytes = match place(home, name)? {
        Place::File(path) => match read_private(&path) {
            Ok(bytes) => bytes,
            Err(StoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Ok(None);
            }
            Err(e) => return Err(e),
        },
        Place::Keyring(kr) => return kr.read_raw(&keyring_item(name)),
        Place::Fleet => match fleet_docs(home) {
            Some(fleet) => match fleet?.read_doc(KIND, name)? {
                Some(bytes) => bytes,
                None => return Ok(None),
            },
            None => return Ok(None),
        },
    };
    Ok(Some(Secret::new(
        String::from_utf8_lossy(&bytes).into_owned(),
    )))
}

/// Keeps `key` as credential `name`'s bound key (atomically where it is a
/// file).
pub fn save_bound_key(home: &Path, name: &str, key: &Secret) -> Result<(), StoreError> {
    match place(home, name)? {
        Place::File(path) => {
            ensure_private_dir(&home.join("mcp"))?;
            ensure_private_dir(&home.join("mcp").join("keys"))?;
            write_atomic(&path, key.expose().as_bytes())
        }
        Place::Keyring(kr) => kr.write_raw(&keyring_item(name), key),
        Place::Fleet => match fleet_docs(home) {
            Some(fleet) => fleet?.write_doc(KIND, name, key.expose().as_bytes()),
            None => Err(StoreError::Config {
                path: home.join("config.toml"),
                reason: "store = \"etcd\" needs an [etcd] table".into(),
            }),
        },
    }
}

/// Forgets credential `name`'s bound key, wherever it is kept.
pub fn forget_bound_key(home: &Path, name: &str) -> Result<(), StoreError> {
    match place(home, name)? {
        Place::File(path) => match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::io(&path, e)),
        },
        Place::Keyring(kr) => kr.delete(&keyring_item(name)),
        Place::Fleet => match fleet_docs(home) {
            Some(fleet) => fleet?.remove_doc(KIND, name),
            None => Ok(()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_store_keeps_the_key_0600_and_forgets_it() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        ensure_private_dir(&home).unwrap();
        assert!(load_bound_key(&home, "notes").unwrap().is_none());
        save_bound_key(&home, "notes", &Secret::new("key-canary-1")).unwrap();
        let path = path_for(&home, "notes");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let back = load_bound_key(&home, "notes").unwrap().unwrap();
        assert_eq!(back.expose(), "key-canary-1");
        forget_bound_key(&home, "notes").unwrap();
        assert!(load_bound_key(&home, "notes").unwrap().is_none());
        assert!(
            load_bound_key(&home, "../x").is_err(),
            "names are validated"
        );
    }
}
