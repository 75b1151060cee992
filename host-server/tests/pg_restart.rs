//! PostgreSQL restarted (`pg_ctlcluster ... restart`) while clients write through two
//! servers on one database. Every acknowledged command is in the log exactly once; what
//! fails during the outage answers 503 `database_unavailable` with `Retry-After` (never
//! another 5xx, never a dropped connection) and succeeds when sent again with the same
//! command id; `/health` comes back to 200 by itself and both servers go on taking commands
//! without a restart of their own.
//!
//! Its own test binary: restarting the server cuts every session on it, so no sibling test
//! may share the process. A guard starts PostgreSQL again should the test fail midway.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{all_events, assert_gap_free, cli_ok, Db, Server};

const CLIENTS: usize = 6;
/// Commands each client gets acknowledged after PostgreSQL is back, at least.
const AFTER_RESTART: usize = 10;
/// Acknowledged commands before the restart: the load is flowing when it comes.
const BEFORE_RESTART: usize = 60;

/// `pg_ctlcluster` on the machine's one cluster; true when it succeeded.
fn pg_ctlcluster(action: &str) -> bool {
    let version = std::fs::read_dir("/etc/postgresql")
        .expect("a Debian PostgreSQL cluster (/etc/postgresql)")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().to_string())
        .next()
        .expect("a cluster version in /etc/postgresql");
    Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &version, "main", action])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Leaves PostgreSQL running whatever happens to the test (declared after the `Db`, so it
/// drops first and the test database can still be dropped).
struct PostgresRunning;

impl Drop for PostgresRunning {
    fn drop(&mut self) {
        if !pg_ctlcluster("status") && !pg_ctlcluster("start") {
            eprintln!("could not start PostgreSQL again: run `pg_ctlcluster 15 main start`");
        }
    }
}

/// What the clients were told.
#[derive(Default)]
struct Ledger {
    /// Command id -> (order, version) of its acknowledgement.
    acked: HashMap<String, (String, u64)>,
    /// Every answer that was not 2xx: (status, code, Retry-After).
    refused: Vec<(u16, String, Option<String>)>,
    transport_errors: usize,
}

/// Sends one command until it is acknowledged, keeping its command id across attempts.
fn send_until_acked(server: &Server, path: &str, body: Value, ledger: &Mutex<Ledger>) -> u64 {
    let id = body["commandId"].as_str().unwrap().to_string();
    // Far longer than a restart takes: past it the server has not recovered by itself.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "{id} was never acknowledged");
        match server.try_post(path, body.clone()) {
            Some(reply) if (200..300).contains(&reply.status) => {
                let version = reply.body["version"].as_u64().unwrap();
                let order = reply.body["orderId"].as_str().unwrap().to_string();
                let mut ledger = ledger.lock().unwrap();
                if let Some(earlier) = ledger.acked.insert(id.clone(), (order.clone(), version)) {
                    panic!("{id} acknowledged twice: {earlier:?}, then {order} v{version}");
                }
                return version;
            }
            Some(reply) => {
                let code = reply.body["error"]["code"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                let retry_after = reply.header("retry-after").map(str::to_string);
                ledger
                    .lock()
                    .unwrap()
                    .refused
                    .push((reply.status, code, retry_after));
            }
            None => ledger.lock().unwrap().transport_errors += 1,
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One client: creates its order, then adds items until it has had `AFTER_RESTART`
/// commands acknowledged after the restart.
fn client(
    server: &Server,
    c: usize,
    restarted: &AtomicBool,
    acked: &AtomicUsize,
    ledger: &Mutex<Ledger>,
) {
    let order = format!("pg-{c}");
    let create = json!({"orderId": order, "customerId": "c", "commandId": format!("{order}-0")});
    send_until_acked(server, "/orders", create, ledger);
    acked.fetch_add(1, Ordering::Relaxed);
    let mut after_restart = 0;
    for i in 1.. {
        let seen_restart = restarted.load(Ordering::Relaxed);
        let item = json!({"productId": format!("p-{i}"), "quantity": 1, "price": "1.00",
                          "commandId": format!("{order}-{i}")});
        let version = send_until_acked(server, &format!("/orders/{order}/items"), item, ledger);
        assert_eq!(
            version,
            i + 1,
            "{order}: one version per acknowledged command"
        );
        acked.fetch_add(1, Ordering::Relaxed);
        if seen_restart {
            after_restart += 1;
            if after_restart == AFTER_RESTART {
                return;
            }
        }
    }
}

/// Polls `/health` until `stop`; returns every (status, code) it saw.
fn watch_health(server: &Server, stop: &AtomicBool) -> Vec<(u16, String)> {
    let mut seen = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let health = server.get("/health");
        let code = health.body["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string();
        seen.push((health.status, code));
        std::thread::sleep(Duration::from_millis(100));
    }
    seen
}

#[test]
fn a_postgres_restart_under_load_loses_no_acknowledged_command() {
    let db = Db::postgres();
    let _running = PostgresRunning;
    let servers = [Server::start(&db), Server::start(&db)];
    let ledger = Mutex::new(Ledger::default());
    let restarted = AtomicBool::new(false);
    let done = AtomicBool::new(false);
    let acked = AtomicUsize::new(0);
    let mut restart_took = Duration::ZERO;
    let health = std::thread::scope(|scope| {
        let health = scope.spawn(|| watch_health(&servers[0], &done));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (server, restarted, acked, ledger) =
                    (&servers[c % 2], &restarted, &acked, &ledger);
                scope.spawn(move || client(server, c, restarted, acked, ledger))
            })
            .collect();
        let started = Instant::now();
        while acked.load(Ordering::Relaxed) < BEFORE_RESTART
            && started.elapsed() < Duration::from_secs(120)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        let restart_began = Instant::now();
        let restart = pg_ctlcluster("restart");
        restart_took = restart_began.elapsed();
        // Set whatever happened, so that the clients finish and the asserts below run.
        restarted.store(true, Ordering::Relaxed);
        let clients: Vec<_> = clients.into_iter().map(|c| c.join()).collect();
        done.store(true, Ordering::Relaxed);
        let health = health.join().unwrap();
        assert!(restart, "pg_ctlcluster restart failed");
        for outcome in clients {
            outcome.unwrap();
        }
        health
    });

    let ledger = ledger.into_inner().unwrap();
    assert_eq!(ledger.transport_errors, 0, "no request went unanswered");
    assert!(
        !ledger.refused.is_empty(),
        "the restart came while commands were being written"
    );
    for (status, code, retry_after) in &ledger.refused {
        assert_eq!(
            (*status, code.as_str()),
            (503, "database_unavailable"),
            "a failure during the outage is retryable and says why"
        );
        assert_eq!(retry_after.as_deref(), Some("1"));
    }
    for (status, code) in &health {
        assert!(
            *status == 200 || (*status == 503 && code == "database_unavailable"),
            "/health answered {status} {code}"
        );
    }
    // Back by itself: both servers ready, reading and writing, without a restart.
    for server in &servers {
        let health = server.get("/health");
        assert_eq!(health.status, 200, "{}", health.text);
        assert_eq!(health.body["writer"]["restarts"], 0, "{}", health.text);
        assert_eq!(server.get("/orders/pg-0").status, 200);
    }

    let log = all_events(&servers[1]);
    assert_gap_free(&log);
    let mut written: BTreeMap<&str, Vec<(&str, u64)>> = BTreeMap::new();
    for event in &log {
        let id = event["metadata"]["commandId"].as_str().unwrap();
        let stream = event["streamId"].as_str().unwrap();
        written
            .entry(id)
            .or_default()
            .push((stream, event["version"].as_u64().unwrap()));
    }
    for (id, (order, version)) in &ledger.acked {
        assert_eq!(
            written.get(id.as_str()).cloned().unwrap_or_default(),
            [(order.as_str(), *version)],
            "{id} is in the log exactly once, as acknowledged"
        );
    }
    assert_eq!(
        written.len(),
        ledger.acked.len(),
        "nothing written unacknowledged"
    );
    let verified = cli_ok(&db, &["verify"], None);
    assert!(verified.contains(" 0 mismatches"), "{verified}");
    eprintln!(
        "restart took {:.1} s; {} commands acknowledged, {} answers 503 during it, /health \
         {} times not 200",
        restart_took.as_secs_f64(),
        ledger.acked.len(),
        ledger.refused.len(),
        health.iter().filter(|(s, _)| *s != 200).count()
    );
    for server in servers {
        assert_eq!(server.terminate().code(), Some(0));
    }
}
