//! The same behaviour checks against every store: the in-memory one, SQLite and (with
//! feature `postgres`) PostgreSQL, each test on a fresh database of the local server.

use chrono::{TimeZone, Utc};
use order_core::{
    AddItem, AsOf, BatchStore, Command, CommandOptions, CreateOrder, DecimalText, Engine,
    EngineConfig, EngineError, EventStore, FixedEnvironment, MemoryStore, NativeRuntime,
    PlaceOrder, StoredEvent,
};
#[cfg(feature = "postgres")]
use order_store::{postgres::testing::TestDatabase, PostgresStore};
use order_store::{SqliteStore, Synchronous};

fn env() -> FixedEnvironment {
    FixedEnvironment::starting_at(Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap())
}

fn create(order: &str, customer: &str) -> Command {
    Command::CreateOrder(CreateOrder {
        order_id: order.into(),
        customer_id: customer.into(),
    })
}

fn add(order: &str, product: &str, quantity: u32, price: &str) -> Command {
    Command::AddItem(AddItem {
        order_id: order.into(),
        product_id: product.into(),
        quantity: DecimalText::from(quantity),
        price: DecimalText::from(price),
    })
}

fn place(order: &str) -> Command {
    Command::PlaceOrder(PlaceOrder {
        order_id: order.into(),
    })
}

fn opts() -> CommandOptions {
    CommandOptions::default()
}

fn with_id(id: &str) -> CommandOptions {
    CommandOptions {
        command_id: Some(id.into()),
        ..Default::default()
    }
}

fn engine<S: EventStore>(store: S, snapshot_every: u64) -> Engine<S, FixedEnvironment> {
    Engine::with_runtime(
        store,
        env(),
        NativeRuntime,
        EngineConfig {
            snapshot_every,
            ..EngineConfig::default()
        },
    )
}

fn seed_scenario<S: EventStore>(e: &mut Engine<S, FixedEnvironment>) {
    e.handle(create("o-1", "c-1"), opts()).unwrap();
    e.handle(add("o-1", "product-456", 2, "29.99"), opts())
        .unwrap();
    e.handle(add("o-1", "product-789", 1, "49.99"), opts())
        .unwrap();
    e.handle(place("o-1"), opts()).unwrap();
}

fn check_lifecycle<S: EventStore>(store: S) {
    let mut e = engine(store, 100);
    seed_scenario(&mut e);
    let view = e.get_order("o-1", None).unwrap().unwrap();
    assert_eq!(view.total.to_string(), "109.97");
    assert_eq!(view.version, 4);
    let positions: Vec<u64> = e
        .all_events(0, 3)
        .unwrap()
        .iter()
        .map(|x| x.position)
        .collect();
    assert_eq!(positions, vec![1, 2, 3]);
    assert_eq!(
        e.get_order("o-1", Some(AsOf::Version(2)))
            .unwrap()
            .unwrap()
            .total
            .to_string(),
        "59.98"
    );
    assert_eq!(e.get_order("nope", None).unwrap(), None);
}

fn check_concurrency<S: EventStore>(store: S) {
    let mut e = engine(store, 100);
    e.handle(create("o-1", "c-1"), opts()).unwrap();
    let stale = CommandOptions {
        expected_version: Some(0),
        ..Default::default()
    };
    let err = e.handle(add("o-1", "p", 1, "1.00"), stale).unwrap_err();
    assert_eq!(err.code(), "concurrency_conflict");
    assert_eq!(
        e.events("o-1").unwrap().len(),
        1,
        "nothing written on conflict"
    );
}

fn check_idempotency<S: EventStore>(store: S) {
    let mut e = engine(store, 100);
    let first = e.handle(create("o-1", "c-1"), with_id("cmd-1")).unwrap();
    let again = e.handle(create("o-1", "c-1"), with_id("cmd-1")).unwrap();
    assert!(again.replayed);
    assert_eq!(
        (again.order_id.as_str(), again.version, &again.positions),
        ("o-1", first.version, &first.positions)
    );
    assert_eq!(e.all_events(0, 100).unwrap().len(), 1);
    let reused = e
        .handle(create("o-2", "c-1"), with_id("cmd-1"))
        .unwrap_err();
    assert!(matches!(reused, EngineError::IdempotencyKeyReused { .. }));
}

fn check_snapshots<S: EventStore>(store: S) {
    let mut e = engine(store, 10);
    e.handle(create("o-1", "c-1"), opts()).unwrap();
    for i in 0..25 {
        e.handle(add("o-1", &format!("p-{i}"), 1, "0.10"), opts())
            .unwrap();
    }
    let snap = e
        .store()
        .load_snapshot("o-1")
        .unwrap()
        .expect("snapshot written");
    assert_eq!(snap.version, 20);
    let via_snapshot = e.load_state("o-1").unwrap();
    let full = order_core::evolve_all(
        order_core::initial_state(),
        e.events("o-1").unwrap().iter().map(|x| &x.event),
    );
    assert_eq!(via_snapshot, full);
    assert_eq!(full.order.unwrap().total.to_string(), "2.50");
}

fn check_paging_and_rebuild<S: EventStore + BatchStore>(store: S) {
    let mut e = engine(store, 100);
    for i in 0..5 {
        e.handle(create(&format!("o-{i}"), "c-1"), opts()).unwrap();
    }
    e.handle(create("x", "c-2"), opts()).unwrap();
    let page1 = e.list_orders("c-1", None, 2).unwrap();
    assert_eq!(
        page1
            .orders
            .iter()
            .map(|v| v.id.as_str())
            .collect::<Vec<_>>(),
        ["o-0", "o-1"]
    );
    let page2 = e
        .list_orders("c-1", page1.next_cursor.as_deref(), 2)
        .unwrap();
    assert_eq!(
        page2
            .orders
            .iter()
            .map(|v| v.id.as_str())
            .collect::<Vec<_>>(),
        ["o-2", "o-3"]
    );
    let page3 = e
        .list_orders("c-1", page2.next_cursor.as_deref(), 2)
        .unwrap();
    assert_eq!(page3.orders.len(), 1);
    assert_eq!(page3.next_cursor, None);
    let before: Vec<_> = (0..5)
        .map(|i| e.get_order(&format!("o-{i}"), None).unwrap())
        .collect();
    let mut calls = 0;
    assert_eq!(e.rebuild_read_models(2, |_, _| calls += 1).unwrap(), 6);
    assert_eq!(calls, 3);
    let after: Vec<_> = (0..5)
        .map(|i| e.get_order(&format!("o-{i}"), None).unwrap())
        .collect();
    assert_eq!(before, after);
    assert_eq!(e.store().projection_checkpoint().unwrap(), 6);
    let report = e.verify(4).unwrap();
    assert_eq!(
        (report.streams, report.events, report.mismatches.len()),
        (6, 6, 0)
    );
}

/// Streams whose events straddle the rebuild's batches (interleaved, then one long stream):
/// each later batch must fold onto the view the earlier one saved.
fn check_rebuild_across_batches<S: EventStore + BatchStore>(store: S) {
    let mut e = engine(store, 100);
    for i in 0..3 {
        e.handle(create(&format!("o-{i}"), "c-1"), opts()).unwrap();
    }
    for round in 0..3 {
        for i in 0..3u32 {
            let product = format!("p-{round}");
            e.handle(add(&format!("o-{i}"), &product, 1 + i, "1.25"), opts())
                .unwrap();
        }
    }
    e.handle(place("o-1"), opts()).unwrap();
    let before: Vec<_> = (0..3)
        .map(|i| e.get_order(&format!("o-{i}"), None).unwrap())
        .collect();
    for batch_size in [1, 2, 4, 100] {
        assert_eq!(e.rebuild_read_models(batch_size, |_, _| ()).unwrap(), 13);
        let after: Vec<_> = (0..3)
            .map(|i| e.get_order(&format!("o-{i}"), None).unwrap())
            .collect();
        assert_eq!(before, after, "batches of {batch_size}");
        assert_eq!(
            e.verify(batch_size).unwrap().mismatches,
            Vec::<String>::new()
        );
    }
}

macro_rules! every_store {
    ($($name:ident => $check:ident),* $(,)?) => {
        mod memory { use super::*; $(#[test] fn $name() { $check(MemoryStore::new()) })* }
        transactional_stores! { $($name => $check),* }
    };
}

/// The stores whose batches are real transactions (an aborted batch writes nothing).
macro_rules! transactional_stores {
    ($($name:ident => $check:ident),* $(,)?) => {
        mod sqlite { use super::*; $(#[test] fn $name() { $check(SqliteStore::open_in_memory().unwrap()) })* }
        #[cfg(feature = "postgres")]
        mod postgres {
            use super::*;
            $(#[test] fn $name() {
                let db = TestDatabase::create();
                $check(PostgresStore::open(db.url()).unwrap())
            })*
        }
    };
}

every_store! {
    lifecycle => check_lifecycle,
    concurrency => check_concurrency,
    idempotency => check_idempotency,
    snapshots => check_snapshots,
    paging_and_rebuild => check_paging_and_rebuild,
    rebuild_across_batches => check_rebuild_across_batches,
}

mod batches {
    use super::*;
    transactional_stores! {
        a_failed_command_in_a_batch_leaves_the_others => check_failed_command_in_batch,
        an_aborted_batch_writes_nothing => check_aborted_batch,
    }
}

#[test]
fn file_survives_reopen_and_keeps_idempotency() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/orders.db");
    {
        let mut e = engine(SqliteStore::open(&path, Synchronous::Full).unwrap(), 100);
        e.handle(create("o-1", "c-1"), with_id("cmd-1")).unwrap();
    }
    let mut e = engine(SqliteStore::open(&path, Synchronous::Normal).unwrap(), 100);
    assert!(
        e.handle(create("o-1", "c-1"), with_id("cmd-1"))
            .unwrap()
            .replayed
    );
    assert_eq!(e.events("o-1").unwrap().len(), 1);
}

fn check_failed_command_in_batch<S: BatchStore>(store: S) {
    let mut e = engine(store, 100);
    e.store_mut().begin_batch().unwrap();
    e.handle(create("o-1", "c-1"), opts()).unwrap();
    assert_eq!(
        e.handle(create("o-1", "c-1"), opts()).unwrap_err().code(),
        "order_already_exists"
    );
    let stale = CommandOptions {
        expected_version: Some(7),
        ..Default::default()
    };
    assert_eq!(
        e.handle(add("o-1", "p", 1, "1"), stale).unwrap_err().code(),
        "concurrency_conflict"
    );
    e.handle(add("o-1", "p", 1, "1"), opts()).unwrap();
    e.store_mut().finish_batch().unwrap();
    let positions: Vec<u64> = e
        .all_events(0, 10)
        .unwrap()
        .iter()
        .map(|x| x.position)
        .collect();
    assert_eq!(positions, vec![1, 2]);
}

fn check_aborted_batch<S: BatchStore>(store: S) {
    let mut e = engine(store, 100);
    e.store_mut().begin_batch().unwrap();
    e.handle(create("o-1", "c-1"), opts()).unwrap();
    e.store_mut().abort_batch();
    assert!(e.all_events(0, 10).unwrap().is_empty());
    assert_eq!(e.get_order("o-1", None).unwrap(), None);
}

#[test]
fn import_keeps_old_schema_payloads_and_upcasts_on_read() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let lines = [
        r#"{"eventId":"00000000-0000-0000-0000-000000000001","streamId":"o-1","version":1,"type":"OrderCreated","schemaVersion":1,"data":{"orderId":"o-1","customerId":"c-1","createdAt":"2026-01-01T09:00:00Z"},"metadata":{"recordedAt":"2026-01-01T09:00:00Z","commandId":"k-1"}}"#,
        r#"{"eventId":"00000000-0000-0000-0000-000000000002","streamId":"o-1","version":2,"type":"ItemAdded","schemaVersion":1,"data":{"orderId":"o-1","productId":"p","quantity":2,"unitPriceCents":2999},"metadata":{"recordedAt":"2026-01-01T09:01:00Z"}}"#,
    ];
    let events: Vec<StoredEvent> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(store.import(events.clone()).unwrap(), 2);
    assert!(
        store.import(events).is_err(),
        "re-import is refused, not duplicated"
    );
    assert_eq!(store.read_all(0, 10).unwrap().len(), 2);
    let view = store.get_view("o-1").unwrap().unwrap();
    assert_eq!(view.total.to_string(), "59.98");
    assert_eq!(
        store.command_record("k-1").unwrap().unwrap().positions,
        vec![1]
    );
    let mut e = engine(store, 100);
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 30).unwrap();
    assert_eq!(
        e.get_order("o-1", Some(AsOf::Time(at)))
            .unwrap()
            .unwrap()
            .total
            .to_string(),
        "0.00"
    );
}
