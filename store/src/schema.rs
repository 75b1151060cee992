//! Versioned migrations, applied on open and tracked in `PRAGMA user_version`. The server,
//! the CLI and the Python package all open files through here, so they agree on the schema.

use rusqlite::Connection;

/// Each entry moves the schema from version `index` to `index + 1`. Append only.
pub(crate) const MIGRATIONS: &[&str] = &[
    // v1: the event log, snapshots, the order read model, projection checkpoints and the
    // command records that make retries idempotent. Tables keyed by text are WITHOUT ROWID:
    // one b-tree instead of two, so a commit dirties fewer pages.
    "
    CREATE TABLE events (
        position       INTEGER PRIMARY KEY,          -- global, 1-based, gap-free
        event_id       TEXT    NOT NULL UNIQUE,
        stream_id      TEXT    NOT NULL,
        version        INTEGER NOT NULL,             -- 1-based within the stream
        type           TEXT    NOT NULL,
        schema_version INTEGER NOT NULL,
        data           TEXT    NOT NULL,             -- payload JSON, as written (never rewritten)
        metadata       TEXT    NOT NULL,             -- metadata JSON
        recorded_at    TEXT    NOT NULL,             -- RFC 3339, fixed width: sorts as time
        UNIQUE (stream_id, version)
    );
    CREATE TABLE snapshots (
        stream_id            TEXT PRIMARY KEY,
        version              INTEGER NOT NULL,
        state_schema_version INTEGER NOT NULL,
        state                TEXT    NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE rm_orders (
        id          TEXT PRIMARY KEY,
        customer_id TEXT    NOT NULL,
        status      TEXT    NOT NULL,
        total       TEXT    NOT NULL,
        created_at  TEXT    NOT NULL,
        version     INTEGER NOT NULL,
        view        TEXT    NOT NULL                 -- the full OrderView JSON
    ) WITHOUT ROWID;
    CREATE INDEX rm_orders_by_customer ON rm_orders (customer_id, created_at, id);
    CREATE TABLE projection_checkpoints (
        name     TEXT PRIMARY KEY,
        position INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO projection_checkpoints (name, position) VALUES ('rm_orders', 0);
    CREATE TABLE commands (
        command_id  TEXT PRIMARY KEY,
        order_id    TEXT    NOT NULL,
        version     INTEGER NOT NULL,
        positions   TEXT    NOT NULL,                -- JSON array of global positions
        fingerprint TEXT
    ) WITHOUT ROWID;
    ",
    // v2: compact rows (`sqlite/compact.rs`). Event ids are 16 bytes instead of 36
    // characters of text; the commit time is an integer count of microseconds in
    // `recorded_us` (`recorded_at` left empty) instead of 27 characters; metadata and views
    // no longer repeat what their columns hold. No row is rewritten: readers take both
    // forms, and the version tells an older build, which cannot, to refuse the file.
    "ALTER TABLE events ADD COLUMN recorded_us INTEGER;",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

pub(crate) fn migrate(conn: &mut Connection) -> rusqlite::Result<Result<(), String>> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let current: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Ok(Err(format!(
            "database schema version {current} is newer than this build ({SCHEMA_VERSION})"
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as u32 + 1)?;
    }
    tx.commit()?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_from_a_newer_build_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let refused = migrate(&mut conn).unwrap().unwrap_err();
        assert!(refused.contains("newer than this build"), "{refused}");
    }

    #[test]
    fn migrating_twice_changes_nothing() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap().unwrap();
        migrate(&mut conn).unwrap().unwrap();
        let version: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }
}
