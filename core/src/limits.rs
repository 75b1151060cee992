//! Documented bounds of an order. Every arithmetic step in the domain is checked against
//! them, so no input can wrap, overflow or exhaust memory.

use crate::money::Money;

/// Most distinct product lines one order may hold.
pub const MAX_LINES: usize = 1_000;
/// Largest quantity of one product line (after merging repeated adds).
pub const MAX_LINE_QUANTITY: u32 = 1_000_000;
/// Largest unit price: 1,000,000.00.
pub const MAX_UNIT_PRICE: Money = Money::from_cents(100_000_000);
/// Largest order total: 10,000,000,000.00. Well inside i64 cents, so sums cannot wrap.
pub const MAX_ORDER_TOTAL: Money = Money::from_cents(1_000_000_000_000);
/// Longest order, customer or product id, in bytes.
pub const MAX_ID_LEN: usize = 128;
/// Longest cancellation reason, in bytes.
pub const MAX_REASON_LEN: usize = 1_000;
