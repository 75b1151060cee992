//! `decide`: the rules. Given the current state of a stream, a command and the host's
//! context, either the events that record what happened or the rule that forbids it.

use crate::command::{AddItem, CancelOrder, Command, CreateOrder, PlaceOrder, RemoveItem};
use crate::context::Context;
use crate::error::DomainError;
use crate::event::{Event, ItemAdded, ItemRemoved, OrderCancelled, OrderCreated, OrderPlaced};
use crate::limits::{
    MAX_ID_LEN, MAX_LINES, MAX_LINE_QUANTITY, MAX_ORDER_TOTAL, MAX_REASON_LEN, MAX_UNIT_PRICE,
};
use crate::money::{DecimalText, Money, MoneyParseError};
use crate::state::{Order, OrderState, OrderStatus};

/// Decides a command against the state of its stream. Pure and deterministic.
/// An empty `Ok` is a successful no-op (placing a placed order, cancelling a cancelled one).
pub fn decide(
    state: &OrderState,
    command: &Command,
    ctx: &Context,
) -> Result<Vec<Event>, DomainError> {
    match command {
        Command::CreateOrder(c) => create(state, c, ctx),
        Command::AddItem(c) => add_item(existing(state, &c.order_id)?, c),
        Command::RemoveItem(c) => remove_item(existing(state, &c.order_id)?, c),
        Command::PlaceOrder(c) => place(existing(state, &c.order_id)?, c, ctx),
        Command::CancelOrder(c) => cancel(existing(state, &c.order_id)?, c, ctx),
    }
}

fn existing<'a>(state: &'a OrderState, order_id: &str) -> Result<&'a Order, DomainError> {
    state
        .order
        .as_ref()
        .ok_or_else(|| DomainError::OrderNotFound {
            order_id: order_id.to_string(),
        })
}

fn check_id(id: &str) -> Result<(), String> {
    if id.trim().is_empty() {
        Err("must not be empty".into())
    } else if id.len() > MAX_ID_LEN {
        Err(format!("longer than {MAX_ID_LEN} bytes"))
    } else if id.chars().any(char::is_control) {
        Err("contains control characters".into())
    } else {
        Ok(())
    }
}

fn create(state: &OrderState, c: &CreateOrder, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    check_id(&c.order_id).map_err(|reason| DomainError::InvalidOrderId { reason })?;
    if state.order.is_some() {
        return Err(DomainError::OrderAlreadyExists {
            order_id: c.order_id.clone(),
        });
    }
    check_id(&c.customer_id).map_err(|reason| DomainError::InvalidCustomer { reason })?;
    Ok(vec![Event::OrderCreated(OrderCreated {
        order_id: c.order_id.clone(),
        customer_id: c.customer_id.clone(),
        created_at: ctx.now,
        created_by: ctx.actor.clone(),
    })])
}

fn require_draft(order: &Order) -> Result<(), DomainError> {
    if order.status == OrderStatus::Draft {
        Ok(())
    } else {
        Err(DomainError::OrderNotDraft {
            status: order.status,
        })
    }
}

/// A quantity: a whole number from 1 to the line limit.
fn parse_quantity(text: &DecimalText) -> Result<u32, DomainError> {
    let invalid = |reason: String| DomainError::InvalidQuantity { reason };
    let amount = Money::parse(text.as_str()).map_err(|e| match e {
        MoneyParseError::TooLarge(_) => {
            invalid(format!("{text} is above the limit of {MAX_LINE_QUANTITY}"))
        }
        _ => invalid(format!("`{text}` is not a whole number")),
    })?;
    if amount.cents() % 100 != 0 {
        return Err(invalid(format!("`{text}` is not a whole number")));
    }
    let units = amount.cents() / 100;
    if units <= 0 {
        return Err(invalid(format!("must be positive, got {text}")));
    }
    if units > i64::from(MAX_LINE_QUANTITY) {
        return Err(invalid(format!(
            "{text} is above the limit of {MAX_LINE_QUANTITY}"
        )));
    }
    Ok(units as u32)
}

/// A unit price: from 0 to the price limit, at most 2 decimals.
fn parse_price(text: &DecimalText) -> Result<Money, DomainError> {
    let invalid = |reason: String| DomainError::InvalidPrice { reason };
    let price = Money::parse(text.as_str()).map_err(|e| match e {
        MoneyParseError::TooLarge(_) => {
            invalid(format!("{text} is above the limit of {MAX_UNIT_PRICE}"))
        }
        other => invalid(other.to_string()),
    })?;
    if price.is_negative() {
        return Err(invalid(format!("must not be negative, got {text}")));
    }
    if price > MAX_UNIT_PRICE {
        return Err(invalid(format!(
            "{text} is above the limit of {MAX_UNIT_PRICE}"
        )));
    }
    Ok(price)
}

fn add_item(order: &Order, c: &AddItem) -> Result<Vec<Event>, DomainError> {
    require_draft(order)?;
    check_id(&c.product_id).map_err(|reason| DomainError::InvalidProduct { reason })?;
    let quantity = parse_quantity(&c.quantity)?;
    let price = parse_price(&c.price)?;
    match order.item(&c.product_id) {
        Some(line) if line.price != price => {
            return Err(DomainError::PriceMismatch {
                product_id: c.product_id.clone(),
                existing: line.price,
                requested: price,
            })
        }
        Some(line) => {
            let merged = line
                .quantity
                .checked_add(quantity)
                .filter(|q| *q <= MAX_LINE_QUANTITY);
            if merged.is_none() {
                return Err(DomainError::LimitExceeded {
                    reason: format!(
                        "product `{}` would hold more than {MAX_LINE_QUANTITY} units",
                        c.product_id
                    ),
                });
            }
        }
        None if order.items.len() >= MAX_LINES => {
            return Err(DomainError::TooManyLines { limit: MAX_LINES })
        }
        None => {}
    }
    let total = price
        .checked_mul(quantity)
        .and_then(|line| order.total.checked_add(line))
        .filter(|t| *t <= MAX_ORDER_TOTAL);
    if total.is_none() {
        return Err(DomainError::LimitExceeded {
            reason: format!("the order total would exceed {MAX_ORDER_TOTAL}"),
        });
    }
    Ok(vec![Event::ItemAdded(ItemAdded {
        order_id: order.id.clone(),
        product_id: c.product_id.clone(),
        quantity,
        price,
    })])
}

fn remove_item(order: &Order, c: &RemoveItem) -> Result<Vec<Event>, DomainError> {
    require_draft(order)?;
    let line = order
        .item(&c.product_id)
        .ok_or_else(|| DomainError::ItemNotFound {
            product_id: c.product_id.clone(),
        })?;
    let quantity = match &c.quantity {
        None => line.quantity,
        Some(text) => {
            let q = parse_quantity(text)?;
            if q > line.quantity {
                return Err(DomainError::InvalidQuantity {
                    reason: format!(
                        "cannot remove {q} of `{}`: the order holds {}",
                        c.product_id, line.quantity
                    ),
                });
            }
            q
        }
    };
    Ok(vec![Event::ItemRemoved(ItemRemoved {
        order_id: order.id.clone(),
        product_id: c.product_id.clone(),
        quantity,
    })])
}

fn place(order: &Order, _c: &PlaceOrder, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    match order.status {
        OrderStatus::Placed => Ok(Vec::new()),
        OrderStatus::Cancelled => Err(DomainError::OrderCancelled {
            order_id: order.id.clone(),
        }),
        OrderStatus::Draft if order.items.is_empty() => Err(DomainError::EmptyOrder),
        OrderStatus::Draft => Ok(vec![Event::OrderPlaced(OrderPlaced {
            order_id: order.id.clone(),
            customer_id: order.customer_id.clone(),
            total: order.total,
            placed_at: ctx.now,
        })]),
    }
}

fn cancel(order: &Order, c: &CancelOrder, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    if order.status == OrderStatus::Cancelled {
        return Ok(Vec::new());
    }
    if let Some(reason) = &c.reason {
        if reason.len() > MAX_REASON_LEN {
            return Err(DomainError::InvalidReason {
                reason: format!("longer than {MAX_REASON_LEN} bytes"),
            });
        }
    }
    Ok(vec![Event::OrderCancelled(OrderCancelled {
        order_id: order.id.clone(),
        reason: c.reason.clone(),
        cancelled_at: ctx.now,
    })])
}
