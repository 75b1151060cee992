//! Row mapping: how each table is read and written (events, read model, checkpoints,
//! command records), shared by the store's commits, queries and imports.

use order_core::{CommandRecord, EventEnvelope, OrderView, StoreError, StoredEvent};
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

use super::compact::{metadata_from, metadata_text, view_columns, view_text, RecordedAt, ViewRow};
use super::{backend, corrupt, timestamp, READ_MODEL};

pub(super) fn stream_version(conn: &Connection, stream_id: &str) -> Result<u64, StoreError> {
    conn.prepare_cached("SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = ?1")
        .and_then(|mut s| s.query_row([stream_id], |r| r.get::<_, i64>(0)))
        .map(|v| v as u64)
        .map_err(backend)
}

/// The stream's version and the id of its last event.
pub(super) fn stream_head(
    conn: &Connection,
    stream_id: &str,
) -> Result<(u64, Option<Uuid>), StoreError> {
    let head = conn
        .prepare_cached(
            "SELECT version, event_id FROM events WHERE stream_id = ?1 ORDER BY version DESC LIMIT 1",
        )
        .and_then(|mut s| {
            s.query_row([stream_id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Value>(1)?)))
                .optional()
        })
        .map_err(backend)?;
    match head {
        None => Ok((0, None)),
        Some((version, id)) => Ok((version as u64, Some(event_id_from(id)?))),
    }
}

/// An `event_id` column: 16 bytes since schema v2, the hyphenated text before.
fn event_id_from(value: Value) -> Result<Uuid, StoreError> {
    match value {
        Value::Blob(bytes) => Uuid::from_slice(&bytes).map_err(corrupt),
        Value::Text(text) => text.parse().map_err(corrupt),
        other => Err(corrupt(format!("event id stored as {other:?}"))),
    }
}

/// Refuses an imported event whose id the file already holds, in either of the id's
/// stored forms: the unique index only compares like with like, and files from before
/// schema v2 hold text ids. (Ids the engine mints are new; only imports bring old ones.)
pub(super) fn refuse_known_event_id(conn: &Connection, e: &StoredEvent) -> Result<(), StoreError> {
    let known = conn
        .prepare_cached("SELECT 1 FROM events WHERE event_id IN (?1, ?2)")
        .and_then(|mut s| {
            s.exists(params![
                e.event_id.as_bytes().as_slice(),
                e.event_id.to_string()
            ])
        })
        .map_err(backend)?;
    if known {
        return Err(already_exists(e));
    }
    Ok(())
}

fn already_exists(e: &StoredEvent) -> StoreError {
    StoreError::Invalid(format!(
        "event {} (stream `{}` version {}) already exists",
        e.event_id, e.stream_id, e.version
    ))
}

pub(super) fn last_position(conn: &Connection) -> Result<u64, StoreError> {
    conn.prepare_cached("SELECT COALESCE(MAX(position), 0) FROM events")
        .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)))
        .map(|v| v as u64)
        .map_err(backend)
}

pub(super) fn insert_event(conn: &Connection, e: &StoredEvent) -> Result<(), StoreError> {
    let data = serde_json::to_string(&e.data).map_err(corrupt)?;
    let metadata = metadata_text(&e.event_id, &e.metadata)?;
    conn.prepare_cached(
        "INSERT INTO events (position, event_id, stream_id, version, type, schema_version, data, metadata, recorded_at, recorded_us)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, '', ?9)",
    )
    .and_then(|mut s| {
        s.execute(params![
            e.position as i64,
            e.event_id.as_bytes().as_slice(),
            e.stream_id,
            e.version as i64,
            e.event_type,
            e.schema_version,
            data,
            metadata,
            e.metadata.recorded_at.timestamp_micros(),
        ])
    })
    .map_err(|err| match err {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            already_exists(e)
        }
        other => backend(other),
    })?;
    Ok(())
}

pub(super) fn row_to_envelope(
    row: &rusqlite::Row<'_>,
) -> rusqlite::Result<Result<EventEnvelope, StoreError>> {
    Ok(row_to_stored(row)?.and_then(|stored| {
        let event_id = stored.event_id;
        stored
            .into_envelope()
            .map_err(|e| corrupt(format!("event {event_id}: {e}")))
    }))
}

/// The row as stored: payload and schema version as written, not upcast.
pub(super) fn row_to_stored(
    row: &rusqlite::Row<'_>,
) -> rusqlite::Result<Result<StoredEvent, StoreError>> {
    let event_id: Value = row.get(1)?;
    let data: String = row.get(6)?;
    let metadata: String = row.get(7)?;
    let recorded = RecordedAt {
        text: row.get(8)?,
        micros: row.get(9)?,
    };
    let build = || -> Result<StoredEvent, StoreError> {
        let event_id = event_id_from(event_id)?;
        Ok(StoredEvent {
            position: row.get::<_, i64>(0).map_err(backend)? as u64,
            event_id,
            stream_id: row.get(2).map_err(backend)?,
            version: row.get::<_, i64>(3).map_err(backend)? as u64,
            event_type: row.get(4).map_err(backend)?,
            schema_version: row.get(5).map_err(backend)?,
            data: serde_json::from_str(&data).map_err(corrupt)?,
            metadata: metadata_from(&metadata, &event_id, &recorded)?,
        })
    };
    Ok(build())
}

/// The columns `row_to_stored` reads, as a literal for `concat!` (see `view_columns!`).
macro_rules! event_columns {
    () => {
        "position, event_id, stream_id, version, type, schema_version, data, metadata, recorded_at, recorded_us"
    };
}
pub(super) use event_columns;

/// Every column of the events after a position, in log order, at most `?2` of them: what
/// `read_all` returns and what a copy of the log reads, in one statement.
pub(super) const EVENTS_AFTER_POSITION: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events WHERE position > ?1 ORDER BY position LIMIT ?2"
);

pub(super) fn query_events(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<EventEnvelope>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let rows = stmt.query_map(params, row_to_envelope).map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row.map_err(backend)??);
    }
    Ok(out)
}

pub(super) fn get_view(conn: &Connection, order_id: &str) -> Result<Option<OrderView>, StoreError> {
    let row = conn
        .prepare_cached(concat!(
            "SELECT ",
            view_columns!(),
            " FROM rm_orders WHERE id = ?1"
        ))
        .and_then(|mut s| s.query_row([order_id], ViewRow::read).optional())
        .map_err(backend)?;
    row.map(ViewRow::into_view).transpose()
}

/// An order's customer and creation time never change, so an update leaves those columns
/// (and their index entry) alone.
pub(super) fn put_view(conn: &Connection, view: &OrderView) -> Result<(), StoreError> {
    let json = view_text(view)?;
    conn.prepare_cached(
        "INSERT INTO rm_orders (id, customer_id, status, total, created_at, version, view)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, total = excluded.total,
           version = excluded.version, view = excluded.view",
    )
    .and_then(|mut s| {
        s.execute(params![
            view.id,
            view.customer_id,
            view.status.as_str(),
            view.total.to_string(),
            timestamp(view.created_at),
            view.version as i64,
            json,
        ])
    })
    .map_err(backend)?;
    Ok(())
}

pub(super) fn set_checkpoint(conn: &Connection, position: u64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE projection_checkpoints SET position = ?2 WHERE name = ?1")
        .and_then(|mut s| s.execute(params![READ_MODEL, position as i64]))
        .map_err(backend)?;
    Ok(())
}

pub(super) fn get_command(
    conn: &Connection,
    command_id: &str,
) -> Result<Option<CommandRecord>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT order_id, version, positions, fingerprint FROM commands WHERE command_id = ?1",
        )
        .and_then(|mut s| {
            s.query_row([command_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })
            .optional()
        })
        .map_err(backend)?;
    row.map(|(order_id, version, positions, fingerprint)| {
        Ok(CommandRecord {
            command_id: command_id.to_string(),
            order_id,
            version: version as u64,
            positions: serde_json::from_str(&positions).map_err(corrupt)?,
            fingerprint,
        })
    })
    .transpose()
}

pub(super) fn put_command(conn: &Connection, record: &CommandRecord) -> Result<(), StoreError> {
    let positions = serde_json::to_string(&record.positions).map_err(corrupt)?;
    conn.prepare_cached(
        "INSERT INTO commands (command_id, order_id, version, positions, fingerprint)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (command_id) DO UPDATE SET version = excluded.version, positions = excluded.positions",
    )
    .and_then(|mut s| {
        s.execute(params![
            record.command_id,
            record.order_id,
            record.version as i64,
            positions,
            record.fingerprint,
        ])
    })
    .map_err(backend)?;
    Ok(())
}
