//! Reading every file of `oauth/` and `keys/`, the dashboard's first frame
//! and `credtop status`: with thousands of credentials the per-file cost
//! is the whole cost, so the folders are listed by name (no path
//! comparisons) and the files read on a few threads at once.

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};

use super::{Listing, Store, StoreError};
use crate::model::Credential;

/// Below this many files one thread reads them all: starting threads
/// would cost more than it saves.
const PARALLEL_FROM: usize = 64;
/// Reading files scales with cores only so far; the rest is the kernel's
/// directory lookups, which more threads would just contend on.
const MAX_THREADS: usize = 4;

/// A listed file, and its folder open (when it could be opened) to open
/// the file in.
struct Listed<'a> {
    dir: Option<&'a File>,
    path: PathBuf,
}

impl Store {
    /// The file store's part of [`Store::list`]: both folders, in name order.
    pub(super) fn list_files(&self, listing: &mut Listing) {
        let paths = ["oauth", "keys"].map(|d| self.home.join(d));
        let opens = paths.each_ref().map(|p| File::open(p).ok());
        let mut files = Vec::new();
        for (path, open) in paths.iter().zip(&opens) {
            match names_in(path) {
                Ok(names) => files.extend(names.iter().map(|n| Listed {
                    dir: open.as_ref(),
                    path: path.join(n),
                })),
                Err(e) => listing.problems.push(StoreError::io(path, e)),
            }
        }
        for read in self.read_all(&files) {
            match read {
                Ok(c) => listing.credentials.push(c),
                Err(e) => listing.problems.push(e),
            }
        }
    }

    /// Each listed file read, in the order given. A keyring store reads one
    /// at a time: its secrets come over one D-Bus session.
    fn read_all(&self, files: &[Listed]) -> Vec<Result<Credential, StoreError>> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_THREADS);
        if self.keyring.is_some() || files.len() < PARALLEL_FROM || threads < 2 {
            return read_part(self, files);
        }
        let chunk = files.len().div_ceil(threads);
        std::thread::scope(|s| {
            let parts: Vec<_> = files
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

fn read_part(store: &Store, files: &[Listed]) -> Vec<Result<Credential, StoreError>> {
    files
        .iter()
        .map(|f| store.read_listed(&f.path, f.dir))
        .collect()
}

/// The entries of `dir` that are not dotfiles (temp files of atomic writes
/// start with '.'), sorted by name: byte order, as the paths would sort.
fn names_in(dir: &Path) -> std::io::Result<Vec<OsString>> {
    let entries = std::fs::read_dir(dir)?;
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
            refresh_expires_at: None,
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
        // Opened in its folder, a link is refused as it is by its path.
        std::os::unix::fs::symlink(keys.join("k0002.json"), keys.join("link.json")).unwrap();
        let mut listing = Listing::default();
        store.list_files(&mut listing);
        let paths: Vec<PathBuf> = names_in(&keys)
            .unwrap()
            .into_iter()
            .map(|n| keys.join(n))
            .collect();
        let one: Vec<_> = paths.iter().map(|p| store.read_listed(p, None)).collect();
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
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(
            problems.iter().any(|p| p.contains("symbolic link")),
            "{problems:?}"
        );
    }
}
