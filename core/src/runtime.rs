//! Where the pure functions run. Natively they are plain calls; the server swaps in a
//! runtime that makes the same calls inside a WebAssembly sandbox, which can fail (a trap,
//! fuel or memory exhausted) independently of the domain's own rules.

use chrono::{DateTime, Utc};

use crate::command::Command;
use crate::context::Context;
use crate::decide::decide;
use crate::envelope::EventEnvelope;
use crate::error::DomainError;
use crate::event::Event;
use crate::state::{evolve_all, OrderState};
use crate::view::{project_all, project_event, OrderView};

/// The runtime itself failed; the command had no effect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("domain runtime failed: {0}")]
pub struct RuntimeError(pub String);

/// One command's domain work: the events decided, and the state and read model after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub events: Vec<Event>,
    pub state: OrderState,
    pub view: Option<OrderView>,
}

/// Decides `command` against `state`, then folds the decided events into the state and into
/// `view` (the read model before them), each event projected at its stream version and
/// recorded at `recorded_at`. A sandboxed runtime does all of it in one call.
pub fn decide_and_fold(
    state: OrderState,
    view: Option<OrderView>,
    command: &Command,
    ctx: &Context,
    recorded_at: DateTime<Utc>,
) -> Result<Decision, DomainError> {
    let events = decide(&state, command, ctx)?;
    let first_version = state.version + 1;
    let view = events
        .iter()
        .zip(first_version..)
        .fold(view, |view, (event, version)| {
            project_event(view, event, version, recorded_at)
        });
    let state = evolve_all(state, &events);
    Ok(Decision {
        events,
        state,
        view,
    })
}

/// What a runtime runs: a whole command, and the two folds that loading and replay need.
pub trait DomainRuntime {
    /// [`decide_and_fold`]: the rejection inside, a failure of the runtime outside. The
    /// state is taken, not borrowed: the decision hands back the next one, so nothing copies it.
    fn handle(
        &mut self,
        state: OrderState,
        view: Option<OrderView>,
        command: &Command,
        ctx: &Context,
        recorded_at: DateTime<Utc>,
    ) -> Result<Result<Decision, DomainError>, RuntimeError>;

    fn evolve(&mut self, state: OrderState, events: &[Event]) -> Result<OrderState, RuntimeError>;

    fn project(
        &mut self,
        view: Option<OrderView>,
        envelopes: &[EventEnvelope],
    ) -> Result<Option<OrderView>, RuntimeError>;

    /// The decided events alone.
    fn decide(
        &mut self,
        state: &OrderState,
        command: &Command,
        ctx: &Context,
    ) -> Result<Result<Vec<Event>, DomainError>, RuntimeError> {
        Ok(self
            .handle(state.clone(), None, command, ctx, ctx.now)?
            .map(|decision| decision.events))
    }

    /// Identifies the code that decides (the server records a guest module's hash).
    fn module_hash(&self) -> Option<String> {
        None
    }
}

/// The core's functions called directly.
#[derive(Debug, Default, Clone, Copy)]
pub struct NativeRuntime;

impl DomainRuntime for NativeRuntime {
    fn handle(
        &mut self,
        state: OrderState,
        view: Option<OrderView>,
        command: &Command,
        ctx: &Context,
        recorded_at: DateTime<Utc>,
    ) -> Result<Result<Decision, DomainError>, RuntimeError> {
        Ok(decide_and_fold(state, view, command, ctx, recorded_at))
    }

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

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::command::{AddItem, CreateOrder};

    fn at(second: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap() + Duration::seconds(second)
    }

    fn add_item(quantity: u32, price: &str) -> Command {
        Command::AddItem(AddItem {
            order_id: "o-1".into(),
            product_id: "p-1".into(),
            quantity: quantity.into(),
            price: price.into(),
        })
    }

    #[test]
    fn a_whole_command_folds_its_events_at_their_versions_and_recording_time() {
        let create = Command::CreateOrder(CreateOrder {
            order_id: "o-1".into(),
            customer_id: "c-1".into(),
        });
        let created = decide_and_fold(
            OrderState::default(),
            None,
            &create,
            &Context::at(at(0)),
            at(1),
        )
        .unwrap();
        assert_eq!(created.state.version, 1);
        let view = created.view.clone().unwrap();
        assert_eq!((view.version, view.updated_at), (1, at(1)));

        let added = decide_and_fold(
            created.state.clone(),
            created.view,
            &add_item(2, "19.99"),
            &Context::at(at(5)),
            at(6),
        )
        .unwrap();
        assert_eq!(added.events.len(), 1);
        assert_eq!(
            added.state,
            evolve_all(created.state.clone(), &added.events)
        );
        let view = added.view.unwrap();
        assert_eq!((view.version, view.updated_at), (2, at(6)));
        assert_eq!(view.total, crate::money::Money::parse("39.98").unwrap());
    }

    #[test]
    fn a_rejection_folds_nothing() {
        let rejected = decide_and_fold(
            OrderState::default(),
            None,
            &add_item(1, "1.00"),
            &Context::at(at(0)),
            at(0),
        );
        assert!(matches!(rejected, Err(DomainError::OrderNotFound { .. })));
    }
}
