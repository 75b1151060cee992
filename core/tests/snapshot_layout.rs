//! A snapshot is trusted only under the state-schema version it was written with. This test
//! pins the serialized layout of `OrderState` for each version: changing the layout without
//! bumping `STATE_SCHEMA_VERSION` (and recording the new layout below) fails here, before
//! old snapshots could be read into the wrong shape.

use chrono::{TimeZone, Utc};
use order_core::{
    evolve_all, initial_state, Event, ItemAdded, Money, OrderCancelled, OrderCreated, OrderPlaced,
    OrderState, Snapshot, STATE_SCHEMA_VERSION,
};

/// The layout of every state-schema version, oldest first. Add a line; never edit one.
const LAYOUTS: &[(u32, &str)] = &[(
    1,
    r#"{"version":4,"order":{"id":"o-1","customerId":"c-1","status":"placed","items":[{"productId":"p-1","quantity":2,"price":"29.99"},{"productId":"p-2","quantity":1,"price":"49.99"}],"total":"109.97","createdAt":"2026-01-02T03:04:00Z","createdBy":"alice","placedAt":"2026-01-02T03:04:05Z"}}
{"version":2,"order":{"id":"o-2","customerId":"c-1","status":"cancelled","items":[],"total":"0.00","createdAt":"2026-01-02T03:04:00Z","createdBy":"alice","cancelledAt":"2026-01-02T03:04:09Z","cancelReason":"changed my mind"}}"#,
)];

fn states() -> [OrderState; 2] {
    let at = |s| Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, s).unwrap();
    let created = |id: &str| {
        Event::OrderCreated(OrderCreated {
            order_id: id.into(),
            customer_id: "c-1".into(),
            created_at: at(0),
            created_by: Some("alice".into()),
        })
    };
    let item = |id: &str, product: &str, quantity, cents| {
        Event::ItemAdded(ItemAdded {
            order_id: id.into(),
            product_id: product.into(),
            quantity,
            price: Money::from_cents(cents),
        })
    };
    let placed = evolve_all(
        initial_state(),
        &[
            created("o-1"),
            item("o-1", "p-1", 2, 2999),
            item("o-1", "p-2", 1, 4999),
            Event::OrderPlaced(OrderPlaced {
                order_id: "o-1".into(),
                customer_id: "c-1".into(),
                total: Money::from_cents(10997),
                placed_at: at(5),
            }),
        ],
    );
    let cancelled = evolve_all(
        initial_state(),
        &[
            created("o-2"),
            Event::OrderCancelled(OrderCancelled {
                order_id: "o-2".into(),
                reason: Some("changed my mind".into()),
                cancelled_at: at(9),
            }),
        ],
    );
    [placed, cancelled]
}

#[test]
fn the_snapshot_layout_is_the_one_recorded_for_its_schema_version() {
    let layout: Vec<String> = states()
        .iter()
        .map(|state| Snapshot::of("o", state).state)
        .collect();
    let layout = layout.join("\n");
    let recorded = LAYOUTS
        .iter()
        .find(|(version, _)| *version == STATE_SCHEMA_VERSION)
        .map(|(_, layout)| *layout);
    assert_eq!(
        recorded,
        Some(layout.as_str()),
        "OrderState's snapshot layout differs from the one recorded for state-schema \
         version {STATE_SCHEMA_VERSION}: bump STATE_SCHEMA_VERSION and add the new layout \
         to LAYOUTS (old snapshots are then ignored, never misread)"
    );
}

#[test]
fn recorded_layouts_are_distinct_and_only_the_current_one_restores() {
    let versions: Vec<u32> = LAYOUTS.iter().map(|(v, _)| *v).collect();
    assert!(
        versions.windows(2).all(|w| w[0] < w[1]),
        "ascending, no repeats"
    );
    for state in states() {
        let mut snapshot = Snapshot::of("o", &state);
        assert_eq!(snapshot.restore(), Some(state.clone()));
        snapshot.state_schema_version = STATE_SCHEMA_VERSION + 1;
        assert_eq!(snapshot.restore(), None, "an unknown schema is ignored");
    }
}
