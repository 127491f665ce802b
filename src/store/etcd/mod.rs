//! The fleet backend: credentials shared by several hosts in an etcd
//! cluster, spoken to through etcd's own v3 JSON gateway (see
//! CONTRIBUTING for why not gRPC). Layout under `prefix`:
//!
//! - `{prefix}/meta/key`: a sealed check value; a host whose key_file does
//!   not open it reads and writes nothing;
//! - `{prefix}/cred/{name}`: one sealed credential each;
//! - `{prefix}/lock/{name}`: the refresh lock, bound to its holder's lease.
//!
//! Reads outside a lock are serializable (any live member answers, through
//! an election too); reads and writes under a lock are linearizable, and
//! the write is fenced on the revision read under the lock.

mod bridge;
mod docs;
mod gateway;
mod lock;
mod seal;
mod watch;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

pub use docs::fleet_docs;
pub(super) use docs::register;
pub use lock::FleetLock;
pub use seal::FleetKey;
pub use watch::{FleetChange, FleetWatch};

use self::bridge::Bridge;
use self::gateway::{Gateway, Kv, b64, num, parse_kvs};
use super::file::CredentialFile;
use super::{EtcdConfig, StoreError};
use crate::model::{Credential, Kind, validate_name};

const KEY_CHECK: &[u8] = b"credtop fleet key check";

/// Who wrote a value and when: the metadata beside the ciphertext.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub host: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// One credential read from the fleet, with who wrote it.
pub type Loaded = (Credential, Written);

/// What a lock holder read, so that its write can be fenced on it.
#[derive(Clone, Copy, Debug)]
struct Held {
    lease: i64,
    read_rev: Option<i64>,
}

pub(super) struct Shared {
    gateway: Gateway,
    key: FleetKey,
    key_file: PathBuf,
    prefix: String,
    host: String,
    lock_ttl: i64,
    held: Mutex<HashMap<String, Held>>,
}

pub struct EtcdBackend {
    shared: Arc<Shared>,
    bridge: Arc<Bridge>,
    /// Whether this host's key was proven to be the fleet's (see
    /// `ensure_key`).
    key_checked: std::sync::atomic::AtomicBool,
}

impl EtcdBackend {
    /// Connects, and proves this host's key is the fleet's before anything
    /// else, so that every command on a host with another key fails
    /// plainly (one serializable read; see `ensure_key`).
    pub fn connect(cfg: &EtcdConfig, home: &Path) -> Result<Self, StoreError> {
        let key_file = if cfg.key_file.is_absolute() {
            cfg.key_file.clone()
        } else {
            home.join(&cfg.key_file)
        };
        let key = FleetKey::load(&key_file)?;
        let shared = Shared {
            gateway: Gateway::new(
                &cfg.endpoints,
                Duration::from_millis(cfg.request_timeout_ms.unwrap_or(1000)),
                Duration::from_millis(cfg.call_budget_ms.unwrap_or(8000)),
            ),
            key,
            key_file,
            prefix: cfg.prefix.trim_end_matches('/').to_string(),
            host: cfg.host.clone().unwrap_or_else(host_name),
            lock_ttl: cfg.lock_ttl_secs.unwrap_or(10).max(2),
            held: Mutex::new(HashMap::new()),
        };
        let backend = EtcdBackend {
            shared: Arc::new(shared),
            bridge: Arc::new(Bridge::new()),
            key_checked: Default::default(),
        };
        backend.ensure_key()?;
        Ok(backend)
    }

    pub fn host(&self) -> &str {
        &self.shared.host
    }

    pub fn prefix(&self) -> &str {
        &self.shared.prefix
    }

    fn run<T: Send + 'static, F>(&self, f: impl FnOnce(Arc<Shared>) -> F) -> T
    where
        F: std::future::Future<Output = T> + Send + 'static,
    {
        self.bridge.run(f(Arc::clone(&self.shared)))
    }

    /// Proves this host's key opens the fleet's key check (or sets the
    /// fleet's key, on a fresh prefix) before the first write or listing,
    /// so that a host with another key writes nothing at all.
    pub(super) fn ensure_key(&self) -> Result<(), StoreError> {
        use std::sync::atomic::Ordering;
        if !self.key_checked.load(Ordering::Relaxed) {
            self.check_key()?;
            self.key_checked.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    /// The key check: read from any member (so a host starts during an
    /// election), created by a transaction only on a fresh prefix.
    fn check_key(&self) -> Result<(), StoreError> {
        self.run(|s| async move {
            let key = s.path("meta/key");
            if let Some(kv) = s.gateway.range(&key, false, true).await?.first() {
                return s.open_value(&key, &kv.value).map(|_| ());
            }
            let sealed = s.key.seal(&key, KEY_CHECK, &s.host);
            let (_, answer) = s
                .gateway
                .txn(
                    vec![json!({"key": b64(&key), "target": "CREATE", "result": "EQUAL", "create_revision": "0"})],
                    vec![json!({"request_put": {"key": b64(&key), "value": b64(&sealed)}})],
                    vec![json!({"request_range": {"key": b64(&key)}})],
                )
                .await?;
            if let Some(kv) = failure_kv(&answer) {
                s.open_value(&key, &kv.value)?;
            }
            Ok(())
        })
    }

    /// Credential `name`, and who wrote it when.
    pub fn load(&self, name: &str) -> Result<(Credential, Written), StoreError> {
        validate_name(name).map_err(StoreError::InvalidName)?;
        let name = name.to_string();
        self.run(|s| async move {
            let key = s.cred_key(&name);
            let held = s.held(&name);
            let kvs = s.gateway.range(&key, false, held.is_none()).await?;
            if held.is_some() {
                let rev = kvs.first().map_or(0, |kv| kv.mod_revision);
                s.note_read(&name, rev);
            }
            let kv = kvs.into_iter().next().ok_or_else(|| StoreError::NotFound {
                name: name.clone(),
                home: PathBuf::from(format!("etcd:{}", s.prefix)),
            })?;
            s.decode(&name, &kv)
        })
    }

    /// Every credential under the prefix, and a problem for each value that
    /// does not open.
    pub fn list(&self) -> Result<Vec<Result<Loaded, StoreError>>, StoreError> {
        self.ensure_key()?;
        self.run(|s| async move {
            let dir = s.path("cred/");
            let kvs = s.gateway.range(&dir, true, true).await?;
            Ok(kvs
                .iter()
                .map(|kv| {
                    let name = String::from_utf8_lossy(&kv.key[dir.len()..]).into_owned();
                    s.decode(&name, kv)
                })
                .collect())
        })
    }

    /// Writes `cred`. Under this store's lock on it, the write is a
    /// transaction that holds only while the credential still has the
    /// revision read under the lock and the lock is still ours: a holder
    /// whose lease lapsed cannot overwrite what the next holder wrote.
    pub fn save(&self, cred: &Credential) -> Result<(), StoreError> {
        self.ensure_key()?;
        let name = cred.name.clone();
        let plain = CredentialFile::from_credential(cred).to_bytes();
        self.run(|s| async move {
            let key = s.cred_key(&name);
            let sealed = s.key.seal(&key, &plain, &s.host);
            let put = json!({"request_put": {"key": b64(&key), "value": b64(&sealed)}});
            let Some(held) = s.held(&name) else {
                return s.gateway.put(&key, &sealed).await;
            };
            let read_rev = match held.read_rev {
                Some(r) => r,
                None => {
                    let kvs = s.gateway.range(&key, false, false).await?;
                    kvs.first().map_or(0, |kv| kv.mod_revision)
                }
            };
            let (ok, answer) = s
                .gateway
                .txn(
                    s.fence(&name, &key, read_rev, held.lease),
                    vec![put],
                    vec![json!({"request_range": {"key": b64(&key)}})],
                )
                .await?;
            // A retried request whose first try did land fails its compare
            // against our own write: that is success, not a fence.
            let ours = failure_kv(&answer).is_some_and(|kv| kv.value == sealed);
            if !ok && !ours {
                return Err(StoreError::Fenced { name });
            }
            let rev = num(&answer["header"]["revision"]);
            if ok {
                s.note_read(&name, rev);
            }
            Ok(())
        })
    }

    /// Removes credential `name`; fenced like `save` under a lock.
    pub fn delete(&self, name: &str) -> Result<Credential, StoreError> {
        self.ensure_key()?;
        let (cred, _) = self.load(name)?;
        let name = name.to_string();
        self.run(|s| async move {
            let key = s.cred_key(&name);
            let Some(held) = s.held(&name) else {
                return s.gateway.delete(&key).await;
            };
            let rev = held.read_rev.unwrap_or(0);
            let (ok, _) = s
                .gateway
                .txn(
                    s.fence(&name, &key, rev, held.lease),
                    vec![json!({"request_delete_range": {"key": b64(&key)}})],
                    vec![],
                )
                .await?;
            if ok {
                Ok(())
            } else {
                Err(StoreError::Fenced { name })
            }
        })?;
        Ok(cred)
    }

    /// Takes the fleet-wide lock on `name` (see [`FleetLock`]).
    pub fn lock(&self, name: &str, timeout: Duration) -> Result<FleetLock, StoreError> {
        self.ensure_key()?;
        FleetLock::acquire(
            Arc::clone(&self.shared),
            Arc::clone(&self.bridge),
            name,
            timeout,
        )
    }

    /// Calls `on` for every credential some host writes or deletes, until
    /// the returned watch is dropped.
    pub fn watch(&self, on: Box<dyn Fn(FleetChange) + Send + Sync>) -> FleetWatch {
        watch::start(Arc::clone(&self.shared), Arc::clone(&self.bridge), on)
    }

    /// Re-seals every value under `new`, in one transaction that holds only
    /// if nothing changed since it was read. Returns how many credentials.
    pub fn rekey(&self, new: FleetKey) -> Result<usize, StoreError> {
        self.ensure_key()?;
        self.run(|s| async move {
            let all = s.gateway.range(s.prefix.as_bytes(), true, false).await?;
            let mut compare = Vec::new();
            let mut puts = Vec::new();
            let mut creds = 0;
            for kv in all.iter().filter(|kv| kv.lease == 0) {
                let (_, plain) = s.open_value(&kv.key, &kv.value)?;
                let sealed = new.seal(&kv.key, &plain, &s.host);
                compare.push(json!({"key": b64(&kv.key), "target": "MOD", "result": "EQUAL", "mod_revision": kv.mod_revision.to_string()}));
                puts.push(json!({"request_put": {"key": b64(&kv.key), "value": b64(&sealed)}}));
                creds += usize::from(kv.key.starts_with(&s.path("cred/")));
            }
            let (ok, _) = s.gateway.txn(compare, puts, vec![]).await.map_err(|e| match e {
                // One transaction keeps the fleet readable at every instant,
                // and etcd bounds its size (--max-txn-ops, default 128).
                StoreError::Etcd(m) if m.contains("too many operations") => StoreError::Etcd(format!(
                    "{m}: a re-key is one transaction of one write per value; start etcd with a larger --max-txn-ops for it"
                )),
                e => e,
            })?;
            if !ok {
                return Err(StoreError::Etcd(
                    "a value changed while re-keying; nothing was re-keyed, run it again".into(),
                ));
            }
            Ok(creds)
        })
    }
}

impl Shared {
    fn path(&self, rest: &str) -> Vec<u8> {
        format!("{}/{rest}", self.prefix).into_bytes()
    }

    fn cred_key(&self, name: &str) -> Vec<u8> {
        self.path(&format!("cred/{name}"))
    }

    fn lock_key(&self, name: &str) -> Vec<u8> {
        self.path(&format!("lock/{name}"))
    }

    fn held(&self, name: &str) -> Option<Held> {
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .copied()
    }

    fn note_read(&self, name: &str, rev: i64) {
        if let Some(h) = self
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(name)
        {
            h.read_rev = Some(rev);
        }
    }

    /// The compares of a fenced write: the credential is as read under the
    /// lock, and the lock key still belongs to our lease.
    fn fence(&self, name: &str, key: &[u8], read_rev: i64, lease: i64) -> Vec<Value> {
        vec![
            json!({"key": b64(key), "target": "MOD", "result": "EQUAL", "mod_revision": read_rev.to_string()}),
            json!({"key": b64(&self.lock_key(name)), "target": "LEASE", "result": "EQUAL", "lease": lease.to_string()}),
        ]
    }

    fn open_value(
        &self,
        key: &[u8],
        value: &[u8],
    ) -> Result<(seal::Envelope, Vec<u8>), StoreError> {
        self.key.open(key, value, &self.prefix, &self.key_file)
    }

    fn decode(&self, name: &str, kv: &Kv) -> Result<(Credential, Written), StoreError> {
        let (env, plain) = self.open_value(&kv.key, &kv.value)?;
        let shown = PathBuf::from(String::from_utf8_lossy(&kv.key).into_owned());
        let file = CredentialFile::parse(&shown, &plain)?;
        let cred = file.into_credential(&shown, name, Kind::OAuth, None)?;
        Ok((
            cred,
            Written {
                host: env.host,
                at: env.written_at,
            },
        ))
    }
}

/// The key-value a transaction's failure branch read, if any.
fn failure_kv(answer: &Value) -> Option<Kv> {
    answer["responses"]
        .as_array()?
        .iter()
        .find_map(|r| parse_kvs(&r["response_range"]).into_iter().next())
}

/// This host's name in a fleet: `[etcd] host`, else the system's.
pub fn fleet_host(config: &super::Config) -> Option<String> {
    match (&config.store, &config.etcd) {
        (super::Backend::Etcd, Some(e)) => Some(e.host.clone().unwrap_or_else(host_name)),
        _ => None,
    }
}

/// The system's host name (what `hostname` prints).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into())
}
