//! Commands: what a caller asks for. Inputs whose *type* is right but whose value may break a
//! rule (quantity, price) are kept as decimal text and judged by `decide`.

use serde::{Deserialize, Serialize};

use crate::money::{
    deserialize_optional_quantity_text, deserialize_price_text, deserialize_quantity_text,
    DecimalText,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Command {
    CreateOrder(CreateOrder),
    AddItem(AddItem),
    RemoveItem(RemoveItem),
    PlaceOrder(PlaceOrder),
    CancelOrder(CancelOrder),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrder {
    pub order_id: String,
    pub customer_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddItem {
    pub order_id: String,
    pub product_id: String,
    #[serde(deserialize_with = "deserialize_quantity_text")]
    pub quantity: DecimalText,
    #[serde(deserialize_with = "deserialize_price_text")]
    pub price: DecimalText,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveItem {
    pub order_id: String,
    pub product_id: String,
    #[serde(
        default,
        deserialize_with = "deserialize_optional_quantity_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub quantity: Option<DecimalText>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaceOrder {
    pub order_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelOrder {
    pub order_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Command {
    /// The stream this command addresses.
    pub fn order_id(&self) -> &str {
        match self {
            Command::CreateOrder(c) => &c.order_id,
            Command::AddItem(c) => &c.order_id,
            Command::RemoveItem(c) => &c.order_id,
            Command::PlaceOrder(c) => &c.order_id,
            Command::CancelOrder(c) => &c.order_id,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Command::CreateOrder(_) => "CreateOrder",
            Command::AddItem(_) => "AddItem",
            Command::RemoveItem(_) => "RemoveItem",
            Command::PlaceOrder(_) => "PlaceOrder",
            Command::CancelOrder(_) => "CancelOrder",
        }
    }

    /// Decodes a command from JSON text, naming the problem on failure.
    pub fn from_json(text: &str) -> Result<Command, crate::DecodeError> {
        serde_json::from_str(text).map_err(crate::DecodeError::from)
    }
}
