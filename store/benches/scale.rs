//! Does the store slow down as it grows? Two measurements on SQLite files (WAL,
//! synchronous NORMAL, so fsync latency does not hide the CPU and index cost):
//!
//! - time per command of the order lifecycle (create, 2 x add item, place; each command
//!   its own transaction) on a file already holding 1,000, 10,000 and 100,000 orders (and
//!   the orders timed before, 1,500 per size);
//!   issue 14's target: flat within ±20% from 1,000 to 100,000;
//! - loading an order's state through its snapshot when it has 10,000 events, beside one
//!   with 100 (target: at most 2x).
//!
//! The engine runs the native core (the guest's cost per command does not depend on the
//! file's size; `decisions` measures it). Each figure is the best of `BENCH_SCALE_ROUNDS`
//! rounds (3). `BENCH_SCALE_SIZES` overrides the sizes (`1000,10000,100000`). Figures are
//! printed, never asserted; with `BENCH_JSONL=file` they are appended there as JSON lines
//! for `make bench`'s table. Run: `cargo bench -p order-store --bench scale`.

#[path = "../../host-server/benches/shared/jsonl.rs"]
mod jsonl;

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use order_core::{
    AddItem, Command, CommandOptions, CreateOrder, DecimalText, Engine, EngineConfig, EventStore,
    FixedEnvironment, NativeRuntime, PlaceOrder, RemoveItem,
};
use order_store::{SqliteStore, Synchronous};

type SqliteEngine = Engine<SqliteStore, FixedEnvironment>;

/// Orders whose lifecycles are timed on each file.
const TIMED_ORDERS: usize = 500;
/// Commands per transaction while filling a file (only the timed commands commit alone).
const FILL_BATCH: usize = 1024;

fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .filter(|sizes: &Vec<usize>| !sizes.is_empty())
        .unwrap_or_else(|| default.to_vec())
}

fn open(path: &Path) -> SqliteEngine {
    let store = SqliteStore::open(path, Synchronous::Normal).expect("open the SQLite file");
    let env = FixedEnvironment::starting_at(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
    // No state cache: every command loads its stream from the file, as a cold one would.
    let config = EngineConfig {
        state_cache: 0,
        ..EngineConfig::default()
    };
    Engine::with_runtime(store, env, NativeRuntime, config)
}

fn lifecycle(order: &str, customer: &str) -> [Command; 4] {
    let add = |product: &str, price: &str| {
        Command::AddItem(AddItem {
            order_id: order.into(),
            product_id: product.into(),
            quantity: DecimalText::from(1u32),
            price: DecimalText::from(price),
        })
    };
    [
        Command::CreateOrder(CreateOrder {
            order_id: order.into(),
            customer_id: customer.into(),
        }),
        add("product-456", "29.99"),
        add("product-789", "49.99"),
        Command::PlaceOrder(PlaceOrder {
            order_id: order.into(),
        }),
    ]
}

fn apply_in_batches(engine: &mut SqliteEngine, commands: impl Iterator<Item = Command>) {
    let mut commands = commands.map(|c| (c, CommandOptions::default())).peekable();
    while commands.peek().is_some() {
        let results = engine
            .handle_batch(commands.by_ref().take(FILL_BATCH))
            .expect("a fill batch commits");
        for result in results {
            result.expect("every fill command is accepted");
        }
    }
}

/// Adds orders `from..to` (full lifecycles) to the file.
fn fill(engine: &mut SqliteEngine, from: usize, to: usize) {
    apply_in_batches(
        engine,
        (from..to).flat_map(|n| lifecycle(&format!("order-{n}"), &format!("c-{}", n % 1000))),
    );
}

/// Mean time per command of `TIMED_ORDERS` new lifecycles, one transaction per command.
fn time_per_command(engine: &mut SqliteEngine, round: usize) -> Duration {
    let commands: Vec<Command> = (0..TIMED_ORDERS)
        .flat_map(|n| lifecycle(&format!("timed-{round}-{n}"), &format!("c-{}", n % 1000)))
        .collect();
    let count = commands.len() as u32;
    let started = Instant::now();
    for command in commands {
        engine
            .handle(command, CommandOptions::default())
            .expect("a timed command is accepted");
    }
    started.elapsed() / count
}

/// A stream of `events` events: created, then one item added and removed in turn.
fn long_order(engine: &mut SqliteEngine, order: &str, events: usize) {
    let [create, ..] = lifecycle(order, "c-long");
    let changes = (1..events).map(|i| {
        if i % 2 == 1 {
            Command::AddItem(AddItem {
                order_id: order.into(),
                product_id: "p".into(),
                quantity: DecimalText::from(1u32),
                price: DecimalText::from("1.00"),
            })
        } else {
            Command::RemoveItem(RemoveItem {
                order_id: order.into(),
                product_id: "p".into(),
                quantity: None,
            })
        }
    });
    apply_in_batches(engine, std::iter::once(create).chain(changes));
}

/// Mean time to load `order`'s state (snapshot plus the events after it).
fn time_load(engine: &mut SqliteEngine, order: &str, version: u64) -> Duration {
    const LOADS: u32 = 2000;
    let started = Instant::now();
    for _ in 0..LOADS {
        let state = engine.load_state(order).expect("the state loads");
        assert_eq!(state.version, version);
    }
    started.elapsed() / LOADS
}

/// Prints a table line (`value` in µs and its ratio to `baseline`, the first size
/// measured) and appends the figure to `BENCH_JSONL`, the baseline itself (`None`) as the
/// `floor` the table compares the others with.
fn report(row: &str, n: usize, value: Duration, baseline: Option<Duration>) {
    let base = baseline.unwrap_or(value);
    println!(
        "| {n:>8} | {:>8.1} | {:>5.2}x |",
        value.as_secs_f64() * 1e6,
        value.as_secs_f64() / base.as_secs_f64()
    );
    let figure = jsonl::Figure {
        group: "scale",
        row,
        system: if baseline.is_none() { "floor" } else { "ours" },
        name: "order-store SQLite, native core",
        durability: "NORMAL",
        n,
    };
    figure.emit(&[("ns/op", value.as_nanos() as f64)]);
}

fn main() {
    let sizes = env_list("BENCH_SCALE_SIZES", &[1_000, 10_000, 100_000]);
    let rounds = env_list("BENCH_SCALE_ROUNDS", &[3])[0].max(1);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("scale.db");
    let mut engine = open(&path);
    println!("order-store scale benchmark (SQLite, WAL, synchronous NORMAL, native core)");
    println!();
    println!("| orders in the file | µs per command (best of {rounds}) | vs the first |");
    println!("|---:|---:|---:|");
    let mut filled = 0;
    let mut first: Option<Duration> = None;
    for &size in &sizes {
        fill(&mut engine, filled, size.max(filled));
        filled = size.max(filled);
        let best = (0..rounds)
            .map(|round| time_per_command(&mut engine, size * 10 + round))
            .min()
            .expect("at least one round");
        report(&format!("per command, {size} orders"), size, best, first);
        first.get_or_insert(best);
    }

    println!();
    println!("| events in the order | µs to load its state | vs 100 |");
    println!("|---:|---:|---:|");
    let mut short: Option<Duration> = None;
    for events in [100usize, 10_000] {
        let order = format!("long-{events}");
        long_order(&mut engine, &order, events);
        let snapshot = engine
            .store()
            .load_snapshot(&order)
            .expect("snapshots read");
        assert_eq!(
            snapshot.map(|s| s.version),
            Some(events as u64),
            "{order} has a snapshot at its last event"
        );
        let best = (0..rounds)
            .map(|_| time_load(&mut engine, &order, events as u64))
            .min()
            .expect("at least one round");
        report(
            &format!("load through snapshot, {events} events"),
            events,
            best,
            short,
        );
        short.get_or_insert(best);
    }
    println!();
    println!(
        "snapshots every {} events; the timed commands each commit alone, the fill commits {FILL_BATCH} per transaction",
        engine.config().snapshot_every
    );
}
