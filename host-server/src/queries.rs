//! Read access for the HTTP queries: a small, bounded pool of read-only store connections
//! used on tokio's blocking pool, apart from the writer (WAL lets readers run beside it).
//! At most [`MAX_OPEN`] reads run at once; the others wait their turn (the concurrency cap
//! of the HTTP layer bounds how many can wait). Replies to commands go out after their
//! commit, so a read issued afterwards sees the write.

use std::sync::{Arc, Mutex};

use order_core::{EventStore, StoreError};

use crate::error::ApiError;

type Store = Box<dyn EventStore + Send>;
type Opener = Box<dyn Fn() -> Result<Store, StoreError> + Send + Sync>;

/// Idle connections kept for reuse; more are opened under load and closed afterwards.
const MAX_IDLE: usize = 8;
/// Connections open (reads running) at once at most.
pub const MAX_OPEN: usize = 16;

#[derive(Clone)]
pub struct Queries {
    inner: Arc<Pool>,
}

struct Pool {
    open: Opener,
    idle: Mutex<Vec<Store>>,
    running: Arc<tokio::sync::Semaphore>,
}

impl Queries {
    pub fn new(open: impl Fn() -> Result<Store, StoreError> + Send + Sync + 'static) -> Self {
        Queries {
            inner: Arc::new(Pool {
                open: Box::new(open),
                idle: Mutex::new(Vec::new()),
                running: Arc::new(tokio::sync::Semaphore::new(MAX_OPEN)),
            }),
        }
    }

    /// Read-only SQLite connections on `path` (the file must exist: the writer creates it).
    pub fn sqlite(path: std::path::PathBuf) -> Self {
        Queries::new(move || {
            let store = order_store::SqliteStore::open_read_only(&path)?;
            Ok(Box::new(store) as Store)
        })
    }

    /// Runs `read` with a pooled connection on the blocking pool.
    pub async fn run<T, F>(&self, read: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn EventStore) -> Result<T, ApiError> + Send + 'static,
    {
        let pool = Arc::clone(&self.inner);
        let permit = Arc::clone(&pool.running)
            .acquire_owned()
            .await
            .map_err(|_| ApiError::internal("internal_error", "the read pool is closed"))?;
        tokio::task::spawn_blocking(move || {
            let _running = permit;
            let store = pool.checkout()?;
            let result = read(store.as_ref());
            pool.give_back(store);
            result
        })
        .await
        .map_err(|e| ApiError::internal("internal_error", format!("query task failed: {e}")))?
    }
}

impl Drop for Pool {
    /// The pool goes away on an async thread (with the router), and closing a PostgreSQL
    /// client blocks on a runtime of its own, which tokio forbids there: close the idle
    /// connections on a plain thread.
    fn drop(&mut self) {
        let idle = match self.idle.get_mut() {
            Ok(idle) => std::mem::take(idle),
            Err(poisoned) => std::mem::take(poisoned.into_inner()),
        };
        if !idle.is_empty() {
            let _ = std::thread::spawn(move || drop(idle)).join();
        }
    }
}

impl Pool {
    fn checkout(&self) -> Result<Store, ApiError> {
        let pooled = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match pooled {
            Some(store) => Ok(store),
            None => Ok((self.open)()?),
        }
    }

    fn give_back(&self, store: Store) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < MAX_IDLE {
                idle.push(store);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_reads_run_at_once_than_the_pool_allows() {
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let queries = Queries::new(|| Ok(Box::new(order_core::MemoryStore::default()) as Store));
        let reads = (0..5 * MAX_OPEN).map(|_| {
            let (queries, running, most) = (queries.clone(), running.clone(), most.clone());
            tokio::spawn(async move {
                queries
                    .run(move |_| {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                        Ok(())
                    })
                    .await
            })
        });
        for read in reads.collect::<Vec<_>>() {
            read.await.unwrap().unwrap();
        }
        let most = most.load(Ordering::SeqCst);
        assert!(most <= MAX_OPEN && most > 1, "{most} reads ran at once");
    }
}
