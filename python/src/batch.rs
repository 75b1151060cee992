//! Group commit from Python: `OrderService.execute_many([...])` and `with orders.batch() as
//! batch: ...` decide many commands and commit them in one transaction (one fsync at
//! `synchronous="full"`) through the core's `handle_batch`, and answer one outcome per
//! command, in order, as `POST /commands` does.

use order_core::{CommandOptions, EngineError};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::commands::{self, Malformed, Request};
use crate::errors::Failure;
use crate::outcome::{accepted, rejected};
use crate::service::OrderService;

/// Runs the decoded commands as one batch; a malformed one is answered where it stands
/// and never reaches the store, as on the server.
pub fn execute(
    service: &OrderService,
    py: Python<'_>,
    items: Vec<Result<Request, Malformed>>,
) -> PyResult<Vec<Py<PyAny>>> {
    let mut requests = Vec::with_capacity(items.len());
    let mut slots = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Ok(request) => {
                slots.push(Ok(request.1.command_id.clone()));
                requests.push(request);
            }
            Err(malformed) => slots.push(Err(malformed)),
        }
    }
    let batch = if requests.is_empty() {
        Ok(Vec::new())
    } else {
        service.with_engine(py, |engine| Ok(engine.handle_batch(requests)))?
    };
    let (mut results, batch_failure) = match batch {
        Ok(results) => (results.into_iter(), None),
        Err(e) => (
            Vec::new().into_iter(),
            Some(Failure::from(EngineError::from(e))),
        ),
    };
    slots
        .into_iter()
        .map(|slot| match (slot, &batch_failure) {
            (Err(malformed), _) => rejected(py, malformed.command_id, &malformed.failure, false),
            (Ok(command_id), Some(failure)) => rejected(py, command_id, failure, true),
            (Ok(command_id), None) => match results.next() {
                Some(Ok(outcome)) => accepted(py, outcome),
                Some(Err(e)) => rejected(py, command_id, &Failure::from(e), false),
                None => Err(PyRuntimeError::new_err(
                    "the engine answered fewer commands than it was given",
                )),
            },
        })
        .collect()
}

/// `orders.batch()`: the service's command methods, queued instead of run; the commands run
/// as one batch when the `with` block ends without an exception (with one, none runs).
#[pyclass(module = "order_core", name = "Batch")]
pub struct Batch {
    service: Py<OrderService>,
    pending: Vec<Request>,
    /// Set once the batch has run.
    outcomes: Option<Vec<Py<PyAny>>>,
}

impl Batch {
    pub fn new(service: Py<OrderService>) -> Self {
        Batch {
            service,
            pending: Vec::new(),
            outcomes: None,
        }
    }

    fn options(
        &self,
        expected_version: Option<u64>,
        command_id: Option<String>,
    ) -> PyResult<CommandOptions> {
        if self.outcomes.is_some() {
            return Err(PyRuntimeError::new_err(
                "this batch has already run; open another with orders.batch()",
            ));
        }
        Ok(self.service.get().options(expected_version, command_id))
    }

    fn queue(&mut self, request: Request) {
        self.pending.push(request);
    }
}

#[pymethods]
impl Batch {
    /// Queues a create; returns the order id it will create (a fresh UUID v7 unless
    /// `order_id` is given), for the commands that follow it in the batch.
    #[pyo3(signature = (customer_id, order_id=None, *, command_id=None))]
    fn create_order(
        &mut self,
        customer_id: String,
        order_id: Option<String>,
        command_id: Option<String>,
    ) -> PyResult<String> {
        let options = self.options(None, command_id)?;
        let request = commands::create_order(customer_id, order_id, options);
        let order_id = request.0.order_id().to_string();
        self.queue(request);
        Ok(order_id)
    }

    #[pyo3(signature = (order_id, product_id, quantity, price, *, expected_version=None, command_id=None))]
    fn add_item(
        &mut self,
        order_id: String,
        product_id: String,
        quantity: &Bound<'_, PyAny>,
        price: &Bound<'_, PyAny>,
        expected_version: Option<u64>,
        command_id: Option<String>,
    ) -> PyResult<()> {
        let options = self.options(expected_version, command_id)?;
        let command = commands::add_item(order_id, product_id, quantity, price)?;
        self.queue((command, options));
        Ok(())
    }

    #[pyo3(signature = (order_id, product_id, quantity=None, *, expected_version=None, command_id=None))]
    fn remove_item(
        &mut self,
        order_id: String,
        product_id: String,
        quantity: Option<&Bound<'_, PyAny>>,
        expected_version: Option<u64>,
        command_id: Option<String>,
    ) -> PyResult<()> {
        let options = self.options(expected_version, command_id)?;
        let command = commands::remove_item(order_id, product_id, quantity)?;
        self.queue((command, options));
        Ok(())
    }

    #[pyo3(signature = (order_id, *, expected_version=None, command_id=None))]
    fn place_order(
        &mut self,
        order_id: String,
        expected_version: Option<u64>,
        command_id: Option<String>,
    ) -> PyResult<()> {
        let options = self.options(expected_version, command_id)?;
        self.queue((commands::place_order(order_id), options));
        Ok(())
    }

    #[pyo3(signature = (order_id, reason=None, *, expected_version=None, command_id=None))]
    fn cancel_order(
        &mut self,
        order_id: String,
        reason: Option<String>,
        expected_version: Option<u64>,
        command_id: Option<String>,
    ) -> PyResult<()> {
        let options = self.options(expected_version, command_id)?;
        self.queue((commands::cancel_order(order_id, reason), options));
        Ok(())
    }

    /// One outcome per queued command, in order, once the `with` block has ended.
    #[getter]
    fn outcomes(&self, py: Python<'_>) -> PyResult<Vec<Py<PyAny>>> {
        match &self.outcomes {
            Some(outcomes) => Ok(outcomes.iter().map(|o| o.clone_ref(py)).collect()),
            None => Err(PyRuntimeError::new_err(
                "the batch runs when its with block ends; its outcomes are known after that",
            )),
        }
    }

    /// Commands queued (before the batch runs) or answered (after).
    fn __len__(&self) -> usize {
        self.outcomes.as_ref().map_or(self.pending.len(), Vec::len)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &mut self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        _exc_value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let pending = std::mem::take(&mut self.pending);
        if exc_type.is_some() {
            // The block failed: nothing it queued is sent, and the exception goes on.
            self.outcomes = Some(Vec::new());
            return Ok(false);
        }
        let requests = pending.into_iter().map(Ok).collect();
        self.outcomes = Some(execute(self.service.get(), py, requests)?);
        Ok(false)
    }
}
