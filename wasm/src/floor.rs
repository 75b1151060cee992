//! The benchmark's floor (feature `bench-floor`, never in the published package): the
//! lifecycle workload driven from inside the module, typed commands straight into the same
//! engine, store, clock and ids as `OrderEngine`, with no JS values crossing per command.
//! What it measures is the most any boundary design could reach in this runtime.

use order_core::{
    AddItem, Command, CommandOptions, CreateOrder, DecimalText, Engine, MemoryStore, PlaceOrder,
};
use wasm_bindgen::prelude::*;

use crate::environment::BrowserEnv;
use crate::error;

fn add_item(order_id: &str, product_id: &str, price: &str) -> Command {
    Command::AddItem(AddItem {
        order_id: order_id.into(),
        product_id: product_id.into(),
        quantity: DecimalText::from(2u32),
        price: DecimalText::from(price),
    })
}

/// Runs `orders` lifecycles (create, add, add, place) on a fresh engine; returns the
/// commands accepted.
#[wasm_bindgen(js_name = lifecycleFloor)]
pub fn lifecycle_floor(orders: u32) -> Result<u32, JsValue> {
    let mut engine = Engine::new(MemoryStore::new(), BrowserEnv::default());
    let mut accepted = 0;
    for i in 0..orders {
        let id = format!("o-{i}");
        let commands = [
            Command::CreateOrder(CreateOrder {
                order_id: id.clone(),
                customer_id: "c-1".into(),
            }),
            add_item(&id, "p-1", "29.99"),
            add_item(&id, "p-2", "49.99"),
            Command::PlaceOrder(PlaceOrder { order_id: id }),
        ];
        for command in commands {
            engine
                .handle(command, CommandOptions::default())
                .map_err(error::engine)?;
            accepted += 1;
        }
    }
    Ok(accepted)
}
