//! Crash and shutdown behaviour of the real binary: nothing acknowledged is lost to a
//! `kill -9`, and SIGTERM drains in-flight requests and exits 0.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use serde_json::json;
use support::{cli_ok, Db, Server};

const CLIENTS: usize = 8;
const COMMANDS_PER_CLIENT: usize = 60;

/// Clients create orders and add items until `stop` or their bound; every 2xx answer is
/// recorded as (order id, version acknowledged).
fn write_load(
    server: &Server,
    stop: &AtomicBool,
    acked: &Mutex<Vec<(String, u64)>>,
    count: &AtomicUsize,
) {
    std::thread::scope(|scope| {
        for client in 0..CLIENTS {
            scope.spawn(move || {
                let order = format!("o-{client}");
                let mut sent = 0;
                let first =
                    server.try_post("/orders", json!({"orderId": order, "customerId": "c"}));
                match first {
                    Some(r) if r.status == 201 => {
                        acked.lock().unwrap().push((order.clone(), 1));
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => return,
                }
                while sent < COMMANDS_PER_CLIENT && !stop.load(Ordering::SeqCst) {
                    sent += 1;
                    let body =
                        json!({"productId": format!("p-{sent}"), "quantity": 1, "price": "1.00"});
                    match server.try_post(&format!("/orders/{order}/items"), body) {
                        Some(r) if r.status == 200 => {
                            let version = r.body["version"].as_u64().unwrap();
                            acked.lock().unwrap().push((order.clone(), version));
                            count.fetch_add(1, Ordering::SeqCst);
                        }
                        Some(r) => panic!("unexpected answer {}: {}", r.status, r.text),
                        None => return, // the server is gone
                    }
                }
            });
        }
    });
}

fn assert_all_acknowledged_present(server: &Server, acked: &[(String, u64)]) {
    assert!(!acked.is_empty());
    for (order, version) in acked {
        let events = server.events_of(order);
        assert!(
            events.len() as u64 >= *version,
            "{order}: version {version} was acknowledged, but only {} events survived",
            events.len()
        );
        let view = server.get(&format!("/orders/{order}"));
        assert!(
            view.body["version"].as_u64().unwrap() >= *version,
            "{order}: read model behind"
        );
    }
}

#[test]
fn kill_minus_9_loses_nothing_acknowledged() {
    let db = Db::new();
    let server = Server::start(&db);
    let stop = AtomicBool::new(false);
    let acked = Mutex::new(Vec::new());
    let count = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        scope.spawn(|| write_load(&server, &stop, &acked, &count));
        // Kill once a good share of the work is acknowledged, with clients still sending.
        while count.load(Ordering::SeqCst) < CLIENTS * COMMANDS_PER_CLIENT / 3 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let pid = server.pid();
        let status = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        stop.store(true, Ordering::SeqCst);
    });
    drop(server);
    let acked = acked.into_inner().unwrap();

    let restarted = Server::start(&db);
    assert_all_acknowledged_present(&restarted, &acked);
    // Positions stay gap-free across the crash.
    let events = restarted.get("/events?after=0&limit=1000").body;
    let positions: Vec<u64> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect();
    let expected: Vec<u64> = (1..=positions.len() as u64).collect();
    assert_eq!(positions, expected);
    restarted.terminate();
    let report = cli_ok(&db, &["verify"], None);
    assert!(report.contains(": 0 mismatches"), "{report}");
}

#[test]
fn sigterm_drains_in_flight_requests_and_exits_zero() {
    let db = Db::new();
    let server = Server::start(&db);
    let stop = AtomicBool::new(false);
    let acked = Mutex::new(Vec::new());
    let count = AtomicUsize::new(0);
    let status = std::thread::scope(|scope| {
        scope.spawn(|| write_load(&server, &stop, &acked, &count));
        while count.load(Ordering::SeqCst) < CLIENTS * 4 {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let status = std::process::Command::new("kill")
            .args(["-TERM", &server.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        stop.store(true, Ordering::SeqCst);
        status
    });
    assert!(status.success());
    let exit = server.terminate_wait();
    assert_eq!(exit.code(), Some(0), "graceful shutdown exits 0");
    let acked = acked.into_inner().unwrap();
    let restarted = Server::start(&db);
    assert_all_acknowledged_present(&restarted, &acked);
}
