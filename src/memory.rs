//! Giving memory back. Reading a large store (10,000 credential files)
//! allocates briefly far more than what is kept; glibc's allocator holds on
//! to the freed pages, so a dashboard or daemon left open for days would
//! keep the peak of its largest reload for ever. After a full reload the
//! free pages are returned to the system.

/// Returns the allocator's free pages to the system (glibc's
/// `malloc_trim`); elsewhere there is nothing to do.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}
