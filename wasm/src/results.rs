//! Command results for JS (`CommandResult`), built by results.js from numbers and strings.
//! Their `events` are read from the engine's log when first read, not encoded up front:
//! encoding the envelopes was most of a command's time in this package, and most callers
//! never look at them. A result finds its engine through a registry of weak references, so
//! a result kept around does not keep a freed engine's log alive.

use std::cell::{Cell, RefCell, RefMut};
use std::rc::{Rc, Weak};

use order_core::{CommandOutcome, Engine, EventEnvelope, MemoryStore};
use wasm_bindgen::prelude::*;

use crate::convert::to_js;
use crate::environment::BrowserEnv;
use crate::error;

type BrowserEngine = Engine<MemoryStore, BrowserEnv>;

#[wasm_bindgen(module = "/src/results.js")]
extern "C" {
    #[wasm_bindgen(js_name = commandResult)]
    #[allow(clippy::too_many_arguments)]
    fn command_result(
        load_events: &JsValue,
        engine_id: u32,
        command_id: Option<&str>,
        order_id: &str,
        version: f64,
        positions: &[f64],
        has_events: bool,
        replayed: bool,
    ) -> JsValue;
}

thread_local! {
    /// Live engines by id; a page holds one or two, so a list is enough.
    static ENGINES: RefCell<Vec<(u32, Weak<RefCell<BrowserEngine>>)>> = RefCell::default();
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
    /// `loadEvents(engineId, positions)` for results.js, made once.
    static LOAD_EVENTS: JsValue =
        Closure::<dyn Fn(u32, Vec<f64>) -> Result<JsValue, JsValue>>::new(load_events)
            .into_js_value();
}

/// An engine its results can find again; leaves the registry when dropped (`free()`).
pub(crate) struct RegisteredEngine {
    engine: Rc<RefCell<BrowserEngine>>,
    id: u32,
}

impl RegisteredEngine {
    /// An engine over `store`, with the browser's clock and ids.
    pub fn new(store: MemoryStore) -> RegisteredEngine {
        let engine = Rc::new(RefCell::new(Engine::new(store, BrowserEnv::default())));
        let id = NEXT_ID.with(|next| {
            let id = next.get();
            next.set(id.wrapping_add(1));
            id
        });
        ENGINES.with_borrow_mut(|engines| engines.push((id, Rc::downgrade(&engine))));
        RegisteredEngine { engine, id }
    }

    /// The engine. JS is single-threaded and no call re-enters the module while one runs,
    /// so the borrow never overlaps another.
    pub fn get(&self) -> RefMut<'_, BrowserEngine> {
        self.engine.borrow_mut()
    }

    /// The `CommandResult` of an outcome this engine produced.
    pub fn result(&self, outcome: &CommandOutcome) -> JsValue {
        let positions: Vec<f64> = outcome.positions.iter().map(|&p| p as f64).collect();
        LOAD_EVENTS.with(|load| {
            command_result(
                load,
                self.id,
                outcome.command_id.as_deref(),
                &outcome.order_id,
                outcome.version as f64,
                &positions,
                !outcome.events.is_empty(),
                outcome.replayed,
            )
        })
    }
}

impl Drop for RegisteredEngine {
    fn drop(&mut self) {
        ENGINES.with_borrow_mut(|engines| engines.retain(|(id, _)| *id != self.id));
    }
}

/// The envelopes at `positions` in engine `engine_id`'s log, as JS values.
fn load_events(engine_id: u32, positions: Vec<f64>) -> Result<JsValue, JsValue> {
    let engine = ENGINES
        .with_borrow(|engines| {
            let (_, engine) = engines.iter().find(|(id, _)| *id == engine_id)?;
            engine.upgrade()
        })
        .ok_or_else(|| {
            error::invalid_input(
                "the events of this result are gone: its OrderEngine was freed before they were read",
            )
        })?;
    let engine = engine.borrow();
    let events: Vec<&EventEnvelope> = positions
        .iter()
        .map(|&position| {
            // Positions came from this module as whole numbers below 2^53: exact.
            let position = position as u64;
            engine.store().event_at(position).ok_or_else(|| {
                error::runtime(&format!("event at position {position} is not in the log"))
            })
        })
        .collect::<Result<_, _>>()?;
    to_js(&events)
}
