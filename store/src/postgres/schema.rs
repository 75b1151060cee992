//! Versioned migrations for the PostgreSQL store, applied on open and recorded in
//! `schema_migrations`. Several servers may start at once: an advisory lock held for the
//! migration transaction makes them apply each migration exactly once.

use postgres::Client;

/// Each entry moves the schema from version `index` to `index + 1`. Append only.
///
/// Text keys use the "C" collation: bytewise order, as SQLite compares, so paging by
/// `(created_at, id)` returns the same pages on both backends whatever the database locale.
/// Payloads and metadata are `text`, not `jsonb`: an event reads back byte for byte as it
/// was written (jsonb would reorder keys and normalise numbers).
const MIGRATIONS: &[&str] = &[
    // v1: the log, the `$all` counter row, stream heads, snapshots, the order read model,
    // projection checkpoints and the command records that make retries idempotent.
    r#"
    CREATE TABLE log_head (
        id            boolean PRIMARY KEY DEFAULT true CHECK (id),  -- exactly one row
        last_position bigint  NOT NULL                              -- highest committed position
    );
    INSERT INTO log_head (id, last_position) VALUES (true, 0);
    CREATE TABLE events (
        position       bigint  PRIMARY KEY,                         -- global, 1-based, gap-free
        event_id       uuid    NOT NULL UNIQUE,
        stream_id      text    COLLATE "C" NOT NULL,
        version        bigint  NOT NULL,                            -- 1-based within the stream
        type           text    NOT NULL,
        schema_version integer NOT NULL,
        data           text    NOT NULL,                            -- payload JSON, as written
        metadata       text    NOT NULL,                            -- metadata JSON, as written
        recorded_at    text    NOT NULL,                            -- RFC 3339, fixed width
        CONSTRAINT events_stream_version UNIQUE (stream_id, version)
    );
    CREATE TABLE streams (
        stream_id     text   COLLATE "C" PRIMARY KEY,
        version       bigint NOT NULL,
        last_event_id uuid   NOT NULL
    );
    CREATE TABLE snapshots (
        stream_id            text    COLLATE "C" PRIMARY KEY,
        version              bigint  NOT NULL,
        state_schema_version integer NOT NULL,
        state                text    NOT NULL
    );
    CREATE TABLE rm_orders (
        id          text   COLLATE "C" PRIMARY KEY,
        customer_id text   COLLATE "C" NOT NULL,
        status      text   NOT NULL,
        total       text   NOT NULL,
        created_at  text   COLLATE "C" NOT NULL,                    -- RFC 3339, fixed width
        version     bigint NOT NULL,
        view        text   NOT NULL                                 -- the full OrderView JSON
    );
    CREATE INDEX rm_orders_by_customer ON rm_orders (customer_id, created_at, id);
    CREATE TABLE projection_checkpoints (
        name     text   PRIMARY KEY,
        position bigint NOT NULL
    );
    INSERT INTO projection_checkpoints (name, position) VALUES ('rm_orders', 0);
    CREATE TABLE commands (
        command_id  text     COLLATE "C" PRIMARY KEY,
        order_id    text     NOT NULL,
        version     bigint   NOT NULL,
        positions   bigint[] NOT NULL,
        fingerprint text
    );
    "#,
];

/// The schema version this build writes.
pub const PG_SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// Arbitrary key of the advisory lock that serialises migrations across processes.
const MIGRATION_LOCK: i64 = 0x6f72_6465_7273_0001;

/// Brings the schema up to date. `Ok(Err(..))` names a schema this build cannot use.
pub(crate) fn migrate(client: &mut Client) -> Result<Result<(), String>, postgres::Error> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )?;
    let current: i32 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )?
        .try_get(0)?;
    if current > PG_SCHEMA_VERSION {
        return Ok(Err(format!(
            "database schema version {current} is newer than this build ({PG_SCHEMA_VERSION})"
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.batch_execute(sql)?;
        let version = index as i32 + 1;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&version],
        )?;
    }
    tx.commit()?;
    Ok(Ok(()))
}
