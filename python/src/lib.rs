//! `order_core._native`: the order domain for Python. This file only wires the modules.

mod batch;
mod commands;
mod convert;
mod environment;
mod errors;
mod outcome;
mod pure;
mod service;
mod store;
mod views;

use pyo3::prelude::*;

/// The extension's Rust allocations (commands, events, views, rows; Python's own objects
/// stay with Python's allocator) come from mimalloc, as in the server.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::add_to_module(m)?;
    m.add_class::<service::OrderService>()?;
    m.add_class::<views::PyOrder>()?;
    m.add_class::<views::PyOrderItem>()?;
    m.add_class::<views::PyEventEnvelope>()?;
    m.add_class::<outcome::PyCommandOutcome>()?;
    m.add_class::<outcome::PyCommandRejected>()?;
    m.add_class::<batch::Batch>()?;
    m.add_function(wrap_pyfunction!(pure::initial_state, m)?)?;
    m.add_function(wrap_pyfunction!(pure::decide, m)?)?;
    m.add_function(wrap_pyfunction!(pure::evolve, m)?)?;
    m.add_function(wrap_pyfunction!(pure::project, m)?)?;
    m.add_function(wrap_pyfunction!(pure::upcast, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
