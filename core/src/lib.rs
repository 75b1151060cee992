//! The order domain, written once and run in every host (browser, Python, server).
//!
//! Pure functions: [`initial_state`], [`decide`], [`evolve`], [`project`], plus temporal
//! folds, snapshots and upcasters. Around them, host-agnostic machinery every adapter reuses:
//! the [`EventStore`] port with an in-memory implementation and the command [`Engine`].
//! Nothing here performs I/O, reads a clock or draws randomness: hosts supply time and ids.

pub mod command;
pub mod context;
pub mod decide;
pub mod engine;
pub mod envelope;
pub mod error;
pub mod event;
mod idempotency;
pub mod limits;
pub mod memory_store;
pub mod money;
pub mod runtime;
pub mod snapshot;
pub mod state;
mod state_cache;
pub mod store;
pub mod temporal;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod upcast;
pub mod view;

pub use command::{AddItem, CancelOrder, Command, CreateOrder, PlaceOrder, RemoveItem};
pub use context::Context;
pub use decide::decide;
pub use engine::{
    CommandOptions, CommandOutcome, CommandResult, Engine, EngineConfig, EngineError, Environment,
    FixedEnvironment, VerifyReport,
};
pub use envelope::{EventEnvelope, Metadata, StoredEvent};
pub use error::DomainError;
pub use event::{Event, ItemAdded, ItemRemoved, OrderCancelled, OrderCreated, OrderPlaced};
pub use memory_store::MemoryStore;
pub use money::{DecimalText, Money, MoneyParseError};
pub use runtime::{decide_and_fold, Decision, DomainRuntime, NativeRuntime, RuntimeError};
pub use snapshot::{Snapshot, DEFAULT_SNAPSHOT_EVERY, STATE_SCHEMA_VERSION};
pub use state::{evolve, evolve_all, initial_state, Order, OrderItem, OrderState, OrderStatus};
pub use store::{
    place_imported, BatchStore, CommandRecord, Commit, EventStore, OrderPage, StoreError,
};
pub use temporal::{history_as_of, AsOf};
pub use upcast::{upcast, UpcastError};
pub use view::{project, project_all, project_event, OrderView};

/// Input that could not be decoded (malformed JSON, a missing field, a wrong type).
/// Code `invalid_input`; distinct from a well-formed value that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DecodeError {
    pub message: String,
}

impl DecodeError {
    pub const CODE: &'static str = "invalid_input";

    pub fn code(&self) -> &'static str {
        Self::CODE
    }
}

impl From<serde_json::Error> for DecodeError {
    fn from(e: serde_json::Error) -> Self {
        DecodeError {
            message: e.to_string(),
        }
    }
}

/// Decodes an event (tagged by `type`, today's schema) from JSON text.
pub fn event_from_json(text: &str) -> Result<Event, DecodeError> {
    serde_json::from_str(text).map_err(DecodeError::from)
}

/// Decodes an envelope from JSON text, upcasting an older payload.
pub fn envelope_from_json(text: &str) -> Result<EventEnvelope, DecodeError> {
    serde_json::from_str(text).map_err(DecodeError::from)
}

/// The README's Rust example runs as a doctest, so it cannot drift from the code.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
