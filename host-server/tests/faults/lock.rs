//! Locked database: another process's connection holds the write lock. Held longer than the
//! server's busy timeout, every write answers 503 `store_busy` with `Retry-After` soon after
//! the timeout (no hang) while reads go on; resent with the same commandId after the lock is
//! released, each is written exactly once. Held shorter than the timeout, writes wait and
//! succeed.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::ledger::{all_events, check_exactly_once, Ack};
use crate::report::{ms, pick, spread, Table};
use crate::support::{cli_ok, create_order, Db, Server};

const BUSY_TIMEOUT_MS: u64 = 300;
const CLIENTS: usize = 4;

#[test]
fn a_lock_held_past_the_busy_timeout_answers_503_fast_and_recovers() {
    let per_client = pick(5, 25);
    let db = Db::new();
    let server = Server::start_with(&db, &["--busy-timeout-ms", &BUSY_TIMEOUT_MS.to_string()]);
    create_order(&server, "read-me", "c");
    let locker = rusqlite::Connection::open(db.path()).unwrap();

    // 1. Held past the timeout.
    locker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let locked_at = Instant::now();
    let busy = Mutex::new(Vec::new());
    let reads = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for client in 0..CLIENTS {
            let (server, busy) = (&server, &busy);
            scope.spawn(move || {
                for n in 0..per_client {
                    let id = format!("l-{client}-{n}");
                    let started = Instant::now();
                    let reply = server.post_with(
                        "/orders",
                        json!({"orderId": id, "customerId": "c"}),
                        &[("idempotency-key", &id)],
                    );
                    let took = started.elapsed();
                    assert_eq!(reply.status, 503, "{id} while locked: {}", reply.text);
                    assert_eq!(reply.code(), "store_busy");
                    assert_eq!(reply.header("retry-after"), Some("1"));
                    busy.lock().unwrap().push(took);
                }
            });
        }
        scope.spawn(|| {
            for _ in 0..20 {
                let started = Instant::now();
                assert_eq!(server.get("/orders/read-me").status, 200);
                reads.lock().unwrap().push(started.elapsed());
                std::thread::sleep(Duration::from_millis(10));
            }
        });
    });
    let held = locked_at.elapsed();
    let health = server.get("/health");
    locker.execute_batch("ROLLBACK").unwrap();
    let busy = busy.into_inner().unwrap();
    let slowest = *busy.iter().max().unwrap();
    assert!(
        slowest < Duration::from_millis(BUSY_TIMEOUT_MS) * 5 + Duration::from_secs(1),
        "a write waited {slowest:?} with a busy timeout of {BUSY_TIMEOUT_MS} ms"
    );

    // 2. Released: the same commandIds are accepted, once each.
    let released = Instant::now();
    let mut acked = std::collections::HashMap::new();
    for client in 0..CLIENTS {
        for n in 0..per_client {
            let id = format!("l-{client}-{n}");
            let reply = server.post_with(
                "/orders",
                json!({"orderId": id, "customerId": "c"}),
                &[("idempotency-key", &id)],
            );
            assert_eq!(reply.status, 201, "{id} after release: {}", reply.text);
            acked.insert(
                id.clone(),
                Ack {
                    order: id,
                    version: 1,
                },
            );
        }
    }
    let recovered = released.elapsed();

    // 3. Held shorter than the timeout: the write waits for it and succeeds.
    locker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let waited = std::thread::scope(|scope| {
        let waiter = scope.spawn(|| {
            let started = Instant::now();
            let reply = server.post("/orders", json!({"orderId": "short", "customerId": "c"}));
            assert_eq!(
                reply.status, 201,
                "a short lock is waited for: {}",
                reply.text
            );
            started.elapsed()
        });
        std::thread::sleep(Duration::from_millis(BUSY_TIMEOUT_MS / 3));
        locker.execute_batch("ROLLBACK").unwrap();
        waiter.join().unwrap()
    });

    let events = all_events(&server);
    let mut everything = acked.clone();
    for order in ["read-me", "short"] {
        let first = events.iter().find(|e| e["streamId"] == order).unwrap();
        let command = first["metadata"]["commandId"].as_str().unwrap().to_string();
        everything.insert(
            command,
            Ack {
                order: order.into(),
                version: 1,
            },
        );
    }
    let present = check_exactly_once(&events, &everything, &Default::default());
    assert_eq!(
        present.events,
        everything.len(),
        "only the accepted writes landed"
    );
    assert_eq!(server.terminate().code(), Some(0));
    let verified = cli_ok(&db, &["verify"], None);
    assert!(verified.contains(": 0 mismatches"), "{verified}");

    let mut table = Table::new(
        "3-lock",
        "Locked database (another connection holds the write lock)",
    );
    table.row("busy timeout", format!("{BUSY_TIMEOUT_MS} ms"));
    table.row("lock held", ms(held));
    table.row(
        "writes while locked: 503 store_busy + Retry-After: 1",
        format!("{} of {}", busy.len(), CLIENTS * per_client),
    );
    table.row("time to answer 503 while locked", spread(&busy));
    table.row(
        "reads while locked (all 200)",
        spread(&reads.into_inner().unwrap()),
    );
    table.row(
        "/health while locked",
        format!("{} {}", health.status, health.body["store"]),
    );
    table.row(
        "resent after release, same commandIds: accepted / present once",
        format!(
            "{} / {} in {}",
            acked.len(),
            present.acked_present - 2,
            ms(recovered)
        ),
    );
    table.row(
        &format!(
            "write behind a {} ms lock (under the timeout)",
            BUSY_TIMEOUT_MS / 3
        ),
        format!("201 after {}", ms(waited)),
    );
    table.finish();
}
