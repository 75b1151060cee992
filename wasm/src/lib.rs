//! The order domain for browsers and Node: a thin wasm-bindgen adapter over `order-core`.
//!
//! Exported: the in-memory [`OrderEngine`] (commands, queries, offline log export/import)
//! and the pure functions (`initialState`, `decide`, `evolve`, `project`, `upcast`) for
//! callers who keep their own storage. Domain rules live only in the core; this crate
//! converts values, maps errors and supplies the browser's clock and ids.

mod convert;
mod engine;
mod environment;
mod error;
#[cfg(feature = "bench-floor")]
mod floor;
mod inputs;
mod pure;
mod results;
mod typescript;

pub use engine::OrderEngine;
pub use environment::BrowserEnv;
