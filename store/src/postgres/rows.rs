//! Rows to values and back: one function per statement of `sql.rs`, shared by commits,
//! imports and reads.

use chrono::{DateTime, SecondsFormat, Utc};
use order_core::{CommandRecord, EventEnvelope, OrderView, Snapshot, StoreError, StoredEvent};
use postgres::error::SqlState;
use postgres::{Client, Row};
use uuid::Uuid;

use super::connection::{Fail, Statements};

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// Fixed-width RFC 3339 (as the SQLite store writes it), so text order is time order.
fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A unique violation of `constraint` becomes the store error it means; anything else stays.
pub(crate) fn unique_violation_as(
    fail: Fail,
    constraint: &str,
    meaning: impl FnOnce() -> StoreError,
) -> Fail {
    match &fail {
        Fail::Pg(e)
            if e.code() == Some(&SqlState::UNIQUE_VIOLATION)
                && e.as_db_error().and_then(|db| db.constraint()) == Some(constraint) =>
        {
            Fail::Store(meaning())
        }
        _ => fail,
    }
}

/// The stream's version and the id of its last event (`0, None` for a new stream).
pub(crate) fn stream_head(
    client: &mut Client,
    st: &Statements,
    stream_id: &str,
) -> Result<(u64, Option<Uuid>), Fail> {
    Ok(match client.query_opt(&st.stream_head, &[&stream_id])? {
        Some(row) => (
            row.try_get::<_, i64>(0)? as u64,
            Some(row.try_get::<_, Uuid>(1)?),
        ),
        None => (0, None),
    })
}

pub(crate) fn put_stream_head(
    client: &mut Client,
    st: &Statements,
    stream_id: &str,
    version: u64,
    last_event: Uuid,
) -> Result<(), Fail> {
    client.execute(
        &st.put_stream_head,
        &[&stream_id, &(version as i64), &last_event],
    )?;
    Ok(())
}

/// Inserts events (positions already assigned) with one statement.
pub(crate) fn insert_events(
    client: &mut Client,
    st: &Statements,
    events: &[StoredEvent],
) -> Result<(), Fail> {
    let mut positions = Vec::with_capacity(events.len());
    let mut ids = Vec::with_capacity(events.len());
    let mut streams = Vec::with_capacity(events.len());
    let mut versions = Vec::with_capacity(events.len());
    let mut types = Vec::with_capacity(events.len());
    let mut schemas = Vec::with_capacity(events.len());
    let mut data = Vec::with_capacity(events.len());
    let mut metadata = Vec::with_capacity(events.len());
    let mut recorded = Vec::with_capacity(events.len());
    for e in events {
        positions.push(e.position as i64);
        ids.push(e.event_id);
        streams.push(e.stream_id.as_str());
        versions.push(e.version as i64);
        types.push(e.event_type.as_str());
        schemas.push(i32::try_from(e.schema_version).map_err(|_| {
            StoreError::Invalid(format!(
                "event {} has schema version {}, beyond what the store keeps",
                e.event_id, e.schema_version
            ))
        })?);
        data.push(serde_json::to_string(&e.data).map_err(corrupt)?);
        metadata.push(serde_json::to_string(&e.metadata).map_err(corrupt)?);
        recorded.push(timestamp(e.metadata.recorded_at));
    }
    client
        .execute(
            &st.insert_events,
            &[
                &positions, &ids, &streams, &versions, &types, &schemas, &data, &metadata,
                &recorded,
            ],
        )
        .map_err(|e| {
            unique_violation_as(Fail::Pg(e), "events_event_id_key", || {
                StoreError::Invalid(format!(
                    "an event id of stream `{}` is already in the log",
                    events.first().map_or("", |e| e.stream_id.as_str())
                ))
            })
        })?;
    Ok(())
}

/// A row of `position, event_id, stream_id, version, type, schema_version, data, metadata`,
/// upcast to today's event.
pub(crate) fn envelope(row: &Row) -> Result<EventEnvelope, Fail> {
    let stored = stored(row)?;
    let event_id = stored.event_id;
    Ok(stored
        .into_envelope()
        .map_err(|e| corrupt(format!("event {event_id}: {e}")))?)
}

/// The same row as stored: payload and schema version as written, not upcast.
pub(crate) fn stored(row: &Row) -> Result<StoredEvent, Fail> {
    let event_id: Uuid = row.try_get(1)?;
    let data: String = row.try_get(6)?;
    let metadata: String = row.try_get(7)?;
    Ok(StoredEvent {
        position: row.try_get::<_, i64>(0)? as u64,
        event_id,
        stream_id: row.try_get(2)?,
        version: row.try_get::<_, i64>(3)? as u64,
        event_type: row.try_get(4)?,
        schema_version: row.try_get::<_, i32>(5)? as u32,
        data: serde_json::from_str(&data).map_err(corrupt)?,
        metadata: serde_json::from_str(&metadata).map_err(corrupt)?,
    })
}

pub(crate) fn view_json(text: &str) -> Result<OrderView, Fail> {
    Ok(serde_json::from_str(text).map_err(corrupt)?)
}

pub(crate) fn get_view(
    client: &mut Client,
    st: &Statements,
    order_id: &str,
) -> Result<Option<OrderView>, Fail> {
    client
        .query_opt(&st.get_view, &[&order_id])?
        .map(|row| view_json(&row.try_get::<_, String>(0)?))
        .transpose()
}

pub(crate) fn put_view(client: &mut Client, st: &Statements, view: &OrderView) -> Result<(), Fail> {
    let json = serde_json::to_string(view).map_err(corrupt)?;
    client.execute(
        &st.put_view,
        &[
            &view.id,
            &view.customer_id,
            &view.status.as_str(),
            &view.total.to_string(),
            &timestamp(view.created_at),
            &(view.version as i64),
            &json,
        ],
    )?;
    Ok(())
}

pub(crate) fn set_checkpoint(
    client: &mut Client,
    st: &Statements,
    name: &str,
    position: u64,
) -> Result<(), Fail> {
    client.execute(&st.set_checkpoint, &[&name, &(position as i64)])?;
    Ok(())
}

pub(crate) fn get_snapshot(
    client: &mut Client,
    st: &Statements,
    stream_id: &str,
) -> Result<Option<Snapshot>, Fail> {
    client
        .query_opt(&st.get_snapshot, &[&stream_id])?
        .map(|row| -> Result<Snapshot, Fail> {
            Ok(Snapshot {
                stream_id: stream_id.to_string(),
                version: row.try_get::<_, i64>(0)? as u64,
                state_schema_version: row.try_get::<_, i32>(1)? as u32,
                state: row.try_get(2)?,
            })
        })
        .transpose()
}

pub(crate) fn put_snapshot(
    client: &mut Client,
    st: &Statements,
    snapshot: &Snapshot,
) -> Result<(), Fail> {
    let schema = i32::try_from(snapshot.state_schema_version)
        .map_err(|_| StoreError::Invalid("snapshot state schema version out of range".into()))?;
    client.execute(
        &st.put_snapshot,
        &[
            &snapshot.stream_id,
            &(snapshot.version as i64),
            &schema,
            &snapshot.state,
        ],
    )?;
    Ok(())
}

pub(crate) fn get_command(
    client: &mut Client,
    st: &Statements,
    command_id: &str,
) -> Result<Option<CommandRecord>, Fail> {
    client
        .query_opt(&st.get_command, &[&command_id])?
        .map(|row| -> Result<CommandRecord, Fail> {
            Ok(CommandRecord {
                command_id: command_id.to_string(),
                order_id: row.try_get(0)?,
                version: row.try_get::<_, i64>(1)? as u64,
                positions: row
                    .try_get::<_, Vec<i64>>(2)?
                    .into_iter()
                    .map(|p| p as u64)
                    .collect(),
                fingerprint: row.try_get(3)?,
            })
        })
        .transpose()
}

/// `replace`: extend a record already there (import) instead of refusing the id.
pub(crate) fn put_command(
    client: &mut Client,
    st: &Statements,
    record: &CommandRecord,
    replace: bool,
) -> Result<(), Fail> {
    let positions: Vec<i64> = record.positions.iter().map(|p| *p as i64).collect();
    let statement = if replace {
        &st.upsert_command
    } else {
        &st.insert_command
    };
    client.execute(
        statement,
        &[
            &record.command_id,
            &record.order_id,
            &(record.version as i64),
            &positions,
            &record.fingerprint,
        ],
    )?;
    Ok(())
}
