//! Three `serve` processes on one PostgreSQL database (a fresh one per test, dropped after):
//! 16 concurrent clients sending mixed commands to all of them, a reader tailing the feed
//! on one, and a transaction holding the `$all` row for a while in the middle. Afterwards
//! the log must be exactly what the clients were told: positions 1..N, versions 1..k per
//! stream, each acknowledged command present once, and `verify` clean. Also: 50 writers
//! racing one expected version across replicas, and a replica killed (-9) under load whose
//! clients retry elsewhere with the same command ids.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};
use support::{all_events, assert_gap_free, cli_ok, Db, Server};

const CLIENTS: usize = 16;
const COMMANDS_PER_CLIENT: usize = 40;
const ORDERS: usize = 200;
/// Commands each of the 8 clients sends in the kill test.
const KILL_LOAD_PER_CLIENT: usize = 60;

/// The command client `c` sends as its `j`-th: creates (the same command id from whichever
/// client gets there, so racing creates must answer alike), items, and some place/cancel.
fn command(c: usize, j: usize) -> Value {
    let k = (c * 37 + j * 11) % ORDERS;
    let order = format!("o-{k}");
    match j % 5 {
        0 | 1 => json!({"commandId": format!("create-{order}"), "type": "CreateOrder",
                        "orderId": order, "customerId": format!("c-{}", k % 4)}),
        2 | 3 => json!({"commandId": format!("add-{c}-{j}"), "type": "AddItem", "orderId": order,
                        "productId": format!("p-{c}-{j}"), "quantity": 1 + j % 3, "price": "0.10"}),
        _ if c.is_multiple_of(2) => {
            json!({"commandId": format!("place-{c}-{j}"), "type": "PlaceOrder", "orderId": order})
        }
        _ => {
            json!({"commandId": format!("cancel-{c}-{j}"), "type": "CancelOrder", "orderId": order})
        }
    }
}

#[test]
fn three_replicas_on_one_database_keep_one_gap_free_exactly_once_log() {
    let db = Db::postgres();
    let replicas: Vec<Server> = (0..3).map(|_| Server::start(&db)).collect();
    let acknowledged: Mutex<HashMap<String, Vec<Value>>> = Mutex::new(HashMap::new());
    let running = AtomicBool::new(true);
    std::thread::scope(|scope| {
        // A reader tailing replica 2: every page must continue exactly where the last ended.
        let tail = scope.spawn(|| {
            let mut last = 0u64;
            let mut pages = 0;
            while running.load(Ordering::Relaxed) || pages == 0 {
                let page = replicas[2].get(&format!("/events?after={last}&limit=50"));
                for event in page.body.as_array().unwrap() {
                    let position = event["position"].as_u64().unwrap();
                    assert_eq!(position, last + 1, "the tail saw {position} after {last}");
                    last = position;
                }
                pages += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
            last
        });
        // A transaction holding the `$all` row for two seconds: every writer waits, none
        // may commit around it.
        let url = db.url().unwrap().to_string();
        let holder = scope.spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            let mut tx = client.transaction().unwrap();
            tx.query_one("SELECT last_position FROM log_head FOR UPDATE", &[])
                .unwrap();
            std::thread::sleep(Duration::from_secs(2));
            tx.rollback().unwrap();
        });
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (replicas, acknowledged) = (&replicas, &acknowledged);
                scope.spawn(move || {
                    for j in 0..COMMANDS_PER_CLIENT {
                        let sent = command(c, j);
                        let reply = replicas[(c + j) % 3].post("/commands", json!([sent]));
                        assert_eq!(reply.status, 200, "{}", reply.text);
                        let outcome = reply.body[0].clone();
                        if outcome["accepted"] == true {
                            let id = outcome["commandId"].as_str().unwrap().to_string();
                            acknowledged
                                .lock()
                                .unwrap()
                                .entry(id)
                                .or_default()
                                .push(outcome);
                        } else {
                            assert_ne!(
                                outcome["retryable"], true,
                                "no command may fail for the store's sake: {outcome}"
                            );
                        }
                    }
                })
            })
            .collect();
        // Stop the tail before looking at how the others ended (a failed client must not
        // leave it polling for ever).
        let clients: Vec<_> = clients.into_iter().map(|c| c.join()).collect();
        let held = holder.join();
        running.store(false, Ordering::Relaxed);
        tail.join().unwrap();
        held.unwrap();
        for client in clients {
            client.unwrap();
        }
    });

    let log = all_events(&replicas[0]);
    assert_gap_free(&log);
    let mut by_command: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for e in &log {
        if let Some(id) = e["metadata"]["commandId"].as_str() {
            by_command
                .entry(id)
                .or_default()
                .push(e["position"].as_u64().unwrap());
        }
    }
    let acknowledged = acknowledged.into_inner().unwrap();
    assert!(
        acknowledged.len() > CLIENTS * COMMANDS_PER_CLIENT / 3,
        "most commands were accepted ({} distinct)",
        acknowledged.len()
    );
    for (id, outcomes) in &acknowledged {
        // Racing sends of one command id (the creates) all got the first answer.
        let first = &outcomes[0];
        for other in outcomes {
            assert_eq!(
                (&other["orderId"], &other["version"], &other["positions"]),
                (&first["orderId"], &first["version"], &first["positions"]),
                "{id}"
            );
        }
        let positions: Vec<u64> = first["positions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_u64().unwrap())
            .collect();
        let logged = by_command.get(id.as_str()).cloned().unwrap_or_default();
        assert_eq!(logged, positions, "{id} is in the log exactly once");
    }
    for id in by_command.keys() {
        assert!(
            acknowledged.contains_key(*id),
            "{id} was written but never acknowledged"
        );
    }
    let verified = cli_ok(&db, &["verify"], None);
    assert!(verified.contains(" 0 mismatches"), "{verified}");
    for replica in replicas {
        assert_eq!(replica.terminate().code(), Some(0));
    }
}

#[test]
fn fifty_conflicting_writers_across_replicas_one_wins() {
    let db = Db::postgres();
    let replicas: Vec<Server> = (0..3).map(|_| Server::start(&db)).collect();
    support::create_order(&replicas[0], "contended", "c-1");
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let tries: Vec<_> = (0..50)
            .map(|i| {
                let server = &replicas[i % 3];
                scope.spawn(move || {
                    let reply = server.post_with(
                        "/orders/contended/items",
                        json!({"productId": format!("p-{i}"), "quantity": 1, "price": "1.00"}),
                        &[("If-Match", "1")],
                    );
                    if reply.status != 200 {
                        assert_eq!(reply.code(), "concurrency_conflict", "{}", reply.text);
                    }
                    reply.status
                })
            })
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 49);
    assert_eq!(replicas[1].events_of("contended").len(), 2);
}

#[test]
fn a_replica_killed_mid_load_loses_nothing_acknowledged_and_retries_are_exactly_once() {
    let db = Db::postgres();
    let replicas: Vec<Server> = (0..2).map(|_| Server::start(&db)).collect();
    let victim = replicas[0].pid();
    let answered: Mutex<HashMap<String, Value>> = Mutex::new(HashMap::new());
    let rerouted = AtomicUsize::new(0);
    let sent_count = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for c in 0..8 {
            let (replicas, answered, rerouted, sent_count) =
                (&replicas, &answered, &rerouted, &sent_count);
            scope.spawn(move || {
                for j in 0..KILL_LOAD_PER_CLIENT {
                    sent_count.fetch_add(1, Ordering::Relaxed);
                    let sent = command(c, j);
                    let id = sent["commandId"].as_str().unwrap().to_string();
                    // To the victim while it lives; after a transport failure (it died with
                    // the command in flight, applied or not) the same command goes to the
                    // survivor, with the same command id.
                    let reply = match replicas[0].try_post("/commands", json!([sent])) {
                        Some(reply) => reply,
                        None => {
                            rerouted.fetch_add(1, Ordering::Relaxed);
                            replicas[1].post("/commands", json!([sent]))
                        }
                    };
                    assert_eq!(reply.status, 200, "{}", reply.text);
                    let outcome = reply.body[0].clone();
                    assert_ne!(outcome["retryable"], true, "{outcome}");
                    if outcome["accepted"] == true {
                        answered.lock().unwrap().insert(id, outcome);
                    }
                }
            });
        }
        // Kill once a tenth of the load has gone out (not after a fixed sleep: a fast
        // machine could finish the whole load first), so most commands are still to come.
        let waited = std::time::Instant::now();
        while sent_count.load(Ordering::Relaxed) < 8 * KILL_LOAD_PER_CLIENT / 10 {
            assert!(
                waited.elapsed() < Duration::from_secs(60),
                "the load never got going"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        let killed = std::process::Command::new("kill")
            .args(["-9", &victim.to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
    });
    assert!(
        rerouted.into_inner() > 0,
        "the kill happened while commands were still being sent"
    );
    let log = all_events(&replicas[1]);
    assert_gap_free(&log);
    let mut by_command: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for e in &log {
        if let Some(id) = e["metadata"]["commandId"].as_str() {
            by_command
                .entry(id)
                .or_default()
                .push(e["position"].as_u64().unwrap());
        }
    }
    let answered = answered.into_inner().unwrap();
    for (id, outcome) in &answered {
        let expected: Vec<u64> = outcome["positions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_u64().unwrap())
            .collect();
        let logged = by_command.get(id.as_str()).cloned().unwrap_or_default();
        assert_eq!(logged, expected, "{id}: once, as answered");
    }
    for id in by_command.keys() {
        assert!(
            answered.contains_key(*id),
            "{id} is in the log but was never answered"
        );
    }
    let verified = cli_ok(&db, &["verify"], None);
    assert!(verified.contains(" 0 mismatches"), "{verified}");
}
