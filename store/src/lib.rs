//! The event stores behind the core's port: SQLite, shared by the reference server and the
//! Python package so both read and write the very same file format, and (feature
//! `postgres`) PostgreSQL, for several servers on one database.

#[cfg(feature = "postgres")]
pub mod postgres;
mod schema;
mod sqlite;

#[cfg(feature = "postgres")]
pub use self::postgres::{is_postgres_url, PostgresStore};
pub use schema::SCHEMA_VERSION;
pub use sqlite::{SqliteStore, Synchronous};
