//! The order core as a WebAssembly component: the WIT world `order:domain/order-domain`
//! (../wit), exporting one call per command plus the two folds, over typed values, and
//! importing nothing. A thin wrapper: the WIT values in, the core's call, the WIT values
//! out; no rule lives here.

wit_bindgen::generate!({
    world: "order-domain",
    path: "../wit",
});

#[cfg(feature = "chaos")]
mod chaos;
#[path = "../../wit/typed.rs"]
mod typed;

use exports::order::domain::decider as wit;
use typed::ToCore;

struct OrderDomain;

impl wit::Guest for OrderDomain {
    fn handle(
        state: wit::OrderState,
        view: Option<wit::OrderView>,
        command: wit::Command,
        context: wit::Context,
        recorded_at: wit::Timestamp,
    ) -> Result<wit::Decision, wit::DecideError> {
        fn invalid(what: &'static str) -> impl Fn(String) -> wit::DecideError {
            move |e| wit::DecideError::InvalidInput(format!("{what}: {e}"))
        }
        let state = state.to_core().map_err(invalid("state"))?;
        let view = view.to_core().map_err(invalid("view"))?;
        let command = command.to_core().map_err(invalid("command"))?;
        let context = context.to_core().map_err(invalid("context"))?;
        let recorded_at = recorded_at.to_core().map_err(invalid("recorded-at"))?;
        #[cfg(feature = "chaos")]
        chaos::misbehave(&command);
        let decision = order_core::decide_and_fold(state, view, &command, &context, recorded_at)
            .map_err(|e| wit::DecideError::Rejected(e.into()))?;
        Ok(wit::Decision {
            events: decision.events.into_iter().map(Into::into).collect(),
            state: decision.state.into(),
            view: decision.view.map(Into::into),
        })
    }

    fn evolve(state: wit::OrderState, events: Vec<wit::Event>) -> Result<wit::OrderState, String> {
        let state = state.to_core().map_err(|e| format!("state: {e}"))?;
        let events = events.to_core().map_err(|e| format!("events: {e}"))?;
        Ok(order_core::evolve_all(state, &events).into())
    }

    fn project(
        view: Option<wit::OrderView>,
        events: Vec<wit::RecordedEvent>,
    ) -> Result<Option<wit::OrderView>, String> {
        let view = view.to_core().map_err(|e| format!("view: {e}"))?;
        events
            .into_iter()
            .enumerate()
            .try_fold(view, |view, (i, recorded)| {
                let event = recorded.event.to_core();
                let recorded_at = recorded.recorded_at.to_core();
                let (event, recorded_at) = event
                    .and_then(|event| Ok((event, recorded_at?)))
                    .map_err(|e| format!("events[{i}]: {e}"))?;
                Ok(order_core::project_event(
                    view,
                    &event,
                    recorded.version,
                    recorded_at,
                ))
            })
            .map(|view| view.map(Into::into))
    }
}

export!(OrderDomain);
