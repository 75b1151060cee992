//! Handling one command: where its decision starts (a remembered state or the store's),
//! the decision in the runtime, the events' metadata, the commit that proves a remembered
//! state current, and the answer to a retry.

use uuid::Uuid;

use super::{CommandOptions, CommandOutcome, Engine, EngineError, Environment};
use crate::command::Command;
use crate::context::Context;
use crate::envelope::{EventEnvelope, Metadata};
use crate::idempotency::{fingerprint, replay};
use crate::runtime::{Decision, DomainRuntime};
use crate::snapshot::{snapshot_due, Snapshot};
use crate::state::OrderState;
use crate::state_cache::CachedStream;
use crate::store::{CommandRecord, Commit, EventStore, StoreError};
use crate::view::OrderView;

/// Where a decision starts.
struct Start {
    state: OrderState,
    /// When the state came from the cache: the view projected with it.
    cached_view: Option<Option<OrderView>>,
    /// When the state came from the cache: the id of its last event, which the commit names.
    expected_last_event: Option<Uuid>,
}

impl<S: EventStore, E: Environment, R: DomainRuntime> Engine<S, E, R> {
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
        // One runtime call: the events, and the state and view after them. A no-op hands the
        // prior view back unchanged.
        let version = state.version;
        let decided = self.runtime.handle(state, prior_view, command, &ctx, now)?;
        // A decision on a cached state counts only once a commit proves that state current.
        // A rejection, or a no-op with nothing to record, commits nothing: decide those again
        // on the store's state (rare, and never the hot path).
        let commits_something = matches!(&decided, Ok(decision) if !decision.events.is_empty())
            || (decided.is_ok() && options.command_id.is_some());
        if from_cache && !commits_something {
            return self.try_handle(stream_id, command, options, fingerprint, false);
        }
        let Decision {
            events,
            state: new_state,
            view,
        } = decided?;
        let record = options.command_id.as_ref().map(|id| CommandRecord {
            command_id: id.clone(),
            order_id: stream_id.to_string(),
            version: version + events.len() as u64,
            positions: Vec::new(),
            fingerprint: fingerprint.map(str::to_string),
        });
        if events.is_empty() {
            // A successful no-op. With a command id it is still recorded, so a retry answers
            // the same even if the order changes meanwhile.
            if let Some(record) = record {
                let commit = Commit {
                    stream_id: stream_id.to_string(),
                    expected_version: version,
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
            if from_cache {
                self.cache.put(
                    stream_id,
                    CachedStream {
                        state: new_state,
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
            .into_iter()
            .zip(event_ids)
            .enumerate()
            .map(|(i, (event, event_id))| EventEnvelope {
                event_id,
                stream_id: stream_id.to_string(),
                version: version + 1 + i as u64,
                position: 0,
                event,
                metadata: metadata.clone(),
            })
            .collect();
        let expected_version = version;
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
}
