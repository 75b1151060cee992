//! Events: what happened, in today's shape. Older stored shapes are turned into these by
//! [`crate::upcast`]; stored events are never rewritten.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Money;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Event {
    OrderCreated(OrderCreated),
    ItemAdded(ItemAdded),
    ItemRemoved(ItemRemoved),
    OrderPlaced(OrderPlaced),
    OrderCancelled(OrderCancelled),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCreated {
    pub order_id: String,
    pub customer_id: String,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemAdded {
    pub order_id: String,
    pub product_id: String,
    pub quantity: u32,
    pub price: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemRemoved {
    pub order_id: String,
    pub product_id: String,
    pub quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderPlaced {
    pub order_id: String,
    pub customer_id: String,
    pub total: Money,
    pub placed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCancelled {
    pub order_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub cancelled_at: DateTime<Utc>,
}

impl Event {
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::OrderCreated(_) => "OrderCreated",
            Event::ItemAdded(_) => "ItemAdded",
            Event::ItemRemoved(_) => "ItemRemoved",
            Event::OrderPlaced(_) => "OrderPlaced",
            Event::OrderCancelled(_) => "OrderCancelled",
        }
    }

    pub fn order_id(&self) -> &str {
        match self {
            Event::OrderCreated(e) => &e.order_id,
            Event::ItemAdded(e) => &e.order_id,
            Event::ItemRemoved(e) => &e.order_id,
            Event::OrderPlaced(e) => &e.order_id,
            Event::OrderCancelled(e) => &e.order_id,
        }
    }

    /// The schema version this build writes for this event type.
    pub fn schema_version(&self) -> u32 {
        crate::upcast::current_schema_version(self.type_name()).unwrap_or(1)
    }

    /// The event's fields without the `type` tag: the envelope's `data`.
    pub fn payload(&self) -> serde_json::Value {
        let value = match self {
            Event::OrderCreated(e) => serde_json::to_value(e),
            Event::ItemAdded(e) => serde_json::to_value(e),
            Event::ItemRemoved(e) => serde_json::to_value(e),
            Event::OrderPlaced(e) => serde_json::to_value(e),
            Event::OrderCancelled(e) => serde_json::to_value(e),
        };
        // Plain structs of strings, integers and timestamps always serialize.
        value.unwrap_or(serde_json::Value::Null)
    }
}
