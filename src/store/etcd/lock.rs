//! The fleet-wide refresh lock: `{prefix}/lock/{name}`, created only when
//! absent (a transaction on its create revision) and bound to a lease that
//! a task keeps alive while the holder works. If the holder dies, or is cut
//! off from the cluster, the lease lapses after its TTL and the key goes
//! with it; the next host can then take over, and the fenced write (see
//! `EtcdBackend::save`) keeps the late one from overwriting it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::task::JoinHandle;

use super::bridge::Bridge;
use super::gateway::b64;
use super::{Held, Shared};
use crate::store::StoreError;

pub struct FleetLock {
    shared: Arc<Shared>,
    bridge: Arc<Bridge>,
    name: String,
    lease: i64,
    lost: Arc<AtomicBool>,
    keepalive: JoinHandle<()>,
}

impl std::fmt::Debug for FleetLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FleetLock({}, lease {:x})", self.name, self.lease)
    }
}

impl FleetLock {
    pub(super) fn acquire(
        shared: Arc<Shared>,
        bridge: Arc<Bridge>,
        name: &str,
        timeout: Duration,
    ) -> Result<FleetLock, StoreError> {
        let (s, n) = (Arc::clone(&shared), name.to_string());
        let lease = bridge.run(async move { take(&s, &n, timeout).await })?;
        shared
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                name.to_string(),
                Held {
                    lease,
                    read_rev: None,
                },
            );
        let lost = Arc::new(AtomicBool::new(false));
        let keepalive = bridge.spawn(keep_alive(Arc::clone(&shared), lease, Arc::clone(&lost)));
        Ok(FleetLock {
            shared,
            bridge,
            name: name.to_string(),
            lease,
            lost,
            keepalive,
        })
    }

    /// The lease behind the lock (etcd shows it as the lock key's `lease`).
    pub fn lease(&self) -> i64 {
        self.lease
    }

    /// Whether the lease was found gone: the lock no longer protects
    /// anything, and a write under it will be refused.
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::Relaxed)
    }
}

impl Drop for FleetLock {
    fn drop(&mut self) {
        self.keepalive.abort();
        self.shared
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.name);
        // Revoking deletes the lock key now, so the next waiter need not
        // sit out the TTL. Bounded by the call budget like every call.
        let (s, lease) = (Arc::clone(&self.shared), self.lease);
        let _ = self
            .bridge
            .run(async move { s.gateway.lease_revoke(lease).await });
    }
}

/// Grants a lease and creates the lock key under it, waiting (bounded by
/// `timeout`) while another holder has it.
async fn take(s: &Shared, name: &str, timeout: Duration) -> Result<i64, StoreError> {
    let start = Instant::now();
    let lease = s.gateway.lease_grant(s.lock_ttl).await?;
    let key = s.lock_key(name);
    let mut pause = Duration::from_millis(20);
    loop {
        let attempt = s
            .gateway
            .txn(
                vec![json!({"key": b64(&key), "target": "CREATE", "result": "EQUAL", "create_revision": "0"})],
                vec![json!({"request_put": {"key": b64(&key), "value": b64(s.host.as_bytes()), "lease": lease.to_string()}})],
                vec![],
            )
            .await;
        match attempt {
            Ok((true, _)) => return Ok(lease),
            Ok((false, _)) => {}
            Err(e) => {
                let _ = s.gateway.lease_revoke(lease).await;
                return Err(e);
            }
        }
        let waited = start.elapsed();
        if waited >= timeout {
            let _ = s.gateway.lease_revoke(lease).await;
            return Err(StoreError::LockTimeout {
                name: name.to_string(),
                path: String::from_utf8_lossy(&key).into_owned().into(),
                waited,
            });
        }
        tokio::time::sleep(pause.min(timeout - waited)).await;
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

/// Renews the lease every third of its TTL until the lock is dropped, or
/// until etcd says the lease is gone.
async fn keep_alive(s: Arc<Shared>, lease: i64, lost: Arc<AtomicBool>) {
    let every = Duration::from_millis(u64::try_from(s.lock_ttl).unwrap_or(10) * 1000 / 3);
    loop {
        tokio::time::sleep(every).await;
        match s.gateway.lease_keepalive(lease).await {
            Ok(ttl) if ttl <= 0 => {
                lost.store(true, Ordering::Relaxed);
                return;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "fleet lock keep-alive failed; retrying"),
        }
    }
}
