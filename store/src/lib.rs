//! The SQLite event store shared by the reference server and the Python package, so both
//! read and write the very same file format.

mod schema;
mod sqlite;

pub use schema::SCHEMA_VERSION;
pub use sqlite::{SqliteStore, Synchronous};
