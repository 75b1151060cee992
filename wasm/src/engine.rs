//! `OrderEngine`: the core's command engine over an in-memory store, with the browser's
//! clock and ids. Its log can be exported and restored, keeping positions and applied
//! command ids, so a command retried after a reload is still idempotent.

use order_core::{Command, CommandOptions, EventEnvelope, MemoryStore};
use serde::Deserialize;
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

use crate::convert::{decode_error, from_js, from_json, to_js};
use crate::error;
use crate::inputs;
use crate::results::RegisteredEngine;
use crate::typescript::{GetOrderOptionsArg, ListOrdersOptionsArg, NumberArg};

#[wasm_bindgen]
pub struct OrderEngine {
    engine: RegisteredEngine,
}

impl Default for OrderEngine {
    fn default() -> Self {
        OrderEngine::new()
    }
}

#[wasm_bindgen]
impl OrderEngine {
    /// An empty engine.
    #[wasm_bindgen(constructor)]
    pub fn new() -> OrderEngine {
        OrderEngine {
            engine: RegisteredEngine::new(MemoryStore::new()),
        }
    }

    /// Restores an engine from `exportEvents()` output (older `schemaVersion`s are upcast).
    /// Positions must be 1..n and each stream's versions gap-free, else `invalid_input`.
    #[wasm_bindgen(js_name = fromEvents)]
    pub fn from_events(
        #[wasm_bindgen(unchecked_param_type = "ReadonlyArray<EventEnvelope | StoredEvent>")]
        events: JsValue,
    ) -> Result<OrderEngine, JsValue> {
        let events: Vec<EventEnvelope> = from_js(events, "fromEvents")?;
        let store = MemoryStore::from_events(events)
            .map_err(|e| error::engine(order_core::EngineError::from(e)))?;
        Ok(OrderEngine {
            engine: RegisteredEngine::new(store),
        })
    }

    /// Adds envelopes another store committed (a server's feed, a customer's part of it)
    /// after those held: positions must increase past `lastPosition` (gaps allowed) and
    /// each event must continue its stream's versions, else `invalid_input` naming the
    /// event, and nothing is added.
    #[wasm_bindgen(js_name = applyEvents)]
    pub fn apply_events(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "ReadonlyArray<EventEnvelope | StoredEvent>")]
        events: JsValue,
    ) -> Result<(), JsValue> {
        let events: Vec<EventEnvelope> = from_js(events, "applyEvents")?;
        self.engine
            .get()
            .store_mut()
            .append_confirmed(events)
            .map_err(|e| error::engine(order_core::EngineError::from(e)))?;
        // Decisions must start from the new events, not from states cached before them.
        self.engine.get().forget_cached_states();
        Ok(())
    }

    /// An independent copy: what an offline client re-decides its queue on, leaving the
    /// engine that holds only confirmed events untouched.
    #[wasm_bindgen(js_name = clone)]
    pub fn clone_engine(&self) -> OrderEngine {
        OrderEngine {
            engine: RegisteredEngine::new(self.engine.get().store().clone()),
        }
    }

    /// Creates an order; `orderId` defaults to a fresh UUID v7.
    #[wasm_bindgen(js_name = createOrder, unchecked_return_type = "CommandResult")]
    pub fn create_order(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "CreateOrderInput")] input: JsValue,
    ) -> Result<JsValue, JsValue> {
        let (mut fields, mut options) = command_input(input, "createOrder")?;
        if fields.get("orderId").is_none_or(Value::is_null) {
            // A retry (same commandId) answers for the order the first attempt created.
            options.order_id_generated = true;
            let order_id = self.engine.get().env_mut().new_id().to_string();
            fields.insert("orderId".into(), Value::String(order_id));
        }
        self.run(tagged(fields, "CreateOrder", "createOrder")?, options)
    }

    #[wasm_bindgen(js_name = addItem, unchecked_return_type = "CommandResult")]
    pub fn add_item(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "AddItemInput")] input: JsValue,
    ) -> Result<JsValue, JsValue> {
        self.run_input(input, "AddItem", "addItem")
    }

    /// Removes `quantity` units of a product, or the whole line when `quantity` is absent.
    #[wasm_bindgen(js_name = removeItem, unchecked_return_type = "CommandResult")]
    pub fn remove_item(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "RemoveItemInput")] input: JsValue,
    ) -> Result<JsValue, JsValue> {
        self.run_input(input, "RemoveItem", "removeItem")
    }

    #[wasm_bindgen(js_name = placeOrder, unchecked_return_type = "CommandResult")]
    pub fn place_order(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "PlaceOrderInput")] input: JsValue,
    ) -> Result<JsValue, JsValue> {
        self.run_input(input, "PlaceOrder", "placeOrder")
    }

    #[wasm_bindgen(js_name = cancelOrder, unchecked_return_type = "CommandResult")]
    pub fn cancel_order(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "CancelOrderInput")] input: JsValue,
    ) -> Result<JsValue, JsValue> {
        self.run_input(input, "CancelOrder", "cancelOrder")
    }

    /// Any command in its tagged JSON form (`{type: "AddItem", ...}`) plus the options;
    /// what an offline queue stores and replays.
    #[wasm_bindgen(unchecked_return_type = "CommandResult")]
    pub fn execute(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "CommandWithOptions")] command: JsValue,
    ) -> Result<JsValue, JsValue> {
        let (fields, options) = command_input(command, "execute")?;
        self.run(from_fields(fields, "execute")?, options)
    }

    /// The read model of an order, or as it was at a stream version or a moment
    /// (`recordedAt <= at`); `null` when the order does not exist (at that point).
    #[wasm_bindgen(js_name = getOrder, unchecked_return_type = "OrderView | null")]
    pub fn get_order(
        &mut self,
        #[wasm_bindgen(js_name = orderId, unchecked_param_type = "string")] order_id: JsValue,
        options: Option<GetOrderOptionsArg>,
    ) -> Result<JsValue, JsValue> {
        let order_id = inputs::string_arg(order_id, "getOrder: orderId")?;
        let as_of = inputs::as_of(options.map(JsValue::from))?;
        let view = self
            .engine
            .get()
            .get_order(&order_id, as_of)
            .map_err(error::engine)?;
        to_js(&view)
    }

    /// A customer's orders, oldest first, one page at a time (`nextCursor` feeds `after`).
    #[wasm_bindgen(js_name = listOrders, unchecked_return_type = "OrderPage")]
    pub fn list_orders(
        &self,
        #[wasm_bindgen(js_name = customerId, unchecked_param_type = "string")] customer_id: JsValue,
        options: Option<ListOrdersOptionsArg>,
    ) -> Result<JsValue, JsValue> {
        let customer_id = inputs::string_arg(customer_id, "listOrders: customerId")?;
        let (after, limit) = inputs::list_options(options.map(JsValue::from))?;
        let page = self
            .engine
            .get()
            .list_orders(&customer_id, after.as_deref(), limit)
            .map_err(error::engine)?;
        to_js(&page)
    }

    /// One order's events, oldest first (empty for an unknown order).
    #[wasm_bindgen(unchecked_return_type = "EventEnvelope[]")]
    pub fn events(
        &self,
        #[wasm_bindgen(js_name = orderId, unchecked_param_type = "string")] order_id: JsValue,
    ) -> Result<JsValue, JsValue> {
        let order_id = inputs::string_arg(order_id, "events: orderId")?;
        let events = self.engine.get().events(&order_id).map_err(error::engine)?;
        to_js(&events)
    }

    /// Events of every order with position > `afterPosition` (default 0), in commit order,
    /// at most `limit` of them (default: all).
    #[wasm_bindgen(js_name = allEvents, unchecked_return_type = "EventEnvelope[]")]
    pub fn all_events(
        &self,
        #[wasm_bindgen(js_name = afterPosition)] after_position: Option<NumberArg>,
        limit: Option<NumberArg>,
    ) -> Result<JsValue, JsValue> {
        let after = inputs::whole_number(
            after_position.map(JsValue::from),
            "allEvents: afterPosition",
        )?;
        let limit = inputs::whole_number(limit.map(JsValue::from), "allEvents: limit")?;
        let limit = limit.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
        let events = self
            .engine
            .get()
            .all_events(after.unwrap_or(0), limit)
            .map_err(error::engine)?;
        to_js(&events)
    }

    /// The whole log, for saving offline and `OrderEngine.fromEvents` later.
    #[wasm_bindgen(js_name = exportEvents, unchecked_return_type = "EventEnvelope[]")]
    pub fn export_events(&self) -> Result<JsValue, JsValue> {
        to_js(self.engine.get().store().events())
    }

    /// Position of the last event (0 when empty).
    #[wasm_bindgen(getter, js_name = lastPosition)]
    pub fn last_position(&self) -> f64 {
        // Positions of a log held in memory stay far below 2^53: exact as a JS number.
        self.engine
            .get()
            .store()
            .events()
            .last()
            .map_or(0.0, |e| e.position as f64)
    }
}

impl OrderEngine {
    fn run_input(
        &mut self,
        input: JsValue,
        command_type: &str,
        what: &str,
    ) -> Result<JsValue, JsValue> {
        let (fields, options) = command_input(input, what)?;
        self.run(tagged(fields, command_type, what)?, options)
    }

    fn run(&mut self, command: Command, options: CommandOptions) -> Result<JsValue, JsValue> {
        let outcome = self
            .engine
            .get()
            .handle(command, options)
            .map_err(error::engine)?;
        Ok(self.engine.result(&outcome))
    }
}

/// A command method's argument: one plain object holding the command's fields and the
/// options (`commandId`, `expectedVersion`, ...), decoded once.
fn command_input(
    input: JsValue,
    what: &str,
) -> Result<(Map<String, Value>, CommandOptions), JsValue> {
    let Value::Object(fields) = from_js(input, what)? else {
        return Err(error::invalid_input(&format!("{what}: expected an object")));
    };
    // Read in place: the fields then become the command, without a copy.
    let options = CommandOptions::deserialize(&fields).map_err(|e| decode_error(what, &e))?;
    Ok((fields, options))
}

/// The command of a typed method (`addItem` is `{type: "AddItem", ...}`). Decoding every
/// command through the core's one tagged `Command` keeps a single decoder in the module.
fn tagged(
    mut fields: Map<String, Value>,
    command_type: &str,
    what: &str,
) -> Result<Command, JsValue> {
    fields.insert("type".into(), Value::String(command_type.into()));
    from_fields(fields, what)
}

fn from_fields(fields: Map<String, Value>, what: &str) -> Result<Command, JsValue> {
    from_json(Value::Object(fields), what)
}
