//! Every statement the PostgreSQL store runs, one constant per operation (prepared once per
//! connection). The `$all` counter row `log_head` is what serialises writers: see
//! docs/design-notes.md (note 12) for why positions are gap-free and in commit order.

/// Taken first by every write: the row lock orders all writing transactions, on every
/// connection of every process, and is held until COMMIT or ROLLBACK.
pub const LOCK_LOG_HEAD: &str = "SELECT last_position FROM log_head WHERE id FOR UPDATE";
/// The last statement of an import.
pub const ADVANCE_LOG_HEAD: &str = "UPDATE log_head SET last_position = $1 WHERE id";
/// The last statement of a commit that wrote events: the read model's checkpoint and the
/// `$all` row move to its last position together.
pub const ADVANCE_CHECKPOINT_AND_LOG_HEAD: &str = "WITH checkpoint AS (
         UPDATE projection_checkpoints SET position = $1 WHERE name = 'rm_orders'
     )
     UPDATE log_head SET last_position = $1 WHERE id";
pub const LAST_POSITION: &str = "SELECT last_position FROM log_head WHERE id";

pub const STREAM_HEAD: &str = "SELECT version, last_event_id FROM streams WHERE stream_id = $1";
/// What a commit checks under the lock, in one round trip: the stream's head (NULLs for a
/// new stream) and whether its command id (NULL: none) was already applied.
pub const COMMIT_CHECKS: &str = "SELECT s.version, s.last_event_id,
            EXISTS (SELECT 1 FROM commands WHERE command_id = $2::text)
     FROM (SELECT 1) AS one LEFT JOIN streams s ON s.stream_id = $1";
pub const PUT_STREAM_HEAD: &str = "INSERT INTO streams (stream_id, version, last_event_id)
     VALUES ($1, $2, $3)
     ON CONFLICT (stream_id) DO UPDATE
       SET version = excluded.version, last_event_id = excluded.last_event_id";

/// Many events in one statement (one round trip), column by column.
pub const INSERT_EVENTS: &str = "INSERT INTO events
       (position, event_id, stream_id, version, type, schema_version, data, metadata, recorded_at)
     SELECT * FROM UNNEST($1::bigint[], $2::uuid[], $3::text[], $4::bigint[], $5::text[],
                          $6::integer[], $7::text[], $8::text[], $9::text[])";

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
pub const PUT_SNAPSHOT: &str =
    "INSERT INTO snapshots (stream_id, version, state_schema_version, state)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version,
       state_schema_version = excluded.state_schema_version, state = excluded.state";

pub const GET_COMMAND: &str =
    "SELECT order_id, version, positions, fingerprint FROM commands WHERE command_id = $1";
/// A plain insert: a command id already recorded is a unique violation (DuplicateCommand).
pub const INSERT_COMMAND: &str =
    "INSERT INTO commands (command_id, order_id, version, positions, fingerprint)
     VALUES ($1, $2, $3, $4, $5)";
/// Import rebuilds records event by event, so it extends one already there.
pub const UPSERT_COMMAND: &str =
    "INSERT INTO commands (command_id, order_id, version, positions, fingerprint)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (command_id) DO UPDATE
       SET version = excluded.version, positions = excluded.positions";
