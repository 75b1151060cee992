//! One store type for the engine whichever backend the caller chose, so `OrderService` holds a
//! single `Engine` type: the core's in-memory store or the shared SQLite store.

use order_core::{
    BatchStore, CommandRecord, Commit, EventEnvelope, EventStore, MemoryStore, OrderPage,
    OrderView, Snapshot, StoreError, StoredEvent,
};
use order_store::SqliteStore;

pub enum AnyStore {
    Memory(MemoryStore),
    Sqlite(SqliteStore),
}

impl AnyStore {
    /// Opens the transaction one command runs in; `false` when the backend needs none
    /// (memory). On SQLite this is the store's batch, holding this single command.
    pub fn begin_command(&mut self) -> Result<bool, StoreError> {
        match self {
            AnyStore::Memory(_) => Ok(false),
            AnyStore::Sqlite(s) => s.begin_batch().map(|()| true),
        }
    }

    /// Commits it: nothing the command wrote is durable, or acknowledged, before this.
    pub fn finish_command(&mut self) -> Result<(), StoreError> {
        match self {
            AnyStore::Memory(_) => Ok(()),
            AnyStore::Sqlite(s) => s.finish_batch(),
        }
    }

    /// Appends stored events (e.g. another store's export) as they are, re-assigning global
    /// positions; each must continue its stream. All or nothing. Returns events imported.
    pub fn import(&mut self, events: Vec<StoredEvent>) -> Result<u64, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.import(events),
            AnyStore::Memory(m) => {
                // The in-memory store is rebuilt from a whole log; merging into a live one
                // would drop its snapshots and command fingerprints, so only an empty one.
                if m.last_position()? != 0 {
                    return Err(StoreError::Invalid(
                        "an in-memory OrderService imports only while empty".into(),
                    ));
                }
                let count = events.len() as u64;
                let mut log = Vec::with_capacity(events.len());
                for (index, stored) in events.into_iter().enumerate() {
                    let event_id = stored.event_id;
                    let mut envelope = stored
                        .into_envelope()
                        .map_err(|e| StoreError::Invalid(format!("event {event_id}: {e}")))?;
                    envelope.position = index as u64 + 1;
                    log.push(envelope);
                }
                *m = MemoryStore::from_events(log)?;
                Ok(count)
            }
        }
    }

    pub fn abort_command(&mut self) {
        if let AnyStore::Sqlite(s) = self {
            s.abort_batch();
        }
    }
}

macro_rules! delegate {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            AnyStore::Memory($store) => $call,
            AnyStore::Sqlite($store) => $call,
        }
    };
}

impl EventStore for AnyStore {
    fn commit(&mut self, commit: Commit) -> Result<Vec<u64>, StoreError> {
        delegate!(self, s => s.commit(commit))
    }

    fn read_stream(
        &self,
        stream_id: &str,
        after_version: u64,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        delegate!(self, s => s.read_stream(stream_id, after_version))
    }

    fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        delegate!(self, s => s.read_all(after_position, limit))
    }

    fn last_position(&self) -> Result<u64, StoreError> {
        delegate!(self, s => s.last_position())
    }

    fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        delegate!(self, s => s.load_snapshot(stream_id))
    }

    fn command_record(&self, command_id: &str) -> Result<Option<CommandRecord>, StoreError> {
        delegate!(self, s => s.command_record(command_id))
    }

    fn get_view(&self, order_id: &str) -> Result<Option<OrderView>, StoreError> {
        delegate!(self, s => s.get_view(order_id))
    }

    fn list_views(
        &self,
        customer_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<OrderPage, StoreError> {
        delegate!(self, s => s.list_views(customer_id, after, limit))
    }

    fn clear_read_models(&mut self) -> Result<(), StoreError> {
        delegate!(self, s => s.clear_read_models())
    }

    fn save_views(&mut self, views: &[OrderView], checkpoint: u64) -> Result<(), StoreError> {
        delegate!(self, s => s.save_views(views, checkpoint))
    }

    fn projection_checkpoint(&self) -> Result<u64, StoreError> {
        delegate!(self, s => s.projection_checkpoint())
    }
}
