//! The core's pure functions on plain dicts, for callers who bring their own storage. Shapes
//! are the contract's JSON (camelCase, tagged by `type`, decimal strings).

use order_core::{Command, Context, DecodeError, Event, EventEnvelope, OrderState, OrderView};
use pyo3::prelude::*;
use serde_json::Value;

use crate::convert::{from_plain, to_plain};
use crate::errors::Failure;

/// The state of a stream with no events: `{"version": 0}`.
#[pyfunction]
pub fn initial_state(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    to_plain(py, &order_core::initial_state())
}

/// The events a command produces against a state, or a `DomainError`.
#[pyfunction]
pub fn decide<'py>(
    py: Python<'py>,
    state: &Bound<'py, PyAny>,
    command: &Bound<'py, PyAny>,
    context: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let state: OrderState = from_plain(state, "state")?;
    let command: Command = from_plain(command, "command")?;
    let context: Context = from_plain(context, "context")?;
    let events = order_core::decide(&state, &command, &context).map_err(Failure::from)?;
    to_plain(py, &events)
}

/// The state after one event (today's shape, tagged by `type`).
#[pyfunction]
pub fn evolve<'py>(
    py: Python<'py>,
    state: &Bound<'py, PyAny>,
    event: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let state: OrderState = from_plain(state, "state")?;
    let event: Event = from_plain(event, "event")?;
    to_plain(py, &order_core::evolve(state, &event))
}

/// The read model after one stored envelope (upcast if its `schemaVersion` is older);
/// `None` before the order exists.
#[pyfunction]
#[pyo3(signature = (view, envelope))]
pub fn project<'py>(
    py: Python<'py>,
    view: Option<&Bound<'py, PyAny>>,
    envelope: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let view: Option<OrderView> = view.map(|v| from_plain(v, "view")).transpose()?;
    let envelope: EventEnvelope = from_plain(envelope, "envelope")?;
    to_plain(py, &order_core::project(view, &envelope))
}

/// Today's event from a stored `(type, schemaVersion, data)`.
#[pyfunction]
pub fn upcast<'py>(
    py: Python<'py>,
    event_type: &str,
    schema_version: u32,
    data: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let data: Value = from_plain(data, "data")?;
    let event = order_core::upcast(event_type, schema_version, data).map_err(|e| {
        Failure::Decode(DecodeError {
            message: e.to_string(),
        })
    })?;
    to_plain(py, &event)
}
