//! Values are sealed before they leave the host: XChaCha20-Poly1305 (its
//! 192-bit nonces can be drawn at random for every write without a counter
//! shared across hosts), keyed from `key_file`, with the etcd key as
//! associated data so that a value copied under another name, or another
//! prefix, fails to open instead of passing for that credential.

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{StoreError, read_private};

/// The fleet's AEAD key. No `Display`; `Debug` shows only its id, which is
/// a hash of the key and reveals nothing about it.
pub struct FleetKey {
    cipher: XChaCha20Poly1305,
    id: String,
}

impl fmt::Debug for FleetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FleetKey({})", self.id)
    }
}

/// What etcd holds for one value: who wrote it, when, with which key, and
/// the ciphertext. Host and time are not secret; they are how a dashboard
/// says "refreshed by build-3".
#[derive(Serialize, Deserialize)]
pub(super) struct Envelope {
    pub v: u8,
    pub key_id: String,
    pub host: String,
    pub written_at: DateTime<Utc>,
    nonce: String,
    sealed: String,
}

impl FleetKey {
    /// Reads `path`: 0600, base64 of exactly 32 bytes.
    pub fn load(path: &Path) -> Result<FleetKey, StoreError> {
        let text = read_private(path)?;
        let bad = |reason: &str| StoreError::FleetKey {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        let raw = B64
            .decode(String::from_utf8_lossy(&text).trim())
            .map_err(|_| bad("not base64; make one with `credtop fleet keygen PATH`"))?;
        let bytes: [u8; 32] = raw
            .try_into()
            .map_err(|_| bad("must hold base64 of exactly 32 bytes"))?;
        Ok(FleetKey::from_bytes(&bytes))
    }

    pub fn from_bytes(bytes: &[u8; 32]) -> FleetKey {
        let mut h = Sha256::new();
        h.update(b"credtop fleet key id\0");
        h.update(bytes);
        let id = h.finalize()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        FleetKey {
            cipher: XChaCha20Poly1305::new(bytes.into()),
            id,
        }
    }

    /// 32 fresh random bytes, base64, for a new key file.
    pub fn generate_text() -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        B64.encode(bytes)
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub(super) fn seal(&self, etcd_key: &[u8], plain: &[u8], host: &str) -> Vec<u8> {
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: etcd_key,
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any length we write");
        let env = Envelope {
            v: 1,
            key_id: self.id.clone(),
            host: host.to_string(),
            written_at: Utc::now(),
            nonce: B64.encode(nonce),
            sealed: B64.encode(sealed),
        };
        serde_json::to_vec(&env).expect("envelope serializes")
    }

    /// Opens a value read from `etcd_key`. Fails with `KeyMismatch` when it
    /// was sealed under another key, and with `Malformed` when it was
    /// sealed for another key path or altered.
    pub(super) fn open(
        &self,
        etcd_key: &[u8],
        value: &[u8],
        prefix: &str,
        key_file: &Path,
    ) -> Result<(Envelope, Vec<u8>), StoreError> {
        let shown = String::from_utf8_lossy(etcd_key).into_owned();
        let malformed = |reason: &str| StoreError::Malformed {
            path: shown.clone().into(),
            reason: reason.to_string(),
        };
        let env: Envelope = serde_json::from_slice(value)
            .map_err(|_| malformed("not a credtop fleet value; left untouched"))?;
        if env.key_id != self.id {
            return Err(StoreError::KeyMismatch {
                prefix: prefix.to_string(),
                key_file: key_file.to_path_buf(),
                cluster_key: env.key_id,
                local_key: self.id.clone(),
            });
        }
        let nonce = B64
            .decode(&env.nonce)
            .ok()
            .filter(|n| n.len() == 24)
            .ok_or_else(|| malformed("bad nonce"))?;
        let sealed = B64
            .decode(&env.sealed)
            .map_err(|_| malformed("bad ciphertext"))?;
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &sealed,
                    aad: etcd_key,
                },
            )
            .map_err(|_| {
                malformed(
                    "does not authenticate: altered, or sealed for another name; left untouched",
                )
            })?;
        Ok((env, plain))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_value_opens_only_under_its_own_name_and_key() {
        let key = FleetKey::from_bytes(&[7; 32]);
        let sealed = key.seal(b"/p/cred/a", b"canary-token", "host-a");
        assert!(!String::from_utf8_lossy(&sealed).contains("canary-token"));
        let (env, plain) = key
            .open(b"/p/cred/a", &sealed, "/p", Path::new("k"))
            .unwrap();
        assert_eq!(plain, b"canary-token");
        assert_eq!(env.host, "host-a");
        let swapped = key.open(b"/p/cred/b", &sealed, "/p", Path::new("k"));
        assert!(matches!(swapped, Err(StoreError::Malformed { .. })));
        let other = FleetKey::from_bytes(&[8; 32]);
        let mismatch = other.open(b"/p/cred/a", &sealed, "/p", Path::new("k"));
        assert!(matches!(mismatch, Err(StoreError::KeyMismatch { .. })));
    }

    #[test]
    fn debug_shows_the_id_only() {
        let key = FleetKey::from_bytes(&[7; 32]);
        assert_eq!(format!("{key:?}"), format!("FleetKey({})", key.id()));
    }
}
