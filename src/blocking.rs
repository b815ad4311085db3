//! A fixed set of threads for blocking work (database queries, bcrypt).
//!
//! tokio's `spawn_blocking` grows a pool per runtime on demand (we saw 69
//! threads under a 32-connection load, each with its own allocator heap);
//! this one has exactly as many threads as the work can use, and a queue.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::ApiError;

type Job = Box<dyn FnOnce() + Send>;

pub struct WorkerPool {
    jobs: Sender<Job>,
}

impl WorkerPool {
    /// Starts `threads` threads named `name-N`; they stop when the pool is dropped.
    pub fn new(name: &str, threads: usize) -> std::io::Result<Self> {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || {
                    loop {
                        let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
                        match job {
                            // A panicking job fails its own caller only.
                            Ok(job) => drop(catch_unwind(AssertUnwindSafe(job))),
                            Err(_) => return,
                        }
                    }
                })?;
        }
        Ok(Self { jobs })
    }

    /// Runs `work` on one of the pool's threads and awaits its result.
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        // The caller's span (the request's, with its id) goes along, so what
        // the work logs carries the request id.
        let span = tracing::Span::current();
        self.jobs
            .send(Box::new(move || {
                let _entered = span.enter();
                let _ = tx.send(work());
            }))
            .map_err(|_| ApiError::internal("the worker pool has stopped"))?;
        rx.await
            .map_err(|_| ApiError::internal("a blocking task panicked"))
    }
}
