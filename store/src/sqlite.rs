//! `SqliteStore`: the `EventStore` port on one SQLite file (WAL). Every commit is one
//! transaction (or one savepoint inside a group-commit batch) holding the events, the
//! read-model row, the projection checkpoint, the snapshot and the command record.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use order_core::{
    BatchStore, CommandRecord, Commit, EventEnvelope, EventStore, OrderPage, OrderView, Snapshot,
    StoreError,
};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::schema::migrate;
use compact::{view_columns, ViewRow};
use rows::{
    event_columns, get_command, get_view, insert_event, last_position, put_command, put_view,
    query_events, refuse_known_event_id, row_to_stored, set_checkpoint, stream_head,
    stream_version, EVENTS_AFTER_POSITION,
};

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
            concat!(
                "SELECT ",
                event_columns!(),
                " FROM events WHERE stream_id = ?1 AND version > ?2 ORDER BY version"
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
            EVENTS_AFTER_POSITION,
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
            .prepare_cached(concat!(
                "SELECT ",
                view_columns!(),
                " FROM rm_orders
                 WHERE customer_id = ?1
                   AND (?2 IS NULL OR (created_at, id) > (SELECT created_at, id FROM rm_orders WHERE id = ?2))
                 ORDER BY created_at, id
                 LIMIT ?3",
            ))
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![customer_id, after, fetch], ViewRow::read)
            .map_err(backend)?;
        let mut orders = Vec::new();
        for row in rows {
            orders.push(row.map_err(backend)?.into_view()?);
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

mod compact;
mod log_copy;
mod rows;

#[cfg(test)]
#[path = "sqlite_batch_tests.rs"]
mod batch_tests;
