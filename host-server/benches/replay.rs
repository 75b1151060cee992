//! Replay benchmark of the real `order-server` binary: `rebuild-read-models` and `verify`
//! over an SQLite file holding the order lifecycle's events (per order: create, 2 x add
//! item, place), each timed as the whole command (process start, guest load, every event
//! folded through the guest), beside a raw scan of the same `events` table (one `SELECT`
//! over every row, every column read) as the floor. Prints events/s and the ratio to the
//! scan, and the file's bytes per stored event after a checkpoint.
//!
//! The file is written by the core's `Engine` on `SqliteStore` (what Python and the server
//! write: events, read model, checkpoint, command records), 64 orders per transaction.
//! `BENCH_REPLAY_ORDERS` sets the orders (20,000, i.e. 80,000 events); each figure is the
//! best of `BENCH_REPLAY_REPEAT` runs (3). `BENCH_REPLAY_DB=file` writes the file there
//! and keeps it, for profiling the commands against it. Figures are printed, never asserted; with
//! `BENCH_JSONL=file` they are also appended there as JSON lines (`shared/jsonl.rs`).
//! Run: `cargo bench -p order-server --bench replay`.

#[path = "shared/jsonl.rs"]
mod jsonl;

use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use order_core::{Command, CommandOptions, Engine, FixedEnvironment};
use order_store::{SqliteStore, Synchronous};
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_order-server");
const ORDERS_PER_BATCH: usize = 64;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn lifecycle(order: &str) -> [Command; 4] {
    let commands = [
        json!({"type": "CreateOrder", "orderId": order, "customerId": "customer-123"}),
        json!({"type": "AddItem", "orderId": order, "productId": "product-456", "quantity": 2,
               "price": "29.99"}),
        json!({"type": "AddItem", "orderId": order, "productId": "product-789", "quantity": 1,
               "price": "49.99"}),
        json!({"type": "PlaceOrder", "orderId": order}),
    ];
    commands.map(|c| serde_json::from_value(c).expect("a valid command"))
}

/// Writes `orders` lifecycles through the engine; returns the number of events.
fn populate(path: &Path, orders: usize) -> usize {
    let store = SqliteStore::open(path, Synchronous::Normal).expect("create the store");
    let env = FixedEnvironment::starting_at(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
    let mut engine = Engine::new(store, env);
    for first in (0..orders).step_by(ORDERS_PER_BATCH) {
        let batch = (first..orders.min(first + ORDERS_PER_BATCH)).flat_map(|i| {
            // Time-ordered ids, as the UUID v7s hosts generate.
            lifecycle(&format!("0190a5c4-{:04x}-7000-8000-{i:012x}", i >> 16))
                .map(|c| (c, CommandOptions::default()))
        });
        for result in engine.handle_batch(batch).expect("commit a batch") {
            result.expect("every command is accepted");
        }
    }
    drop(engine);
    let conn = Connection::open(path).expect("open");
    conn.query_row("SELECT COUNT(*) FROM events", [], |r| r.get::<_, i64>(0))
        .expect("count") as usize
}

/// Bytes of the database file per event, after the WAL is checkpointed into it.
fn bytes_per_event(path: &Path, events: usize) -> f64 {
    let conn = Connection::open(path).expect("open");
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .expect("checkpoint");
    drop(conn);
    std::fs::metadata(path).expect("file size").len() as f64 / events as f64
}

/// Every row of `events`, every column read; returns the rows seen.
fn raw_scan(path: &Path) -> usize {
    let conn = Connection::open(path).expect("open");
    let mut stmt = conn
        .prepare("SELECT * FROM events ORDER BY position")
        .expect("prepare");
    let columns = stmt.column_count();
    let mut rows = stmt.query([]).expect("query");
    let (mut seen, mut bytes) = (0, 0usize);
    while let Some(row) = rows.next().expect("row") {
        for i in 0..columns {
            bytes += match row.get_ref(i).expect("column") {
                ValueRef::Text(t) | ValueRef::Blob(t) => t.len(),
                ValueRef::Integer(_) | ValueRef::Real(_) => 8,
                ValueRef::Null => 0,
            };
        }
        seen += 1;
    }
    std::hint::black_box(bytes);
    seen
}

fn order_server(subcommand: &str, path: &Path) -> Duration {
    let started = Instant::now();
    let output = Process::new(BIN)
        .args([subcommand, "--db"])
        .arg(path)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run order-server");
    let elapsed = started.elapsed();
    assert!(
        output.status.success(),
        "order-server {subcommand} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    elapsed
}

/// The shortest of `repeat` runs: other processes on a shared machine only slow a run down.
fn best_of(repeat: usize, mut run: impl FnMut() -> Duration) -> Duration {
    (0..repeat.max(1)).map(|_| run()).min().expect("a run")
}

fn main() {
    let orders = env_number("BENCH_REPLAY_ORDERS", 20_000);
    let repeat = env_number("BENCH_REPLAY_REPEAT", 3);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = match std::env::var_os("BENCH_REPLAY_DB") {
        Some(kept) => {
            let kept = std::path::PathBuf::from(kept);
            assert!(
                !kept.exists(),
                "{} exists: BENCH_REPLAY_DB names a new file",
                kept.display()
            );
            kept
        }
        None => dir.path().join("replay.db"),
    };
    let events = populate(&path, orders);
    let per_event = bytes_per_event(&path, events);
    println!("order-server replay benchmark: {orders} orders, {events} events, best of {repeat}");
    println!(
        "{:<48} {:>10} {:>12} {:>9}",
        "workload", "ms", "events/s", "vs scan"
    );
    let scan = best_of(repeat, || {
        let started = Instant::now();
        assert_eq!(raw_scan(&path), events);
        started.elapsed()
    });
    let rate = |d: Duration| events as f64 / d.as_secs_f64();
    let rows = [
        (
            "raw scan",
            "floor",
            "SELECT * FROM events, every column",
            scan,
        ),
        (
            "rebuild-read-models",
            "ours",
            "order-server rebuild-read-models",
            best_of(repeat, || order_server("rebuild-read-models", &path)),
        ),
        (
            "verify",
            "ours",
            "order-server verify",
            best_of(repeat, || order_server("verify", &path)),
        ),
    ];
    for (row, system, name, elapsed) in rows {
        println!(
            "{name:<48} {:>10.1} {:>12.0} {:>8.0}%",
            elapsed.as_secs_f64() * 1000.0,
            rate(elapsed),
            100.0 * scan.as_secs_f64() / elapsed.as_secs_f64()
        );
        let figure = jsonl::Figure {
            group: "replay",
            row,
            system,
            name,
            durability: "FULL",
            n: events,
        };
        figure.emit(&[("events/s", rate(elapsed))]);
    }
    println!("database file: {per_event:.1} bytes per event after a checkpoint");
    let figure = jsonl::Figure {
        group: "replay",
        row: "bytes per event",
        system: "ours",
        name: "order-server SQLite file",
        durability: "NORMAL",
        n: events,
    };
    figure.emit(&[("bytes/event", per_event)]);
}
