//! Domain rejections. Each has a stable snake_case `code` that every host carries across its
//! boundary unchanged (HTTP body, JS `Error.code`, Python `.code`), plus a human message.

use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::state::OrderStatus;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(
    tag = "code",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum DomainError {
    #[error("order `{order_id}` already exists")]
    OrderAlreadyExists { order_id: String },
    #[error("order `{order_id}` does not exist")]
    OrderNotFound { order_id: String },
    #[error("invalid order id: {reason}")]
    InvalidOrderId { reason: String },
    #[error("invalid customer id: {reason}")]
    InvalidCustomer { reason: String },
    #[error("invalid product id: {reason}")]
    InvalidProduct { reason: String },
    #[error("order is {status}; items can only change while it is a draft")]
    OrderNotDraft { status: OrderStatus },
    #[error("invalid quantity: {reason}")]
    InvalidQuantity { reason: String },
    #[error("invalid price: {reason}")]
    InvalidPrice { reason: String },
    #[error("product `{product_id}` is already in the order at {existing}, not {requested}")]
    PriceMismatch {
        product_id: String,
        existing: Money,
        requested: Money,
    },
    #[error("product `{product_id}` is not in the order")]
    ItemNotFound { product_id: String },
    #[error("an order without items cannot be placed")]
    EmptyOrder,
    #[error("order `{order_id}` is cancelled")]
    OrderCancelled { order_id: String },
    #[error("an order holds at most {limit} product lines")]
    TooManyLines { limit: usize },
    #[error("limit exceeded: {reason}")]
    LimitExceeded { reason: String },
    #[error("invalid cancellation reason: {reason}")]
    InvalidReason { reason: String },
}

impl DomainError {
    /// Every code this domain can produce, for hosts that map or document them.
    pub const CODES: [&'static str; 15] = [
        "order_already_exists",
        "order_not_found",
        "invalid_order_id",
        "invalid_customer",
        "invalid_product",
        "order_not_draft",
        "invalid_quantity",
        "invalid_price",
        "price_mismatch",
        "item_not_found",
        "empty_order",
        "order_cancelled",
        "too_many_lines",
        "limit_exceeded",
        "invalid_reason",
    ];

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::OrderAlreadyExists { .. } => "order_already_exists",
            DomainError::OrderNotFound { .. } => "order_not_found",
            DomainError::InvalidOrderId { .. } => "invalid_order_id",
            DomainError::InvalidCustomer { .. } => "invalid_customer",
            DomainError::InvalidProduct { .. } => "invalid_product",
            DomainError::OrderNotDraft { .. } => "order_not_draft",
            DomainError::InvalidQuantity { .. } => "invalid_quantity",
            DomainError::InvalidPrice { .. } => "invalid_price",
            DomainError::PriceMismatch { .. } => "price_mismatch",
            DomainError::ItemNotFound { .. } => "item_not_found",
            DomainError::EmptyOrder => "empty_order",
            DomainError::OrderCancelled { .. } => "order_cancelled",
            DomainError::TooManyLines { .. } => "too_many_lines",
            DomainError::LimitExceeded { .. } => "limit_exceeded",
            DomainError::InvalidReason { .. } => "invalid_reason",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_matches_the_serialized_tag() {
        let e = DomainError::ItemNotFound {
            product_id: "p".into(),
        };
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], e.code());
        assert!(DomainError::CODES.contains(&e.code()));
        let back: DomainError = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
    }
}
