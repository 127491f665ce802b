//! `.credtop.toml`: a project's choice of accounts (`[alias] github =
//! "github-work"`), found from the working directory upward. It counts only
//! once `credtop trust` recorded that file's exact content (its SHA-256) in
//! `$CREDTOP_HOME/trusted.json`, the way direnv and mise treat theirs: a
//! cloned repository must not be able to point an agent at another account.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{StoreError, read_private, write_atomic};

pub const FILE_NAME: &str = ".credtop.toml";
const TRUST_FILE: &str = "trusted.json";

/// A `.credtop.toml` as read now.
#[derive(Debug)]
pub struct ProjectFile {
    pub path: PathBuf,
    text: String,
    hash: String,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Trust {
    Trusted,
    /// Never trusted here.
    Untrusted,
    /// Trusted once, edited since.
    Changed,
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("{}:{line}: malformed .credtop.toml: {reason}", path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("{}:{line}: alias cycle: {}", path.display(), chain.join(" -> "))]
    Cycle {
        path: PathBuf,
        line: usize,
        chain: Vec<String>,
    },
    #[error(
        "{}:{line}: alias {alias:?} names {target:?}, which is not a credential here; `credtop status` lists what there is", path.display()
    )]
    Missing {
        path: PathBuf,
        line: usize,
        alias: String,
        target: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The nearest `.credtop.toml` at `from` or above it.
pub fn find(from: &Path) -> Option<PathBuf> {
    from.ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

impl ProjectFile {
    pub fn read(path: &Path) -> Result<ProjectFile, ProjectError> {
        let path = std::path::absolute(path).map_err(|e| StoreError::io(path, e))?;
        let text = std::fs::read_to_string(&path).map_err(|e| StoreError::io(&path, e))?;
        let hash = Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(ProjectFile { path, text, hash })
    }

    pub fn trust_state(&self, home: &Path) -> Trust {
        match trusted(home).get(&self.key()) {
            Some(h) if *h == self.hash => Trust::Trusted,
            Some(_) => Trust::Changed,
            None => Trust::Untrusted,
        }
    }

    /// Records this exact content as trusted; a malformed file is refused.
    pub fn trust(&self, home: &Path) -> Result<(), ProjectError> {
        self.aliases()?;
        let mut all = trusted(home);
        all.insert(self.key(), self.hash.clone());
        save_trusted(home, &all)
    }

    fn key(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }

    /// The `[alias]` table, each entry with its line.
    pub fn aliases(&self) -> Result<Aliases, ProjectError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Shape {
            #[serde(default)]
            alias: BTreeMap<String, toml::Spanned<String>>,
        }
        let shape: Shape = toml::from_str(&self.text).map_err(|e| ProjectError::Malformed {
            path: self.path.clone(),
            line: e.span().map_or(1, |s| self.line_at(s.start)),
            reason: e.message().to_string(),
        })?;
        let map = shape
            .alias
            .into_iter()
            .map(|(k, v)| {
                let line = self.line_at(v.span().start);
                (k, (v.into_inner(), line))
            })
            .collect();
        Ok(Aliases {
            path: self.path.clone(),
            map,
        })
    }

    fn line_at(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }
}

/// Forgets the trust given to `path`; false when it had none.
pub fn untrust(home: &Path, path: &Path) -> Result<bool, ProjectError> {
    let path = std::path::absolute(path).map_err(|e| StoreError::io(path, e))?;
    let mut all = trusted(home);
    let had = all.remove(path.to_string_lossy().as_ref()).is_some();
    if had {
        save_trusted(home, &all)?;
    }
    Ok(had)
}

/// Path -> SHA-256 of the trusted content. Unreadable is empty: nothing
/// is trusted rather than everything.
fn trusted(home: &Path) -> BTreeMap<String, String> {
    read_private(&home.join(TRUST_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn save_trusted(home: &Path, all: &BTreeMap<String, String>) -> Result<(), ProjectError> {
    let bytes = serde_json::to_vec_pretty(all).expect("a map of strings serializes");
    Ok(write_atomic(&home.join(TRUST_FILE), &bytes)?)
}

/// The aliases of one trusted file.
#[derive(Debug)]
pub struct Aliases {
    pub path: PathBuf,
    /// alias -> (credential, line)
    pub map: BTreeMap<String, (String, usize)>,
}

impl Aliases {
    /// What `name` stands for, following chains; the line of the last hop
    /// when an alias applied. A cycle is an error naming its line.
    pub fn resolve(&self, name: &str) -> Result<Option<(String, usize)>, ProjectError> {
        let mut chain = vec![name.to_string()];
        let mut last = None;
        while let Some((target, line)) = self.map.get(chain.last().expect("never empty")) {
            if chain.contains(target) {
                chain.push(target.clone());
                return Err(ProjectError::Cycle {
                    path: self.path.clone(),
                    line: *line,
                    chain,
                });
            }
            chain.push(target.clone());
            last = Some((target.clone(), *line));
        }
        Ok(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dir: &Path, text: &str) -> ProjectFile {
        let path = dir.join(FILE_NAME);
        std::fs::write(&path, text).unwrap();
        ProjectFile::read(&path).unwrap()
    }

    #[test]
    fn chains_resolve_and_cycles_name_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let f = file(
            dir.path(),
            "[alias]\na = \"b\"\nb = \"c\"\nx = \"y\"\ny = \"x\"\n",
        );
        let aliases = f.aliases().unwrap();
        assert_eq!(aliases.resolve("a").unwrap(), Some(("c".into(), 3)));
        assert_eq!(aliases.resolve("c").unwrap(), None);
        let e = aliases.resolve("x").unwrap_err();
        assert!(matches!(e, ProjectError::Cycle { line: 5, .. }), "{e}");
        assert!(e.to_string().contains("x -> y -> x"), "{e}");
    }

    #[test]
    fn a_malformed_file_names_its_line_and_cannot_be_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let f = file(dir.path(), "[alias]\ngithub = \"work\"\noops = \n");
        let e = f.trust(home.path()).unwrap_err();
        assert!(matches!(e, ProjectError::Malformed { line: 3, .. }), "{e}");
        assert_eq!(f.trust_state(home.path()), Trust::Untrusted);
    }

    #[test]
    fn trust_is_for_one_content_and_untrust_forgets_it() {
        let dir = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let f = file(dir.path(), "[alias]\ngithub = \"work\"\n");
        f.trust(home.path()).unwrap();
        assert_eq!(f.trust_state(home.path()), Trust::Trusted);
        let edited = file(dir.path(), "[alias]\ngithub = \"personal\"\n");
        assert_eq!(edited.trust_state(home.path()), Trust::Changed);
        assert!(untrust(home.path(), &f.path).unwrap());
        assert_eq!(f.trust_state(home.path()), Trust::Untrusted);
        assert!(!untrust(home.path(), &f.path).unwrap());
    }

    #[test]
    fn the_nearest_file_upward_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        file(dir.path(), "");
        assert_eq!(find(&deep), Some(dir.path().join(FILE_NAME)));
    }
}
