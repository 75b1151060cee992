//! A command id applied by another writer between this engine's first look and its
//! decision (two servers on one database): the answer must be the first outcome, never a
//! rejection of that command's own result.

use std::cell::Cell;

use chrono::{TimeZone, Utc};
use order_core::{
    AddItem, CommandOptions, CommandRecord, Commit, CreateOrder, DecimalText, Engine,
    EventEnvelope, EventStore, FixedEnvironment, MemoryStore, OrderPage, OrderView, Snapshot,
    StoreError,
};

/// The real in-memory store, except that its first command-record lookup misses: what an
/// engine sees when another process commits that command just after the lookup.
struct LateRecord {
    inner: MemoryStore,
    hide_next_lookup: Cell<bool>,
}

impl EventStore for LateRecord {
    fn commit(&mut self, commit: Commit) -> Result<Vec<u64>, StoreError> {
        self.inner.commit(commit)
    }
    fn read_stream(&self, id: &str, after: u64) -> Result<Vec<EventEnvelope>, StoreError> {
        self.inner.read_stream(id, after)
    }
    fn read_all(&self, after: u64, limit: usize) -> Result<Vec<EventEnvelope>, StoreError> {
        self.inner.read_all(after, limit)
    }
    fn last_position(&self) -> Result<u64, StoreError> {
        self.inner.last_position()
    }
    fn load_snapshot(&self, id: &str) -> Result<Option<Snapshot>, StoreError> {
        self.inner.load_snapshot(id)
    }
    fn command_record(&self, id: &str) -> Result<Option<CommandRecord>, StoreError> {
        if self.hide_next_lookup.replace(false) {
            return Ok(None);
        }
        self.inner.command_record(id)
    }
    fn get_view(&self, id: &str) -> Result<Option<OrderView>, StoreError> {
        self.inner.get_view(id)
    }
    fn list_views(
        &self,
        customer: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<OrderPage, StoreError> {
        self.inner.list_views(customer, after, limit)
    }
    fn clear_read_models(&mut self) -> Result<(), StoreError> {
        self.inner.clear_read_models()
    }
    fn save_views(&mut self, views: &[OrderView], checkpoint: u64) -> Result<(), StoreError> {
        self.inner.save_views(views, checkpoint)
    }
    fn projection_checkpoint(&self) -> Result<u64, StoreError> {
        self.inner.projection_checkpoint()
    }
}

fn env() -> FixedEnvironment {
    FixedEnvironment::starting_at(Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap())
}

fn with_id(id: &str, expected_version: Option<u64>) -> CommandOptions {
    CommandOptions {
        command_id: Some(id.into()),
        expected_version,
        ..Default::default()
    }
}

#[test]
fn a_rejection_of_a_command_another_writer_just_applied_answers_its_outcome() {
    let create = || {
        order_core::Command::CreateOrder(CreateOrder {
            order_id: "o-1".into(),
            customer_id: "c-1".into(),
        })
    };
    let add = || {
        order_core::Command::AddItem(AddItem {
            order_id: "o-1".into(),
            product_id: "p".into(),
            quantity: DecimalText::from(1u32),
            price: DecimalText::from("1.00"),
        })
    };
    let mut winner = Engine::new(MemoryStore::new(), env());
    let created = winner.handle(create(), with_id("k-1", None)).unwrap();
    let added = winner.handle(add(), with_id("k-2", Some(1))).unwrap();
    let mut late = Engine::new(
        LateRecord {
            inner: winner.store().clone(),
            hide_next_lookup: Cell::new(true),
        },
        env(),
    );
    // Decided on a state that already holds the order: order_already_exists, unless the
    // engine looks the command id up again.
    let again = late.handle(create(), with_id("k-1", None)).unwrap();
    assert!(again.replayed);
    assert_eq!(
        (again.order_id, again.version, again.positions),
        (created.order_id, created.version, created.positions)
    );
    // The same for a conditional command whose version the winner moved.
    late.store().hide_next_lookup.set(true);
    let again = late.handle(add(), with_id("k-2", Some(1))).unwrap();
    assert!(again.replayed);
    assert_eq!(
        (again.version, again.positions),
        (added.version, added.positions)
    );
    assert_eq!(
        late.store().inner.events().len(),
        2,
        "nothing written twice"
    );
    // A rejection that is not about an applied command stays a rejection.
    let refused = late.handle(create(), with_id("k-3", None)).unwrap_err();
    assert_eq!(refused.code(), "order_already_exists");
}
