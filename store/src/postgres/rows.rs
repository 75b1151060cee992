//! Rows to values and back: one function per statement of `sql.rs`, shared by commits,
//! imports and reads.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use order_core::{CommandRecord, EventEnvelope, OrderView, Snapshot, StoreError, StoredEvent};
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, Row};
use uuid::Uuid;

use super::connection::{Fail, Statements};
use super::pending::Head;

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

/// An event's schema version as the column holds it.
pub(crate) fn schema_version(event_id: Uuid, version: u32) -> Result<i32, StoreError> {
    i32::try_from(version).map_err(|_| {
        StoreError::Invalid(format!(
            "event {event_id} has schema version {version}, beyond what the store keeps"
        ))
    })
}

/// A snapshot's state schema version as the column holds it.
pub(crate) fn snapshot_schema(snapshot: &Snapshot) -> Result<i32, StoreError> {
    i32::try_from(snapshot.state_schema_version)
        .map_err(|_| StoreError::Invalid("snapshot state schema version out of range".into()))
}

/// Events as the columns of one multi-row insert (`UNNEST` of one array per column).
pub(crate) struct EventColumns<'a> {
    positions: Vec<i64>,
    ids: Vec<Uuid>,
    streams: Vec<&'a str>,
    versions: Vec<i64>,
    types: Vec<&'a str>,
    schemas: Vec<i32>,
    data: Vec<String>,
    metadata: Vec<String>,
    recorded: Vec<String>,
}

impl<'a> EventColumns<'a> {
    pub fn of(events: &'a [StoredEvent]) -> Result<Self, StoreError> {
        let mut columns = EventColumns {
            positions: Vec::with_capacity(events.len()),
            ids: Vec::with_capacity(events.len()),
            streams: Vec::with_capacity(events.len()),
            versions: Vec::with_capacity(events.len()),
            types: Vec::with_capacity(events.len()),
            schemas: Vec::with_capacity(events.len()),
            data: Vec::with_capacity(events.len()),
            metadata: Vec::with_capacity(events.len()),
            recorded: Vec::with_capacity(events.len()),
        };
        for e in events {
            columns.positions.push(e.position as i64);
            columns.ids.push(e.event_id);
            columns.streams.push(e.stream_id.as_str());
            columns.versions.push(e.version as i64);
            columns.types.push(e.event_type.as_str());
            columns
                .schemas
                .push(schema_version(e.event_id, e.schema_version)?);
            columns
                .data
                .push(serde_json::to_string(&e.data).map_err(corrupt)?);
            columns
                .metadata
                .push(serde_json::to_string(&e.metadata).map_err(corrupt)?);
            columns.recorded.push(timestamp(e.metadata.recorded_at));
        }
        Ok(columns)
    }

    pub fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        vec![
            &self.positions,
            &self.ids,
            &self.streams,
            &self.versions,
            &self.types,
            &self.schemas,
            &self.data,
            &self.metadata,
            &self.recorded,
        ]
    }
}

/// Inserts events (positions already assigned) with one statement.
pub(crate) fn insert_events(
    client: &mut Client,
    st: &Statements,
    events: &[StoredEvent],
) -> Result<(), Fail> {
    let columns = EventColumns::of(events)?;
    client
        .execute(&st.insert_events, &columns.params())
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

/// A stream's events after `after_version`, upcast to today's events.
pub(crate) fn read_stream(
    client: &mut Client,
    st: &Statements,
    stream_id: &str,
    after_version: u64,
) -> Result<Vec<EventEnvelope>, Fail> {
    let found = client.query(&st.read_stream, &[&stream_id, &(after_version as i64)])?;
    found.iter().map(envelope).collect()
}

/// The heads of those of `streams` that exist and the records of those of `command_ids`
/// that were applied, in one round trip (`sql::PREFETCH`).
#[allow(clippy::type_complexity)]
pub(crate) fn prefetch(
    client: &mut Client,
    st: &Statements,
    streams: &[&str],
    command_ids: &[&str],
) -> Result<(HashMap<String, Head>, HashMap<String, CommandRecord>), Fail> {
    let mut heads = HashMap::new();
    let mut records = HashMap::new();
    let found = if command_ids.is_empty() {
        client.query(&st.prefetch_heads, &[&streams])?
    } else {
        client.query(&st.prefetch, &[&streams, &command_ids])?
    };
    for row in found {
        let key: String = row.try_get(1)?;
        let version = row.try_get::<_, i64>(2)? as u64;
        if row.try_get::<_, &str>(0)? == "s" {
            heads.insert(key, (version, Some(row.try_get::<_, Uuid>(3)?)));
        } else {
            let record = CommandRecord {
                command_id: key.clone(),
                order_id: row.try_get(4)?,
                version,
                positions: positions(row.try_get(5)?),
                fingerprint: row.try_get(6)?,
            };
            records.insert(key, record);
        }
    }
    Ok((heads, records))
}

fn positions(column: Vec<i64>) -> Vec<u64> {
    column.into_iter().map(|p| p as u64).collect()
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

/// Read-model rows as the columns of one multi-row upsert.
pub(crate) struct ViewColumns<'a> {
    ids: Vec<&'a str>,
    customers: Vec<&'a str>,
    statuses: Vec<&'static str>,
    totals: Vec<String>,
    created: Vec<String>,
    versions: Vec<i64>,
    json: Vec<String>,
}

impl<'a> ViewColumns<'a> {
    pub fn of(views: impl Iterator<Item = &'a OrderView>) -> Result<Self, StoreError> {
        let mut columns = ViewColumns {
            ids: Vec::new(),
            customers: Vec::new(),
            statuses: Vec::new(),
            totals: Vec::new(),
            created: Vec::new(),
            versions: Vec::new(),
            json: Vec::new(),
        };
        for view in views {
            columns.ids.push(&view.id);
            columns.customers.push(&view.customer_id);
            columns.statuses.push(view.status.as_str());
            columns.totals.push(view.total.to_string());
            columns.created.push(timestamp(view.created_at));
            columns.versions.push(view.version as i64);
            columns
                .json
                .push(serde_json::to_string(view).map_err(corrupt)?);
        }
        Ok(columns)
    }

    pub fn params(&self) -> [&(dyn ToSql + Sync); 7] {
        [
            &self.ids,
            &self.customers,
            &self.statuses,
            &self.totals,
            &self.created,
            &self.versions,
            &self.json,
        ]
    }
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
                positions: positions(row.try_get(2)?),
                fingerprint: row.try_get(3)?,
            })
        })
        .transpose()
}

/// Import rebuilds command records event by event: extends a record already there.
pub(crate) fn upsert_command(
    client: &mut Client,
    st: &Statements,
    record: &CommandRecord,
) -> Result<(), Fail> {
    let positions: Vec<i64> = record.positions.iter().map(|p| *p as i64).collect();
    client.execute(
        &st.upsert_command,
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
