//! The core's pure functions for callers who bring their own storage: fold events with
//! `evolve`, ask `decide`, fold envelopes into the read model with `project`.
//! Same inputs, same outputs as every other host, because it is the same code.

use order_core::{Command, Context, Event, EventEnvelope, OrderState, OrderView};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::convert::{from_js, from_js_tagged, to_js};
use crate::error;

/// The state of a stream with no events: `{version: 0, order: null}`.
#[wasm_bindgen(js_name = initialState, unchecked_return_type = "OrderState")]
pub fn initial_state() -> Result<JsValue, JsValue> {
    to_js(&order_core::initial_state())
}

/// The events a command produces against a state, or throws the rule it breaks.
/// `context` is `{now: RFC 3339, actor?}`; an empty array is a successful no-op.
#[wasm_bindgen(unchecked_return_type = "Event[]")]
pub fn decide(
    #[wasm_bindgen(unchecked_param_type = "OrderState")] state: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Command")] command: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Context")] context: JsValue,
) -> Result<JsValue, JsValue> {
    let state: OrderState = from_js(state, "decide: state")?;
    let command: Command = from_js_tagged(command, "decide: command")?;
    let context: Context = from_js(context, "decide: context")?;
    let events = order_core::decide(&state, &command, &context).map_err(|e| error::domain(&e))?;
    to_js(&events)
}

/// The state after one event. Total: never throws for a well-formed event.
#[wasm_bindgen(unchecked_return_type = "OrderState")]
pub fn evolve(
    #[wasm_bindgen(unchecked_param_type = "OrderState")] state: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Event")] event: JsValue,
) -> Result<JsValue, JsValue> {
    let state: OrderState = from_js(state, "evolve: state")?;
    let event: Event = from_js_tagged(event, "evolve: event")?;
    to_js(&order_core::evolve(state, &event))
}

/// The state after a sequence of events, in one call (one crossing for a whole history).
#[wasm_bindgen(js_name = evolveAll, unchecked_return_type = "OrderState")]
pub fn evolve_all(
    #[wasm_bindgen(unchecked_param_type = "OrderState")] state: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ReadonlyArray<Event>")] events: JsValue,
) -> Result<JsValue, JsValue> {
    let state: OrderState = from_js(state, "evolveAll: state")?;
    let events: Vec<Event> = from_js_tagged(events, "evolveAll: events")?;
    to_js(&order_core::evolve_all(state, &events))
}

/// The read model after one envelope (`null` before the order exists).
#[wasm_bindgen(unchecked_return_type = "OrderView | null")]
pub fn project(
    #[wasm_bindgen(unchecked_param_type = "OrderView | null")] view: JsValue,
    #[wasm_bindgen(unchecked_param_type = "EventEnvelope | StoredEvent")] envelope: JsValue,
) -> Result<JsValue, JsValue> {
    let view: Option<OrderView> = from_js(view, "project: view")?;
    let envelope: EventEnvelope = from_js(envelope, "project: envelope")?;
    to_js(&order_core::project(view, &envelope))
}

/// Today's event from a stored payload of any known schema version
/// (`{type, schemaVersion, data}`), as the core's upcasters define it.
#[wasm_bindgen(unchecked_return_type = "Event")]
pub fn upcast(
    #[wasm_bindgen(unchecked_param_type = "StoredPayload")] stored: JsValue,
) -> Result<JsValue, JsValue> {
    let stored: StoredPayload = from_js(stored, "upcast")?;
    let event = order_core::upcast(&stored.event_type, stored.schema_version, stored.data)
        .map_err(|e| error::invalid_input(&format!("upcast: {e}")))?;
    to_js(&event)
}

/// The domain's error codes (`DomainError.code`), as the core lists them.
#[wasm_bindgen(js_name = domainErrorCodes, unchecked_return_type = "DomainErrorCode[]")]
pub fn domain_error_codes() -> Result<JsValue, JsValue> {
    to_js(&order_core::DomainError::CODES)
}

/// The stored shape of an event payload: the part of `order_core::StoredEvent` upcasting needs.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredPayload {
    #[serde(rename = "type")]
    event_type: String,
    schema_version: u32,
    data: serde_json::Value,
}

/// Whether a caught value is an error thrown by this package (a real `Error` with one of
/// its codes); in TypeScript, narrows `unknown` to `OrderError`.
#[wasm_bindgen(js_name = isOrderError, unchecked_return_type = "error is OrderError")]
pub fn is_order_error(#[wasm_bindgen(unchecked_param_type = "unknown")] error: JsValue) -> bool {
    error.is_instance_of::<js_sys::Error>()
        && js_sys::Reflect::get(&error, &"code".into())
            .ok()
            .and_then(|code| code.as_string())
            .is_some_and(|code| error::is_known_code(&code))
}
