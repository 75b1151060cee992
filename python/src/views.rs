//! Read-side objects handed to Python: `Order`, `OrderItem` and `EventEnvelope`. Attributes
//! carry Python values (Decimal, aware datetime); `to_dict()` gives the contract's JSON shape,
//! the same one the pure functions and every other host use.

use chrono::{DateTime, Utc};
use order_core::{EventEnvelope, OrderItem, OrderView};
use pyo3::prelude::*;

use crate::convert::{money_to_decimal, to_plain};

#[pyclass(frozen, eq, module = "order_core", name = "OrderItem")]
#[derive(PartialEq)]
pub struct PyOrderItem {
    item: OrderItem,
}

#[pymethods]
impl PyOrderItem {
    #[getter]
    fn product_id(&self) -> &str {
        &self.item.product_id
    }

    #[getter]
    fn quantity(&self) -> u32 {
        self.item.quantity
    }

    #[getter]
    fn price<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        money_to_decimal(py, self.item.price)
    }

    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_plain(py, &self.item)
    }

    fn __repr__(&self) -> String {
        format!(
            "OrderItem(product_id={:?}, quantity={}, price=Decimal('{}'))",
            self.item.product_id, self.item.quantity, self.item.price
        )
    }
}

#[pyclass(frozen, eq, module = "order_core", name = "Order")]
#[derive(PartialEq)]
pub struct PyOrder {
    view: OrderView,
}

impl From<OrderView> for PyOrder {
    fn from(view: OrderView) -> Self {
        PyOrder { view }
    }
}

#[pymethods]
impl PyOrder {
    #[getter]
    fn id(&self) -> &str {
        &self.view.id
    }

    #[getter]
    fn customer_id(&self) -> &str {
        &self.view.customer_id
    }

    /// "draft", "placed" or "cancelled".
    #[getter]
    fn status(&self) -> &'static str {
        self.view.status.as_str()
    }

    #[getter]
    fn items(&self) -> Vec<PyOrderItem> {
        self.view
            .items
            .iter()
            .map(|item| PyOrderItem { item: item.clone() })
            .collect()
    }

    #[getter]
    fn total<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        money_to_decimal(py, self.view.total)
    }

    #[getter]
    fn created_at(&self) -> DateTime<Utc> {
        self.view.created_at
    }

    #[getter]
    fn created_by(&self) -> Option<&str> {
        self.view.created_by.as_deref()
    }

    #[getter]
    fn placed_at(&self) -> Option<DateTime<Utc>> {
        self.view.placed_at
    }

    #[getter]
    fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        self.view.cancelled_at
    }

    #[getter]
    fn cancel_reason(&self) -> Option<&str> {
        self.view.cancel_reason.as_deref()
    }

    /// Stream version of the last event folded into this view.
    #[getter]
    fn version(&self) -> u64 {
        self.view.version
    }

    #[getter]
    fn updated_at(&self) -> DateTime<Utc> {
        self.view.updated_at
    }

    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_plain(py, &self.view)
    }

    fn __repr__(&self) -> String {
        format!(
            "Order(id={:?}, customer_id={:?}, status={:?}, items={}, total=Decimal('{}'), version={})",
            self.view.id,
            self.view.customer_id,
            self.view.status.as_str(),
            self.view.items.len(),
            self.view.total,
            self.view.version
        )
    }
}

#[pyclass(frozen, eq, module = "order_core", name = "EventEnvelope")]
#[derive(PartialEq)]
pub struct PyEventEnvelope {
    envelope: EventEnvelope,
}

impl From<EventEnvelope> for PyEventEnvelope {
    fn from(envelope: EventEnvelope) -> Self {
        PyEventEnvelope { envelope }
    }
}

#[pymethods]
impl PyEventEnvelope {
    #[getter]
    fn event_id(&self) -> String {
        self.envelope.event_id.to_string()
    }

    #[getter]
    fn stream_id(&self) -> &str {
        &self.envelope.stream_id
    }

    /// 1-based position within the stream.
    #[getter]
    fn version(&self) -> u64 {
        self.envelope.version
    }

    /// 1-based, gap-free position in the global log.
    #[getter]
    fn position(&self) -> u64 {
        self.envelope.position
    }

    #[getter]
    fn r#type(&self) -> &'static str {
        self.envelope.event.type_name()
    }

    /// Schema version of `data` (today's: envelopes are upcast when read).
    #[getter]
    fn schema_version(&self) -> u32 {
        self.envelope.event.schema_version()
    }

    /// The event's fields in the JSON shape (camelCase, decimal strings).
    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_plain(py, &self.envelope.event.payload())
    }

    #[getter]
    fn metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_plain(py, &self.envelope.metadata)
    }

    #[getter]
    fn recorded_at(&self) -> DateTime<Utc> {
        self.envelope.metadata.recorded_at
    }

    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_plain(py, &self.envelope)
    }

    fn __repr__(&self) -> String {
        format!(
            "EventEnvelope(type={:?}, stream_id={:?}, version={}, position={})",
            self.envelope.event.type_name(),
            self.envelope.stream_id,
            self.envelope.version,
            self.envelope.position
        )
    }
}
