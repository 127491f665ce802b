//! Who asked for a secret: the process that started credtop (its parent),
//! read from /proc, so that `secret_read` names the agent, not credtop.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The calling process. `comm` and `cwd` are absent where /proc does not
/// say (another OS, a parent that already exited, or one we may not read).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub pid: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
}

impl Caller {
    /// The parent of this process.
    pub fn parent() -> Caller {
        Caller::of(std::os::unix::process::parent_id())
    }

    /// Process `pid` as /proc describes it: two small reads, no parsing of
    /// `stat` (whose comm field may itself contain spaces and parentheses).
    pub fn of(pid: u32) -> Caller {
        let proc = Path::new("/proc").join(pid.to_string());
        let comm = std::fs::read_to_string(proc.join("comm"))
            .ok()
            .map(|s| s.trim_end_matches('\n').to_string());
        let cwd = std::fs::read_link(proc.join("cwd"))
            .ok()
            .map(|p| p.to_string_lossy().into_owned());
        Caller { pid, comm, cwd }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_described_by_proc() {
        let me = Caller::of(std::process::id());
        assert_eq!(me.pid, std::process::id());
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(me.cwd.as_deref(), Some(cwd.to_str().unwrap()));
        // The kernel truncates comm to 15 bytes.
        let exe = std::env::current_exe().unwrap();
        let name = exe.file_name().unwrap().to_string_lossy();
        let expected: String = name.chars().take(15).collect();
        assert_eq!(me.comm.as_deref(), Some(expected.as_str()));
    }
}
