//! Whole logs in and out, and followers: `import` (events as stored, appended), reading
//! events exactly as stored (what `migrate` copies) and named follower checkpoints.

use std::collections::HashMap;

use order_core::{
    place_imported, project, CommandRecord, EventEnvelope, OrderView, StoreError, StoredEvent,
};
use rusqlite::{params, Connection, OptionalExtension};

use super::{
    backend, get_command, get_view, insert_event, last_position, put_command, put_view,
    refuse_known_event_id, row_to_stored, set_checkpoint, stream_version, SqliteStore,
    EVENTS_AFTER_POSITION,
};

impl SqliteStore {
    /// A named follower's checkpoint (the broker relay's): the position up to which it has
    /// handled the log, 0 before it starts.
    pub fn checkpoint(&self, name: &str) -> Result<u64, StoreError> {
        self.conn
            .prepare_cached("SELECT position FROM projection_checkpoints WHERE name = ?1")
            .and_then(|mut s| s.query_row([name], |r| r.get::<_, i64>(0)).optional())
            .map(|p| p.unwrap_or(0) as u64)
            .map_err(backend)
    }

    /// Moves a named checkpoint forward to `position` (never backwards: a follower that
    /// restarts from an older read cannot undo progress).
    pub fn advance_checkpoint(&self, name: &str, position: u64) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO projection_checkpoints (name, position) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET position = MAX(position, excluded.position)",
            )
            .and_then(|mut s| s.execute(params![name, position as i64]))
            .map(|_| ())
            .map_err(backend)
    }

    /// Up to `limit` events with position > `after_position` exactly as stored (payloads
    /// and schema versions as written, not upcast): what `migrate` copies.
    pub fn read_all_stored(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn
            .prepare_cached(EVENTS_AFTER_POSITION)
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![after_position as i64, limit], row_to_stored)
            .map_err(backend)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row.map_err(backend)??);
        }
        Ok(out)
    }

    /// Appends stored events as they are (keeping each payload and schemaVersion, so old
    /// shapes stay old), re-assigning global positions. Each event must continue its stream;
    /// the read model and command records follow. All or nothing. Returns events imported.
    pub fn import(&mut self, events: Vec<StoredEvent>) -> Result<u64, StoreError> {
        self.atomically(|conn| {
            let mut versions: HashMap<String, u64> = HashMap::new();
            let mut views: HashMap<String, Option<OrderView>> = HashMap::new();
            let mut position = last_position(conn)?;
            for stored in &events {
                let version = match versions.get(&stored.stream_id) {
                    Some(v) => *v,
                    None => stream_version(conn, &stored.stream_id)?,
                };
                position += 1;
                let (envelope, raw) = place_imported(stored, version, position)?;
                refuse_known_event_id(conn, &raw)?;
                insert_event(conn, &raw)?;
                if let Some(command_id) = &stored.metadata.command_id {
                    record_imported_command(conn, command_id, &envelope)?;
                }
                let prior = match views.remove(&stored.stream_id) {
                    Some(v) => v,
                    None => get_view(conn, &stored.stream_id)?,
                };
                views.insert(stored.stream_id.clone(), project(prior, &envelope));
                versions.insert(stored.stream_id.clone(), stored.version);
            }
            for view in views.into_values().flatten() {
                put_view(conn, &view)?;
            }
            set_checkpoint(conn, position)?;
            Ok(events.len() as u64)
        })
    }
}

fn record_imported_command(
    conn: &Connection,
    command_id: &str,
    envelope: &EventEnvelope,
) -> Result<(), StoreError> {
    let mut record = get_command(conn, command_id)?.unwrap_or_else(|| CommandRecord {
        command_id: command_id.to_string(),
        order_id: envelope.stream_id.clone(),
        version: 0,
        positions: Vec::new(),
        fingerprint: None,
    });
    record.version = envelope.version;
    record.positions.push(envelope.position);
    put_command(conn, &record)
}
