//! The Python exception hierarchy and the one place where core errors become exceptions.
//! Every exception carries the core's stable `.code` and its human `.message`.

// The core's types are aliased so the exception classes can carry the plain Python names.
use order_core::{
    DecodeError, DomainError as CoreDomainError, EngineError, StoreError as CoreStoreError,
};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};

create_exception!(
    order_core,
    OrderError,
    PyException,
    "Base of every error raised by order_core; `.code` is stable, `.message` is for people."
);
create_exception!(
    order_core,
    DomainError,
    OrderError,
    "A command broke a domain rule; `.code` is the core's code (e.g. `invalid_price`)."
);
create_exception!(
    order_core,
    OrderNotFound,
    DomainError,
    "The order does not exist (code `order_not_found`)."
);
create_exception!(
    order_core,
    ConcurrencyError,
    OrderError,
    "The order moved past the expected version (code `concurrency_conflict`)."
);
create_exception!(
    order_core,
    IdempotencyError,
    OrderError,
    "A command id was reused for a different command (code `idempotency_key_reused`)."
);
create_exception!(
    order_core,
    StoreError,
    OrderError,
    "The store failed or holds corrupt data (codes `store_error`, `corrupt_store`)."
);

/// `InvalidInput` is both an `OrderError` and a `ValueError`; `create_exception!` takes one
/// base, so it is made with `type(name, bases, namespace)` when the module loads.
static INVALID_INPUT: PyOnceLock<Py<PyType>> = PyOnceLock::new();

pub fn invalid_input_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    INVALID_INPUT
        .get_or_try_init(py, || {
            let namespace = PyDict::new(py);
            namespace.set_item("__module__", "order_core")?;
            namespace.set_item(
                "__doc__",
                "Input that could not be decoded: a missing field or a value of the wrong type \
                 (code `invalid_input`).",
            )?;
            let bases = (py.get_type::<OrderError>(), py.get_type::<PyValueError>());
            let created = py
                .get_type::<PyType>()
                .call1(("InvalidInput", bases, namespace))?;
            Ok::<_, PyErr>(created.cast_into::<PyType>()?.unbind())
        })
        .map(|ty| ty.bind(py))
}

/// Everything that can go wrong in this package, before it becomes an exception.
#[derive(Debug)]
pub enum Failure {
    Engine(EngineError),
    Domain(CoreDomainError),
    Decode(DecodeError),
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Self {
        Failure::Engine(e)
    }
}

impl From<CoreDomainError> for Failure {
    fn from(e: CoreDomainError) -> Self {
        Failure::Domain(e)
    }
}

impl From<DecodeError> for Failure {
    fn from(e: DecodeError) -> Self {
        Failure::Decode(e)
    }
}

impl Failure {
    /// Whether the same command may succeed later (the store or the runtime failed), as a
    /// `POST /commands` outcome's `retryable` says; a rejection that stays is not.
    pub fn is_retryable(&self) -> bool {
        match self {
            Failure::Engine(e) => e.is_retryable(),
            Failure::Domain(_) | Failure::Decode(_) => false,
        }
    }
}

/// Input the adapter itself rejects (a value of the wrong Python type).
pub fn invalid_input(message: impl Into<String>) -> Failure {
    Failure::Decode(DecodeError {
        message: message.into(),
    })
}

enum Kind {
    Order,
    Domain,
    NotFound,
    Concurrency,
    Idempotency,
    Store,
    InvalidInput,
}

fn domain_kind(e: &CoreDomainError) -> Kind {
    match e {
        CoreDomainError::OrderNotFound { .. } => Kind::NotFound,
        _ => Kind::Domain,
    }
}

/// The single mapping from core errors to exception classes.
fn classify(failure: &Failure) -> (Kind, &'static str, String) {
    match failure {
        Failure::Domain(e) => (domain_kind(e), e.code(), e.to_string()),
        Failure::Decode(e) => (Kind::InvalidInput, e.code(), e.to_string()),
        Failure::Engine(e) => {
            let kind = match e {
                EngineError::Domain(d) => domain_kind(d),
                EngineError::Concurrency { .. } => Kind::Concurrency,
                EngineError::IdempotencyKeyReused { .. } => Kind::Idempotency,
                EngineError::Store(CoreStoreError::Invalid(_)) => Kind::InvalidInput,
                // The engine turns store conflicts into `Concurrency`; kept for completeness.
                EngineError::Store(CoreStoreError::Concurrency { .. }) => Kind::Concurrency,
                EngineError::Store(
                    CoreStoreError::DuplicateCommand(_)
                    | CoreStoreError::Corrupt(_)
                    | CoreStoreError::Busy(_)
                    | CoreStoreError::Full(_)
                    | CoreStoreError::Unavailable(_)
                    | CoreStoreError::Backend(_),
                ) => Kind::Store,
                EngineError::Runtime(_) => Kind::Order,
            };
            (kind, e.code(), e.to_string())
        }
    }
}

fn exception_type(py: Python<'_>, kind: Kind) -> PyResult<Bound<'_, PyType>> {
    Ok(match kind {
        Kind::Order => py.get_type::<OrderError>(),
        Kind::Domain => py.get_type::<DomainError>(),
        Kind::NotFound => py.get_type::<OrderNotFound>(),
        Kind::Concurrency => py.get_type::<ConcurrencyError>(),
        Kind::Idempotency => py.get_type::<IdempotencyError>(),
        Kind::Store => py.get_type::<StoreError>(),
        Kind::InvalidInput => invalid_input_type(py)?.clone(),
    })
}

fn build_exception(py: Python<'_>, kind: Kind, code: &str, message: &str) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let instance = exception_type(py, kind)?.call1((message,))?;
        instance.setattr("code", code)?;
        instance.setattr("message", message)?;
        Ok(PyErr::from_value(instance))
    };
    build().unwrap_or_else(|e| e)
}

/// The stable code and the human message of a failure, as its exception carries them.
pub fn describe(failure: &Failure) -> (&'static str, String) {
    let (_, code, message) = classify(failure);
    (code, message)
}

/// The exception a single call raises for `failure`, with `message` in place of its own
/// (a batch that failed as a whole says so beside the store's words).
pub fn exception(py: Python<'_>, failure: &Failure, message: &str) -> PyErr {
    let (kind, code, _) = classify(failure);
    build_exception(py, kind, code, message)
}

impl From<Failure> for PyErr {
    fn from(failure: Failure) -> Self {
        let (kind, code, message) = classify(&failure);
        Python::attach(|py| build_exception(py, kind, code, &message))
    }
}

pub fn add_to_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("OrderError", py.get_type::<OrderError>())?;
    m.add("DomainError", py.get_type::<DomainError>())?;
    m.add("OrderNotFound", py.get_type::<OrderNotFound>())?;
    m.add("ConcurrencyError", py.get_type::<ConcurrencyError>())?;
    m.add("IdempotencyError", py.get_type::<IdempotencyError>())?;
    m.add("StoreError", py.get_type::<StoreError>())?;
    m.add("InvalidInput", invalid_input_type(py)?)?;
    Ok(())
}
