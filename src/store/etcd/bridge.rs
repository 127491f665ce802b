//! The store's interface is synchronous (files, flock, the keyring), and its
//! callers run both inside and outside tokio runtimes. The etcd backend
//! therefore owns a small runtime on its own thread and waits for its
//! futures on a plain channel: that works from any thread, never nests a
//! runtime, and leaves room for the lease keep-alives to run in between.

use std::future::Future;

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

pub(super) struct Bridge {
    rt: Option<Runtime>,
}

impl Bridge {
    pub fn new() -> Bridge {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("credtop-etcd")
            .enable_all()
            .build()
            .expect("the etcd runtime starts");
        Bridge { rt: Some(rt) }
    }

    fn rt(&self) -> &Runtime {
        self.rt.as_ref().expect("runtime lives until drop")
    }

    /// Runs `fut` on the etcd thread and waits for its result.
    pub fn run<T: Send + 'static>(&self, fut: impl Future<Output = T> + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.rt().spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv()
            .expect("the etcd runtime finishes what it started")
    }

    pub fn spawn<F>(&self, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.rt().spawn(fut)
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        // A runtime dropped inside another runtime's thread panics; one shut
        // down in the background does not.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}
