//! The write-side state of one order stream and `evolve`, the total fold that builds it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::money::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Draft,
    Placed,
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Draft => "draft",
            OrderStatus::Placed => "placed",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One product line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    pub product_id: String,
    pub quantity: u32,
    pub price: Money,
}

/// An order that exists (has been created).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub id: String,
    pub customer_id: String,
    pub status: OrderStatus,
    /// Lines in the order they were first added.
    pub items: Vec<OrderItem>,
    pub total: Money,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
}

impl Order {
    pub fn item(&self, product_id: &str) -> Option<&OrderItem> {
        self.items.iter().find(|i| i.product_id == product_id)
    }
}

/// The state of one stream: how many events it holds and the order they built, if any.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderState {
    pub version: u64,
    pub order: Option<Order>,
}

/// The state of a stream with no events.
pub fn initial_state() -> OrderState {
    OrderState::default()
}

/// Applies one event. Total: an event that does not fit the state (which `decide` never
/// produces) leaves the order unchanged but still counts toward the stream version, so the
/// version always equals the number of events folded.
pub fn evolve(mut state: OrderState, event: &Event) -> OrderState {
    state.version = state.version.saturating_add(1);
    state.order = apply(state.order, event);
    state
}

/// Folds a slice of events.
pub fn evolve_all<'a>(
    state: OrderState,
    events: impl IntoIterator<Item = &'a Event>,
) -> OrderState {
    events.into_iter().fold(state, evolve)
}

/// The order after one event; shared by `evolve` and the read-model projection.
pub(crate) fn apply(order: Option<Order>, event: &Event) -> Option<Order> {
    match (order, event) {
        (None, Event::OrderCreated(e)) => Some(Order {
            id: e.order_id.clone(),
            customer_id: e.customer_id.clone(),
            status: OrderStatus::Draft,
            items: Vec::new(),
            total: Money::ZERO,
            created_at: e.created_at,
            created_by: e.created_by.clone(),
            placed_at: None,
            cancelled_at: None,
            cancel_reason: None,
        }),
        (Some(mut o), Event::ItemAdded(e)) if o.status == OrderStatus::Draft => {
            let Some(line_total) = e.price.checked_mul(e.quantity) else {
                return Some(o);
            };
            let Some(total) = o.total.checked_add(line_total) else {
                return Some(o);
            };
            match o.items.iter_mut().find(|i| i.product_id == e.product_id) {
                Some(line) if line.price == e.price => {
                    let Some(quantity) = line.quantity.checked_add(e.quantity) else {
                        return Some(o);
                    };
                    line.quantity = quantity;
                }
                Some(_) => return Some(o),
                None => o.items.push(OrderItem {
                    product_id: e.product_id.clone(),
                    quantity: e.quantity,
                    price: e.price,
                }),
            }
            o.total = total;
            Some(o)
        }
        (Some(mut o), Event::ItemRemoved(e)) if o.status == OrderStatus::Draft => {
            if let Some(index) = o.items.iter().position(|i| i.product_id == e.product_id) {
                let line = &mut o.items[index];
                let removed = e.quantity.min(line.quantity);
                let refund = line.price.checked_mul(removed).unwrap_or(Money::ZERO);
                line.quantity -= removed;
                if line.quantity == 0 {
                    o.items.remove(index);
                }
                o.total = o.total.checked_sub(refund).unwrap_or(o.total);
            }
            Some(o)
        }
        (Some(mut o), Event::OrderPlaced(e)) if o.status == OrderStatus::Draft => {
            o.status = OrderStatus::Placed;
            o.placed_at = Some(e.placed_at);
            Some(o)
        }
        (Some(mut o), Event::OrderCancelled(e)) if o.status != OrderStatus::Cancelled => {
            o.status = OrderStatus::Cancelled;
            o.cancelled_at = Some(e.cancelled_at);
            o.cancel_reason = e.reason.clone();
            Some(o)
        }
        (order, _) => order,
    }
}
