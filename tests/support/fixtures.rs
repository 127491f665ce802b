//! Fixture trees of other tools' files: copied to a temporary HOME, and
//! snapshotted so that a test can prove nothing was written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use assert_cmd::Command;

/// `tests/fixtures/<rel>`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Copies the tree `src` into `dst` (created), files 0600 as the tools
/// write them.
pub fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap().flatten() {
        let to = dst.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).unwrap();
            std::fs::set_permissions(&to, std::os::unix::fs::PermissionsExt::from_mode(0o600))
                .unwrap();
        }
    }
}

/// Every file and directory under `dir`: bytes (empty for a directory)
/// and modification time.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let meta = std::fs::metadata(&d).unwrap();
        out.insert(d.clone(), (Vec::new(), meta.modified().unwrap()));
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let m = std::fs::metadata(&p).unwrap();
                out.insert(
                    p.clone(),
                    (std::fs::read(&p).unwrap(), m.modified().unwrap()),
                );
            }
        }
    }
    out
}

/// gcloud's two databases, with the schema gcloud creates and one account.
/// Built here rather than committed: a binary fixture would hide its
/// content from review. The journal mode is gcloud's default (rollback).
pub fn gcloud_dbs(gcloud_dir: &Path, token: &str, expiry: &str) {
    std::fs::create_dir_all(gcloud_dir).unwrap();
    let at = rusqlite::Connection::open(gcloud_dir.join("access_tokens.db")).unwrap();
    at.execute_batch(
        "CREATE TABLE IF NOT EXISTS \"access_tokens\" (account_id TEXT PRIMARY KEY, access_token TEXT, token_expiry TIMESTAMP, rapt_token TEXT, id_token TEXT);",
    )
    .unwrap();
    at.execute(
        "INSERT INTO access_tokens VALUES (?1, ?2, ?3, NULL, NULL)",
        ("gcloud@example.invalid", token, expiry),
    )
    .unwrap();
    drop(at);
    let cr = rusqlite::Connection::open(gcloud_dir.join("credentials.db")).unwrap();
    cr.execute_batch(
        "CREATE TABLE IF NOT EXISTS \"credentials\" (account_id TEXT PRIMARY KEY, value BLOB);",
    )
    .unwrap();
    cr.execute(
        "INSERT INTO credentials VALUES (?1, ?2)",
        (
            "gcloud@example.invalid",
            r#"{"client_id": "fake.apps.googleusercontent.com", "refresh_token": "1//0FIXTURE-CANARY-gcloud-r", "type": "authorized_user"}"#,
        ),
    )
    .unwrap();
}

/// A temporary HOME holding a copy of `tests/fixtures/discover/home` plus
/// the gcloud databases, and an empty credtop home beside it.
pub struct ToolHome {
    pub dir: tempfile::TempDir,
}

impl ToolHome {
    pub fn new() -> ToolHome {
        Self::from_fixture("discover/home")
    }

    pub fn from_fixture(rel: &str) -> ToolHome {
        let dir = tempfile::tempdir().unwrap();
        let t = ToolHome { dir };
        copy_tree(&fixture(rel), &t.home());
        std::fs::create_dir_all(t.cwd()).unwrap();
        let credtop = t.credtop_home();
        std::fs::create_dir_all(&credtop).unwrap();
        std::fs::set_permissions(
            &credtop,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        t
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// Where credtop runs: an empty project folder outside HOME.
    pub fn cwd(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    pub fn credtop_home(&self) -> PathBuf {
        self.dir.path().join("credtop")
    }

    /// `credtop` with a clean environment: HOME is the fixture tree, no
    /// variable of the runner's own reaches it.
    pub fn credtop(&self) -> Command {
        let mut cmd = Command::cargo_bin("credtop").unwrap();
        cmd.env_clear()
            .env("HOME", self.home())
            .env("PATH", "/usr/bin:/bin")
            .env("CREDTOP_HOME", self.credtop_home())
            .current_dir(self.cwd());
        cmd
    }
}
