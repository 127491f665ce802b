//! Reading every file of `oauth/` and `keys/`, the dashboard's first frame
//! and `credtop status`: with thousands of credentials the per-file cost
//! is the whole cost, so the folders are listed by name (no path
//! comparisons) and the files read on a few threads at once.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::{Listing, Store, StoreError};
use crate::model::Credential;

/// Below this many files one thread reads them all: starting threads
/// would cost more than it saves.
const PARALLEL_FROM: usize = 64;
/// Reading files scales with cores only so far; the rest is the kernel's
/// directory lookups, which more threads would just contend on.
const MAX_THREADS: usize = 4;

impl Store {
    /// The file store's part of [`Store::list`]: both folders, in name order.
    pub(super) fn list_files(&self, listing: &mut Listing) {
        let mut paths = Vec::new();
        for dir in ["oauth", "keys"] {
            let dir = self.home.join(dir);
            match names_in(&dir) {
                Ok(names) => paths.extend(names.into_iter().map(|n| dir.join(n))),
                Err(e) => listing.problems.push(e),
            }
        }
        for read in self.read_all(&paths) {
            match read {
                Ok(c) => listing.credentials.push(c),
                Err(e) => listing.problems.push(e),
            }
        }
    }

    /// Each listed file read, in the order given. A keyring store reads one
    /// at a time: its secrets come over one D-Bus session.
    fn read_all(&self, paths: &[PathBuf]) -> Vec<Result<Credential, StoreError>> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_THREADS);
        if self.keyring.is_some() || paths.len() < PARALLEL_FROM || threads < 2 {
            return paths.iter().map(|p| self.read_listed(p)).collect();
        }
        let chunk = paths.len().div_ceil(threads);
        std::thread::scope(|s| {
            let parts: Vec<_> = paths
                .chunks(chunk)
                .map(|part| s.spawn(move || read_part(self, part)))
                .collect();
            parts
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    }
}

fn read_part(store: &Store, paths: &[PathBuf]) -> Vec<Result<Credential, StoreError>> {
    paths.iter().map(|p| store.read_listed(p)).collect()
}

/// The entries of `dir` that are not dotfiles (temp files of atomic writes
/// start with '.'), sorted by name: byte order, as the paths would sort.
fn names_in(dir: &Path) -> Result<Vec<OsString>, StoreError> {
    let entries = std::fs::read_dir(dir).map_err(|e| StoreError::io(dir, e))?;
    let mut names: Vec<OsString> = entries
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .filter(|n| !n.as_encoded_bytes().starts_with(b"."))
        .collect();
    names.sort_unstable();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, Secret, Source};

    fn key(name: &str) -> Credential {
        Credential {
            name: name.into(),
            kind: Kind::ApiKey,
            provider: "acme".into(),
            account: None,
            scopes: vec![],
            created_at: chrono::Utc::now(),
            expires_at: None,
            secret: Secret::new(format!("secret-{name}")),
            refresh_token: None,
            token_type: None,
            source: Source::Store,
        }
    }

    /// Enough files for the threaded read, with bad ones among them: the
    /// same credentials and the same problems, in order, as one thread.
    #[test]
    fn threaded_read_matches_one_thread() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("home")).unwrap();
        for i in (0..3 * PARALLEL_FROM).rev() {
            store.save(&key(&format!("k{i:04}"))).unwrap();
        }
        let keys = store.home.join("keys");
        std::fs::write(keys.join("k0050.json"), b"{ not json").unwrap();
        std::fs::write(keys.join("notes.txt"), b"x").unwrap();
        std::fs::write(keys.join(".k0001.json.tmp"), b"x").unwrap();
        let mut listing = Listing::default();
        store.list_files(&mut listing);
        let paths: Vec<PathBuf> = names_in(&keys)
            .unwrap()
            .into_iter()
            .map(|n| keys.join(n))
            .collect();
        let one: Vec<_> = paths.iter().map(|p| store.read_listed(p)).collect();
        let names: Vec<String> = listing.credentials.iter().map(|c| c.name.clone()).collect();
        let one_names: Vec<String> = one.iter().flatten().map(|c| c.name.clone()).collect();
        assert_eq!(names, one_names);
        assert_eq!(names.len(), 3 * PARALLEL_FROM - 1);
        assert!(names.windows(2).all(|w| w[0] < w[1]), "in name order");
        let problems: Vec<String> = listing.problems.iter().map(|e| e.to_string()).collect();
        let one_problems: Vec<String> = one
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(|e| e.to_string())
            .collect();
        assert_eq!(problems, one_problems);
        assert_eq!(problems.len(), 2, "{problems:?}");
    }
}
