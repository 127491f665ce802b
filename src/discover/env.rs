use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::model::Secret;

/// The part of the process environment discovery looks at: HOME, the
/// working directory (where project MCP configs are searched from) and the
/// variables (tools' override variables such as `CLAUDE_CONFIG_DIR`, and
/// well-known tokens such as `GH_TOKEN`).
///
/// Tests build one by hand so that the real home is never read. Values are
/// held as [`Secret`]s because many of them are API keys; `Debug` shows the
/// names only.
#[derive(Clone)]
pub struct Env {
    home: PathBuf,
    cwd: PathBuf,
    vars: BTreeMap<String, Secret>,
}

impl Env {
    /// HOME, the current directory and every UTF-8 variable of this process.
    pub fn from_process() -> Env {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/"));
        let cwd = std::env::current_dir().unwrap_or_else(|_| home.clone());
        let mut env = Env::new(home, cwd);
        for (k, v) in std::env::vars_os() {
            if let (Ok(k), Ok(v)) = (k.into_string(), v.into_string()) {
                env.vars.insert(k, Secret::new(v));
            }
        }
        env
    }

    /// An environment with only HOME and the working directory, no variables.
    pub fn new(home: impl Into<PathBuf>, cwd: impl Into<PathBuf>) -> Env {
        Env {
            home: home.into(),
            cwd: cwd.into(),
            vars: BTreeMap::new(),
        }
    }

    /// Adds (or replaces) one variable.
    pub fn with_var(mut self, name: &str, value: &str) -> Env {
        self.vars.insert(name.to_string(), Secret::new(value));
        self
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    pub fn cwd(&self) -> &Path {
        &self.cwd
    }

    /// A variable's value; an empty value counts as unset, as most tools
    /// treat it.
    pub fn var(&self, name: &str) -> Option<&Secret> {
        self.vars.get(name).filter(|v| !v.is_empty())
    }

    /// A directory named by an override variable, else `default` under HOME.
    /// A relative value is taken from the working directory, as the tool
    /// itself would.
    pub fn dir_or(&self, var: &str, default: &str) -> PathBuf {
        match self.path_var(var) {
            Some(p) => p,
            None => self.home.join(default),
        }
    }

    /// A path named by a variable, resolved against the working directory
    /// when relative; None when unset.
    pub fn path_var(&self, var: &str) -> Option<PathBuf> {
        self.var(var).map(|v| self.resolve(v.expose()))
    }

    /// `path` as the tools see it: relative to the working directory unless
    /// absolute.
    pub fn resolve(&self, path: &str) -> PathBuf {
        self.cwd.join(path)
    }

    /// `$XDG_CONFIG_HOME`, else `~/.config`.
    pub fn config_home(&self) -> PathBuf {
        self.dir_or("XDG_CONFIG_HOME", ".config")
    }

    /// `path` with the home directory written as `~`, for people.
    pub fn display(&self, path: &Path) -> String {
        match path.strip_prefix(&self.home) {
            Ok(rel) if !self.home.as_os_str().is_empty() => format!("~/{}", rel.display()),
            _ => path.display().to_string(),
        }
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env")
            .field("home", &self.home)
            .field("cwd", &self.cwd)
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .finish()
    }
}
