//! Every statement the PostgreSQL store runs, one constant per operation (prepared once per
//! connection). The `$all` counter row `log_head` is what serialises writers: see
//! docs/design-notes.md (note 12) for why positions are gap-free and in commit order.

/// Taken first by every write: the row lock orders all writing transactions, on every
/// connection of every process, and is held until COMMIT or ROLLBACK.
pub const LOCK_LOG_HEAD: &str = "SELECT last_position FROM log_head WHERE id FOR UPDATE";
/// The last statement of an import.
pub const ADVANCE_LOG_HEAD: &str = "UPDATE log_head SET last_position = $1 WHERE id";
pub const LAST_POSITION: &str = "SELECT last_position FROM log_head WHERE id";

pub const STREAM_HEAD: &str = "SELECT version, last_event_id FROM streams WHERE stream_id = $1";
pub const PUT_STREAM_HEAD: &str = "INSERT INTO streams (stream_id, version, last_event_id)
     VALUES ($1, $2, $3)
     ON CONFLICT (stream_id) DO UPDATE
       SET version = excluded.version, last_event_id = excluded.last_event_id";

/// Many events in one statement (one round trip), column by column.
pub const INSERT_EVENTS: &str = "INSERT INTO events
       (position, event_id, stream_id, version, type, schema_version, data, metadata, recorded_at)
     SELECT * FROM UNNEST($1::bigint[], $2::uuid[], $3::text[], $4::bigint[], $5::text[],
                          $6::integer[], $7::text[], $8::text[], $9::text[])";

/// What a batch reads once, under the lock, for every stream and command id it names:
/// `('s', stream_id, version, last_event_id)` for each existing stream and
/// `('c', command_id, version, NULL, order_id, positions, fingerprint)` for each recorded
/// command. A name without a row does not exist.
pub const PREFETCH: &str = "SELECT 's', s.stream_id, s.version, s.last_event_id,
            NULL::text, NULL::bigint[], NULL::text
     FROM streams s WHERE s.stream_id = ANY($1::text[])
     UNION ALL
     SELECT 'c', c.command_id, c.version, NULL::uuid, c.order_id, c.positions, c.fingerprint
     FROM commands c WHERE c.command_id = ANY($2::text[])";
/// The same for stream heads alone: a batch without command ids leaves `commands` alone.
pub const PREFETCH_HEADS: &str = "SELECT 's', s.stream_id, s.version, s.last_event_id
     FROM streams s WHERE s.stream_id = ANY($1::text[])";

/// Everything a batch's commits wrote, in one statement (one round trip): events, stream
/// heads, read-model rows, snapshots, command records (positions sent as first position and
/// count, being consecutive), then the checkpoint and the `$all` row move to the batch's
/// last position. Heads, views and snapshots come one row per key: an upsert cannot touch
/// a row twice in one statement.
pub const FLUSH_BATCH: &str = "WITH new_events AS (
         INSERT INTO events
           (position, event_id, stream_id, version, type, schema_version, data, metadata,
            recorded_at)
         SELECT * FROM UNNEST($1::bigint[], $2::uuid[], $3::text[], $4::bigint[], $5::text[],
                              $6::integer[], $7::text[], $8::text[], $9::text[])
     ), new_heads AS (
         INSERT INTO streams (stream_id, version, last_event_id)
         SELECT * FROM UNNEST($10::text[], $11::bigint[], $12::uuid[])
         ON CONFLICT (stream_id) DO UPDATE
           SET version = excluded.version, last_event_id = excluded.last_event_id
     ), new_views AS (
         INSERT INTO rm_orders (id, customer_id, status, total, created_at, version, view)
         SELECT * FROM UNNEST($13::text[], $14::text[], $15::text[], $16::text[], $17::text[],
                              $18::bigint[], $19::text[])
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, total = excluded.total,
           version = excluded.version, view = excluded.view
     ), new_snapshots AS (
         INSERT INTO snapshots (stream_id, version, state_schema_version, state)
         SELECT * FROM UNNEST($20::text[], $21::bigint[], $22::integer[], $23::text[])
         ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version,
           state_schema_version = excluded.state_schema_version, state = excluded.state
     ), new_commands AS (
         INSERT INTO commands (command_id, order_id, version, positions, fingerprint)
         SELECT c.id, c.order_id, c.version,
                ARRAY(SELECT generate_series(c.first, c.first + c.count - 1)), c.fingerprint
         FROM UNNEST($24::text[], $25::text[], $26::bigint[], $27::bigint[], $28::bigint[],
                     $29::text[]) AS c(id, order_id, version, first, count, fingerprint)
     ), checkpoint AS (
         UPDATE projection_checkpoints SET position = $30 WHERE name = 'rm_orders'
     )
     UPDATE log_head SET last_position = $30 WHERE id";

const EVENT_COLUMNS: &str =
    "position, event_id, stream_id, version, type, schema_version, data, metadata";

pub fn read_stream() -> String {
    format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND version > $2 ORDER BY version"
    )
}

pub fn read_all() -> String {
    format!("SELECT {EVENT_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2")
}

pub const GET_VIEW: &str = "SELECT view FROM rm_orders WHERE id = $1";
/// An order's customer and creation time never change, so an update leaves them alone.
pub const PUT_VIEW: &str =
    "INSERT INTO rm_orders (id, customer_id, status, total, created_at, version, view)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO UPDATE SET status = excluded.status, total = excluded.total,
       version = excluded.version, view = excluded.view";
pub const LIST_VIEWS: &str = "SELECT view FROM rm_orders
     WHERE customer_id = $1
       AND ($2::text IS NULL
            OR (created_at, id) > (SELECT created_at, id FROM rm_orders WHERE id = $2::text))
     ORDER BY created_at, id
     LIMIT $3";
pub const CLEAR_VIEWS: &str = "DELETE FROM rm_orders";

pub const GET_CHECKPOINT: &str = "SELECT position FROM projection_checkpoints WHERE name = $1";
pub const SET_CHECKPOINT: &str = "UPDATE projection_checkpoints SET position = $2 WHERE name = $1";

pub const GET_SNAPSHOT: &str =
    "SELECT version, state_schema_version, state FROM snapshots WHERE stream_id = $1";
pub const GET_COMMAND: &str =
    "SELECT order_id, version, positions, fingerprint FROM commands WHERE command_id = $1";
/// Import rebuilds records event by event, so it extends one already there.
pub const UPSERT_COMMAND: &str =
    "INSERT INTO commands (command_id, order_id, version, positions, fingerprint)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (command_id) DO UPDATE
       SET version = excluded.version, positions = excluded.positions";
