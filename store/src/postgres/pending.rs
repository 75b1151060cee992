//! A group-commit batch on PostgreSQL: what the batch knows and what it will write.
//!
//! The batch locks the `$all` row when it opens, so nothing another writer commits can
//! change what it reads until it ends. Stream heads and command records read once stay true
//! for the whole batch, and the batch's own commits only need checking against them and
//! each other. Commits are staged in memory and written together, in one multi-row
//! statement (`sql::FLUSH_BATCH`), just before COMMIT or before a read that must see them.
//! A batch of commands on known orders thus costs four round trips, whatever its size:
//! BEGIN with the lock, one read of every head and command id it names, the writes, COMMIT.

use std::collections::HashMap;

use order_core::{CommandRecord, Commit, OrderView, Snapshot, StoreError, StoredEvent};
use postgres::types::ToSql;
use postgres::Client;
use uuid::Uuid;

use super::connection::{Fail, Statements};
use super::rows;

/// A stream's version and the id of its last event (`0, None`: no such stream).
pub(crate) type Head = (u64, Option<Uuid>);

pub(crate) struct Pending {
    /// The last position assigned: the log head read under the lock, then the batch's own.
    position: u64,
    /// Stream heads as the batch leaves them, read under the lock or written by the batch.
    heads: HashMap<String, Head>,
    /// Command ids looked up under the lock, or recorded by the batch (`None`: not applied).
    commands: HashMap<String, Option<CommandRecord>>,
    staged: Staged,
}

/// Rows written by the batch's commits and not yet sent.
#[derive(Default)]
struct Staged {
    events: Vec<StoredEvent>,
    /// The last view and snapshot per order: one statement cannot write a row twice.
    views: HashMap<String, OrderView>,
    snapshots: HashMap<String, Snapshot>,
    commands: Vec<CommandRecord>,
}

impl Pending {
    pub fn new(position: u64) -> Self {
        Pending {
            position,
            heads: HashMap::new(),
            commands: HashMap::new(),
            staged: Staged::default(),
        }
    }

    pub fn head(&self, stream_id: &str) -> Option<Head> {
        self.heads.get(stream_id).copied()
    }

    pub fn learn_head(&mut self, stream_id: &str, head: Head) {
        self.heads.insert(stream_id.to_string(), head);
    }

    /// `Some(None)`: known not applied; `None`: unknown, ask the database.
    pub fn command(&self, command_id: &str) -> Option<Option<&CommandRecord>> {
        self.commands.get(command_id).map(Option::as_ref)
    }

    pub fn learn_command(&mut self, command_id: &str, record: Option<CommandRecord>) {
        self.commands.insert(command_id.to_string(), record);
    }

    pub fn staged_view(&self, order_id: &str) -> Option<&OrderView> {
        self.staged.views.get(order_id)
    }

    pub fn staged_snapshot(&self, stream_id: &str) -> Option<&Snapshot> {
        self.staged.snapshots.get(stream_id)
    }

    /// Whether a read of `stream_id` after `version` must see staged events first.
    pub fn has_staged_events(&self, stream_id: &str) -> bool {
        self.staged.events.iter().any(|e| e.stream_id == stream_id)
    }

    pub fn is_clean(&self) -> bool {
        let s = &self.staged;
        s.events.is_empty() && s.views.is_empty() && s.snapshots.is_empty() && s.commands.is_empty()
    }

    /// Stages a commit already checked against the batch's head of its stream and its
    /// command id: assigns its positions and returns them. Refuses, before staging anything,
    /// a value the tables cannot hold.
    pub fn stage(&mut self, commit: Commit) -> Result<Vec<u64>, StoreError> {
        for event in &commit.events {
            rows::schema_version(event.event_id, event.event.schema_version())?;
        }
        if let Some(snapshot) = &commit.snapshot {
            rows::snapshot_schema(snapshot)?;
        }
        let positions: Vec<u64> = (1..=commit.events.len() as u64)
            .map(|i| self.position + i)
            .collect();
        for (envelope, position) in commit.events.iter().zip(&positions) {
            let mut event = envelope.to_stored();
            event.position = *position;
            self.heads.insert(
                commit.stream_id.clone(),
                (event.version, Some(event.event_id)),
            );
            self.staged.events.push(event);
        }
        self.position += positions.len() as u64;
        if let Some(view) = commit.view {
            self.staged.views.insert(view.id.clone(), view);
        }
        if let Some(snapshot) = commit.snapshot {
            self.staged
                .snapshots
                .insert(snapshot.stream_id.clone(), snapshot);
        }
        if let Some(mut record) = commit.command {
            record.positions = positions.clone();
            self.commands
                .insert(record.command_id.clone(), Some(record.clone()));
            self.staged.commands.push(record);
        }
        Ok(positions)
    }

    /// Sends every staged row in one statement, with the checkpoint and the `$all` row.
    pub fn flush(&mut self, client: &mut Client, st: &Statements) -> Result<(), Fail> {
        if self.is_clean() {
            return Ok(());
        }
        let staged = std::mem::take(&mut self.staged);
        let events = rows::EventColumns::of(&staged.events)?;
        let mut last_of_stream: HashMap<&str, &StoredEvent> = HashMap::new();
        for event in &staged.events {
            last_of_stream.insert(&event.stream_id, event);
        }
        let heads = HeadColumns::of(last_of_stream.into_values());
        let views = rows::ViewColumns::of(staged.views.values())?;
        let snapshots = SnapshotColumns::of(staged.snapshots.values())?;
        let commands = CommandColumns::of(&staged.commands);
        let position = self.position as i64;
        let mut params: Vec<&(dyn ToSql + Sync)> = events.params();
        params.extend(heads.params());
        params.extend(views.params());
        params.extend(snapshots.params());
        params.extend(commands.params());
        params.push(&position);
        client.execute(&st.flush_batch, &params)?;
        Ok(())
    }
}

struct HeadColumns<'a> {
    streams: Vec<&'a str>,
    versions: Vec<i64>,
    last_events: Vec<Uuid>,
}

impl<'a> HeadColumns<'a> {
    fn of(last_events: impl Iterator<Item = &'a StoredEvent>) -> Self {
        let mut columns = HeadColumns {
            streams: Vec::new(),
            versions: Vec::new(),
            last_events: Vec::new(),
        };
        for event in last_events {
            columns.streams.push(&event.stream_id);
            columns.versions.push(event.version as i64);
            columns.last_events.push(event.event_id);
        }
        columns
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 3] {
        [&self.streams, &self.versions, &self.last_events]
    }
}

struct SnapshotColumns<'a> {
    streams: Vec<&'a str>,
    versions: Vec<i64>,
    schemas: Vec<i32>,
    states: Vec<&'a str>,
}

impl<'a> SnapshotColumns<'a> {
    fn of(snapshots: impl Iterator<Item = &'a Snapshot>) -> Result<Self, StoreError> {
        let mut columns = SnapshotColumns {
            streams: Vec::new(),
            versions: Vec::new(),
            schemas: Vec::new(),
            states: Vec::new(),
        };
        for snapshot in snapshots {
            columns.streams.push(&snapshot.stream_id);
            columns.versions.push(snapshot.version as i64);
            columns.schemas.push(rows::snapshot_schema(snapshot)?);
            columns.states.push(&snapshot.state);
        }
        Ok(columns)
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 4] {
        [&self.streams, &self.versions, &self.schemas, &self.states]
    }
}

/// A commit's positions are consecutive, so each record travels as its first position and
/// a count, and the statement expands them.
struct CommandColumns<'a> {
    ids: Vec<&'a str>,
    orders: Vec<&'a str>,
    versions: Vec<i64>,
    first_positions: Vec<i64>,
    counts: Vec<i64>,
    fingerprints: Vec<Option<&'a str>>,
}

impl<'a> CommandColumns<'a> {
    fn of(records: &'a [CommandRecord]) -> Self {
        CommandColumns {
            ids: records.iter().map(|r| r.command_id.as_str()).collect(),
            orders: records.iter().map(|r| r.order_id.as_str()).collect(),
            versions: records.iter().map(|r| r.version as i64).collect(),
            first_positions: records
                .iter()
                .map(|r| r.positions.first().map_or(0, |p| *p as i64))
                .collect(),
            counts: records.iter().map(|r| r.positions.len() as i64).collect(),
            fingerprints: records.iter().map(|r| r.fingerprint.as_deref()).collect(),
        }
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 6] {
        [
            &self.ids,
            &self.orders,
            &self.versions,
            &self.first_positions,
            &self.counts,
            &self.fingerprints,
        ]
    }
}
