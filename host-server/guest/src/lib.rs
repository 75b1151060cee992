//! The order core as a WebAssembly component: the WIT world `order:domain/order-domain`
//! (../wit), exporting decide/evolve/project over the core's own JSON shapes and importing
//! nothing. A thin wrapper: decoding, the core's call, encoding; no rule lives here.

wit_bindgen::generate!({
    world: "order-domain",
    path: "../wit",
});

#[cfg(feature = "chaos")]
mod chaos;

use exports::order::domain::decider::{DecideError, DomainError as WitDomainError, Guest};
use order_core::{Command, Context, EventEnvelope, OrderState, OrderView};
use serde::de::DeserializeOwned;
use serde::Serialize;

struct OrderDomain;

impl Guest for OrderDomain {
    fn decide(state: String, command: String, context: String) -> Result<Vec<String>, DecideError> {
        let state: OrderState = decode("state", &state).map_err(DecideError::InvalidInput)?;
        let command: Command = decode("command", &command).map_err(DecideError::InvalidInput)?;
        let context: Context = decode("context", &context).map_err(DecideError::InvalidInput)?;
        #[cfg(feature = "chaos")]
        chaos::misbehave(&command);
        match order_core::decide(&state, &command, &context) {
            Ok(events) => Ok(events.iter().map(encode).collect()),
            Err(e) => Err(DecideError::Rejected(WitDomainError {
                code: e.code().to_string(),
                message: e.to_string(),
                detail: encode(&e),
            })),
        }
    }

    fn evolve(state: String, events: Vec<String>) -> Result<String, String> {
        let state: OrderState = decode("state", &state)?;
        let events = events
            .iter()
            .enumerate()
            .map(|(i, e)| {
                order_core::event_from_json(e).map_err(|err| format!("events[{i}]: {err}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(encode(&order_core::evolve_all(state, &events)))
    }

    fn project(view: Option<String>, envelopes: Vec<String>) -> Result<Option<String>, String> {
        let view: Option<OrderView> = view.map(|v| decode("view", &v)).transpose()?;
        let envelopes = envelopes
            .iter()
            .enumerate()
            .map(|(i, e)| {
                order_core::envelope_from_json(e).map_err(|err| format!("envelopes[{i}]: {err}"))
            })
            .collect::<Result<Vec<EventEnvelope>, _>>()?;
        Ok(order_core::project_all(view, &envelopes).map(|v| encode(&v)))
    }
}

/// Decodes one argument, naming it in the error so the host can tell which input was bad.
fn decode<T: DeserializeOwned>(what: &str, json: &str) -> Result<T, String> {
    serde_json::from_str(json).map_err(|e| format!("{what}: {e}"))
}

fn encode<T: Serialize>(value: &T) -> String {
    // The core's types serialize to plain JSON objects (string keys only), which cannot
    // fail; were it ever to, the resulting trap surfaces as a runtime error on the host.
    serde_json::to_string(value).expect("core types always serialize to JSON")
}

export!(OrderDomain);
