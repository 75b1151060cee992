//! `OrderService`: the engine behind a Python class. In memory, or on an SQLite file in the
//! server's own format. Calls release the GIL while the engine works; a mutex serializes
//! threads sharing one service (each process or service has its own connection).

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use order_core::{
    AsOf, Command, CommandOptions, CommandOutcome, Engine, EngineConfig, EngineError, MemoryStore,
    NativeRuntime, StoreError, StoredEvent,
};
use order_store::{SqliteStore, Synchronous};
use pyo3::prelude::*;

use crate::batch::{self, Batch};
use crate::commands;
use crate::convert::{from_plain, to_plain, utc_datetime};
use crate::environment::HostEnvironment;
use crate::errors::{invalid_input, Failure};
use crate::outcome::PyCommandOutcome;
use crate::store::AnyStore;
use crate::views::{PyEventEnvelope, PyOrder};

pub(crate) type HostEngine = Engine<AnyStore, HostEnvironment>;

/// Page size when a query asks for everything; bounds memory per store round trip.
const PAGE: usize = 1_000;

#[pyclass(frozen, module = "order_core", name = "OrderService")]
pub struct OrderService {
    /// `None` once closed.
    engine: Mutex<Option<HostEngine>>,
    actor: Option<String>,
    /// For `repr`: the file, or "in memory".
    location: String,
}

fn closed() -> Failure {
    Failure::Engine(EngineError::Store(StoreError::Backend(
        "the OrderService is closed".into(),
    )))
}

impl OrderService {
    fn lock(&self) -> Result<MutexGuard<'_, Option<HostEngine>>, Failure> {
        // A poisoned lock means a panic inside the engine mid-command; refuse further use
        // rather than continue from a state nobody checked.
        self.engine.lock().map_err(|_| {
            Failure::Engine(EngineError::Store(StoreError::Backend(
                "the OrderService is unusable after an internal panic".into(),
            )))
        })
    }

    /// Runs `work` on the engine with the GIL released.
    pub(crate) fn with_engine<T: Send>(
        &self,
        py: Python<'_>,
        work: impl FnOnce(&mut HostEngine) -> Result<T, Failure> + Send,
    ) -> Result<T, Failure> {
        py.detach(|| {
            let mut guard = self.lock()?;
            let engine = guard.as_mut().ok_or_else(closed)?;
            work(engine)
        })
    }

    /// The options a command runs under: the caller's, and this service's actor.
    pub(crate) fn options(
        &self,
        expected_version: Option<u64>,
        command_id: Option<String>,
    ) -> CommandOptions {
        CommandOptions {
            command_id,
            expected_version,
            actor: self.actor.clone(),
            ..CommandOptions::default()
        }
    }

    /// Handles one command in its own transaction.
    fn handle(
        &self,
        py: Python<'_>,
        command: Command,
        options: CommandOptions,
    ) -> PyResult<PyCommandOutcome> {
        let outcome = self.with_engine(py, |engine| {
            handle_in_one_transaction(engine, command, options)
        })?;
        Ok(outcome.into())
    }
}

/// Runs one command's load, decision and append inside one write transaction: the state is
/// read under the write lock, so no other process can slip in between the read and the
/// append, and the reads share that transaction instead of opening one each. Still exactly
/// one commit (one fsync at `synchronous="full"`) per command.
fn handle_in_one_transaction(
    engine: &mut HostEngine,
    command: Command,
    options: CommandOptions,
) -> Result<CommandOutcome, Failure> {
    let in_transaction = engine
        .store_mut()
        .begin_command()
        .map_err(EngineError::from)?;
    let result = engine.handle(command, options);
    if in_transaction {
        match &result {
            Ok(_) => {
                if let Err(e) = engine.store_mut().finish_command() {
                    // The engine remembered states this transaction never landed. The next
                    // commit would catch that (it names the last event it expects); forgetting
                    // them now saves it a refused attempt.
                    engine.forget_cached_states();
                    return Err(EngineError::from(e).into());
                }
            }
            Err(_) => engine.store_mut().abort_command(),
        }
    }
    Ok(result?)
}

fn open_store(path: Option<PathBuf>, synchronous: &str) -> Result<AnyStore, Failure> {
    let synchronous: Synchronous = synchronous.parse().map_err(invalid_input)?;
    Ok(match path {
        None => AnyStore::Memory(MemoryStore::new()),
        Some(path) => {
            AnyStore::Sqlite(SqliteStore::open(path, synchronous).map_err(EngineError::from)?)
        }
    })
}

#[pymethods]
impl OrderService {
    /// `OrderService()` keeps everything in memory; `OrderService(path)` opens (or creates)
    /// an SQLite file in the server's format. `synchronous="full"` (default) makes every
    /// acknowledged command survive power loss; "normal" trades that for speed (WAL).
    #[new]
    #[pyo3(signature = (path=None, *, synchronous="full", snapshot_every=100, actor=None))]
    fn new(
        py: Python<'_>,
        path: Option<PathBuf>,
        synchronous: &str,
        snapshot_every: u64,
        actor: Option<String>,
    ) -> PyResult<Self> {
        let location = match &path {
            Some(p) => format!("{:?}", p.display().to_string()),
            None => "in memory".to_string(),
        };
        // Opening runs migrations and may wait on another writer: no GIL needed for that.
        let store = py.detach(|| open_store(path, synchronous))?;
        let config = EngineConfig {
            snapshot_every,
            ..EngineConfig::default()
        };
        let engine = Engine::with_runtime(store, HostEnvironment, NativeRuntime, config);
        Ok(OrderService {
            engine: Mutex::new(Some(engine)),
            actor,
            location,
        })
    }

    /// Creates an order (with a fresh UUID v7 as its id unless `order_id` is given).
    #[pyo3(signature = (customer_id, order_id=None, *, command_id=None))]
    fn create_order(
        &self,
        py: Python<'_>,
        customer_id: String,
        order_id: Option<String>,
        command_id: Option<String>,
    ) -> PyResult<PyCommandOutcome> {
        let (command, options) =
            commands::create_order(customer_id, order_id, self.options(None, command_id));
        self.handle(py, command, options)
    }

    /// Adds `quantity` units of a product at `price` (Decimal, str, int or float).
    #[pyo3(signature = (order_id, product_id, quantity, price, *, expected_version=None, command_id=None))]
    #[allow(clippy::too_many_arguments)]
    fn add_item(
        &self,
        py: Python<'_>,
        order_id: String,
        product_id: String,
        quantity: &Bound<'_, PyAny>,
        price: &Bound<'_, PyAny>,
        expected_version: Option<u64>,
        command_id: Option<String>,
    ) -> PyResult<PyCommandOutcome> {
        let command = commands::add_item(order_id, product_id, quantity, price)?;
        self.handle(py, command, self.options(expected_version, command_id))
    }

    /// Removes `quantity` units of a product, or the whole line when `quantity` is None.
    #[pyo3(signature = (order_id, product_id, quantity=None, *, expected_version=None, command_id=None))]
    fn remove_item(
        &self,
        py: Python<'_>,
        order_id: String,
        product_id: String,
        quantity: Option<&Bound<'_, PyAny>>,
        expected_version: Option<u64>,
        command_id: Option<String>,
    ) -> PyResult<PyCommandOutcome> {
        let command = commands::remove_item(order_id, product_id, quantity)?;
        self.handle(py, command, self.options(expected_version, command_id))
    }

    #[pyo3(signature = (order_id, *, expected_version=None, command_id=None))]
    fn place_order(
        &self,
        py: Python<'_>,
        order_id: String,
        expected_version: Option<u64>,
        command_id: Option<String>,
    ) -> PyResult<PyCommandOutcome> {
        let command = commands::place_order(order_id);
        self.handle(py, command, self.options(expected_version, command_id))
    }

    #[pyo3(signature = (order_id, reason=None, *, expected_version=None, command_id=None))]
    fn cancel_order(
        &self,
        py: Python<'_>,
        order_id: String,
        reason: Option<String>,
        expected_version: Option<u64>,
        command_id: Option<String>,
    ) -> PyResult<PyCommandOutcome> {
        let command = commands::cancel_order(order_id, reason);
        self.handle(py, command, self.options(expected_version, command_id))
    }

    /// Decides `commands` (dicts in the JSON shape of `POST /commands`) in order and commits
    /// them in one transaction; returns one outcome per command. A rejected command writes
    /// nothing and stops nothing; if the transaction fails, every outcome says so.
    fn execute_many(
        &self,
        py: Python<'_>,
        commands: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Py<PyAny>>> {
        let items = commands
            .try_iter()?
            .map(|item| Ok(commands::from_dict(&item?, self.options(None, None))))
            .collect::<PyResult<Vec<_>>>()?;
        batch::execute(self, py, items)
    }

    /// A batch to queue commands on with the methods above; they run as one `execute_many`
    /// when its `with` block ends.
    fn batch(slf: Py<Self>) -> Batch {
        Batch::new(slf)
    }

    /// The order now, or as of a stream `version` or a moment `at` (aware datetime,
    /// inclusive). Raises `OrderNotFound` when it does not exist (at that point).
    #[pyo3(signature = (order_id, version=None, at=None))]
    fn get_order(
        &self,
        py: Python<'_>,
        order_id: String,
        version: Option<u64>,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyOrder> {
        let as_of = match (version, at) {
            (Some(_), Some(_)) => {
                return Err(invalid_input("pass either version or at, not both").into())
            }
            (Some(v), None) => Some(AsOf::Version(v)),
            (None, Some(t)) => Some(AsOf::Time(utc_datetime(t, "at")?)),
            (None, None) => None,
        };
        let view = self.with_engine(py, |engine| {
            engine.get_order(&order_id, as_of)?.ok_or_else(|| {
                Failure::Domain(order_core::DomainError::OrderNotFound {
                    order_id: order_id.clone(),
                })
            })
        })?;
        Ok(view.into())
    }

    /// A customer's orders, oldest first. `limit` bounds the page; pass the last id you got
    /// as `after` for the next one.
    #[pyo3(signature = (customer_id, *, after=None, limit=None))]
    fn list_orders(
        &self,
        py: Python<'_>,
        customer_id: String,
        after: Option<String>,
        limit: Option<usize>,
    ) -> PyResult<Vec<PyOrder>> {
        let views = self.with_engine(py, |engine| {
            let mut views = Vec::new();
            let mut cursor = after;
            loop {
                let want = limit.map_or(PAGE, |l| l.saturating_sub(views.len()).min(PAGE));
                if want == 0 {
                    break;
                }
                let page = engine.list_orders(&customer_id, cursor.as_deref(), want)?;
                views.extend(page.orders);
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            Ok(views)
        })?;
        Ok(views.into_iter().map(PyOrder::from).collect())
    }

    /// The order's events, oldest first (empty for an unknown order).
    fn events(&self, py: Python<'_>, order_id: String) -> PyResult<Vec<PyEventEnvelope>> {
        let events = self.with_engine(py, |engine| Ok(engine.events(&order_id)?))?;
        Ok(events.into_iter().map(PyEventEnvelope::from).collect())
    }

    /// Events of every order with position > `after`, in commit order (all of them, or at
    /// most `limit`).
    #[pyo3(signature = (after=0, limit=None))]
    fn all_events(
        &self,
        py: Python<'_>,
        after: u64,
        limit: Option<usize>,
    ) -> PyResult<Vec<PyEventEnvelope>> {
        let events = self.with_engine(py, |engine| {
            let mut events = Vec::new();
            let mut position = after;
            loop {
                let want = limit.map_or(PAGE, |l| l.saturating_sub(events.len()).min(PAGE));
                if want == 0 {
                    break;
                }
                let batch = engine.all_events(position, want)?;
                let Some(last) = batch.last() else { break };
                position = last.position;
                events.extend(batch);
            }
            Ok(events)
        })?;
        Ok(events.into_iter().map(PyEventEnvelope::from).collect())
    }

    /// Drops the read model and folds every event again; returns the last position folded.
    fn rebuild_read_models(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(self.with_engine(
            py,
            |engine| Ok(engine.rebuild_read_models(PAGE, |_, _| {})?),
        )?)
    }

    /// Appends stored events (dicts in the envelope shape, e.g. from `all_events()` of another
    /// store or the server's `GET /events`) as they are, keeping each `schemaVersion`; global
    /// positions are re-assigned and each event must continue its stream. All or nothing;
    /// returns how many were imported. An in-memory service imports only while empty.
    fn import_events(&self, py: Python<'_>, events: &Bound<'_, PyAny>) -> PyResult<u64> {
        // One by one, so an error names the event it is about (`events[3]: missing field ...`).
        let events: Vec<StoredEvent> = events
            .try_iter()?
            .enumerate()
            .map(|(index, item)| {
                let item = item.map_err(|e| invalid_input(format!("events[{index}]: {e}")))?;
                from_plain(&item, &format!("events[{index}]"))
            })
            .collect::<Result<_, Failure>>()?;
        Ok(self.with_engine(py, |engine| {
            Ok(engine
                .store_mut()
                .import(events)
                .map_err(EngineError::from)?)
        })?)
    }

    /// Replays every stream (state and read model) and compares it with the stored read
    /// model: `{"streams": n, "events": n, "mismatches": [...]}`.
    fn verify<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let report = self.with_engine(py, |engine| Ok(engine.verify(PAGE)?))?;
        to_plain(py, &report)
    }

    fn __repr__(&self) -> String {
        format!("OrderService({})", self.location)
    }

    /// Releases the store (and its file). Further calls raise `StoreError`.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let engine = py.detach(|| self.lock().map(|mut guard| guard.take()))?;
        drop(engine);
        Ok(())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc_value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }
}
