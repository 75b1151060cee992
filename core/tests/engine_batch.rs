//! Group commit through `Engine::handle_batch`: one answer per command, a rejection writes
//! nothing and stops nothing, idempotency and expected versions hold per command, and a
//! batch whose transaction fails applies nothing at all.

use chrono::{TimeZone, Utc};
use order_core::{
    AddItem, BatchStore, Command, CommandOptions, CommandRecord, Commit, CreateOrder, DecimalText,
    Engine, EngineError, EventEnvelope, EventStore, FixedEnvironment, MemoryStore, OrderPage,
    OrderView, PlaceOrder, Snapshot, StoreError,
};

/// The in-memory store with a real transaction: `abort_batch` restores what it held at
/// `begin_batch`, and `finish_batch` fails (like a COMMIT refused by the disk) when told to.
#[derive(Default)]
struct Transactional {
    live: MemoryStore,
    before_batch: Option<MemoryStore>,
    fail_next_finish: bool,
}

impl BatchStore for Transactional {
    fn begin_batch(&mut self) -> Result<(), StoreError> {
        self.before_batch = Some(self.live.clone());
        Ok(())
    }

    fn finish_batch(&mut self) -> Result<(), StoreError> {
        if std::mem::take(&mut self.fail_next_finish) {
            return Err(StoreError::Backend("disk I/O error".into()));
        }
        self.before_batch = None;
        Ok(())
    }

    fn abort_batch(&mut self) {
        if let Some(before) = self.before_batch.take() {
            self.live = before;
        }
    }
}

/// Everything else is the in-memory store's own behaviour.
macro_rules! through_live {
    (
        writes { $($w:ident($($wa:ident: $wt:ty),*) -> $wr:ty;)* }
        reads { $($r:ident($($ra:ident: $rt:ty),*) -> $rr:ty;)* }
    ) => {
        impl EventStore for Transactional {
            $(fn $w(&mut self, $($wa: $wt),*) -> $wr {
                self.live.$w($($wa),*)
            })*
            $(fn $r(&self, $($ra: $rt),*) -> $rr {
                self.live.$r($($ra),*)
            })*
        }
    };
}

through_live! {
    writes {
        commit(commit: Commit) -> Result<Vec<u64>, StoreError>;
        clear_read_models() -> Result<(), StoreError>;
        save_views(views: &[OrderView], checkpoint: u64) -> Result<(), StoreError>;
    }
    reads {
        read_stream(id: &str, after: u64) -> Result<Vec<EventEnvelope>, StoreError>;
        read_all(after: u64, limit: usize) -> Result<Vec<EventEnvelope>, StoreError>;
        last_position() -> Result<u64, StoreError>;
        load_snapshot(id: &str) -> Result<Option<Snapshot>, StoreError>;
        command_record(id: &str) -> Result<Option<CommandRecord>, StoreError>;
        get_view(id: &str) -> Result<Option<OrderView>, StoreError>;
        list_views(customer: &str, after: Option<&str>, limit: usize) -> Result<OrderPage, StoreError>;
        projection_checkpoint() -> Result<u64, StoreError>;
    }
}

fn engine() -> Engine<Transactional, FixedEnvironment> {
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap();
    Engine::new(
        Transactional::default(),
        FixedEnvironment::starting_at(start),
    )
}

fn create(order_id: &str) -> Command {
    Command::CreateOrder(CreateOrder {
        order_id: order_id.into(),
        customer_id: "c-1".into(),
    })
}

fn add(order_id: &str, price: &str) -> Command {
    Command::AddItem(AddItem {
        order_id: order_id.into(),
        product_id: "p".into(),
        quantity: DecimalText::from(1u32),
        price: DecimalText::from(price),
    })
}

fn place(order_id: &str) -> Command {
    Command::PlaceOrder(PlaceOrder {
        order_id: order_id.into(),
    })
}

fn options(command_id: Option<&str>, expected_version: Option<u64>) -> CommandOptions {
    CommandOptions {
        command_id: command_id.map(String::from),
        expected_version,
        ..CommandOptions::default()
    }
}

fn plain() -> CommandOptions {
    CommandOptions::default()
}

#[test]
fn each_command_gets_its_own_answer_and_a_rejection_stops_nothing() {
    let mut engine = engine();
    let results = engine
        .handle_batch([
            (create("o-1"), options(Some("k-1"), None)),
            (add("o-1", "1.005"), plain()), // invalid_price: rejected, writes nothing
            (place("o-2"), plain()),        // order_not_found
            (add("o-1", "2.50"), options(None, Some(1))),
            (add("o-1", "2.50"), options(None, Some(1))), // the stream is at 2 by now
            (create("o-1"), options(Some("k-1"), None)),  // a retry inside the batch
            (place("o-1"), options(Some("k-place"), None)),
        ])
        .unwrap();
    assert_eq!(results.len(), 7);
    let created = results[0].as_ref().unwrap();
    assert_eq!((created.version, created.positions.clone()), (1, vec![1]));
    assert!(!created.replayed);
    assert_eq!(results[1].as_ref().unwrap_err().code(), "invalid_price");
    assert_eq!(results[2].as_ref().unwrap_err().code(), "order_not_found");
    let added = results[3].as_ref().unwrap();
    assert_eq!((added.version, added.positions.clone()), (2, vec![2]));
    assert!(matches!(
        results[4],
        Err(EngineError::Concurrency {
            expected: 1,
            actual: 2,
            ..
        })
    ));
    let replayed = results[5].as_ref().unwrap();
    assert!(replayed.replayed);
    assert_eq!((replayed.version, replayed.positions.clone()), (1, vec![1]));
    assert!(replayed.events.is_empty());
    let placed = results[6].as_ref().unwrap();
    assert_eq!((placed.version, placed.positions.clone()), (3, vec![3]));
    // Exactly the accepted commands' events, gap-free, and nothing of the rejected ones.
    let log = engine.store().read_all(0, 100).unwrap();
    let types: Vec<_> = log.iter().map(|e| e.event.type_name()).collect();
    assert_eq!(types, ["OrderCreated", "ItemAdded", "OrderPlaced"]);
    let view = engine.get_order("o-1", None).unwrap().unwrap();
    assert_eq!((view.version, view.total.to_string()), (3, "2.50".into()));
    // None of the retryable kind: each of these answers stays what it is.
    assert_eq!(results.iter().flatten().count(), 4);
    assert!(results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| !e.is_retryable()));
}

#[test]
fn a_batch_whose_commit_fails_applies_nothing_and_a_retry_applies_it_once() {
    let mut engine = engine();
    engine.handle(create("o-1"), plain()).unwrap();
    let batch = || {
        vec![
            (add("o-1", "1.00"), options(Some("a-1"), None)),
            (create("o-2"), options(Some("c-2"), None)),
            (place("o-1"), options(Some("p-1"), Some(2))),
        ]
    };
    engine.store_mut().fail_next_finish = true;
    let failed = engine.handle_batch(batch()).unwrap_err();
    assert!(EngineError::Store(failed).is_retryable());
    assert_eq!(
        engine.store().last_position().unwrap(),
        1,
        "nothing written"
    );
    assert_eq!(engine.store().command_record("a-1").unwrap(), None);
    assert_eq!(engine.get_order("o-2", None).unwrap(), None);

    // The engine must not trust what it remembered from the failed batch: the retry is
    // decided on the stored state and applies every command exactly once.
    let retried = engine.handle_batch(batch()).unwrap();
    let versions: Vec<_> = retried
        .iter()
        .map(|r| {
            r.as_ref()
                .map(|o| (o.order_id.as_str(), o.version, o.replayed))
        })
        .collect();
    assert_eq!(
        versions,
        [
            Ok(("o-1", 2, false)),
            Ok(("o-2", 1, false)),
            Ok(("o-1", 3, false))
        ]
    );
    assert_eq!(engine.store().last_position().unwrap(), 4);
    // And once more: every command is now a replay that writes nothing.
    let again = engine.handle_batch(batch()).unwrap();
    assert!(again.iter().all(|r| r.as_ref().is_ok_and(|o| o.replayed)));
    assert_eq!(engine.store().last_position().unwrap(), 4);
}

#[test]
fn host_failures_are_retryable_and_answers_that_stay_are_not() {
    let retryable = |e: StoreError| EngineError::from(e).is_retryable();
    assert!(retryable(StoreError::Busy("locked".into())));
    assert!(retryable(StoreError::Full("disk".into())));
    assert!(retryable(StoreError::Backend("io".into())));
    assert!(!retryable(StoreError::Invalid("cursor".into())));
    assert!(!retryable(StoreError::Concurrency {
        stream_id: "o".into(),
        expected: 1,
        actual: 2
    }));
    assert!(!EngineError::IdempotencyKeyReused {
        command_id: "k".into()
    }
    .is_retryable());
}
