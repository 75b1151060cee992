//! `PostgresStore`: the `EventStore` port on a PostgreSQL database, safe with several
//! writers (server processes) on one database. Every commit is one transaction, or one
//! savepoint inside a group-commit batch, holding the events, the stream head, the read-model
//! row, the projection checkpoint, the snapshot and the command record. Every write first
//! locks the `$all` counter row (`log_head`), which orders all writers: positions are
//! gap-free and in commit order (docs/design-notes.md, note 12).

mod connection;
mod log_copy;
mod pending;
mod rows;
mod schema;
mod sql;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use std::cell::RefCell;

use order_core::{
    BatchStore, CommandRecord, Commit, EventEnvelope, EventStore, OrderPage, OrderView, Snapshot,
    StoreError,
};
use postgres::Client;

use connection::{Connection, Fail, Statements};
use pending::{Head, Pending};
pub use schema::PG_SCHEMA_VERSION;

const READ_MODEL: &str = "rm_orders";

/// True when `db` names a PostgreSQL database (`postgres://` or `postgresql://`).
pub fn is_postgres_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

pub struct PostgresStore {
    conn: RefCell<Connection>,
    /// The open batch (`None` outside one): what it read under the lock, what it will write.
    batch: RefCell<Option<Pending>>,
}

impl PostgresStore {
    /// Connects and brings the schema up to date (creating it on first use).
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let conn = Connection::open(url, true)?;
        Ok(PostgresStore {
            conn: RefCell::new(conn),
            batch: RefCell::new(None),
        })
    }

    /// Connects to an already migrated database without touching its schema (a server's
    /// query connections).
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let conn = Connection::open(url, false)?;
        Ok(PostgresStore {
            conn: RefCell::new(conn),
            batch: RefCell::new(None),
        })
    }

    /// A named follower's checkpoint (the broker relay's), 0 before it starts.
    pub fn checkpoint(&self, name: &str) -> Result<u64, StoreError> {
        self.read(|client, _| {
            let row = client.query_opt(
                "SELECT position FROM projection_checkpoints WHERE name = $1",
                &[&name],
            )?;
            Ok(match row {
                Some(row) => row.try_get::<_, i64>(0)? as u64,
                None => 0,
            })
        })
    }

    /// Moves a named checkpoint forward to `position`, never backwards (a relay that lost
    /// its role while another took over cannot undo the other's progress).
    pub fn advance_checkpoint(&mut self, name: &str, position: u64) -> Result<(), StoreError> {
        let position = i64::try_from(position).unwrap_or(i64::MAX);
        self.atomically(|client, _| {
            client.execute(
                "INSERT INTO projection_checkpoints (name, position) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE
                 SET position = GREATEST(projection_checkpoints.position, EXCLUDED.position)",
                &[&name, &position],
            )?;
            Ok(())
        })
    }

    /// Takes (or confirms) the session-level advisory lock `key` on this connection: true
    /// while this connection holds it. PostgreSQL releases it when the session ends, so a
    /// process that dies gives the role up by itself. Asked again on every round: if the
    /// connection was replaced after a failure, the new session must win the lock anew.
    pub fn hold_advisory_lock(&self, key: i64) -> Result<bool, StoreError> {
        self.read(|client, _| {
            Ok(client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&key])?
                .try_get(0)?)
        })
    }

    /// The server process id of this store's connection (tests terminate it).
    pub fn backend_pid(&self) -> Result<i32, StoreError> {
        self.read(|client, _| {
            Ok(client
                .query_one("SELECT pg_backend_pid()", &[])?
                .try_get(0)?)
        })
    }

    /// Runs a read on the connection (reconnecting first if it was lost outside a batch),
    /// after sending what the open batch has staged, so that the read sees it.
    fn read<T>(
        &self,
        work: impl Fn(&mut Client, &Statements) -> Result<T, Fail>,
    ) -> Result<T, StoreError> {
        self.flush()?;
        self.read_unflushed(work)
    }

    /// A read that cannot concern anything the open batch has staged.
    fn read_unflushed<T>(
        &self,
        work: impl Fn(&mut Client, &Statements) -> Result<T, Fail>,
    ) -> Result<T, StoreError> {
        self.conn.borrow_mut().read(work)
    }

    fn atomically<T>(
        &mut self,
        work: impl FnOnce(&mut Client, &Statements) -> Result<T, Fail>,
    ) -> Result<T, StoreError> {
        self.flush()?;
        self.conn.get_mut().atomically(work)
    }

    /// Sends the open batch's staged writes (nothing outside a batch).
    fn flush(&self) -> Result<(), StoreError> {
        let mut batch = self.batch.borrow_mut();
        match batch.as_mut() {
            Some(pending) if !pending.is_clean() => self
                .conn
                .borrow_mut()
                .read(|client, st| pending.flush(client, st)),
            _ => Ok(()),
        }
    }

    /// Reads the heads of `streams` and the records of `command_ids` the open batch does not
    /// know yet, in one round trip. Under the batch's lock they stay true until it ends.
    fn learn(&mut self, streams: &[&str], command_ids: &[&str]) -> Result<(), StoreError> {
        let Some(pending) = self.batch.get_mut().as_mut() else {
            return Ok(());
        };
        let streams: Vec<&str> = streams
            .iter()
            .copied()
            .filter(|s| is_storable(s) && pending.head(s).is_none())
            .collect();
        let command_ids: Vec<&str> = command_ids
            .iter()
            .copied()
            .filter(|c| is_storable(c) && pending.command(c).is_none())
            .collect();
        if streams.is_empty() && command_ids.is_empty() {
            return Ok(());
        }
        let (heads, records) = self
            .conn
            .get_mut()
            .read(|client, st| rows::prefetch(client, st, &streams, &command_ids))?;
        for stream in streams {
            pending.learn_head(stream, heads.get(stream).copied().unwrap_or((0, None)));
        }
        for command_id in command_ids {
            pending.learn_command(command_id, records.get(command_id).cloned());
        }
        Ok(())
    }

    /// A commit inside the open batch: checked against what the batch knows (asking the
    /// database once for what it does not) and staged. Nothing is sent: a refused commit
    /// leaves nothing to undo.
    fn commit_in_batch(&mut self, commit: Commit) -> Result<Vec<u64>, StoreError> {
        let command_id = commit.command.as_ref().map(|r| r.command_id.clone());
        self.learn(
            &[commit.stream_id.as_str()],
            command_id
                .as_slice()
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .as_slice(),
        )?;
        let pending = self
            .batch
            .get_mut()
            .as_mut()
            .ok_or_else(|| StoreError::Invalid("no batch is open".into()))?;
        if let Some(command_id) = command_id {
            if matches!(pending.command(&command_id), Some(Some(_))) {
                return Err(StoreError::DuplicateCommand(command_id));
            }
        }
        let (version, last_event): Head = pending.head(&commit.stream_id).unwrap_or((0, None));
        commit.check_head(version, last_event)?;
        commit.check_sequence()?;
        pending.stage(commit)
    }
}

/// PostgreSQL text cannot hold a NUL character, and a statement sent with one fails the
/// whole transaction (every command of a batch). Such a key was never stored, so a read
/// finds nothing without asking, and a write is refused before it is sent.
fn is_storable(key: &str) -> bool {
    !key.contains('\0')
}

fn storable(key: &str) -> Result<(), StoreError> {
    if is_storable(key) {
        return Ok(());
    }
    Err(StoreError::Invalid(format!(
        "`{}` contains a NUL character, which PostgreSQL cannot store",
        key.escape_debug()
    )))
}

/// Locks the `$all` row (waiting for any other writer to finish) and returns the last
/// committed position.
fn lock_log_head(client: &mut Client, st: &Statements) -> Result<u64, Fail> {
    Ok(client
        .query_one(&st.lock_log_head, &[])?
        .try_get::<_, i64>(0)? as u64)
}

/// Until `finish_batch`, every `commit` is a savepoint inside one transaction, so many
/// commands share one commit; a failed command rolls back its own savepoint only. Any
/// failure the savepoint could not undo (a lost connection, an error outside a savepoint)
/// marks the batch failed: later commits are refused and `finish_batch` rolls back and
/// reports the error, so no command of the batch is acknowledged.
impl BatchStore for PostgresStore {
    fn begin_batch(&mut self) -> Result<(), StoreError> {
        let position = self.conn.get_mut().begin_batch()?;
        *self.batch.get_mut() = Some(Pending::new(position));
        Ok(())
    }

    fn prefetch(&mut self, streams: &[&str], command_ids: &[&str]) -> Result<(), StoreError> {
        self.learn(streams, command_ids)
    }

    fn finish_batch(&mut self) -> Result<(), StoreError> {
        if self.batch.get_mut().is_none() {
            return self.conn.get_mut().finish_batch();
        }
        if let Err(e) = self.flush() {
            self.abort_batch();
            return Err(e);
        }
        *self.batch.get_mut() = None;
        self.conn.get_mut().finish_batch()
    }

    fn abort_batch(&mut self) {
        *self.batch.get_mut() = None;
        self.conn.get_mut().abort_batch();
    }
}

impl EventStore for PostgresStore {
    fn commit(&mut self, commit: Commit) -> Result<Vec<u64>, StoreError> {
        storable(&commit.stream_id)?;
        if let Some(record) = &commit.command {
            storable(&record.command_id)?;
        }
        if self.batch.get_mut().is_some() {
            return self.commit_in_batch(commit);
        }
        // On its own, a commit is a batch of one: the same checks, the same single write.
        self.begin_batch()?;
        match self.commit_in_batch(commit) {
            Ok(positions) => self.finish_batch().map(|()| positions),
            Err(e) => {
                self.abort_batch();
                Err(e)
            }
        }
    }

    fn read_stream(
        &self,
        stream_id: &str,
        after_version: u64,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        if !is_storable(stream_id) {
            return Ok(Vec::new());
        }
        if let Some(pending) = self.batch.borrow().as_ref() {
            if pending
                .head(stream_id)
                .is_some_and(|(v, _)| v <= after_version)
            {
                return Ok(Vec::new());
            }
            if !pending.has_staged_events(stream_id) {
                return self.read_unflushed(|client, st| {
                    rows::read_stream(client, st, stream_id, after_version)
                });
            }
        }
        self.read(|client, st| rows::read_stream(client, st, stream_id, after_version))
    }

    fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let after = i64::try_from(after_position).unwrap_or(i64::MAX);
        self.read(|client, st| {
            let found = client.query(&st.read_all, &[&after, &limit])?;
            found.iter().map(rows::envelope).collect()
        })
    }

    fn last_position(&self) -> Result<u64, StoreError> {
        self.read(|client, st| {
            Ok(client
                .query_one(&st.last_position, &[])?
                .try_get::<_, i64>(0)? as u64)
        })
    }

    fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        if !is_storable(stream_id) {
            return Ok(None);
        }
        if let Some(pending) = self.batch.borrow().as_ref() {
            if let Some(snapshot) = pending.staged_snapshot(stream_id) {
                return Ok(Some(snapshot.clone()));
            }
            if pending.head(stream_id).is_some_and(|(v, _)| v == 0) {
                return Ok(None);
            }
        }
        self.read_unflushed(|client, st| rows::get_snapshot(client, st, stream_id))
    }

    fn command_record(&self, command_id: &str) -> Result<Option<CommandRecord>, StoreError> {
        if !is_storable(command_id) {
            return Ok(None);
        }
        if let Some(pending) = self.batch.borrow_mut().as_mut() {
            if let Some(known) = pending.command(command_id) {
                return Ok(known.cloned());
            }
            let record =
                self.read_unflushed(|client, st| rows::get_command(client, st, command_id))?;
            pending.learn_command(command_id, record.clone());
            return Ok(record);
        }
        self.read(|client, st| rows::get_command(client, st, command_id))
    }

    fn get_view(&self, order_id: &str) -> Result<Option<OrderView>, StoreError> {
        if !is_storable(order_id) {
            return Ok(None);
        }
        if let Some(pending) = self.batch.borrow().as_ref() {
            if let Some(view) = pending.staged_view(order_id) {
                return Ok(Some(view.clone()));
            }
            if pending.head(order_id).is_some_and(|(v, _)| v == 0) {
                return Ok(None);
            }
        }
        self.read_unflushed(|client, st| rows::get_view(client, st, order_id))
    }

    fn list_views(
        &self,
        customer_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<OrderPage, StoreError> {
        let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
        if let Some(cursor) = after.filter(|c| !is_storable(c)) {
            return Err(StoreError::Invalid(format!("unknown cursor `{cursor}`")));
        }
        if !is_storable(customer_id) {
            return Ok(OrderPage::from_overfetched(Vec::new(), limit));
        }
        self.read(|client, st| {
            if let Some(cursor) = after {
                let known = rows::get_view(client, st, cursor)?
                    .is_some_and(|v| v.customer_id == customer_id);
                if !known {
                    return Err(StoreError::Invalid(format!("unknown cursor `{cursor}`")).into());
                }
            }
            let found = client.query(&st.list_views, &[&customer_id, &after, &fetch])?;
            let orders = found
                .iter()
                .map(|row| rows::view_json(&row.try_get::<_, String>(0)?))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(OrderPage::from_overfetched(orders, limit))
        })
    }

    fn clear_read_models(&mut self) -> Result<(), StoreError> {
        self.atomically(|client, st| {
            lock_log_head(client, st)?;
            client.execute(&st.clear_views, &[])?;
            rows::set_checkpoint(client, st, READ_MODEL, 0)
        })
    }

    fn save_views(&mut self, views: &[OrderView], checkpoint: u64) -> Result<(), StoreError> {
        self.atomically(|client, st| {
            // Commits write read-model rows too; the same lock order keeps both deadlock-free.
            lock_log_head(client, st)?;
            for view in views {
                rows::put_view(client, st, view)?;
            }
            rows::set_checkpoint(client, st, READ_MODEL, checkpoint)
        })
    }

    fn projection_checkpoint(&self) -> Result<u64, StoreError> {
        self.read(|client, st| {
            Ok(client
                .query_one(&st.get_checkpoint, &[&READ_MODEL])?
                .try_get::<_, i64>(0)? as u64)
        })
    }
}
