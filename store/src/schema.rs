//! Versioned migrations, applied on open and tracked in `PRAGMA user_version`. The server,
//! the CLI and the Python package all open files through here, so they agree on the schema.

use rusqlite::Connection;

/// Each entry moves the schema from version `index` to `index + 1`. Append only.
const MIGRATIONS: &[&str] = &[
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
    // v2: no unique index on event_id. Every commit paid a page write for it (~14% of a
    // command's time at synchronous=NORMAL, measured with the write_floor example), yet no
    // query looks events up by id: hosts mint UUID v7 ids, and what keeps the log free of
    // duplicates is (stream_id, version) plus the gap-free checks of commit and import.
    // SQLite cannot drop a column constraint, so the table is rebuilt, rows unchanged.
    "
    CREATE TABLE events_v2 (
        position       INTEGER PRIMARY KEY,          -- global, 1-based, gap-free
        event_id       TEXT    NOT NULL,             -- UUID v7 minted by the host
        stream_id      TEXT    NOT NULL,
        version        INTEGER NOT NULL,             -- 1-based within the stream
        type           TEXT    NOT NULL,
        schema_version INTEGER NOT NULL,
        data           TEXT    NOT NULL,             -- payload JSON, as written (never rewritten)
        metadata       TEXT    NOT NULL,             -- metadata JSON
        recorded_at    TEXT    NOT NULL,             -- RFC 3339, fixed width: sorts as time
        UNIQUE (stream_id, version)
    );
    INSERT INTO events_v2 (position, event_id, stream_id, version, type, schema_version, data, metadata, recorded_at)
        SELECT position, event_id, stream_id, version, type, schema_version, data, metadata, recorded_at
        FROM events ORDER BY position;
    DROP TABLE events;
    ALTER TABLE events_v2 RENAME TO events;
    ",
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

    /// The column lists of the events table's indexes.
    fn indexes(conn: &Connection) -> Vec<String> {
        let mut out = Vec::new();
        let mut list = conn
            .prepare("SELECT name FROM pragma_index_list('events')")
            .unwrap();
        let names: Vec<String> = list
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for name in names {
            let mut info = conn
                .prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")
                .unwrap();
            let columns: Vec<String> = info
                .query_map([&name], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            out.push(columns.join(","));
        }
        out.sort();
        out
    }

    #[test]
    fn v1_files_move_to_v2_with_their_events_and_without_the_event_id_index() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO events VALUES (1, 'e-1', 'o-1', 1, 'OrderCreated', 2, '{}', '{}', 't1');
             INSERT INTO events VALUES (2, 'e-2', 'o-1', 2, 'ItemAdded', 1, '{\"a\":1}', '{}', 't2');",
        )
        .unwrap();
        assert_eq!(indexes(&conn), vec!["event_id", "stream_id,version"]);

        migrate(&mut conn).unwrap().unwrap();

        let version: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        assert_eq!(indexes(&conn), vec!["stream_id,version"]);
        let rows: Vec<(i64, String, i64, String, i64, String)> = conn
            .prepare("SELECT position, event_id, version, type, schema_version, data FROM events ORDER BY position")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            vec![
                (1, "e-1".into(), 1, "OrderCreated".into(), 2, "{}".into()),
                (
                    2,
                    "e-2".into(),
                    2,
                    "ItemAdded".into(),
                    1,
                    "{\"a\":1}".into()
                ),
            ]
        );
        // (stream_id, version) still refuses a second event at the same place.
        let duplicate = conn.execute(
            "INSERT INTO events VALUES (3, 'e-3', 'o-1', 2, 'ItemAdded', 2, '{}', '{}', 't3')",
            [],
        );
        assert!(duplicate.is_err());
    }

    #[test]
    fn a_file_from_a_newer_build_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let refused = migrate(&mut conn).unwrap().unwrap_err();
        assert!(refused.contains("newer than this build"), "{refused}");
    }
}
