//! Command handling shared by every host: load (snapshot + tail), decide, append with the
//! expected version, project, record the command for idempotency, snapshot every N events.
//! The host supplies the store, the runtime and the environment (clock and ids); the
//! engine itself stays free of I/O. Here: its types, loading and queries; one command's
//! handling in `command.rs`, group commit in `batch.rs`, rebuild and verify in `replay.rs`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::envelope::EventEnvelope;
use crate::error::DomainError;
use crate::runtime::{DomainRuntime, NativeRuntime, RuntimeError};
use crate::snapshot::DEFAULT_SNAPSHOT_EVERY;
use crate::state::{initial_state, OrderState};
use crate::state_cache::StateCache;
use crate::store::{EventStore, OrderPage, StoreError};
use crate::temporal::{history_as_of, AsOf};
use crate::view::OrderView;

mod batch;
mod command;
mod replay;

pub use batch::CommandResult;

/// The host's clock and id source.
pub trait Environment {
    fn now(&mut self) -> DateTime<Utc>;
    /// A fresh event id (hosts use UUID v7).
    fn new_event_id(&mut self) -> Uuid;
}

/// A deterministic environment for tests and replays: a fixed start time advancing one
/// millisecond per call, and sequential ids.
#[derive(Debug, Clone)]
pub struct FixedEnvironment {
    pub now: DateTime<Utc>,
    pub next_id: u128,
}

impl FixedEnvironment {
    pub fn starting_at(now: DateTime<Utc>) -> Self {
        FixedEnvironment { now, next_id: 1 }
    }
}

impl Environment for FixedEnvironment {
    fn now(&mut self) -> DateTime<Utc> {
        let now = self.now;
        self.now += chrono::Duration::milliseconds(1);
        now
    }

    fn new_event_id(&mut self) -> Uuid {
        let id = Uuid::from_u128(self.next_id);
        self.next_id += 1;
        id
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineConfig {
    /// Events between snapshots; 0 disables snapshots.
    pub snapshot_every: u64,
    /// Re-decisions after a lost race when the caller gave no expected version.
    pub max_retries: u32,
    /// Streams whose state and view the engine keeps after committing, so the next command
    /// on them skips loading; 0 disables. Safe with other writers and rolled-back batches: a
    /// decision on a state that is no longer the stream's fails the commit's check of the
    /// expected version and last event id, and is made again on the store's state.
    pub state_cache: usize,
}

/// Default for [`EngineConfig::state_cache`]: a few MiB at most for typical orders.
pub const DEFAULT_STATE_CACHE: usize = 4096;

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            snapshot_every: DEFAULT_SNAPSHOT_EVERY,
            max_retries: 3,
            state_cache: DEFAULT_STATE_CACHE,
        }
    }
}

/// A command with the host-level options around it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandOptions {
    /// Idempotency key: a retry with the same id returns the first outcome, writes nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<String>,
    /// Optimistic concurrency: fail unless the stream is at this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<String>,
    /// When the user acted, as the client says (a command queued offline): the business
    /// time of what it decides. A host that takes it from a remote client bounds it first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<DateTime<Utc>>,
    /// The host generated the create's order id (the caller gave none): a retry with the
    /// same command id then means the order the first attempt created, whatever id this
    /// attempt generated. Host-internal, never read from a client.
    #[serde(skip)]
    pub order_id_generated: bool,
}

/// What a handled command did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandOutcome {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<String>,
    pub order_id: String,
    /// Stream version after the command.
    pub version: u64,
    /// Global positions of the events written (empty for a no-op or a replay... of a no-op).
    pub positions: Vec<u64>,
    /// The events written by this call (empty when `replayed`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventEnvelope>,
    /// True when this is the recorded outcome of an earlier call with the same command id.
    #[serde(default)]
    pub replayed: bool,
}

/// Why a command was not applied. Domain rejections are kept apart from host failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("concurrency conflict on `{stream_id}`: expected version {expected}, found {actual}")]
    Concurrency {
        stream_id: String,
        expected: u64,
        actual: u64,
    },
    #[error("command id `{command_id}` was already used for a different command")]
    IdempotencyKeyReused { command_id: String },
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Concurrency {
                stream_id,
                expected,
                actual,
            } => EngineError::Concurrency {
                stream_id,
                expected,
                actual,
            },
            other => EngineError::Store(other),
        }
    }
}

impl EngineError {
    /// Stable code: the domain's own, or one of the host-level codes.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Domain(e) => e.code(),
            EngineError::Concurrency { .. } => "concurrency_conflict",
            EngineError::IdempotencyKeyReused { .. } => "idempotency_key_reused",
            EngineError::Store(StoreError::Invalid(_)) => "invalid_input",
            EngineError::Store(StoreError::Corrupt(_)) => "corrupt_store",
            EngineError::Store(StoreError::Busy(_)) => "store_busy",
            EngineError::Store(StoreError::Full(_)) => "storage_full",
            EngineError::Store(StoreError::Unavailable(_)) => "database_unavailable",
            EngineError::Store(_) => "store_error",
            EngineError::Runtime(_) => "runtime_error",
        }
    }
}

/// Result of replaying every stream and comparing with the stored read model.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    pub streams: usize,
    pub events: u64,
    /// One line per stream whose stored view differs from the replay.
    pub mismatches: Vec<String>,
}

pub struct Engine<S, E, R = NativeRuntime> {
    store: S,
    env: E,
    runtime: R,
    config: EngineConfig,
    cache: StateCache,
}

impl<S: EventStore, E: Environment> Engine<S, E, NativeRuntime> {
    pub fn new(store: S, env: E) -> Self {
        Engine::with_runtime(store, env, NativeRuntime, EngineConfig::default())
    }
}

impl<S: EventStore, E: Environment, R: DomainRuntime> Engine<S, E, R> {
    pub fn with_runtime(store: S, env: E, runtime: R, config: EngineConfig) -> Self {
        Engine {
            store,
            env,
            runtime,
            cache: StateCache::new(config.state_cache),
            config,
        }
    }

    /// Drops every cached stream state, for hosts that know the cache went stale (writes the
    /// engine saw commit were rolled back by a failed group commit). Not needed for
    /// correctness, only to spare the next commits on those streams a refusal and a reload.
    pub fn forget_cached_states(&mut self) {
        self.cache.clear();
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    pub fn runtime_mut(&mut self) -> &mut R {
        &mut self.runtime
    }

    pub fn env_mut(&mut self) -> &mut E {
        &mut self.env
    }

    pub fn config(&self) -> EngineConfig {
        self.config
    }

    pub fn into_store(self) -> S {
        self.store
    }

    /// The current state of a stream: latest trusted snapshot plus the events after it.
    pub fn load_state(&mut self, stream_id: &str) -> Result<OrderState, EngineError> {
        let snapshot_state = self
            .store
            .load_snapshot(stream_id)?
            .and_then(|s| s.restore());
        let state = snapshot_state.unwrap_or_else(initial_state);
        let tail = self.store.read_stream(stream_id, state.version)?;
        if tail.is_empty() {
            return Ok(state);
        }
        let events: Vec<_> = tail.into_iter().map(|e| e.event).collect();
        Ok(self.runtime.evolve(state, &events)?)
    }

    /// The read model of an order (current), or its view as of a version or a moment.
    pub fn get_order(
        &mut self,
        order_id: &str,
        as_of: Option<AsOf>,
    ) -> Result<Option<OrderView>, EngineError> {
        match as_of {
            None => Ok(self.store.get_view(order_id)?),
            Some(as_of) => {
                // Folded by the runtime that decides, like the current view.
                let events = self.store.read_stream(order_id, 0)?;
                Ok(self.runtime.project(None, history_as_of(&events, as_of))?)
            }
        }
    }

    pub fn list_orders(
        &self,
        customer_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<OrderPage, EngineError> {
        Ok(self.store.list_views(customer_id, after, limit)?)
    }

    pub fn events(&self, order_id: &str) -> Result<Vec<EventEnvelope>, EngineError> {
        Ok(self.store.read_stream(order_id, 0)?)
    }

    pub fn all_events(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, EngineError> {
        Ok(self.store.read_all(after_position, limit)?)
    }
}
