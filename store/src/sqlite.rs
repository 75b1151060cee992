//! `SqliteStore`: the `EventStore` port on one SQLite file (WAL). Every commit is one
//! transaction (or one savepoint inside a group-commit batch) holding the events, the
//! read-model row, the projection checkpoint, the snapshot and the command record.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use order_core::{
    project, BatchStore, CommandRecord, Commit, EventEnvelope, EventStore, OrderPage, OrderView,
    Snapshot, StoreError, StoredEvent,
};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use uuid::Uuid;

use crate::schema::migrate;

/// How hard SQLite works to make a commit durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// fsync on every commit: an acknowledged command survives power loss. The default.
    #[default]
    Full,
    /// WAL checkpoints fsync, commits do not: a power loss may drop the last commits (never
    /// corrupts). Faster; an explicit choice.
    Normal,
}

impl std::str::FromStr for Synchronous {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "full" => Ok(Synchronous::Full),
            "normal" => Ok(Synchronous::Normal),
            other => Err(format!(
                "synchronous must be `full` or `normal`, not `{other}`"
            )),
        }
    }
}

const READ_MODEL: &str = "rm_orders";

/// Bytes per database page. A command dirties about seven pages (event row, its two unique
/// indexes, the read-model row, the checkpoint, ...) and the WAL writes and checksums each
/// whole page, so smaller pages make small commits cheaper (measured: 4096 -> 2048 bytes,
/// about 15% more commands/s at synchronous=NORMAL; 1024 was no better).
const PAGE_SIZE: u32 = 2048;

pub struct SqliteStore {
    conn: Connection,
    in_batch: bool,
}

/// The error for a batch whose transaction SQLite already rolled back.
fn batch_rolled_back() -> StoreError {
    StoreError::Backend(
        "the batch transaction was rolled back by SQLite after an earlier failure; \
         nothing of the batch was written"
            .into(),
    )
}

/// SQLite's error as the port's: a lock held by another writer and a full disk are told
/// apart (the first is retried shortly, the second needs space), the rest is a failure.
pub(crate) fn backend(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::Busy(e.to_string())
        }
        Some(ErrorCode::DiskFull) => StoreError::Full(e.to_string()),
        _ => StoreError::Backend(e.to_string()),
    }
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// Fixed-width RFC 3339, so text order is time order in SQL.
pub(crate) fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl SqliteStore {
    /// Opens (creating if needed) a store file and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>, synchronous: Synchronous) -> Result<Self, StoreError> {
        let path = path.as_ref();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Backend(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let mut conn = Connection::open(path).map_err(backend)?;
        configure(&conn, synchronous).map_err(backend)?;
        migrate(&mut conn)
            .map_err(backend)?
            .map_err(StoreError::Backend)?;
        Ok(SqliteStore {
            conn,
            in_batch: false,
        })
    }

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

    /// How long a write waits for another connection's lock before it fails with
    /// [`StoreError::Busy`] (10 s by default).
    pub fn set_busy_timeout(&self, timeout: Duration) -> Result<(), StoreError> {
        self.conn.busy_timeout(timeout).map_err(backend)
    }

    /// Opens an existing, migrated store for reading only (a server's query connections).
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(backend)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(backend)?;
        Ok(SqliteStore {
            conn,
            in_batch: false,
        })
    }

    /// An in-memory database with the same schema (tests).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let mut conn = Connection::open_in_memory().map_err(backend)?;
        migrate(&mut conn)
            .map_err(backend)?
            .map_err(StoreError::Backend)?;
        Ok(SqliteStore {
            conn,
            in_batch: false,
        })
    }

    /// Starts a group commit: until `finish_batch`, every `commit` is a savepoint inside one
    /// transaction, so many commands share one fsync. A failed command rolls back its own
    /// savepoint only.
    pub fn begin_batch(&mut self) -> Result<(), StoreError> {
        if self.in_batch {
            return Err(StoreError::Invalid("a batch is already open".into()));
        }
        run(&self.conn, "BEGIN IMMEDIATE")?;
        self.in_batch = true;
        Ok(())
    }

    /// Commits the batch. Nothing in it is durable (or acknowledged) before this returns.
    pub fn finish_batch(&mut self) -> Result<(), StoreError> {
        if !self.in_batch {
            return Err(StoreError::Invalid("no batch is open".into()));
        }
        self.in_batch = false;
        if self.conn.is_autocommit() {
            return Err(batch_rolled_back());
        }
        if let Err(e) = run(&self.conn, "COMMIT") {
            if !self.conn.is_autocommit() {
                let _ = run(&self.conn, "ROLLBACK");
            }
            return Err(e);
        }
        Ok(())
    }

    /// Drops everything written since `begin_batch`.
    pub fn abort_batch(&mut self) {
        if self.in_batch {
            self.in_batch = false;
            if !self.conn.is_autocommit() {
                let _ = run(&self.conn, "ROLLBACK");
            }
        }
    }

    /// Runs `work` atomically: its own transaction, or a savepoint inside an open batch.
    ///
    /// SQLite may roll a whole transaction back by itself (SQLITE_FULL, IOERR, NOMEM). A
    /// savepoint opened after that would start a fresh autocommit transaction and commit on
    /// release, so a batch whose transaction is gone refuses every further unit: nothing of
    /// it is durable, and `finish_batch` reports that.
    fn atomically<T>(
        &mut self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if self.in_batch {
            if self.conn.is_autocommit() {
                return Err(batch_rolled_back());
            }
            run(&self.conn, "SAVEPOINT unit")?;
            match work(&self.conn) {
                Ok(value) => {
                    run(&self.conn, "RELEASE unit")?;
                    Ok(value)
                }
                // The failure took the whole batch transaction with it.
                Err(e) if self.conn.is_autocommit() => Err(e),
                Err(e) => {
                    run(&self.conn, "ROLLBACK TO unit")?;
                    run(&self.conn, "RELEASE unit")?;
                    Err(e)
                }
            }
        } else {
            run(&self.conn, "BEGIN IMMEDIATE")?;
            let outcome =
                work(&self.conn).and_then(|value| run(&self.conn, "COMMIT").map(|()| value));
            if outcome.is_err() && !self.conn.is_autocommit() {
                let _ = run(&self.conn, "ROLLBACK");
            }
            outcome
        }
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
            .prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE position > ?1 ORDER BY position LIMIT ?2"
            ))
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
                if stored.version != version + 1 {
                    return Err(StoreError::Invalid(format!(
                        "event {} of stream `{}` has version {}, but the stream is at {version}",
                        stored.event_id, stored.stream_id, stored.version
                    )));
                }
                let mut envelope = stored
                    .clone()
                    .into_envelope()
                    .map_err(|e| StoreError::Invalid(format!("event {}: {e}", stored.event_id)))?;
                position += 1;
                envelope.position = position;
                let mut raw = stored.clone();
                raw.position = position;
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

/// Runs a transaction-control statement through the statement cache: these run several
/// times per command, and `execute_batch` would parse them every time.
fn run(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute([]))
        .map(|_| ())
        .map_err(backend)
}

fn configure(conn: &Connection, synchronous: Synchronous) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    // One command runs ~15 distinct statements; rusqlite's default cache holds 16, and a
    // statement evicted is parsed again on its next use.
    conn.set_prepared_statement_cache_capacity(64);
    // Only takes effect when the file is created (WAL fixes the page size afterwards).
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    debug_assert_eq!(mode.to_ascii_lowercase(), "wal");
    // Checkpoint the WAL every ~40 MB rather than every 4 MB: checkpoints are what fsync at
    // NORMAL, and fewer, larger ones keep per-command cost low.
    conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
    conn.pragma_update(
        None,
        "synchronous",
        match synchronous {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        },
    )?;
    Ok(())
}

fn stream_version(conn: &Connection, stream_id: &str) -> Result<u64, StoreError> {
    conn.prepare_cached("SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = ?1")
        .and_then(|mut s| s.query_row([stream_id], |r| r.get::<_, i64>(0)))
        .map(|v| v as u64)
        .map_err(backend)
}

/// The stream's version and the id of its last event.
fn stream_head(conn: &Connection, stream_id: &str) -> Result<(u64, Option<Uuid>), StoreError> {
    let head = conn
        .prepare_cached(
            "SELECT version, event_id FROM events WHERE stream_id = ?1 ORDER BY version DESC LIMIT 1",
        )
        .and_then(|mut s| {
            s.query_row([stream_id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
                .optional()
        })
        .map_err(backend)?;
    match head {
        None => Ok((0, None)),
        Some((version, id)) => Ok((version as u64, Some(id.parse().map_err(corrupt)?))),
    }
}

fn last_position(conn: &Connection) -> Result<u64, StoreError> {
    conn.prepare_cached("SELECT COALESCE(MAX(position), 0) FROM events")
        .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)))
        .map(|v| v as u64)
        .map_err(backend)
}

fn insert_event(conn: &Connection, e: &StoredEvent) -> Result<(), StoreError> {
    let data = serde_json::to_string(&e.data).map_err(corrupt)?;
    let metadata = serde_json::to_string(&e.metadata).map_err(corrupt)?;
    conn.prepare_cached(
        "INSERT INTO events (position, event_id, stream_id, version, type, schema_version, data, metadata, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .and_then(|mut s| {
        s.execute(params![
            e.position as i64,
            e.event_id.to_string(),
            e.stream_id,
            e.version as i64,
            e.event_type,
            e.schema_version,
            data,
            metadata,
            timestamp(e.metadata.recorded_at),
        ])
    })
    .map_err(|err| match err {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            StoreError::Invalid(format!(
                "event {} (stream `{}` version {}) already exists",
                e.event_id, e.stream_id, e.version
            ))
        }
        other => backend(other),
    })?;
    Ok(())
}

fn row_to_envelope(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<EventEnvelope, StoreError>> {
    Ok(row_to_stored(row)?.and_then(|stored| {
        let event_id = stored.event_id;
        stored
            .into_envelope()
            .map_err(|e| corrupt(format!("event {event_id}: {e}")))
    }))
}

/// The row as stored: payload and schema version as written, not upcast.
fn row_to_stored(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<StoredEvent, StoreError>> {
    let event_id: String = row.get(1)?;
    let data: String = row.get(6)?;
    let metadata: String = row.get(7)?;
    let build = || -> Result<StoredEvent, StoreError> {
        Ok(StoredEvent {
            position: row.get::<_, i64>(0).map_err(backend)? as u64,
            event_id: event_id.parse().map_err(corrupt)?,
            stream_id: row.get(2).map_err(backend)?,
            version: row.get::<_, i64>(3).map_err(backend)? as u64,
            event_type: row.get(4).map_err(backend)?,
            schema_version: row.get(5).map_err(backend)?,
            data: serde_json::from_str(&data).map_err(corrupt)?,
            metadata: serde_json::from_str(&metadata).map_err(corrupt)?,
        })
    };
    Ok(build())
}

const EVENT_COLUMNS: &str =
    "position, event_id, stream_id, version, type, schema_version, data, metadata";

fn query_events(
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

fn get_view(conn: &Connection, order_id: &str) -> Result<Option<OrderView>, StoreError> {
    let text: Option<String> = conn
        .prepare_cached("SELECT view FROM rm_orders WHERE id = ?1")
        .and_then(|mut s| s.query_row([order_id], |r| r.get(0)).optional())
        .map_err(backend)?;
    text.map(|t| serde_json::from_str(&t).map_err(corrupt))
        .transpose()
}

/// An order's customer and creation time never change, so an update leaves those columns
/// (and their index entry) alone.
fn put_view(conn: &Connection, view: &OrderView) -> Result<(), StoreError> {
    let json = serde_json::to_string(view).map_err(corrupt)?;
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

fn set_checkpoint(conn: &Connection, position: u64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE projection_checkpoints SET position = ?2 WHERE name = ?1")
        .and_then(|mut s| s.execute(params![READ_MODEL, position as i64]))
        .map_err(backend)?;
    Ok(())
}

fn get_command(conn: &Connection, command_id: &str) -> Result<Option<CommandRecord>, StoreError> {
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

fn put_command(conn: &Connection, record: &CommandRecord) -> Result<(), StoreError> {
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

impl BatchStore for SqliteStore {
    fn begin_batch(&mut self) -> Result<(), StoreError> {
        SqliteStore::begin_batch(self)
    }

    fn finish_batch(&mut self) -> Result<(), StoreError> {
        SqliteStore::finish_batch(self)
    }

    fn abort_batch(&mut self) {
        SqliteStore::abort_batch(self);
    }
}

impl EventStore for SqliteStore {
    fn commit(&mut self, commit: Commit) -> Result<Vec<u64>, StoreError> {
        self.atomically(|conn| {
            match commit.expected_last_event {
                Some(_) => {
                    let (version, last_event) = stream_head(conn, &commit.stream_id)?;
                    commit.check_head(version, last_event)?;
                }
                None => commit.check_head(stream_version(conn, &commit.stream_id)?, None)?,
            }
            if let Some(record) = &commit.command {
                if get_command(conn, &record.command_id)?.is_some() {
                    return Err(StoreError::DuplicateCommand(record.command_id.clone()));
                }
            }
            let mut position = last_position(conn)?;
            let mut positions = Vec::with_capacity(commit.events.len());
            commit.check_sequence()?;
            for envelope in &commit.events {
                position += 1;
                let mut stored = envelope.to_stored();
                stored.position = position;
                insert_event(conn, &stored)?;
                positions.push(position);
            }
            if let Some(view) = &commit.view {
                put_view(conn, view)?;
            }
            if let Some(p) = positions.last() {
                set_checkpoint(conn, *p)?;
            }
            if let Some(snapshot) = &commit.snapshot {
                save_snapshot(conn, snapshot)?;
            }
            if let Some(record) = &commit.command {
                let mut record = record.clone();
                record.positions = positions.clone();
                put_command(conn, &record)?;
            }
            Ok(positions)
        })
    }

    fn read_stream(
        &self,
        stream_id: &str,
        after_version: u64,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        query_events(
            &self.conn,
            &format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = ?1 AND version > ?2 ORDER BY version"
            ),
            params![stream_id, after_version as i64],
        )
    }

    fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        query_events(
            &self.conn,
            &format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE position > ?1 ORDER BY position LIMIT ?2"
            ),
            params![after_position as i64, limit],
        )
    }

    fn last_position(&self) -> Result<u64, StoreError> {
        last_position(&self.conn)
    }

    fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT version, state_schema_version, state FROM snapshots WHERE stream_id = ?1",
            )
            .and_then(|mut s| {
                s.query_row([stream_id], |r| {
                    Ok(Snapshot {
                        stream_id: stream_id.to_string(),
                        version: r.get::<_, i64>(0)? as u64,
                        state_schema_version: r.get(1)?,
                        state: r.get(2)?,
                    })
                })
                .optional()
            })
            .map_err(backend)
    }

    fn command_record(&self, command_id: &str) -> Result<Option<CommandRecord>, StoreError> {
        get_command(&self.conn, command_id)
    }

    fn get_view(&self, order_id: &str) -> Result<Option<OrderView>, StoreError> {
        get_view(&self.conn, order_id)
    }

    fn list_views(
        &self,
        customer_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<OrderPage, StoreError> {
        if let Some(cursor) = after {
            let known = get_view(&self.conn, cursor)?.is_some_and(|v| v.customer_id == customer_id);
            if !known {
                return Err(StoreError::Invalid(format!("unknown cursor `{cursor}`")));
            }
        }
        let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT view FROM rm_orders
                 WHERE customer_id = ?1
                   AND (?2 IS NULL OR (created_at, id) > (SELECT created_at, id FROM rm_orders WHERE id = ?2))
                 ORDER BY created_at, id
                 LIMIT ?3",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![customer_id, after, fetch], |r| {
                r.get::<_, String>(0)
            })
            .map_err(backend)?;
        let mut orders = Vec::new();
        for row in rows {
            orders
                .push(serde_json::from_str::<OrderView>(&row.map_err(backend)?).map_err(corrupt)?);
        }
        Ok(OrderPage::from_overfetched(orders, limit))
    }

    fn clear_read_models(&mut self) -> Result<(), StoreError> {
        self.atomically(|conn| {
            conn.execute("DELETE FROM rm_orders", []).map_err(backend)?;
            set_checkpoint(conn, 0)
        })
    }

    fn save_views(&mut self, views: &[OrderView], checkpoint: u64) -> Result<(), StoreError> {
        self.atomically(|conn| {
            for view in views {
                put_view(conn, view)?;
            }
            set_checkpoint(conn, checkpoint)
        })
    }

    fn projection_checkpoint(&self) -> Result<u64, StoreError> {
        self.conn
            .prepare_cached("SELECT position FROM projection_checkpoints WHERE name = ?1")
            .and_then(|mut s| s.query_row([READ_MODEL], |r| r.get::<_, i64>(0)))
            .map(|p| p as u64)
            .map_err(backend)
    }
}

fn save_snapshot(conn: &Connection, snapshot: &Snapshot) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO snapshots (stream_id, version, state_schema_version, state) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version,
           state_schema_version = excluded.state_schema_version, state = excluded.state",
    )
    .and_then(|mut s| {
        s.execute(params![
            snapshot.stream_id,
            snapshot.version as i64,
            snapshot.state_schema_version,
            snapshot.state,
        ])
    })
    .map_err(backend)?;
    Ok(())
}

#[cfg(test)]
#[path = "sqlite_batch_tests.rs"]
mod batch_tests;
