//! How fast can one command commit on this machine, and how close does the store come?
//!
//! Three loops over the order-lifecycle workload (per order: create, add 2 items, place;
//! one transaction per command) on a fresh SQLite file in WAL mode:
//! - `one-row commit`: BEGIN; UPDATE the checkpoint row; COMMIT. The least any durable
//!   command can cost here.
//! - `contract SQL`: only the writes the contract asks of every command (event row, read-model
//!   row, projection checkpoint) as prepared statements with ready-made values, no engine.
//! - `Engine + SqliteStore`: what the Python package and the CLI run, minus Python.
//!
//! Run: `cargo run --release -p order-store --example write_floor -- [orders] [normal|full] [dir]`
//! (defaults: 5000, normal, the system temp dir).

use std::path::Path;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use order_core::{
    AddItem, Command, CommandOptions, CreateOrder, DecimalText, Engine, EventStore,
    FixedEnvironment, PlaceOrder,
};
use order_store::{SqliteStore, Synchronous};
use rusqlite::{params, Connection};

const COMMANDS_PER_ORDER: usize = 4;

fn lifecycle(order: &str) -> [Command; COMMANDS_PER_ORDER] {
    let add = |product: &str, quantity: u32, price: &str| {
        Command::AddItem(AddItem {
            order_id: order.into(),
            product_id: product.into(),
            quantity: DecimalText::from(quantity),
            price: DecimalText::from(price),
        })
    };
    [
        Command::CreateOrder(CreateOrder {
            order_id: order.into(),
            customer_id: "customer-123".into(),
        }),
        add("product-456", 2, "29.99"),
        add("product-789", 1, "49.99"),
        Command::PlaceOrder(PlaceOrder {
            order_id: order.into(),
        }),
    ]
}

fn order_id(i: usize) -> String {
    // Time-ordered like the UUID v7 ids hosts generate, so index inserts land alike.
    format!("0190a5c4-{:04x}-7000-8000-{:012x}", i >> 16, i)
}

fn report(name: &str, orders: usize, started: Instant) {
    let commands = orders * COMMANDS_PER_ORDER;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "  {name:<22} {:>8.1} us/command  {:>9.0} commands/s",
        seconds * 1e6 / commands as f64,
        commands as f64 / seconds
    );
}

fn fresh(dir: &Path, name: &str, synchronous: Synchronous) -> std::path::PathBuf {
    let path = dir.join(name);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    drop(SqliteStore::open(&path, synchronous).expect("create the store"));
    path
}

fn engine_loop(dir: &Path, orders: usize, synchronous: Synchronous) {
    let path = fresh(dir, "engine.db", synchronous);
    let store = SqliteStore::open(&path, synchronous).expect("open");
    let env = FixedEnvironment::starting_at(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
    let mut engine = Engine::new(store, env);
    let started = Instant::now();
    for i in 0..orders {
        for command in lifecycle(&order_id(i)) {
            engine
                .handle(command, CommandOptions::default())
                .expect("command");
        }
    }
    report("Engine + SqliteStore", orders, started);
    let last = engine.get_order(&order_id(orders - 1), None).unwrap();
    assert_eq!(last.map(|v| v.total.to_string()), Some("109.97".into()));
}

/// Rows as the engine writes them, taken from the engine's own file.
struct Rows {
    events: Vec<(String, String, String, String)>, // type, data, metadata, recorded_at
    views: Vec<String>,
}

fn sample_rows(dir: &Path, synchronous: Synchronous) -> Rows {
    let path = fresh(dir, "sample.db", synchronous);
    let store = SqliteStore::open(&path, synchronous).expect("open");
    let env = FixedEnvironment::starting_at(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
    let mut engine = Engine::new(store, env);
    let mut views = Vec::new();
    for command in lifecycle(&order_id(0)) {
        engine.handle(command, CommandOptions::default()).unwrap();
        let view = engine.store().get_view(&order_id(0)).unwrap().unwrap();
        views.push(serde_json::to_string(&view).unwrap());
    }
    drop(engine);
    let conn = Connection::open(&path).unwrap();
    let mut stmt = conn
        .prepare("SELECT type, data, metadata, recorded_at FROM events ORDER BY position")
        .unwrap();
    let events = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    Rows { events, views }
}

fn sql_loop(dir: &Path, orders: usize, synchronous: Synchronous, rows: &Rows, contract: bool) {
    let path = fresh(dir, "sql.db", synchronous);
    let conn = Connection::open(&path).unwrap();
    let mode = match synchronous {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {mode}; PRAGMA wal_autocheckpoint = 10000;"
    ))
    .unwrap();
    let started = Instant::now();
    let mut position = 0i64;
    for i in 0..orders {
        let order = order_id(i);
        for (n, (kind, data, metadata, recorded_at)) in rows.events.iter().enumerate() {
            conn.prepare_cached("BEGIN IMMEDIATE")
                .unwrap()
                .execute([])
                .unwrap();
            position += 1;
            if contract {
                conn.prepare_cached(
                    "INSERT INTO events (position, event_id, stream_id, version, type, schema_version, data, metadata, recorded_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, 2, ?6, ?7, ?8)",
                )
                .unwrap()
                .execute(params![
                    position,
                    format!("0190a5c4-0000-7000-9000-{position:012x}"),
                    order,
                    n as i64 + 1,
                    kind,
                    data,
                    metadata,
                    recorded_at
                ])
                .unwrap();
                conn.prepare_cached(
                    "INSERT INTO rm_orders (id, customer_id, status, total, created_at, version, view)
                     VALUES (?1, 'customer-123', 'draft', '0.00', '2026-01-01T00:00:00.000000Z', ?2, ?3)
                     ON CONFLICT (id) DO UPDATE SET status = excluded.status, total = excluded.total,
                       version = excluded.version, view = excluded.view",
                )
                .unwrap()
                .execute(params![order, n as i64 + 1, rows.views[n]])
                .unwrap();
            }
            conn.prepare_cached(
                "UPDATE projection_checkpoints SET position = ?1 WHERE name = 'rm_orders'",
            )
            .unwrap()
            .execute([position])
            .unwrap();
            conn.prepare_cached("COMMIT").unwrap().execute([]).unwrap();
        }
    }
    report(
        if contract {
            "contract SQL"
        } else {
            "one-row commit"
        },
        orders,
        started,
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let orders: usize = args.next().map_or(5000, |a| a.parse().expect("orders"));
    let synchronous: Synchronous = args
        .next()
        .map_or(Ok(Synchronous::Normal), |a| a.parse())
        .expect("normal or full");
    let dir = args.next().map_or_else(std::env::temp_dir, Into::into);
    let work = dir.join(format!("write-floor-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("work dir");
    println!(
        "order lifecycle, {orders} orders x {COMMANDS_PER_ORDER} commands, WAL, synchronous={synchronous:?}, {}",
        work.display()
    );
    let rows = sample_rows(&work, synchronous);
    sql_loop(&work, orders, synchronous, &rows, false);
    sql_loop(&work, orders, synchronous, &rows, true);
    engine_loop(&work, orders, synchronous);
    let _ = std::fs::remove_dir_all(&work);
}
