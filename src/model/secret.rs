use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// A token, refresh token, API key or client secret.
///
/// `Debug` shows only a short fingerprint; there is no `Display`. The value
/// leaves this type through [`Secret::expose`] (for the wire and for
/// `credtop token`) and through `Serialize` (for the credential file itself,
/// which is written 0600 and never logged).
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(SecretString::from(value.into()))
    }

    /// The raw value. Call this only where the secret is sent to its
    /// provider, stored, or printed by the explicit `token` command.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }

    /// A short, non-reversible identifier for audit records: enough to tell
    /// two tokens apart, far too little to reconstruct one.
    pub fn fingerprint(&self) -> Fingerprint {
        let digest = Sha256::digest(self.expose().as_bytes());
        // Built by hand: the dashboard computes one per credential on every
        // full read, and `format!` per byte showed in its profile.
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = String::with_capacity(15);
        text.push_str("sha256:");
        for b in &digest[..4] {
            text.push(char::from(HEX[usize::from(b >> 4)]));
            text.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        Fingerprint(text)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.fingerprint().0)
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

/// `sha256:` and the first 8 hex digits of the secret's SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(pub String);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_fingerprint_not_value() {
        let s = Secret::new("canary-5f1d2a");
        let shown = format!("{s:?} {:#?}", Some(s.clone()));
        assert!(!shown.contains("canary-5f1d2a"), "{shown}");
        assert!(shown.contains("sha256:"));
    }

    #[test]
    fn fingerprint_is_stable_and_short() {
        let a = Secret::new("abc").fingerprint();
        assert_eq!(a, Secret::new("abc").fingerprint());
        assert_ne!(a, Secret::new("abd").fingerprint());
        assert_eq!(a.0.len(), "sha256:".len() + 8);
        // The first 4 bytes of SHA-256("abc") (FIPS 180-2, appendix B.1).
        assert_eq!(a.0, "sha256:ba7816bf");
    }
}
