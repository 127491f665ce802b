//! What a long-lived credtop process (the daemon, the dashboard) does to
//! itself: it holds every secret of the home in memory for hours.

/// Marks this process not dumpable (`prctl(PR_SET_DUMPABLE, 0)`): no core
/// file with the secrets in it, and the same user's other processes (a
/// debugger, a compromised tool) can no longer ptrace-attach or read
/// `/proc/<pid>/mem` and `environ`. Returns the flag as read back.
pub fn make_undumpable() -> bool {
    // SAFETY: prctl with PR_SET_DUMPABLE / PR_GET_DUMPABLE takes plain
    // integers and touches no memory of ours.
    let dumpable = unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0)
    };
    tracing::info!(dumpable, "process made undumpable");
    dumpable == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_flag_reads_back_as_zero() {
        // Test threads share the process: the flag stays set for the rest
        // of this test binary, which is harmless (no test needs a core).
        assert!(super::make_undumpable());
    }
}
