//! PostgreSQL-only properties: several connections (as several server processes would
//! hold) writing one database concurrently, batches whose transaction PostgreSQL aborted,
//! events reading back exactly as written, and the schema's migrations. Each test creates
//! its own database and drops it; an unreachable server fails the test.
#![cfg(feature = "postgres")]

use std::collections::HashMap;
use std::sync::{Arc, Barrier};

use chrono::{Duration, TimeZone, Utc};
use order_core::{
    AddItem, BatchStore, Command, CommandOptions, CreateOrder, DecimalText, Engine, EngineConfig,
    EventStore, FixedEnvironment, NativeRuntime, StoredEvent,
};
use order_store::postgres::testing::TestDatabase;
use order_store::{PostgresStore, SqliteStore};

/// Engine `n` of a test: its own connection, clock and range of event ids (ids are unique
/// in the log, so two engines must never draw the same one).
fn engine(url: &str, n: u32) -> Engine<PostgresStore, FixedEnvironment> {
    let env = FixedEnvironment {
        next_id: (u128::from(n) << 64) + 1,
        ..FixedEnvironment::starting_at(
            Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap() + Duration::days(i64::from(n)),
        )
    };
    Engine::with_runtime(
        PostgresStore::open(url).unwrap(),
        env,
        NativeRuntime,
        EngineConfig::default(),
    )
}

fn create(order: &str) -> Command {
    Command::CreateOrder(CreateOrder {
        order_id: order.into(),
        customer_id: "c-1".into(),
    })
}

fn add(order: &str, product: &str) -> Command {
    Command::AddItem(AddItem {
        order_id: order.into(),
        product_id: product.into(),
        quantity: DecimalText::from(1u32),
        price: DecimalText::from("0.10"),
    })
}

fn with_id(id: &str) -> CommandOptions {
    CommandOptions {
        command_id: Some(id.into()),
        ..Default::default()
    }
}

/// Every stream's versions are 1..k and the log's positions exactly 1..N.
fn assert_gap_free(store: &PostgresStore) -> u64 {
    let log = store.read_all(0, usize::MAX).unwrap();
    let positions: Vec<u64> = log.iter().map(|e| e.position).collect();
    assert_eq!(positions, (1..=log.len() as u64).collect::<Vec<_>>());
    let mut versions: HashMap<&str, u64> = HashMap::new();
    for e in &log {
        let v = versions.entry(e.stream_id.as_str()).or_default();
        *v += 1;
        assert_eq!(
            e.version, *v,
            "stream {} continues without a gap",
            e.stream_id
        );
    }
    assert_eq!(store.last_position().unwrap(), log.len() as u64);
    log.len() as u64
}

#[test]
fn concurrent_writers_on_two_connections_get_gap_free_positions_and_versions() {
    let db = TestDatabase::create();
    let mut setup = engine(db.url(), 9);
    for shared in ["shared-1", "shared-2"] {
        setup
            .handle(create(shared), CommandOptions::default())
            .unwrap();
    }
    let start = Arc::new(Barrier::new(2));
    let writers: Vec<_> = (0..2u32)
        .map(|n| {
            let (url, start) = (db.url().to_string(), Arc::clone(&start));
            std::thread::spawn(move || {
                let mut e = engine(&url, n);
                start.wait();
                let mut positions = Vec::new();
                for i in 0..60 {
                    // Half on streams both writers append to, half on streams of their own.
                    let order = match i % 4 {
                        0 => "shared-1".to_string(),
                        1 => "shared-2".to_string(),
                        _ => format!("own-{n}-{}", i / 4),
                    };
                    let command = if i % 4 >= 2 && i % 8 < 4 {
                        create(&order)
                    } else if i % 4 >= 2 {
                        add(&order, &format!("p-{i}"))
                    } else {
                        add(&order, &format!("p-{n}-{i}"))
                    };
                    let outcome = e.handle(command, CommandOptions::default());
                    if let Ok(outcome) = outcome {
                        positions.extend(outcome.positions);
                    }
                }
                positions
            })
        })
        .collect();
    let mut acknowledged: Vec<u64> = vec![1, 2];
    for writer in writers {
        acknowledged.extend(writer.join().unwrap());
    }
    acknowledged.sort_unstable();
    let total = assert_gap_free(setup.store());
    assert!(total > 60, "both writers wrote ({total} events)");
    assert_eq!(
        acknowledged,
        (1..=total).collect::<Vec<_>>(),
        "every acknowledged position is in the log once, and nothing else is"
    );
}

#[test]
fn the_same_command_id_on_two_connections_writes_one_set_of_events() {
    let db = TestDatabase::create();
    let start = Arc::new(Barrier::new(2));
    let racers: Vec<_> = (0..2u32)
        .map(|n| {
            let (url, start) = (db.url().to_string(), Arc::clone(&start));
            std::thread::spawn(move || {
                let mut e = engine(&url, n);
                (0..20)
                    .map(|i| {
                        start.wait();
                        let outcome = e
                            .handle(create(&format!("o-{i}")), with_id(&format!("cmd-{i}")))
                            .unwrap();
                        (outcome.order_id, outcome.version, outcome.positions)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let answers: Vec<_> = racers.into_iter().map(|r| r.join().unwrap()).collect();
    assert_eq!(
        answers[0], answers[1],
        "both connections got the same answers"
    );
    let store = PostgresStore::open(db.url()).unwrap();
    assert_eq!(assert_gap_free(&store), 20, "one event per command id");
    for i in 0..20 {
        assert_eq!(store.read_stream(&format!("o-{i}"), 0).unwrap().len(), 1);
    }
}

#[test]
fn a_batch_whose_connection_was_killed_reports_nothing_applied_and_writes_nothing() {
    let db = TestDatabase::create();
    let mut e = engine(db.url(), 0);
    let pid = e.store().backend_pid().unwrap();
    e.store_mut().begin_batch().unwrap();
    e.handle(create("o-1"), CommandOptions::default()).unwrap();
    let mut admin = postgres::Client::connect(db.url(), postgres::NoTls).unwrap();
    admin
        .execute("SELECT pg_terminate_backend($1)", &[&pid])
        .unwrap();
    assert!(e.handle(create("o-2"), CommandOptions::default()).is_err());
    let refused = e.store_mut().finish_batch().unwrap_err();
    assert!(refused.to_string().contains("postgres"), "{refused}");
    // A lost session is a passing failure (the server answers 503, retry), not a bug.
    assert!(
        matches!(refused, order_core::StoreError::Unavailable(_)),
        "{refused:?}"
    );
    // The store reconnects by itself once the batch is over.
    assert_eq!(e.store().last_position().unwrap(), 0, "nothing committed");
    e.handle(create("o-3"), CommandOptions::default()).unwrap();
    assert_eq!(assert_gap_free(e.store()), 1);
}

#[test]
fn an_error_that_aborts_the_batch_transaction_fails_the_whole_batch() {
    let db = TestDatabase::create();
    let mut e = engine(db.url(), 0);
    e.store_mut().begin_batch().unwrap();
    e.handle(create("o-1"), CommandOptions::default()).unwrap();
    // A statement outside any savepoint that fails: PostgreSQL aborts the transaction, and
    // a COMMIT afterwards would silently roll back. The store must say the batch failed.
    let mut other = postgres::Client::connect(db.url(), postgres::NoTls).unwrap();
    other
        .batch_execute("ALTER TABLE commands RENAME TO commands_gone")
        .unwrap();
    assert!(e.handle(create("o-2"), with_id("k")).is_err());
    assert!(e.handle(create("o-3"), CommandOptions::default()).is_err());
    let failed = e.store_mut().finish_batch().unwrap_err();
    assert!(
        matches!(failed, order_core::StoreError::Backend(_)),
        "a failed statement is not an outage: {failed:?}"
    );
    other
        .batch_execute("ALTER TABLE commands_gone RENAME TO commands")
        .unwrap();
    assert_eq!(e.store().last_position().unwrap(), 0, "nothing committed");
}

#[test]
fn a_reader_never_sees_a_later_position_before_an_earlier_one() {
    let db = TestDatabase::create();
    let mut first = engine(db.url(), 0);
    first.store_mut().begin_batch().unwrap();
    first
        .handle(create("o-1"), CommandOptions::default())
        .unwrap();
    // A second writer must wait for the first: its commit blocks on the `$all` row.
    let url = db.url().to_string();
    let second = std::thread::spawn(move || {
        let mut e = engine(&url, 1);
        e.handle(create("o-2"), CommandOptions::default())
            .unwrap()
            .positions
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    let reader = PostgresStore::connect(db.url()).unwrap();
    assert!(
        reader.read_all(0, 10).unwrap().is_empty(),
        "nothing visible yet"
    );
    assert!(
        !second.is_finished(),
        "the second writer waits for the first"
    );
    first.store_mut().finish_batch().unwrap();
    assert_eq!(second.join().unwrap(), vec![2]);
    let seen: Vec<_> = reader
        .read_all(0, 10)
        .unwrap()
        .iter()
        .map(|e| (e.position, e.stream_id.clone()))
        .collect();
    assert_eq!(seen, vec![(1, "o-1".to_string()), (2, "o-2".to_string())]);
}

#[test]
fn imported_events_read_back_exactly_as_on_sqlite() {
    let lines = [
        r#"{"eventId":"00000000-0000-0000-0000-000000000001","streamId":"o-1","version":1,"type":"OrderCreated","schemaVersion":1,"data":{"orderId":"o-1","customerId":"c-1","createdAt":"2026-01-01T09:00:00Z"},"metadata":{"recordedAt":"2026-01-01T09:00:00Z","commandId":"k-1"}}"#,
        r#"{"eventId":"00000000-0000-0000-0000-000000000002","streamId":"o-1","version":2,"type":"ItemAdded","schemaVersion":1,"data":{"orderId":"o-1","productId":"p","quantity":2,"unitPriceCents":2999},"metadata":{"recordedAt":"2026-01-01T09:01:00Z"}}"#,
        r#"{"eventId":"00000000-0000-0000-0000-000000000003","streamId":"o-1","version":3,"type":"ItemAdded","schemaVersion":2,"data":{"orderId":"o-1","productId":"q ü \"x\"","quantity":1,"price":"0.10"},"metadata":{"recordedAt":"2026-01-01T09:02:00.123456Z","actor":"ä"}}"#,
    ];
    let events: Vec<StoredEvent> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let db = TestDatabase::create();
    let mut pg = PostgresStore::open(db.url()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("orders.db");
    let mut sqlite = SqliteStore::open(&file, order_store::Synchronous::Normal).unwrap();
    assert_eq!(pg.import(events.clone()).unwrap(), 3);
    sqlite.import(events.clone()).unwrap();
    assert!(pg.import(events).is_err(), "re-import is refused");
    let as_json = |log: Vec<order_core::EventEnvelope>| {
        log.iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        as_json(pg.read_all(0, 10).unwrap()),
        as_json(sqlite.read_all(0, 10).unwrap())
    );
    assert_eq!(pg.get_view("o-1").unwrap(), sqlite.get_view("o-1").unwrap());
    assert_eq!(
        pg.command_record("k-1").unwrap().unwrap().positions,
        vec![1]
    );
    assert_eq!(pg.projection_checkpoint().unwrap(), 3);
    // The stored payload and metadata texts are the very bytes SQLite stores.
    let mut raw = postgres::Client::connect(db.url(), postgres::NoTls).unwrap();
    let pg_rows: Vec<(String, String)> = raw
        .query("SELECT data, metadata FROM events ORDER BY position", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let file = rusqlite::Connection::open(&file).unwrap();
    let mut select = file
        .prepare("SELECT data, metadata FROM events ORDER BY position")
        .unwrap();
    let sqlite_rows: Vec<(String, String)> = select
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(pg_rows, sqlite_rows);
    assert!(
        pg_rows[2].0.contains(r#""productId":"q ü \"x\"""#),
        "{}",
        pg_rows[2].0
    );
}

#[test]
fn opening_migrates_once_and_refuses_a_newer_schema() {
    let db = TestDatabase::create();
    drop(PostgresStore::open(db.url()).unwrap());
    drop(PostgresStore::open(db.url()).unwrap());
    let mut raw = postgres::Client::connect(db.url(), postgres::NoTls).unwrap();
    let applied: i64 = raw
        .query_one("SELECT count(*) FROM schema_migrations", &[])
        .unwrap()
        .get(0);
    assert_eq!(applied, i64::from(order_store::postgres::PG_SCHEMA_VERSION));
    raw.execute(
        "INSERT INTO schema_migrations (version) VALUES ($1)",
        &[&(order_store::postgres::PG_SCHEMA_VERSION + 1)],
    )
    .unwrap();
    let refused = PostgresStore::open(db.url()).err().unwrap();
    assert!(
        refused.to_string().contains("newer than this build"),
        "{refused}"
    );
}

#[test]
fn an_unreachable_server_is_named_in_the_error() {
    let err = PostgresStore::open("postgresql://root@127.0.0.1:1/nowhere")
        .err()
        .unwrap();
    let text = err.to_string();
    assert!(
        text.contains("cannot reach PostgreSQL at 127.0.0.1:1/nowhere"),
        "{text}"
    );
    assert!(
        matches!(err, order_core::StoreError::Unavailable(_)),
        "{err:?}"
    );
}

#[test]
fn a_nul_character_in_an_id_fails_its_command_only_never_the_batch() {
    let db = TestDatabase::create();
    let mut e = engine(db.url(), 0);
    e.store_mut().begin_batch().unwrap();
    e.handle(create("o-1"), CommandOptions::default()).unwrap();
    assert!(e.handle(create("o-\0"), with_id("k-\0")).is_err());
    assert!(e
        .handle(add("o-\0", "p"), CommandOptions::default())
        .is_err());
    assert_eq!(e.store().get_view("o-\0").unwrap(), None);
    assert_eq!(e.store().command_record("k-\0").unwrap(), None);
    e.handle(create("o-2"), with_id("k-2")).unwrap();
    e.store_mut().finish_batch().unwrap();
    assert_eq!(assert_gap_free(e.store()), 2);
}
