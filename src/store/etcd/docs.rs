//! What the engine keeps beside each credential (lane state, refresh
//! history) lives in the fleet too, sealed like the credentials, so that a
//! lane paused on one host (a revoked grant) is paused on all of them and
//! every dashboard shows the same history: `{prefix}/state/{name}` and
//! `{prefix}/history/{name}`.
//!
//! The engine reaches these by home, not by store, so each open fleet store
//! registers its backend here; a home with no store open in this process
//! gets a connection of its own.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use serde_json::json;

use super::EtcdBackend;
use super::gateway::b64;
use crate::model::validate_name;
use crate::store::{Backend, Config, StoreError};

type Registry = Mutex<HashMap<PathBuf, Weak<EtcdBackend>>>;

fn registry() -> &'static Registry {
    static OPEN: OnceLock<Registry> = OnceLock::new();
    OPEN.get_or_init(Default::default)
}

pub(in crate::store) fn register(home: &Path, backend: &Arc<EtcdBackend>) {
    let mut open = registry().lock().unwrap_or_else(|p| p.into_inner());
    open.retain(|_, w| w.strong_count() > 0);
    open.insert(home.to_path_buf(), Arc::downgrade(backend));
}

/// The fleet behind `home`: `None` when the home is not in a fleet (its
/// documents are files), else the backend or why it cannot be reached.
pub fn fleet_docs(home: &Path) -> Option<Result<Arc<EtcdBackend>, StoreError>> {
    let found = registry()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(home)
        .and_then(Weak::upgrade);
    if let Some(backend) = found {
        return Some(Ok(backend));
    }
    let config = Config::load(home).ok()?;
    let cfg = config.etcd.filter(|_| config.store == Backend::Etcd)?;
    Some(EtcdBackend::connect(&cfg, home).map(|b| {
        let b = Arc::new(b);
        register(home, &b);
        b
    }))
}

impl EtcdBackend {
    /// Document `dir/name`, opened; `None` when there is none.
    pub fn read_doc(&self, dir: &str, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        validate_name(name).map_err(StoreError::InvalidName)?;
        let rest = format!("{dir}/{name}");
        self.run(|s| async move {
            let key = s.path(&rest);
            match s.gateway.range(&key, false, true).await?.first() {
                Some(kv) => s.open_value(&key, &kv.value).map(|(_, plain)| Some(plain)),
                None => Ok(None),
            }
        })
    }

    pub fn write_doc(&self, dir: &str, name: &str, plain: &[u8]) -> Result<(), StoreError> {
        self.ensure_key()?;
        validate_name(name).map_err(StoreError::InvalidName)?;
        let (rest, plain) = (format!("{dir}/{name}"), plain.to_vec());
        self.run(|s| async move {
            let key = s.path(&rest);
            let sealed = s.key.seal(&key, &plain, &s.host);
            s.gateway.put(&key, &sealed).await
        })
    }

    pub fn remove_doc(&self, dir: &str, name: &str) -> Result<(), StoreError> {
        self.ensure_key()?;
        validate_name(name).map_err(StoreError::InvalidName)?;
        let rest = format!("{dir}/{name}");
        self.run(|s| async move { s.gateway.delete(&s.path(&rest)).await })
    }

    /// Appends `line` to document `dir/name`, keeping its last `keep`
    /// lines. Hosts append concurrently, so each append is a transaction
    /// on the revision it read, tried again when another host got in first.
    pub fn append_doc_line(
        &self,
        dir: &str,
        name: &str,
        line: &[u8],
        keep: usize,
    ) -> Result<(), StoreError> {
        self.ensure_key()?;
        validate_name(name).map_err(StoreError::InvalidName)?;
        let (rest, line) = (format!("{dir}/{name}"), line.to_vec());
        self.run(|s| async move {
            let key = s.path(&rest);
            for _ in 0..8 {
                let current = s.gateway.range(&key, false, false).await?;
                let (rev, mut lines) = match current.first() {
                    Some(kv) => {
                        let (_, plain) = s.open_value(&key, &kv.value)?;
                        (kv.mod_revision, plain)
                    }
                    None => (0, Vec::new()),
                };
                lines.extend_from_slice(&line);
                lines.push(b'\n');
                let kept = last_lines(&lines, keep);
                let sealed = s.key.seal(&key, &kept, &s.host);
                let (ok, _) = s
                    .gateway
                    .txn(
                        vec![json!({"key": b64(&key), "target": "MOD", "result": "EQUAL", "mod_revision": rev.to_string()})],
                        vec![json!({"request_put": {"key": b64(&key), "value": b64(&sealed)}})],
                        vec![],
                    )
                    .await?;
                if ok {
                    return Ok(());
                }
            }
            Err(StoreError::Etcd(format!(
                "{rest}: too many concurrent appends; this one was dropped"
            )))
        })
    }
}

/// The last `keep` newline-terminated lines of `text`.
fn last_lines(text: &[u8], keep: usize) -> Vec<u8> {
    let lines: Vec<&[u8]> = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut out = Vec::new();
    for l in &lines[lines.len().saturating_sub(keep)..] {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_last_lines_are_kept() {
        assert_eq!(last_lines(b"a\nb\nc\n", 2), b"b\nc\n".to_vec());
        assert_eq!(last_lines(b"a\n", 5), b"a\n".to_vec());
    }
}
