//! The storage port. The engine speaks only this trait; the in-memory store (here) and the
//! SQLite store (crate `order-store`) implement it with the same semantics:
//! - `commit` is atomic: the events, the read-model row, the optional snapshot and the
//!   command record are all written, or nothing is;
//! - a commit whose `expected_version` is not the stream's version fails with
//!   [`StoreError::Concurrency`]; a reused command id fails with
//!   [`StoreError::DuplicateCommand`];
//! - positions are assigned at commit, 1-based and gap-free in commit order.
//!
//! [`BatchStore`] adds group commit: several commits sharing one transaction.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::envelope::{EventEnvelope, StoredEvent};
use crate::snapshot::Snapshot;
use crate::view::OrderView;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("stream `{stream_id}` is at version {actual}, expected {expected}")]
    Concurrency {
        stream_id: String,
        expected: u64,
        actual: u64,
    },
    #[error("command `{0}` was already applied")]
    DuplicateCommand(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("invalid request: {0}")]
    Invalid(String),
    /// Another writer holds the database past the busy timeout: try again shortly.
    #[error("the database is busy: {0}")]
    Busy(String),
    /// The disk or the database's size limit is full: nothing was written.
    #[error("the storage is full: {0}")]
    Full(String),
    /// The database server cannot be reached or dropped the session (a restart, a
    /// failover, the network): nothing was written; try again once it is back.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("storage failure: {0}")]
    Backend(String),
}

/// What an applied command did; kept so a retry with the same id gets the same answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandRecord {
    pub command_id: String,
    pub order_id: String,
    /// Stream version after the command.
    pub version: u64,
    /// Global positions of the events it wrote (empty for a no-op).
    pub positions: Vec<u64>,
    /// The command as canonical JSON, to tell a retry from a different command reusing the
    /// id. `None` for records rebuilt from an imported log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

/// One atomic write.
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    pub stream_id: String,
    pub expected_version: u64,
    /// When set, the id of the stream's event at `expected_version`. Set by an engine that
    /// decided on a state it remembered instead of loading: a group commit rolled back after
    /// the engine saw its write succeed leaves a remembered state whose version can match
    /// the stream's while its events never landed. Ids are never reused, so this proves the
    /// remembered state is the stream's. A mismatch is a `Concurrency` error.
    pub expected_last_event: Option<Uuid>,
    /// Envelopes with versions `expected_version + 1 ..`; positions are assigned by the store.
    pub events: Vec<EventEnvelope>,
    /// The read-model row after these events (`None` leaves it as it is).
    pub view: Option<OrderView>,
    pub snapshot: Option<Snapshot>,
    /// Positions are filled in by the store.
    pub command: Option<CommandRecord>,
}

impl Commit {
    /// The stream must end where the committer expects: at `expected_version`, and with the
    /// event `expected_last_event` when one is named. Stores check this before writing.
    pub fn check_head(&self, version: u64, last_event: Option<Uuid>) -> Result<(), StoreError> {
        let same_event = self
            .expected_last_event
            .is_none_or(|expected| Some(expected) == last_event);
        if version == self.expected_version && same_event {
            return Ok(());
        }
        Err(StoreError::Concurrency {
            stream_id: self.stream_id.clone(),
            expected: self.expected_version,
            actual: version,
        })
    }

    /// Every event belongs to this stream and continues it without a gap. Stores check this
    /// before writing anything.
    pub fn check_sequence(&self) -> Result<(), StoreError> {
        for (i, e) in self.events.iter().enumerate() {
            if e.stream_id != self.stream_id || e.version != self.expected_version + 1 + i as u64 {
                return Err(StoreError::Invalid(format!(
                    "event {} does not follow stream `{}` at version {}",
                    e.event_id, self.stream_id, self.expected_version
                )));
            }
        }
        Ok(())
    }
}

/// One event of an imported log, appended at `position`: it must continue its stream (the
/// stream is at `stream_version`) and decode as today's event. Returns the decoded envelope
/// (for the read model and command records) and the stored form to write as it came,
/// payload and schema version untouched. Every store's `import` places events this way.
pub fn place_imported(
    stored: &StoredEvent,
    stream_version: u64,
    position: u64,
) -> Result<(EventEnvelope, StoredEvent), StoreError> {
    if stored.version != stream_version + 1 {
        return Err(StoreError::Invalid(format!(
            "event {} of stream `{}` has version {}, but the stream is at {stream_version}",
            stored.event_id, stored.stream_id, stored.version
        )));
    }
    let mut envelope = stored
        .clone()
        .into_envelope()
        .map_err(|e| StoreError::Invalid(format!("event {}: {e}", stored.event_id)))?;
    envelope.position = position;
    let mut raw = stored.clone();
    raw.position = position;
    Ok((envelope, raw))
}

/// A page of the read model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderPage {
    pub orders: Vec<OrderView>,
    /// Pass back as `after` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl OrderPage {
    /// Stores fetch one row more than the page holds; that extra row, if present, means
    /// there is a next page, which starts after the last row kept.
    pub fn from_overfetched(mut orders: Vec<OrderView>, limit: usize) -> OrderPage {
        let next_cursor = if orders.len() > limit {
            orders.truncate(limit);
            orders.last().map(|v| v.id.clone())
        } else {
            None
        };
        OrderPage {
            orders,
            next_cursor,
        }
    }
}

pub trait EventStore {
    /// Writes atomically; returns the assigned global positions, in order.
    fn commit(&mut self, commit: Commit) -> Result<Vec<u64>, StoreError>;

    /// The stream's events with version > `after_version`, in order.
    fn read_stream(
        &self,
        stream_id: &str,
        after_version: u64,
    ) -> Result<Vec<EventEnvelope>, StoreError>;

    /// Up to `limit` events with position > `after_position`, in order.
    fn read_all(&self, after_position: u64, limit: usize)
        -> Result<Vec<EventEnvelope>, StoreError>;

    /// The highest committed position (0 when empty).
    fn last_position(&self) -> Result<u64, StoreError>;

    fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError>;

    fn command_record(&self, command_id: &str) -> Result<Option<CommandRecord>, StoreError>;

    fn get_view(&self, order_id: &str) -> Result<Option<OrderView>, StoreError>;

    /// A customer's orders, oldest first (by creation time, then id), after a cursor.
    fn list_views(
        &self,
        customer_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<OrderPage, StoreError>;

    /// Drops every read-model row and the projection checkpoint (before a rebuild).
    fn clear_read_models(&mut self) -> Result<(), StoreError>;

    /// Writes rebuilt read-model rows and the checkpoint they reach, atomically.
    fn save_views(&mut self, views: &[OrderView], checkpoint: u64) -> Result<(), StoreError>;

    /// Position up to which the read model has folded every event.
    fn projection_checkpoint(&self) -> Result<u64, StoreError>;
}

/// A store that can group several commits into one transaction (group commit): the
/// server's writer opens a batch, runs many commands, and acknowledges them only after
/// `finish_batch` returned; a read-model rebuild runs as one batch so that no other writer
/// interleaves with it. Inside a batch each `commit` is atomic on its own (a failed one
/// leaves the others), and nothing is durable or visible to others before `finish_batch`.
pub trait BatchStore: EventStore {
    /// Opens a batch; an error if one is already open.
    fn begin_batch(&mut self) -> Result<(), StoreError>;

    /// Tells the open batch which streams and command ids its commands name, before they
    /// run, so that a store across a network can read them all at once instead of one by
    /// one. A hint: stores that read locally ignore it.
    fn prefetch(&mut self, _streams: &[&str], _command_ids: &[&str]) -> Result<(), StoreError> {
        Ok(())
    }

    /// Commits every commit made since `begin_batch`, or none of them. An error means no
    /// commit of the batch may be reported as applied.
    fn finish_batch(&mut self) -> Result<(), StoreError>;

    /// Drops everything written since `begin_batch` (a no-op when no batch is open). The
    /// in-memory store, with nothing to make durable, keeps its commits: there a batch is
    /// only a grouping.
    fn abort_batch(&mut self);
}
