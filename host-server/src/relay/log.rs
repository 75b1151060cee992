//! The relay's view of the database: the events after its checkpoint, and the checkpoint.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use order_core::{EventEnvelope, EventStore};
use order_store::{SqliteStore, Synchronous};

/// Events the relay has not published yet.
pub struct Pending {
    pub checkpoint: u64,
    pub last_position: u64,
    pub events: Vec<EventEnvelope>,
}

pub trait RelayLog: Send + Sync {
    /// Up to `limit` events after the checkpoint `name`, in position order.
    fn pending(&self, name: &str, limit: usize) -> anyhow::Result<Pending>;
    /// Records that every event up to `position` was confirmed by the broker.
    fn advance(&self, name: &str, position: u64) -> anyhow::Result<()>;
}

/// The relay's own connection to the SQLite file (opened on first use, again after an
/// error, so a database that was unreachable for a while is picked up again).
pub struct SqliteRelayLog {
    path: PathBuf,
    store: Mutex<Option<SqliteStore>>,
}

impl SqliteRelayLog {
    pub fn new(path: &Path) -> Self {
        SqliteRelayLog {
            path: path.to_path_buf(),
            store: Mutex::new(None),
        }
    }

    fn with_store<T>(
        &self,
        work: impl FnOnce(&SqliteStore) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let mut slot = self
            .store
            .lock()
            .map_err(|_| anyhow::anyhow!("relay store lock poisoned"))?;
        if slot.is_none() {
            *slot = Some(SqliteStore::open(&self.path, Synchronous::Full)?);
        }
        let store = slot.as_ref().expect("opened above");
        let result = work(store);
        if result.is_err() {
            *slot = None;
        }
        result
    }
}

impl RelayLog for SqliteRelayLog {
    fn pending(&self, name: &str, limit: usize) -> anyhow::Result<Pending> {
        self.with_store(|store| {
            let checkpoint = store.checkpoint(name)?;
            let last_position = store.last_position()?;
            let events = store.read_all(checkpoint, limit)?;
            Ok(Pending {
                checkpoint,
                last_position,
                events,
            })
        })
    }

    fn advance(&self, name: &str, position: u64) -> anyhow::Result<()> {
        self.with_store(|store| Ok(store.advance_checkpoint(name, position)?))
    }
}
