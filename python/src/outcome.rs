//! What a command did, as Python sees it: `CommandOutcome` for a command that was applied
//! (or replayed), `CommandRejected` for a command of a batch that was not. Their fields are
//! those of a `POST /commands` outcome, and `to_dict()` gives that very shape.

use order_core::CommandOutcome;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{describe, exception, Failure};
use crate::views::PyEventEnvelope;

#[pyclass(frozen, eq, module = "order_core", name = "CommandOutcome")]
#[derive(PartialEq)]
pub struct PyCommandOutcome {
    outcome: CommandOutcome,
}

impl From<CommandOutcome> for PyCommandOutcome {
    fn from(outcome: CommandOutcome) -> Self {
        PyCommandOutcome { outcome }
    }
}

#[pymethods]
impl PyCommandOutcome {
    /// Always true: a command that was not applied raises, or in a batch answers with a
    /// `CommandRejected`, whose `accepted` is false.
    #[getter]
    fn accepted(&self) -> bool {
        true
    }

    #[getter]
    fn command_id(&self) -> Option<&str> {
        self.outcome.command_id.as_deref()
    }

    #[getter]
    fn order_id(&self) -> &str {
        &self.outcome.order_id
    }

    /// The order's version after the command.
    #[getter]
    fn version(&self) -> u64 {
        self.outcome.version
    }

    /// Global positions of the events the command wrote (the first call's, for a replay).
    #[getter]
    fn positions(&self) -> Vec<u64> {
        self.outcome.positions.clone()
    }

    /// The events this call wrote; empty for a no-op and for a replay.
    #[getter]
    fn events(&self) -> Vec<PyEventEnvelope> {
        self.outcome
            .events
            .iter()
            .cloned()
            .map(Into::into)
            .collect()
    }

    /// True when this is the recorded outcome of an earlier call with the same command id.
    #[getter]
    fn replayed(&self) -> bool {
        self.outcome.replayed
    }

    /// `{"commandId", "accepted": True, "orderId", "version", "positions"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("commandId", self.command_id())?;
        dict.set_item("accepted", true)?;
        dict.set_item("orderId", self.order_id())?;
        dict.set_item("version", self.version())?;
        dict.set_item("positions", self.positions())?;
        Ok(dict)
    }

    /// The version, so code written when commands returned it (`int(outcome)`,
    /// `expected_version=outcome`) keeps working.
    fn __index__(&self) -> u64 {
        self.outcome.version
    }

    fn __int__(&self) -> u64 {
        self.outcome.version
    }

    fn __repr__(&self) -> String {
        format!(
            "CommandOutcome(order_id={:?}, version={}, positions={:?}, replayed={})",
            self.outcome.order_id,
            self.outcome.version,
            self.outcome.positions,
            if self.outcome.replayed {
                "True"
            } else {
                "False"
            }
        )
    }
}

#[pyclass(frozen, module = "order_core", name = "CommandRejected")]
pub struct PyCommandRejected {
    command_id: Option<String>,
    code: &'static str,
    message: String,
    retryable: bool,
    error: Py<PyAny>,
}

#[pymethods]
impl PyCommandRejected {
    #[getter]
    fn accepted(&self) -> bool {
        false
    }

    #[getter]
    fn command_id(&self) -> Option<&str> {
        self.command_id.as_deref()
    }

    /// The stable code (`invalid_price`, `concurrency_conflict`, `store_busy`, ...).
    #[getter]
    fn code(&self) -> &'static str {
        self.code
    }

    #[getter]
    fn message(&self) -> &str {
        &self.message
    }

    /// False for a broken rule or a malformed command (final: sending it again changes
    /// nothing); true when it could not be processed (send it again, same command id).
    #[getter]
    fn retryable(&self) -> bool {
        self.retryable
    }

    /// The exception a single call would have raised (`raise rejected.error`).
    #[getter]
    fn error(&self, py: Python<'_>) -> Py<PyAny> {
        self.error.clone_ref(py)
    }

    /// `{"commandId", "accepted": False, "error": {"code", "message"}, "retryable"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let error = PyDict::new(py);
        error.set_item("code", self.code)?;
        error.set_item("message", &self.message)?;
        let dict = PyDict::new(py);
        dict.set_item("commandId", self.command_id())?;
        dict.set_item("accepted", false)?;
        dict.set_item("error", error)?;
        dict.set_item("retryable", self.retryable)?;
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        format!(
            "CommandRejected(command_id={:?}, code={:?}, retryable={})",
            self.command_id,
            self.code,
            if self.retryable { "True" } else { "False" }
        )
    }
}

/// An applied command's outcome as a Python object.
pub fn accepted(py: Python<'_>, outcome: CommandOutcome) -> PyResult<Py<PyAny>> {
    Ok(Py::new(py, PyCommandOutcome::from(outcome))?.into_any())
}

/// A command of a batch that was not applied because of `failure`. When the batch failed as
/// a whole (`batch_failed`), nothing of it was written: the message says so and the command
/// is retryable, whatever the store's error.
pub fn rejected(
    py: Python<'_>,
    command_id: Option<String>,
    failure: &Failure,
    batch_failed: bool,
) -> PyResult<Py<PyAny>> {
    let (code, mut message) = describe(failure);
    if batch_failed {
        message = format!("the batch could not be committed; nothing was applied: {message}");
    }
    let error = exception(py, failure, &message).into_value(py).into_any();
    let rejected = PyCommandRejected {
        command_id,
        code,
        message,
        retryable: batch_failed || failure.is_retryable(),
        error,
    };
    Ok(Py::new(py, rejected)?.into_any())
}
