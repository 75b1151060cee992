//! The relay's view of the database: the events after its checkpoint, and the checkpoint.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use order_core::{EventEnvelope, EventStore};
use order_store::{PostgresStore, SqliteStore, Synchronous};

/// Events the relay has not published yet.
pub struct Pending {
    /// The highest committed position, for the lag.
    pub last_position: u64,
    pub events: Vec<EventEnvelope>,
}

pub trait RelayLog: Send + Sync {
    /// Whether this process holds the database's relay role now (at most one relay
    /// publishes per database). A store with one writing process holds it always.
    fn holds_role(&self) -> anyhow::Result<bool> {
        Ok(true)
    }
    /// The checkpoint `name`: every event up to it was confirmed by the broker.
    fn checkpoint(&self, name: &str) -> anyhow::Result<u64>;
    /// Up to `limit` events after position `after`, in position order.
    fn pending(&self, after: u64, limit: usize) -> anyhow::Result<Pending>;
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
    fn checkpoint(&self, name: &str) -> anyhow::Result<u64> {
        self.with_store(|store| Ok(store.checkpoint(name)?))
    }

    fn pending(&self, after: u64, limit: usize) -> anyhow::Result<Pending> {
        self.with_store(|store| {
            Ok(Pending {
                last_position: store.last_position()?,
                events: store.read_all(after, limit)?,
            })
        })
    }

    fn advance(&self, name: &str, position: u64) -> anyhow::Result<()> {
        self.with_store(|store| Ok(store.advance_checkpoint(name, position)?))
    }
}

/// The advisory-lock key of the relay role: one relay per database, whatever the number of
/// replicas (`hashtext` is not stable across versions, so a fixed key).
const RELAY_LOCK_KEY: i64 = 0x6f72_6465_7273_7231; // "ordersr1"

/// The relay's own PostgreSQL session: it holds the relay role as a session-level advisory
/// lock, so when the process holding it dies (or loses its connection) the lock is released
/// and another replica's relay takes over at its next try.
pub struct PostgresRelayLog {
    url: String,
    state: Mutex<Option<PgSession>>,
}

struct PgSession {
    store: PostgresStore,
    /// The backend holding the lock; a reconnect gets a new one that must win it again.
    locked_by: Option<i32>,
}

impl PostgresRelayLog {
    pub fn new(url: &str) -> Self {
        PostgresRelayLog {
            url: url.to_string(),
            state: Mutex::new(None),
        }
    }

    fn with_session<T>(
        &self,
        work: impl FnOnce(&mut PgSession) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let mut slot = self
            .state
            .lock()
            .map_err(|_| anyhow::anyhow!("relay store lock poisoned"))?;
        if slot.is_none() {
            *slot = Some(PgSession {
                store: PostgresStore::connect(&self.url)?,
                locked_by: None,
            });
        }
        let session = slot.as_mut().expect("connected above");
        let result = work(session);
        if result.is_err() {
            *slot = None;
        }
        result
    }
}

impl RelayLog for PostgresRelayLog {
    fn holds_role(&self) -> anyhow::Result<bool> {
        self.with_session(|session| {
            let backend = session.store.backend_pid()?;
            if session.locked_by == Some(backend) {
                return Ok(true);
            }
            let won = session.store.hold_advisory_lock(RELAY_LOCK_KEY)?;
            session.locked_by = won.then_some(backend);
            Ok(won)
        })
    }

    fn checkpoint(&self, name: &str) -> anyhow::Result<u64> {
        self.with_session(|session| Ok(session.store.checkpoint(name)?))
    }

    fn pending(&self, after: u64, limit: usize) -> anyhow::Result<Pending> {
        self.with_session(|session| {
            Ok(Pending {
                last_position: session.store.last_position()?,
                events: session.store.read_all(after, limit)?,
            })
        })
    }

    fn advance(&self, name: &str, position: u64) -> anyhow::Result<()> {
        self.with_session(|session| Ok(session.store.advance_checkpoint(name, position)?))
    }
}
