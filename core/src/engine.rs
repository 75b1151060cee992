//! Command handling shared by every host: load (snapshot + tail), decide, append with the
//! expected version, project, record the command for idempotency, snapshot every N events.
//! The host supplies the store, the runtime and the environment (clock and ids); the
//! engine itself stays free of I/O.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::command::Command;
use crate::context::Context;
use crate::envelope::{EventEnvelope, Metadata};
use crate::error::DomainError;
use crate::idempotency::{fingerprint, replay};
use crate::runtime::{DomainRuntime, NativeRuntime, RuntimeError};
use crate::snapshot::{snapshot_due, Snapshot, DEFAULT_SNAPSHOT_EVERY};
use crate::state::{initial_state, OrderState};
use crate::state_cache::{CachedStream, StateCache};
use crate::store::{CommandRecord, Commit, EventStore, OrderPage, StoreError};
use crate::temporal::{view_as_of, AsOf};
use crate::view::OrderView;

mod batch;
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

/// Where a decision starts.
struct Start {
    state: OrderState,
    /// When the state came from the cache: the view projected with it.
    cached_view: Option<Option<OrderView>>,
    /// When the state came from the cache: the id of its last event, which the commit names.
    expected_last_event: Option<Uuid>,
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

    /// Where a decision starts: the cached state when there is one (the commit then proves
    /// it current), else the state loaded from the store.
    fn starting_point(
        &mut self,
        stream_id: &str,
        expected_version: Option<u64>,
        use_cache: bool,
    ) -> Result<Start, EngineError> {
        if let Some(cached) = self.cache.take(stream_id).filter(|_| use_cache) {
            // A caller expecting another version may know of appends this engine has not
            // seen: only the store can say whether they are right.
            if expected_version.is_none_or(|expected| expected == cached.state.version) {
                return Ok(Start {
                    state: cached.state,
                    cached_view: Some(cached.view),
                    expected_last_event: cached.last_event_id,
                });
            }
        }
        Ok(Start {
            state: self.load_state(stream_id)?,
            cached_view: None,
            expected_last_event: None,
        })
    }

    /// Commits; `None` when the store refused it because the cached state the decision
    /// started from was not the stream's any more (the caller decides again on the store's).
    fn commit_unless_stale(
        &mut self,
        commit: Commit,
        from_cache: bool,
    ) -> Result<Option<Vec<u64>>, StoreError> {
        match self.store.commit(commit) {
            Err(StoreError::Concurrency { .. }) if from_cache => Ok(None),
            other => other.map(Some),
        }
    }

    /// Handles one command end to end.
    pub fn handle(
        &mut self,
        command: Command,
        options: CommandOptions,
    ) -> Result<CommandOutcome, EngineError> {
        let fingerprint = fingerprint(&command, &options);
        if let Some(command_id) = &options.command_id {
            if let Some(record) = self.store.command_record(command_id)? {
                return replay(record, &command, &options);
            }
        }
        let stream_id = command.order_id().to_string();
        let mut attempt = 0;
        loop {
            match self.try_handle(&stream_id, &command, &options, fingerprint.as_deref(), true) {
                Err(EngineError::Store(StoreError::DuplicateCommand(command_id))) => {
                    // Another writer applied the same command id between our check and commit.
                    let record = self.store.command_record(&command_id)?.ok_or_else(|| {
                        EngineError::Store(StoreError::Corrupt(format!(
                            "command `{command_id}` reported applied but has no record"
                        )))
                    })?;
                    return replay(record, &command, &options);
                }
                Err(EngineError::Concurrency { .. })
                    if options.expected_version.is_none() && attempt < self.config.max_retries =>
                {
                    attempt += 1;
                }
                Err(rejection @ (EngineError::Domain(_) | EngineError::Concurrency { .. })) => {
                    // Another writer (another server on the same database) may have applied
                    // this very command id after the first look and before the state was
                    // loaded: the rejection is then of that command's own result, and the
                    // answer must be the one a retry gets.
                    if let Some(command_id) = &options.command_id {
                        if let Some(record) = self.store.command_record(command_id)? {
                            return replay(record, &command, &options);
                        }
                    }
                    return Err(rejection);
                }
                other => return other,
            }
        }
    }

    fn try_handle(
        &mut self,
        stream_id: &str,
        command: &Command,
        options: &CommandOptions,
        fingerprint: Option<&str>,
        use_cache: bool,
    ) -> Result<CommandOutcome, EngineError> {
        let Start {
            state,
            cached_view,
            expected_last_event,
        } = self.starting_point(stream_id, options.expected_version, use_cache)?;
        let from_cache = cached_view.is_some();
        if let Some(expected) = options.expected_version {
            if expected != state.version {
                return Err(EngineError::Concurrency {
                    stream_id: stream_id.to_string(),
                    expected,
                    actual: state.version,
                });
            }
        }
        // The stream's last event, when it exists, fixes the earliest time a new one may
        // carry: recordedAt never goes backwards within a stream, whatever a host's clock
        // does (a wall clock stepped back, two processes' clocks apart).
        let prior_view = match (cached_view, &state.order) {
            // The view this engine projected when it committed the cached state.
            (Some(view), _) => view,
            // The stored row is the read model's own fold; start from it so the read model
            // stays a projection of envelopes, not a copy of the write state.
            (None, Some(_)) => self.store.get_view(stream_id)?,
            (None, None) => None,
        };
        let clock = self.env.now();
        let now = prior_view
            .as_ref()
            .map_or(clock, |view| clock.max(view.updated_at));
        let ctx = Context {
            now: options.issued_at.unwrap_or(now),
            actor: options.actor.clone(),
        };
        let decided = self.runtime.decide(&state, command, &ctx)?;
        // A decision on a cached state counts only once a commit proves that state current.
        // A rejection, or a no-op with nothing to record, commits nothing: decide those again
        // on the store's state (rare, and never the hot path).
        let commits_something = matches!(&decided, Ok(events) if !events.is_empty())
            || (decided.is_ok() && options.command_id.is_some());
        if from_cache && !commits_something {
            return self.try_handle(stream_id, command, options, fingerprint, false);
        }
        let events = decided?;
        let record = options.command_id.as_ref().map(|id| CommandRecord {
            command_id: id.clone(),
            order_id: stream_id.to_string(),
            version: state.version + events.len() as u64,
            positions: Vec::new(),
            fingerprint: fingerprint.map(str::to_string),
        });
        if events.is_empty() {
            // A successful no-op. With a command id it is still recorded, so a retry answers
            // the same even if the order changes meanwhile.
            if let Some(record) = record {
                let commit = Commit {
                    stream_id: stream_id.to_string(),
                    expected_version: state.version,
                    expected_last_event,
                    events: Vec::new(),
                    view: None,
                    snapshot: None,
                    command: Some(record),
                };
                if self.commit_unless_stale(commit, from_cache)?.is_none() {
                    return self.try_handle(stream_id, command, options, fingerprint, false);
                }
            }
            let version = state.version;
            if from_cache {
                let view = prior_view;
                self.cache.put(
                    stream_id,
                    CachedStream {
                        state,
                        view,
                        last_event_id: expected_last_event,
                    },
                );
            }
            return Ok(CommandOutcome {
                command_id: options.command_id.clone(),
                order_id: stream_id.to_string(),
                version,
                positions: Vec::new(),
                events: Vec::new(),
                replayed: false,
            });
        }
        let event_ids: Vec<Uuid> = events.iter().map(|_| self.env.new_event_id()).collect();
        // Every event traces to its command: a command sent without an id is named by its
        // first event's id (unique, and no extra id to mint), which also correlates it
        // unless the caller gave a correlation id. Only a caller's id is an idempotency key.
        let command_id = options
            .command_id
            .clone()
            .unwrap_or_else(|| event_ids[0].to_string());
        let metadata = Metadata {
            correlation_id: Some(
                options
                    .correlation_id
                    .clone()
                    .unwrap_or_else(|| command_id.clone()),
            ),
            command_id: Some(command_id),
            causation_id: options.causation_id.clone(),
            actor: options.actor.clone(),
            recorded_at: now,
            issued_at: options.issued_at,
            module_hash: self.runtime.module_hash(),
        };
        let mut envelopes: Vec<EventEnvelope> = events
            .iter()
            .zip(event_ids)
            .enumerate()
            .map(|(i, (event, event_id))| EventEnvelope {
                event_id,
                stream_id: stream_id.to_string(),
                version: state.version + 1 + i as u64,
                position: 0,
                event: event.clone(),
                metadata: metadata.clone(),
            })
            .collect();
        let expected_version = state.version;
        let view = self.runtime.project(prior_view, &envelopes)?;
        let new_state = self.runtime.evolve(state, &events)?;
        let snapshot = snapshot_due(
            expected_version,
            new_state.version,
            self.config.snapshot_every,
        )
        .then(|| Snapshot::of(stream_id, &new_state));
        let commit = Commit {
            stream_id: stream_id.to_string(),
            expected_version,
            expected_last_event,
            events: envelopes.clone(),
            view: view.clone(),
            snapshot,
            command: record,
        };
        let Some(positions) = self.commit_unless_stale(commit, from_cache)? else {
            return self.try_handle(stream_id, command, options, fingerprint, false);
        };
        let version = new_state.version;
        self.cache.put(
            stream_id,
            CachedStream {
                state: new_state,
                view,
                last_event_id: envelopes.last().map(|e| e.event_id),
            },
        );
        for (envelope, position) in envelopes.iter_mut().zip(&positions) {
            envelope.position = *position;
        }
        Ok(CommandOutcome {
            command_id: options.command_id.clone(),
            order_id: stream_id.to_string(),
            version,
            positions,
            events: envelopes,
            replayed: false,
        })
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
                let events = self.store.read_stream(order_id, 0)?;
                Ok(view_as_of(&events, as_of))
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
