//! Group commit: many commands decided one after another and committed in one store
//! transaction (one fsync), each with its own answer. Every host that batches (the server's
//! writer, Python's `execute_many`) runs its batches through here.

use super::{CommandOptions, CommandOutcome, Engine, EngineError, Environment};
use crate::command::Command;
use crate::runtime::DomainRuntime;
use crate::store::{BatchStore, StoreError};

/// One command's answer inside a batch, as [`Engine::handle`] gives it.
pub type CommandResult = Result<CommandOutcome, EngineError>;

impl<S: BatchStore, E: Environment, R: DomainRuntime> Engine<S, E, R> {
    /// Handles `commands` in order inside one store batch and commits them together. Each
    /// gets the result [`Engine::handle`] gives it: a rejected command writes nothing and
    /// the others go on, a command id seen earlier in the batch is a replay, and an
    /// expected version is checked against the stream as the batch has left it so far.
    ///
    /// `Err` means the batch itself could not be opened or committed: then no command of it
    /// was applied, whatever its result said, and each must be answered with that error. A
    /// retry with the same command ids is then safe.
    pub fn handle_batch(
        &mut self,
        commands: impl IntoIterator<Item = (Command, CommandOptions)>,
    ) -> Result<Vec<CommandResult>, StoreError> {
        let commands: Vec<(Command, CommandOptions)> = commands.into_iter().collect();
        self.store.begin_batch()?;
        let streams: Vec<&str> = commands.iter().map(|(c, _)| c.order_id()).collect();
        let command_ids: Vec<&str> = commands
            .iter()
            .filter_map(|(_, o)| o.command_id.as_deref())
            .collect();
        if let Err(e) = self.store.prefetch(&streams, &command_ids) {
            self.store.abort_batch();
            return Err(e);
        }
        let results: Vec<CommandResult> = commands
            .into_iter()
            .map(|(command, options)| self.handle(command, options))
            .collect();
        if let Err(e) = self.store.finish_batch() {
            self.store.abort_batch();
            // States cached from this batch never landed. Commits would catch that (they
            // name the last event they expect); forgetting them saves each a refused attempt.
            self.forget_cached_states();
            return Err(e);
        }
        Ok(results)
    }
}

impl EngineError {
    /// Whether the host could not process the command (the store failed, was busy or full,
    /// the runtime failed): the same command, with the same command id, may succeed later.
    /// False for an answer that stays whatever the retry: a broken rule, a concurrency
    /// conflict on the expected version, a reused command id, an invalid request.
    pub fn is_retryable(&self) -> bool {
        match self {
            EngineError::Domain(_)
            | EngineError::Concurrency { .. }
            | EngineError::IdempotencyKeyReused { .. } => false,
            EngineError::Store(store) => match store {
                StoreError::Invalid(_)
                | StoreError::Concurrency { .. }
                | StoreError::DuplicateCommand(_) => false,
                StoreError::Corrupt(_)
                | StoreError::Busy(_)
                | StoreError::Full(_)
                | StoreError::Unavailable(_)
                | StoreError::Backend(_) => true,
            },
            EngineError::Runtime(_) => true,
        }
    }
}
