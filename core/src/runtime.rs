//! Where the pure functions run. Natively they are plain calls; the server swaps in a
//! runtime that makes the same calls inside a WebAssembly sandbox, which can fail (a trap,
//! fuel or memory exhausted) independently of the domain's own rules.

use crate::command::Command;
use crate::context::Context;
use crate::decide::decide;
use crate::envelope::EventEnvelope;
use crate::error::DomainError;
use crate::event::Event;
use crate::state::{evolve_all, OrderState};
use crate::view::{project_all, OrderView};

/// The runtime itself failed; the command had no effect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("domain runtime failed: {0}")]
pub struct RuntimeError(pub String);

pub trait DomainRuntime {
    fn decide(
        &mut self,
        state: &OrderState,
        command: &Command,
        ctx: &Context,
    ) -> Result<Result<Vec<Event>, DomainError>, RuntimeError>;

    fn evolve(&mut self, state: OrderState, events: &[Event]) -> Result<OrderState, RuntimeError>;

    fn project(
        &mut self,
        view: Option<OrderView>,
        envelopes: &[EventEnvelope],
    ) -> Result<Option<OrderView>, RuntimeError>;

    /// Identifies the code that decides (the server records a guest module's hash).
    fn module_hash(&self) -> Option<String> {
        None
    }
}

/// The core's functions called directly.
#[derive(Debug, Default, Clone, Copy)]
pub struct NativeRuntime;

impl DomainRuntime for NativeRuntime {
    fn decide(
        &mut self,
        state: &OrderState,
        command: &Command,
        ctx: &Context,
    ) -> Result<Result<Vec<Event>, DomainError>, RuntimeError> {
        Ok(decide(state, command, ctx))
    }

    fn evolve(&mut self, state: OrderState, events: &[Event]) -> Result<OrderState, RuntimeError> {
        Ok(evolve_all(state, events))
    }

    fn project(
        &mut self,
        view: Option<OrderView>,
        envelopes: &[EventEnvelope],
    ) -> Result<Option<OrderView>, RuntimeError> {
        Ok(project_all(view, envelopes))
    }
}
