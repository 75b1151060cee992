//! Which database `--db` names, and one store type over both backends: an SQLite file (a
//! path) or a PostgreSQL database (a `postgres://` or `postgresql://` URL).

use std::fmt;
use std::path::PathBuf;

use order_core::{
    BatchStore, CommandRecord, Commit, EventEnvelope, EventStore, OrderPage, OrderView, Snapshot,
    StoreError, StoredEvent,
};
use order_store::{is_postgres_url, PostgresStore, SqliteStore, Synchronous};

use crate::queries::Queries;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

impl std::str::FromStr for Database {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if is_postgres_url(text) {
            return Ok(Database::Postgres(text.to_string()));
        }
        // Anything else that looks like a URL is a mistake, not a folder to create.
        if let Some((scheme, _)) = text.split_once("://") {
            return Err(format!(
                "`{scheme}://` is not a supported database: give a file path (SQLite) or a \
                 postgres:// / postgresql:// URL"
            ));
        }
        if text.is_empty() {
            return Err("the database path is empty".into());
        }
        Ok(Database::Sqlite(PathBuf::from(text)))
    }
}

impl fmt::Display for Database {
    /// The path, or the URL without its password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "{}", path.display()),
            Database::Postgres(url) => write!(f, "{}", redact_password(url)),
        }
    }
}

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

impl Database {
    /// Opens the store for writing, creating or migrating its schema.
    pub fn open(&self, synchronous: Synchronous) -> Result<AnyStore, StoreError> {
        Ok(match self {
            Database::Sqlite(path) => AnyStore::Sqlite(SqliteStore::open(path, synchronous)?),
            Database::Postgres(url) => AnyStore::Postgres(Box::new(PostgresStore::open(url)?)),
        })
    }

    /// A pool of read connections (the writer must have opened the database first).
    pub fn queries(&self) -> Queries {
        match self {
            Database::Sqlite(path) => Queries::sqlite(path.clone()),
            Database::Postgres(url) => {
                let url = url.clone();
                Queries::new(move || Ok(Box::new(PostgresStore::connect(&url)?) as _))
            }
        }
    }
}

/// The writer's and the CLI's store, whichever backend `--db` chose.
pub enum AnyStore {
    Sqlite(SqliteStore),
    /// Boxed: a PostgreSQL client is several times the size of an SQLite handle.
    Postgres(Box<PostgresStore>),
}

impl AnyStore {
    /// How long a write waits for another process's lock (SQLite's busy timeout); on
    /// PostgreSQL writers queue on row locks inside the server, so nothing to set.
    pub fn set_busy_timeout(&self, timeout: std::time::Duration) -> Result<(), StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.set_busy_timeout(timeout),
            AnyStore::Postgres(_) => Ok(()),
        }
    }

    /// Events exactly as stored (see `SqliteStore::read_all_stored`).
    pub fn read_all_stored(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.read_all_stored(after_position, limit),
            AnyStore::Postgres(s) => s.read_all_stored(after_position, limit),
        }
    }

    /// Appends stored events as they are (see `SqliteStore::import`).
    pub fn import(&mut self, events: Vec<StoredEvent>) -> Result<u64, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.import(events),
            AnyStore::Postgres(s) => s.import(events),
        }
    }
}

macro_rules! each {
    ($self:expr, $s:ident => $body:expr) => {
        match $self {
            AnyStore::Sqlite($s) => $body,
            AnyStore::Postgres($s) => $body,
        }
    };
}

impl BatchStore for AnyStore {
    fn begin_batch(&mut self) -> Result<(), StoreError> {
        each!(self, s => s.begin_batch())
    }
    fn prefetch(&mut self, streams: &[&str], command_ids: &[&str]) -> Result<(), StoreError> {
        each!(self, s => s.prefetch(streams, command_ids))
    }
    fn finish_batch(&mut self) -> Result<(), StoreError> {
        each!(self, s => s.finish_batch())
    }
    fn abort_batch(&mut self) {
        each!(self, s => s.abort_batch())
    }
}

impl EventStore for AnyStore {
    fn commit(&mut self, commit: Commit) -> Result<Vec<u64>, StoreError> {
        each!(self, s => s.commit(commit))
    }
    fn read_stream(&self, id: &str, after: u64) -> Result<Vec<EventEnvelope>, StoreError> {
        each!(self, s => s.read_stream(id, after))
    }
    fn read_all(&self, after: u64, limit: usize) -> Result<Vec<EventEnvelope>, StoreError> {
        each!(self, s => s.read_all(after, limit))
    }
    fn last_position(&self) -> Result<u64, StoreError> {
        each!(self, s => s.last_position())
    }
    fn load_snapshot(&self, id: &str) -> Result<Option<Snapshot>, StoreError> {
        each!(self, s => s.load_snapshot(id))
    }
    fn command_record(&self, id: &str) -> Result<Option<CommandRecord>, StoreError> {
        each!(self, s => s.command_record(id))
    }
    fn get_view(&self, id: &str) -> Result<Option<OrderView>, StoreError> {
        each!(self, s => s.get_view(id))
    }
    fn list_views(
        &self,
        customer: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<OrderPage, StoreError> {
        each!(self, s => s.list_views(customer, after, limit))
    }
    fn clear_read_models(&mut self) -> Result<(), StoreError> {
        each!(self, s => s.clear_read_models())
    }
    fn save_views(&mut self, views: &[OrderView], checkpoint: u64) -> Result<(), StoreError> {
        each!(self, s => s.save_views(views, checkpoint))
    }
    fn projection_checkpoint(&self) -> Result<u64, StoreError> {
        each!(self, s => s.projection_checkpoint())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_url_is_a_database_not_a_folder() {
        for url in ["postgres://root@127.0.0.1/test", "postgresql://u@h:5433/db"] {
            assert_eq!(
                url.parse::<Database>(),
                Ok(Database::Postgres(url.to_string()))
            );
        }
        assert_eq!(
            "./data/orders.db".parse::<Database>(),
            Ok(Database::Sqlite("./data/orders.db".into()))
        );
        let refused = "mysql://h/db".parse::<Database>().unwrap_err();
        assert!(
            refused.contains("`mysql://` is not a supported database"),
            "{refused}"
        );
    }

    #[test]
    fn a_password_never_shows() {
        let db: Database = "postgresql://app:s3cret@db.example:5432/orders"
            .parse()
            .unwrap();
        assert_eq!(
            db.to_string(),
            "postgresql://app:***@db.example:5432/orders"
        );
        let db: Database = "postgres://root@127.0.0.1/test".parse().unwrap();
        assert_eq!(db.to_string(), "postgres://root@127.0.0.1/test");
    }
}
