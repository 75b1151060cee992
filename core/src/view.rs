//! The read model: `OrderView`, folded from envelopes by `project`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::envelope::EventEnvelope;
use crate::event::Event;
use crate::money::Money;
use crate::state::{apply, Order, OrderItem, OrderState, OrderStatus};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    pub id: String,
    pub customer_id: String,
    pub status: OrderStatus,
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
    /// Stream version of the last event folded in.
    pub version: u64,
    /// When the last event folded in was recorded.
    pub updated_at: DateTime<Utc>,
}

impl OrderView {
    /// The view of an order as of the event with stream version `version`.
    pub fn from_order(o: Order, version: u64, updated_at: DateTime<Utc>) -> Self {
        OrderView {
            id: o.id,
            customer_id: o.customer_id,
            status: o.status,
            items: o.items,
            total: o.total,
            created_at: o.created_at,
            created_by: o.created_by,
            placed_at: o.placed_at,
            cancelled_at: o.cancelled_at,
            cancel_reason: o.cancel_reason,
            version,
            updated_at,
        }
    }

    /// The order the view shows, without its version and time.
    pub fn into_order(self) -> Order {
        Order {
            id: self.id,
            customer_id: self.customer_id,
            status: self.status,
            items: self.items,
            total: self.total,
            created_at: self.created_at,
            created_by: self.created_by,
            placed_at: self.placed_at,
            cancelled_at: self.cancelled_at,
            cancel_reason: self.cancel_reason,
        }
    }

    /// The view of a write-side state; `updated_at` is the time of its last event, which the
    /// state does not hold, so the caller supplies it.
    pub fn from_state(state: &OrderState, updated_at: DateTime<Utc>) -> Option<OrderView> {
        state
            .order
            .clone()
            .map(|o| OrderView::from_order(o, state.version, updated_at))
    }
}

/// Folds one envelope into the view of its stream (`None` before the order exists).
pub fn project(view: Option<OrderView>, envelope: &EventEnvelope) -> Option<OrderView> {
    project_event(
        view,
        &envelope.event,
        envelope.version,
        envelope.metadata.recorded_at,
    )
}

/// Folds one event, stored at stream version `version` and recorded at `recorded_at`: all
/// of an envelope the read model depends on.
pub fn project_event(
    view: Option<OrderView>,
    event: &Event,
    version: u64,
    recorded_at: DateTime<Utc>,
) -> Option<OrderView> {
    let order = view.map(OrderView::into_order);
    apply(order, event).map(|o| OrderView::from_order(o, version, recorded_at))
}

/// Folds a slice of envelopes.
pub fn project_all<'a>(
    view: Option<OrderView>,
    envelopes: impl IntoIterator<Item = &'a EventEnvelope>,
) -> Option<OrderView> {
    envelopes.into_iter().fold(view, project)
}
