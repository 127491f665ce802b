//! DPoP (RFC 9449): tokens bound to a key credtop keeps, proven on every
//! request by a small JWS (ES256 over P-256, RFC 7518 §3.4) that carries
//! `htm`, `htu`, `iat`, `jti`, and for resource requests `ath`.
//!
//! One key per credential, in `$CREDTOP_HOME/mcp/keys/<name>.key` (0600,
//! written atomically), never printed: `Debug` shows the key's thumbprint.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use rand::RngCore;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

use super::OAuthError;
use crate::model::Secret;

/// The only algorithm credtop signs proofs with.
pub const ALG: &str = "ES256";

pub struct DpopKey {
    signing: SigningKey,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DpopKey(jkt {})", self.thumbprint())
    }
}

impl DpopKey {
    pub fn generate() -> DpopKey {
        let mut rng = rand::rng();
        loop {
            let mut bytes = [0u8; 32];
            rng.fill_bytes(&mut bytes);
            // Nearly every 32 bytes are a valid scalar; retry the rest.
            if let Ok(signing) = SigningKey::from_slice(&bytes) {
                return DpopKey { signing };
            }
        }
    }

    fn from_secret(secret: &Secret) -> Option<DpopKey> {
        let bytes = B64.decode(secret.expose().trim()).ok()?;
        SigningKey::from_slice(&bytes)
            .ok()
            .map(|signing| DpopKey { signing })
    }

    fn to_secret(&self) -> Secret {
        Secret::new(B64.encode(self.signing.to_bytes()))
    }

    /// The public key as a JWK (RFC 7518 §6.2.1), members in the order RFC
    /// 7638 §3.2 hashes them.
    pub fn public_jwk(&self) -> Value {
        let point = self.signing.verifying_key().to_encoded_point(false);
        json!({
            "crv": "P-256",
            "kty": "EC",
            "x": B64.encode(point.x().expect("uncompressed point")),
            "y": B64.encode(point.y().expect("uncompressed point")),
        })
    }

    /// RFC 7638 thumbprint: what a DPoP-bound token's `cnf.jkt` names.
    pub fn thumbprint(&self) -> String {
        let jwk = self.public_jwk();
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            jwk["x"].as_str().unwrap_or_default(),
            jwk["y"].as_str().unwrap_or_default()
        );
        B64.encode(Sha256::digest(canonical.as_bytes()))
    }

    /// A proof for one request (RFC 9449 §4.2): `htu` without query and
    /// fragment, `ath` when an access token goes with it (§4.3), the
    /// server's nonce when it gave one (§8, §9).
    pub fn proof(
        &self,
        htm: &str,
        htu: &Url,
        access_token: Option<&Secret>,
        nonce: Option<&str>,
    ) -> String {
        let mut target = htu.clone();
        target.set_query(None);
        target.set_fragment(None);
        let mut jti = [0u8; 16];
        rand::rng().fill_bytes(&mut jti);
        let mut claims = json!({
            "htm": htm,
            "htu": target.as_str(),
            "iat": chrono::Utc::now().timestamp(),
            "jti": B64.encode(jti),
        });
        if let Some(t) = access_token {
            claims["ath"] = json!(B64.encode(Sha256::digest(t.expose().as_bytes())));
        }
        if let Some(n) = nonce {
            claims["nonce"] = json!(n);
        }
        let header = json!({"typ": "dpop+jwt", "alg": ALG, "jwk": self.public_jwk()});
        let input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let signature: Signature = self.signing.sign(input.as_bytes());
        format!("{input}.{}", B64.encode(signature.to_bytes()))
    }
}

/// The key of credential `name`, if it has one, from where the store keeps
/// its secrets (a 0600 file, the keyring, or the fleet).
pub fn load(home: &Path, name: &str) -> Result<Option<DpopKey>, OAuthError> {
    let secret =
        crate::store::load_bound_key(home, name).map_err(|e| OAuthError::config(e.to_string()))?;
    match secret {
        None => Ok(None),
        Some(secret) => DpopKey::from_secret(&secret).map(Some).ok_or_else(|| {
            OAuthError::config(format!(
                "the DPoP key kept for {name} is not a P-256 key; log in again with `credtop mcp login`"
            ))
        }),
    }
}

/// Keeps `key` as credential `name`'s, where the store keeps its secrets.
pub fn save(home: &Path, name: &str, key: &DpopKey) -> Result<(), crate::store::StoreError> {
    crate::store::save_bound_key(home, name, &key.to_secret())
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;

    #[test]
    fn a_proof_is_a_verifiable_es256_jws_with_the_rfc_claims() {
        let key = DpopKey::generate();
        let url = Url::parse("https://mcp.example.com/mcp?x=1#f").unwrap();
        let token = Secret::new("at");
        let proof = key.proof("POST", &url, Some(&token), Some("n1"));
        let parts: Vec<&str> = proof.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value = serde_json::from_slice(&B64.decode(parts[0]).unwrap()).unwrap();
        let claims: Value = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert!(header["jwk"].get("d").is_none(), "no private part");
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["htu"], "https://mcp.example.com/mcp");
        assert_eq!(claims["nonce"], "n1");
        assert_eq!(claims["ath"], B64.encode(Sha256::digest(b"at")));
        let sig = Signature::from_slice(&B64.decode(parts[2]).unwrap()).unwrap();
        let input = format!("{}.{}", parts[0], parts[1]);
        assert!(
            key.signing
                .verifying_key()
                .verify(input.as_bytes(), &sig)
                .is_ok()
        );
        let other = key.proof("POST", &url, None, None);
        assert_ne!(proof, other, "a fresh jti each time");
    }

    #[test]
    fn the_key_round_trips_and_debug_shows_only_the_thumbprint() {
        let key = DpopKey::generate();
        let again = DpopKey::from_secret(&key.to_secret()).unwrap();
        assert_eq!(key.thumbprint(), again.thumbprint());
        let shown = format!("{key:?}");
        assert!(!shown.contains(key.to_secret().expose()));
        assert!(shown.contains(&key.thumbprint()));
    }
}
