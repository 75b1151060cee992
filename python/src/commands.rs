//! Commands as Python hands them over, turned into the core's `Command`: the arguments of the
//! command methods (shared by `OrderService` and `Batch`), or a dict in the contract's JSON
//! shape (`execute_many`), which the core's own decoder reads as `POST /commands` does.

use order_core::{
    AddItem, CancelOrder, Command, CommandOptions, CreateOrder, PlaceOrder, RemoveItem,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::convert::{from_plain, price_text, quantity_text, type_name};
use crate::errors::{invalid_input, Failure};

/// A command with the host options it runs under.
pub type Request = (Command, CommandOptions);

/// A create; without an `order_id` the host picks a UUID v7, and a retry with the same
/// command id then means the order the first attempt created (the engine looks it up).
pub fn create_order(
    customer_id: String,
    order_id: Option<String>,
    mut options: CommandOptions,
) -> Request {
    options.order_id_generated = order_id.is_none();
    let command = Command::CreateOrder(CreateOrder {
        order_id: order_id.unwrap_or_else(|| Uuid::now_v7().to_string()),
        customer_id,
    });
    (command, options)
}

pub fn add_item(
    order_id: String,
    product_id: String,
    quantity: &Bound<'_, PyAny>,
    price: &Bound<'_, PyAny>,
) -> Result<Command, Failure> {
    Ok(Command::AddItem(AddItem {
        order_id,
        product_id,
        quantity: quantity_text(quantity)?,
        price: price_text(price)?,
    }))
}

pub fn remove_item(
    order_id: String,
    product_id: String,
    quantity: Option<&Bound<'_, PyAny>>,
) -> Result<Command, Failure> {
    Ok(Command::RemoveItem(RemoveItem {
        order_id,
        product_id,
        quantity: quantity.map(quantity_text).transpose()?,
    }))
}

pub fn place_order(order_id: String) -> Command {
    Command::PlaceOrder(PlaceOrder { order_id })
}

pub fn cancel_order(order_id: String, reason: Option<String>) -> Command {
    Command::CancelOrder(CancelOrder { order_id, reason })
}

/// A command `execute_many` could not decode, and the command id it gave (if it is a str).
pub struct Malformed {
    pub command_id: Option<String>,
    pub failure: Failure,
}

/// `{"type": "AddItem", "orderId": ..., "quantity": 2, "price": "29.99", "commandId": ...,
/// "expectedVersion": ...}`. Amounts take the same Python values as the methods (a
/// `Decimal` too); a `None` value counts as absent; a create without `orderId` gets one.
pub fn from_dict(item: &Bound<'_, PyAny>, options: CommandOptions) -> Result<Request, Malformed> {
    let Ok(dict) = item.cast::<PyDict>() else {
        return Err(Malformed {
            command_id: None,
            failure: invalid_input(format!("a command must be a dict, not {}", type_name(item))),
        });
    };
    decode_dict(dict, options).map_err(|failure| Malformed {
        command_id: dict
            .get_item("commandId")
            .ok()
            .flatten()
            .and_then(|id| id.extract().ok()),
        failure,
    })
}

fn decode_dict(dict: &Bound<'_, PyDict>, options: CommandOptions) -> Result<Request, Failure> {
    let mut fields = Map::new();
    for (key, value) in dict.iter() {
        let key: String = key
            .extract()
            .map_err(|_| invalid_input("the keys of a command must be str"))?;
        if value.is_none() {
            continue;
        }
        // Amounts travel as the core's decimal text, which serializes back to the JSON
        // number (or string) the core's decoder judges, digit for digit.
        let value = match key.as_str() {
            "price" => to_json(&price_text(&value)?),
            "quantity" => to_json(&quantity_text(&value)?),
            _ => from_plain::<Value>(&value, &key)?,
        };
        fields.insert(key, value);
    }
    let mut options = CommandOptions {
        command_id: take_option(&mut fields, "commandId")?,
        expected_version: take_option(&mut fields, "expectedVersion")?,
        ..options
    };
    let is_create = fields.get("type").and_then(Value::as_str) == Some("CreateOrder");
    if is_create && !fields.contains_key("orderId") {
        fields.insert("orderId".into(), Value::String(Uuid::now_v7().to_string()));
        options.order_id_generated = true;
    }
    // JSON text, as every host's decoder reads it (integers past u64 stay exact).
    let command = Command::from_json(&Value::Object(fields).to_string())?;
    Ok((command, options))
}

fn to_json(amount: &order_core::DecimalText) -> Value {
    serde_json::to_value(amount).unwrap_or_else(|_| Value::String(amount.to_string()))
}

fn take_option<T: serde::de::DeserializeOwned>(
    fields: &mut Map<String, Value>,
    key: &str,
) -> Result<Option<T>, Failure> {
    fields
        .remove(key)
        .map(|value| {
            serde_json::from_value(value).map_err(|e| {
                invalid_input(format!(
                    "{key}: {e} (commandId must be a str, expectedVersion an int >= 0)"
                ))
            })
        })
        .transpose()
}
