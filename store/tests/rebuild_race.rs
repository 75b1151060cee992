//! `rebuild-read-models` while another connection keeps writing the same file: no event is
//! folded twice (no doubled lines or totals), the checkpoint never moves backwards, and the
//! read model ends equal to a replay.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use order_core::{
    AddItem, Command, CommandOptions, CreateOrder, DecimalText, Engine, EventStore,
    FixedEnvironment,
};
use order_store::{SqliteStore, Synchronous};

const ORDERS: usize = 40;

fn env() -> FixedEnvironment {
    FixedEnvironment::starting_at(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap())
}

fn add(order: usize, product: usize) -> Command {
    Command::AddItem(AddItem {
        order_id: format!("o-{order}"),
        product_id: format!("p-{product}"),
        quantity: DecimalText::from(1),
        price: DecimalText::from("0.10"),
    })
}

#[test]
fn a_rebuild_racing_a_writer_folds_every_event_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("race.db");
    let mut writer = Engine::new(
        SqliteStore::open(&path, Synchronous::Normal).unwrap(),
        env(),
    );
    for order in 0..ORDERS {
        let create = Command::CreateOrder(CreateOrder {
            order_id: format!("o-{order}"),
            customer_id: "c".into(),
        });
        writer.handle(create, CommandOptions::default()).unwrap();
        for product in 0..20 {
            writer
                .handle(add(order, product), CommandOptions::default())
                .unwrap();
        }
    }

    // The writer adds one line to each order in turn, slowly, while rebuilds run back to
    // back: a write landing in the middle of a rebuild must not be folded a second time.
    let done = Arc::new(AtomicBool::new(false));
    let writing = {
        let done = done.clone();
        std::thread::spawn(move || {
            for round in 0..3 {
                for order in 0..ORDERS {
                    writer
                        .handle(add(order, 100 + round), CommandOptions::default())
                        .expect("the writer waits for the rebuild, it does not fail");
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            }
            done.store(true, Ordering::Relaxed);
            writer
        })
    };
    let mut rebuilder = Engine::new(
        SqliteStore::open(&path, Synchronous::Normal).unwrap(),
        env(),
    );
    let mut checkpoints = Vec::new();
    let mut rebuilds = 0;
    while !done.load(Ordering::Relaxed) && !writing.is_finished() {
        // Small batches: many steps for the writer to slip between, were it able to.
        rebuilder
            .rebuild_read_models(7, |done, _| checkpoints.push(done))
            .unwrap();
        rebuilds += 1;
        // A rebuild holds the write lock; let the waiting writer have it between rebuilds.
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut writer = writing.join().unwrap();
    assert!(rebuilds >= 1);

    assert!(
        checkpoints.windows(2).all(|w| w[0] <= w[1] || w[1] <= 7),
        "within one rebuild the checkpoint only moves forward"
    );
    let report = writer.verify(500).unwrap();
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
    let store = writer.store();
    assert_eq!(
        store.projection_checkpoint().unwrap(),
        store.last_position().unwrap(),
        "the checkpoint ends at the last event"
    );
    for order in 0..ORDERS {
        let view = store.get_view(&format!("o-{order}")).unwrap().unwrap();
        let events = store.read_stream(&format!("o-{order}"), 0).unwrap();
        assert_eq!(view.version, events.len() as u64);
        assert_eq!(
            view.items.len() as u64,
            view.version - 1,
            "one line per ItemAdded"
        );
    }
}
