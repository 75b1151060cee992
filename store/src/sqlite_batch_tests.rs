//! A group commit whose transaction SQLite rolls back by itself (here SQLITE_FULL, from a
//! database capped at its current size) must not let its later commands commit one by one.

use chrono::{TimeZone, Utc};
use order_core::{Command, CommandOptions, CreateOrder, Engine, EventStore, FixedEnvironment};

use super::{SqliteStore, Synchronous};

fn create(i: usize) -> Command {
    Command::CreateOrder(CreateOrder {
        order_id: format!("order-{i:05}-{}", "x".repeat(100)),
        customer_id: "c".repeat(100),
    })
}

#[test]
fn a_batch_rolled_back_by_sqlite_commits_nothing_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full.db");
    let store = SqliteStore::open(&path, Synchronous::Full).unwrap();
    let env = FixedEnvironment::starting_at(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
    let mut engine = Engine::new(store, env);
    let pages: i64 = engine
        .store()
        .conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    engine
        .store()
        .conn
        .pragma_update(None, "max_page_count", pages + 2)
        .unwrap();

    engine.store_mut().begin_batch().unwrap();
    let mut accepted = 0;
    let mut first_failure = None;
    for i in 0..5_000 {
        match engine.handle(create(i), CommandOptions::default()) {
            Ok(_) => accepted += 1,
            Err(e) => {
                first_failure = Some((i, e));
                break;
            }
        }
    }
    let (failed_at, error) = first_failure.expect("the capped database filled up");
    assert!(accepted > 0, "some commands fit before the disk filled");
    assert!(error.to_string().contains("full"), "{error}");
    assert!(
        engine.store().conn.is_autocommit(),
        "SQLite rolled the batch transaction back by itself"
    );
    // Later commands of the same batch are refused instead of committing on their own.
    engine.forget_cached_states();
    for i in failed_at + 1..failed_at + 4 {
        let later = engine.handle(create(i), CommandOptions::default());
        assert!(
            later.is_err(),
            "command {i} must not commit outside the batch"
        );
    }
    let finished = engine.store_mut().finish_batch();
    assert!(
        finished.is_err(),
        "finishing a rolled-back batch reports it"
    );

    engine
        .store()
        .conn
        .pragma_update(None, "max_page_count", 1_000_000)
        .unwrap();
    assert_eq!(
        engine.store().last_position().unwrap(),
        0,
        "nothing of the batch is durable, matching every failed reply"
    );
    let reopened = SqliteStore::open(&path, Synchronous::Full).unwrap();
    assert_eq!(reopened.last_position().unwrap(), 0);
}
