//! The core's types and their WIT twins (`domain.wit`), both ways. The guest and the host
//! each generate their own Rust types from the same WIT, with the same names and fields, so
//! this one file serves both: each includes it as a module beside a `wit` alias for its
//! generated `decider` interface.
//!
//! Core to WIT always succeeds. WIT to core fails only on a timestamp the calendar cannot
//! hold, and then names the field.

use chrono::{DateTime, Utc};
use order_core::{
    AddItem, CancelOrder, Command, Context, CreateOrder, DecimalText, DomainError, Event,
    ItemAdded, ItemRemoved, Money, Order, OrderCancelled, OrderCreated, OrderItem, OrderPlaced,
    OrderState, OrderStatus, OrderView, PlaceOrder, RemoveItem,
};

use super::wit;

/// A WIT value turned back into the core's: infallible but for timestamps.
pub trait ToCore {
    type Core;
    fn to_core(self) -> Result<Self::Core, String>;
}

impl<T: ToCore> ToCore for Option<T> {
    type Core = Option<T::Core>;
    fn to_core(self) -> Result<Self::Core, String> {
        self.map(ToCore::to_core).transpose()
    }
}

impl<T: ToCore> ToCore for Vec<T> {
    type Core = Vec<T::Core>;
    fn to_core(self) -> Result<Self::Core, String> {
        self.into_iter().map(ToCore::to_core).collect()
    }
}

pub fn timestamp(at: DateTime<Utc>) -> wit::Timestamp {
    wit::Timestamp {
        seconds: at.timestamp(),
        nanoseconds: at.timestamp_subsec_nanos(),
    }
}

impl ToCore for wit::Timestamp {
    type Core = DateTime<Utc>;
    fn to_core(self) -> Result<DateTime<Utc>, String> {
        DateTime::from_timestamp(self.seconds, self.nanoseconds).ok_or_else(|| {
            format!(
                "timestamp {}s + {}ns is not an instant the calendar can hold",
                self.seconds, self.nanoseconds
            )
        })
    }
}

fn text(value: DecimalText) -> String {
    value.as_str().to_owned()
}

impl From<Command> for wit::Command {
    fn from(command: Command) -> Self {
        match command {
            Command::CreateOrder(c) => wit::Command::CreateOrder(wit::CreateOrder {
                order_id: c.order_id,
                customer_id: c.customer_id,
            }),
            Command::AddItem(c) => wit::Command::AddItem(wit::AddItem {
                order_id: c.order_id,
                product_id: c.product_id,
                quantity: text(c.quantity),
                price: text(c.price),
            }),
            Command::RemoveItem(c) => wit::Command::RemoveItem(wit::RemoveItem {
                order_id: c.order_id,
                product_id: c.product_id,
                quantity: c.quantity.map(text),
            }),
            Command::PlaceOrder(c) => wit::Command::PlaceOrder(wit::PlaceOrder {
                order_id: c.order_id,
            }),
            Command::CancelOrder(c) => wit::Command::CancelOrder(wit::CancelOrder {
                order_id: c.order_id,
                reason: c.reason,
            }),
        }
    }
}

impl ToCore for wit::Command {
    type Core = Command;
    fn to_core(self) -> Result<Command, String> {
        Ok(match self {
            wit::Command::CreateOrder(c) => Command::CreateOrder(CreateOrder {
                order_id: c.order_id,
                customer_id: c.customer_id,
            }),
            wit::Command::AddItem(c) => Command::AddItem(AddItem {
                order_id: c.order_id,
                product_id: c.product_id,
                quantity: DecimalText::new(c.quantity),
                price: DecimalText::new(c.price),
            }),
            wit::Command::RemoveItem(c) => Command::RemoveItem(RemoveItem {
                order_id: c.order_id,
                product_id: c.product_id,
                quantity: c.quantity.map(DecimalText::new),
            }),
            wit::Command::PlaceOrder(c) => Command::PlaceOrder(PlaceOrder {
                order_id: c.order_id,
            }),
            wit::Command::CancelOrder(c) => Command::CancelOrder(CancelOrder {
                order_id: c.order_id,
                reason: c.reason,
            }),
        })
    }
}

impl From<Context> for wit::Context {
    fn from(ctx: Context) -> Self {
        wit::Context {
            now: timestamp(ctx.now),
            actor: ctx.actor,
        }
    }
}

impl ToCore for wit::Context {
    type Core = Context;
    fn to_core(self) -> Result<Context, String> {
        Ok(Context {
            now: self
                .now
                .to_core()
                .map_err(|e| format!("context.now: {e}"))?,
            actor: self.actor,
        })
    }
}

impl From<Event> for wit::Event {
    fn from(event: Event) -> Self {
        match event {
            Event::OrderCreated(e) => wit::Event::OrderCreated(wit::OrderCreated {
                order_id: e.order_id,
                customer_id: e.customer_id,
                created_at: timestamp(e.created_at),
                created_by: e.created_by,
            }),
            Event::ItemAdded(e) => wit::Event::ItemAdded(wit::ItemAdded {
                order_id: e.order_id,
                product_id: e.product_id,
                quantity: e.quantity,
                price: e.price.cents(),
            }),
            Event::ItemRemoved(e) => wit::Event::ItemRemoved(wit::ItemRemoved {
                order_id: e.order_id,
                product_id: e.product_id,
                quantity: e.quantity,
            }),
            Event::OrderPlaced(e) => wit::Event::OrderPlaced(wit::OrderPlaced {
                order_id: e.order_id,
                customer_id: e.customer_id,
                total: e.total.cents(),
                placed_at: timestamp(e.placed_at),
            }),
            Event::OrderCancelled(e) => wit::Event::OrderCancelled(wit::OrderCancelled {
                order_id: e.order_id,
                reason: e.reason,
                cancelled_at: timestamp(e.cancelled_at),
            }),
        }
    }
}

impl ToCore for wit::Event {
    type Core = Event;
    fn to_core(self) -> Result<Event, String> {
        Ok(match self {
            wit::Event::OrderCreated(e) => Event::OrderCreated(OrderCreated {
                order_id: e.order_id,
                customer_id: e.customer_id,
                created_at: e.created_at.to_core()?,
                created_by: e.created_by,
            }),
            wit::Event::ItemAdded(e) => Event::ItemAdded(ItemAdded {
                order_id: e.order_id,
                product_id: e.product_id,
                quantity: e.quantity,
                price: Money::from_cents(e.price),
            }),
            wit::Event::ItemRemoved(e) => Event::ItemRemoved(ItemRemoved {
                order_id: e.order_id,
                product_id: e.product_id,
                quantity: e.quantity,
            }),
            wit::Event::OrderPlaced(e) => Event::OrderPlaced(OrderPlaced {
                order_id: e.order_id,
                customer_id: e.customer_id,
                total: Money::from_cents(e.total),
                placed_at: e.placed_at.to_core()?,
            }),
            wit::Event::OrderCancelled(e) => Event::OrderCancelled(OrderCancelled {
                order_id: e.order_id,
                reason: e.reason,
                cancelled_at: e.cancelled_at.to_core()?,
            }),
        })
    }
}

impl From<OrderStatus> for wit::OrderStatus {
    fn from(status: OrderStatus) -> Self {
        match status {
            OrderStatus::Draft => wit::OrderStatus::Draft,
            OrderStatus::Placed => wit::OrderStatus::Placed,
            OrderStatus::Cancelled => wit::OrderStatus::Cancelled,
        }
    }
}

impl From<wit::OrderStatus> for OrderStatus {
    fn from(status: wit::OrderStatus) -> Self {
        match status {
            wit::OrderStatus::Draft => OrderStatus::Draft,
            wit::OrderStatus::Placed => OrderStatus::Placed,
            wit::OrderStatus::Cancelled => OrderStatus::Cancelled,
        }
    }
}

impl From<Order> for wit::Order {
    fn from(o: Order) -> Self {
        wit::Order {
            id: o.id,
            customer_id: o.customer_id,
            status: o.status.into(),
            items: o
                .items
                .into_iter()
                .map(|item| wit::OrderItem {
                    product_id: item.product_id,
                    quantity: item.quantity,
                    price: item.price.cents(),
                })
                .collect(),
            total: o.total.cents(),
            created_at: timestamp(o.created_at),
            created_by: o.created_by,
            placed_at: o.placed_at.map(timestamp),
            cancelled_at: o.cancelled_at.map(timestamp),
            cancel_reason: o.cancel_reason,
        }
    }
}

impl ToCore for wit::Order {
    type Core = Order;
    fn to_core(self) -> Result<Order, String> {
        Ok(Order {
            id: self.id,
            customer_id: self.customer_id,
            status: self.status.into(),
            items: self
                .items
                .into_iter()
                .map(|item| OrderItem {
                    product_id: item.product_id,
                    quantity: item.quantity,
                    price: Money::from_cents(item.price),
                })
                .collect(),
            total: Money::from_cents(self.total),
            created_at: self.created_at.to_core()?,
            created_by: self.created_by,
            placed_at: self.placed_at.to_core()?,
            cancelled_at: self.cancelled_at.to_core()?,
            cancel_reason: self.cancel_reason,
        })
    }
}

impl From<OrderState> for wit::OrderState {
    fn from(state: OrderState) -> Self {
        wit::OrderState {
            version: state.version,
            order: state.order.map(Into::into),
        }
    }
}

impl ToCore for wit::OrderState {
    type Core = OrderState;
    fn to_core(self) -> Result<OrderState, String> {
        Ok(OrderState {
            version: self.version,
            order: self.order.to_core()?,
        })
    }
}

impl From<OrderView> for wit::OrderView {
    fn from(view: OrderView) -> Self {
        let (version, updated_at) = (view.version, timestamp(view.updated_at));
        wit::OrderView {
            order: view.into_order().into(),
            version,
            updated_at,
        }
    }
}

impl ToCore for wit::OrderView {
    type Core = OrderView;
    fn to_core(self) -> Result<OrderView, String> {
        Ok(OrderView::from_order(
            self.order.to_core()?,
            self.version,
            self.updated_at.to_core()?,
        ))
    }
}

impl From<DomainError> for wit::DomainError {
    fn from(error: DomainError) -> Self {
        use wit::DomainError as W;
        match error {
            DomainError::OrderAlreadyExists { order_id } => W::OrderAlreadyExists(order_id),
            DomainError::OrderNotFound { order_id } => W::OrderNotFound(order_id),
            DomainError::InvalidOrderId { reason } => W::InvalidOrderId(reason),
            DomainError::InvalidCustomer { reason } => W::InvalidCustomer(reason),
            DomainError::InvalidProduct { reason } => W::InvalidProduct(reason),
            DomainError::OrderNotDraft { status } => W::OrderNotDraft(status.into()),
            DomainError::InvalidQuantity { reason } => W::InvalidQuantity(reason),
            DomainError::InvalidPrice { reason } => W::InvalidPrice(reason),
            DomainError::PriceMismatch {
                product_id,
                existing,
                requested,
            } => W::PriceMismatch(wit::PriceMismatch {
                product_id,
                existing: existing.cents(),
                requested: requested.cents(),
            }),
            DomainError::ItemNotFound { product_id } => W::ItemNotFound(product_id),
            DomainError::EmptyOrder => W::EmptyOrder,
            DomainError::OrderCancelled { order_id } => W::OrderCancelled(order_id),
            DomainError::TooManyLines { limit } => {
                W::TooManyLines(u32::try_from(limit).unwrap_or(u32::MAX))
            }
            DomainError::LimitExceeded { reason } => W::LimitExceeded(reason),
            DomainError::InvalidReason { reason } => W::InvalidReason(reason),
        }
    }
}

impl From<wit::DomainError> for DomainError {
    fn from(error: wit::DomainError) -> Self {
        use wit::DomainError as W;
        match error {
            W::OrderAlreadyExists(order_id) => DomainError::OrderAlreadyExists { order_id },
            W::OrderNotFound(order_id) => DomainError::OrderNotFound { order_id },
            W::InvalidOrderId(reason) => DomainError::InvalidOrderId { reason },
            W::InvalidCustomer(reason) => DomainError::InvalidCustomer { reason },
            W::InvalidProduct(reason) => DomainError::InvalidProduct { reason },
            W::OrderNotDraft(status) => DomainError::OrderNotDraft {
                status: status.into(),
            },
            W::InvalidQuantity(reason) => DomainError::InvalidQuantity { reason },
            W::InvalidPrice(reason) => DomainError::InvalidPrice { reason },
            W::PriceMismatch(m) => DomainError::PriceMismatch {
                product_id: m.product_id,
                existing: Money::from_cents(m.existing),
                requested: Money::from_cents(m.requested),
            },
            W::ItemNotFound(product_id) => DomainError::ItemNotFound { product_id },
            W::EmptyOrder => DomainError::EmptyOrder,
            W::OrderCancelled(order_id) => DomainError::OrderCancelled { order_id },
            W::TooManyLines(limit) => DomainError::TooManyLines {
                limit: limit as usize,
            },
            W::LimitExceeded(reason) => DomainError::LimitExceeded { reason },
            W::InvalidReason(reason) => DomainError::InvalidReason { reason },
        }
    }
}
