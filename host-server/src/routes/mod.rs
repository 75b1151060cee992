//! HTTP handlers, one module per concern: commands (writes), queries (reads), the offline
//! sync batch endpoint, the live feed and operations (health, metrics).

pub mod commands;
pub mod ops;
pub mod queries;
pub mod stream;
pub mod sync;
