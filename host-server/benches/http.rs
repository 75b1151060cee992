//! HTTP benchmark of the real `order-server` binary on loopback: the order lifecycle
//! (create, 2 x add item, place) at concurrency 1 and 32, commands/s and p50/p99 latency,
//! beside a raw rusqlite loop doing the same writes (same schema, synchronous FULL, one
//! transaction per command) as the reference limit of one-fsync-per-command I/O; then the
//! same lifecycle on PostgreSQL with one and three servers, beside its raw-insert floor.
//!
//! Bounded: a fixed number of orders per run, loopback only. Figures are printed, never
//! asserted. Run with `scripts/bench-server.sh` (or `cargo bench -p order-server --bench http`).
//! `BENCH_ORDERS` overrides the orders per run (default 200 at concurrency 1, 800 at 32).
//! The `--publish` rows need RabbitMQ on 127.0.0.1:5672 (guest/guest): the same run with
//! the broker relay on, and how long the relay takes to reach lag 0 after the load stops.
//! The PostgreSQL rows (`http/postgres.rs`) need the local server the tests use.
//! With `BENCH_JSONL=file` set, every row's figures are also appended to that file as JSON
//! lines (`shared/jsonl.rs`), for `make bench`'s table.

#[path = "shared/jsonl.rs"]
mod jsonl;
#[path = "http/load.rs"]
mod load;
#[path = "http/postgres.rs"]
mod postgres;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_order-server");
const COMMANDS_PER_ORDER: usize = 4;

struct Row {
    name: String,
    commands: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// CPU time of the servers and of the load generator over the load (HTTP rows).
    cpu: Option<Cpu>,
}

#[derive(Clone, Copy)]
struct Cpu {
    servers: Duration,
    generator: Duration,
}

impl Row {
    /// An HTTP row from a finished load and the CPU time its servers used.
    fn from_load(name: String, (load, servers_cpu): (load::Load, Duration)) -> Row {
        Row {
            name,
            commands: load.latencies.len(),
            elapsed: load.elapsed,
            latencies: load.latencies,
            cpu: Some(Cpu {
                servers: servers_cpu,
                generator: load.generator_cpu,
            }),
        }
    }

    /// Microseconds of CPU per command: (servers, load generator).
    fn cpu_per_command(&self) -> Option<(f64, f64)> {
        let per = |d: Duration| d.as_secs_f64() * 1e6 / self.commands.max(1) as f64;
        self.cpu.map(|cpu| (per(cpu.servers), per(cpu.generator)))
    }
}

impl Row {
    fn print(&self) {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let rate = self.commands as f64 / self.elapsed.as_secs_f64();
        let (servers, generator) = match self.cpu_per_command() {
            Some((servers, generator)) => {
                (format!("{servers:.0} µs"), format!("{generator:.0} µs"))
            }
            None => ("—".into(), "—".into()),
        };
        println!(
            "| {:<34} | {:>8} | {:>10.0} | {:>10} | {:>10} | {:>10} | {:>10} |",
            self.name,
            self.commands,
            rate,
            format_ms(percentile(&sorted, 0.50)),
            format_ms(percentile(&sorted, 0.99)),
            servers,
            generator,
        );
    }
}

impl Row {
    /// Appends the row's commands/s, p50 and p99 to `BENCH_JSONL` (when set) under
    /// `row`, the key `scripts/bench_table.py` looks it up by.
    fn emit(&self, row: &str, system: &str, durability: &str) {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let ms = |q| percentile(&sorted, q).as_secs_f64() * 1000.0;
        let figure = jsonl::Figure {
            group: "server",
            row,
            system,
            name: &self.name,
            durability,
            n: self.commands,
        };
        figure.emit(&[
            (
                "commands/s",
                self.commands as f64 / self.elapsed.as_secs_f64(),
            ),
            ("p50 ms", ms(0.50)),
            ("p99 ms", ms(0.99)),
        ]);
        if let Some((servers, generator)) = self.cpu_per_command() {
            figure.emit(&[
                ("server CPU µs/command", servers),
                ("generator CPU µs/command", generator),
            ]);
        }
    }
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[index]
}

fn format_ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// `db` is an SQLite path or a PostgreSQL URL.
    fn start(db: &OsStr, synchronous: &str, extra: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--synchronous",
                synchronous,
            ])
            .arg("--db")
            .arg(db)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start order-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("server exited before listening")
                .expect("read stdout");
            if let Some(url) = line.strip_prefix("order-server listening on ") {
                break url.trim().to_string();
            }
        };
        Server { child, base }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn orders_for(concurrency: usize) -> usize {
    std::env::var("BENCH_ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if concurrency == 1 { 200 } else { 800 })
}

/// The lifecycle over HTTP with `concurrency` clients, each on its own keep-alive connection.
fn http_lifecycle(concurrency: usize, synchronous: &str) -> Row {
    http_lifecycle_with(concurrency, synchronous, &[], "").0
}

/// The same with extra `serve` arguments; also returns the server (still running) so a
/// caller can look at it after the load.
fn http_lifecycle_with(
    concurrency: usize,
    synchronous: &str,
    extra: &[&str],
    label: &str,
) -> (Row, Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path().join("bench.db").as_os_str(), synchronous, extra);
    let load = drive(&[&server], concurrency);
    let name = format!("HTTP lifecycle, c={concurrency}, {synchronous}{label}");
    (Row::from_load(name, load), server, dir)
}

/// `orders_for(concurrency)` lifecycles from `concurrency` clients, client `i` talking to
/// `servers[i % servers.len()]`; the load and the CPU time the servers used meanwhile.
fn drive(servers: &[&Server], concurrency: usize) -> (load::Load, Duration) {
    let per_client = orders_for(concurrency).div_ceil(concurrency);
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let servers_cpu = || -> Duration {
        servers
            .iter()
            .map(|s| load::process_cpu(s.child.id()))
            .sum()
    };
    let before = servers_cpu();
    let load = load::run(&bases, concurrency, per_client);
    (load, servers_cpu().saturating_sub(before))
}

/// Removes the benchmark's exchange from the broker.
fn delete_exchange(url: &str, exchange: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let connection =
            lapin::Connection::connect(url, lapin::ConnectionProperties::default()).await;
        if let Ok(connection) = connection {
            if let Ok(channel) = connection.create_channel().await {
                let _ = channel
                    .exchange_delete(exchange.into(), Default::default())
                    .await;
            }
        }
    });
}

/// With `--publish`: the row, then the time from the end of the load until the relay's lag
/// is 0 (every committed event confirmed by the broker), and the relay's overall rate.
fn http_lifecycle_publishing(concurrency: usize, synchronous: &str) -> Option<(Row, String)> {
    const AMQP: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
    if std::net::TcpStream::connect("127.0.0.1:5672").is_err() {
        return None;
    }
    let exchange = format!("orders.bench.{}", std::process::id());
    let args = ["--publish", AMQP, "--publish-exchange", exchange.as_str()];
    let load_started = Instant::now();
    let (row, server, _dir) = http_lifecycle_with(concurrency, synchronous, &args, ", --publish");
    let load_ended = Instant::now();
    let agent = ureq::Agent::new_with_defaults();
    let lag = || -> u64 {
        agent
            .get(format!("{}/health", server.base))
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_json::<serde_json::Value>().ok())
            .and_then(|h| h["relay"]["lag"].as_u64())
            .unwrap_or(u64::MAX)
    };
    while lag() != 0 && load_ended.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let drained = load_ended.elapsed();
    let events = row.commands as f64;
    let rate = events / (load_started.elapsed().as_secs_f64());
    let note = format!(
        "relay: lag 0 {:.0} ms after the load stopped; {events:.0} events confirmed at \
         {rate:.0}/s overall",
        drained.as_secs_f64() * 1000.0
    );
    delete_exchange(AMQP, &exchange);
    Some((row, note))
}

/// The same writes straight through rusqlite: per command one IMMEDIATE transaction with
/// the stream-version check, the event row, the read-model upsert and the checkpoint.
fn raw_sqlite_lifecycle() -> Row {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("raw.db");
    // Created by the real store so the schema (tables, indexes, pragmas) is the same.
    drop(order_store::SqliteStore::open(&path, order_store::Synchronous::Full).expect("create"));
    let mut conn = Connection::open(&path).expect("open");
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
        .expect("pragmas");
    let orders = orders_for(1);
    let mut latencies = Vec::with_capacity(orders * COMMANDS_PER_ORDER);
    let started = Instant::now();
    for n in 0..orders {
        let order = format!("raw-{n}");
        for (version, event_type) in ["OrderCreated", "ItemAdded", "ItemAdded", "OrderPlaced"]
            .iter()
            .enumerate()
        {
            let start = Instant::now();
            write_one(&mut conn, &order, version as i64 + 1, event_type).expect("raw write");
            latencies.push(start.elapsed());
        }
    }
    Row {
        name: "raw rusqlite, 1 txn/command, FULL".into(),
        commands: latencies.len(),
        elapsed: started.elapsed(),
        latencies,
        cpu: None,
    }
}

fn write_one(
    conn: &mut Connection,
    order: &str,
    version: i64,
    event_type: &str,
) -> rusqlite::Result<()> {
    let now = "2026-01-01T10:00:00.000000Z";
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let current: i64 = tx.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = ?1",
        [order],
        |r| r.get(0),
    )?;
    assert_eq!(current, version - 1);
    let position: i64 = tx.query_row(
        "SELECT COALESCE(MAX(position), 0) + 1 FROM events",
        [],
        |r| r.get(0),
    )?;
    let data = json!({"orderId": order, "customerId": "c-1", "productId": "product-456",
        "quantity": 1, "price": "29.99", "createdAt": now});
    let metadata = json!({"recordedAt": now, "moduleHash": "0".repeat(64)});
    tx.prepare_cached(
        "INSERT INTO events (position, event_id, stream_id, version, type, schema_version, data, metadata, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8)",
    )?
    .execute(params![
        position,
        uuid::Uuid::now_v7().to_string(),
        order,
        version,
        event_type,
        data.to_string(),
        metadata.to_string(),
        now
    ])?;
    let view = json!({"id": order, "customerId": "c-1", "status": "draft",
        "items": [{"productId": "product-456", "quantity": 1, "price": "29.99"}],
        "total": "29.99", "createdAt": now, "version": version, "updatedAt": now});
    tx.prepare_cached(
        "INSERT INTO rm_orders (id, customer_id, status, total, created_at, version, view)
         VALUES (?1, 'c-1', 'draft', '29.99', ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, total = excluded.total,
           version = excluded.version, view = excluded.view",
    )?
    .execute(params![order, now, version, view.to_string()])?;
    tx.prepare_cached("UPDATE projection_checkpoints SET position = ?1 WHERE name = 'rm_orders'")?
        .execute([position])?;
    tx.commit()
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Whether `group` is among the row groups `BENCH_ROWS` names (`sqlite,relay,postgres`;
/// all when unset), so that one backend can be measured alone.
fn wanted(group: &str) -> bool {
    std::env::var("BENCH_ROWS").map_or(true, |rows| rows.split(',').any(|r| r.trim() == group))
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported (one table), but
    // `BENCH_ROWS` picks the row groups.
    println!("order-server HTTP benchmark (loopback; lifecycle = create, 2 x add item, place)");
    println!();
    println!(
        "| {:<34} | {:>8} | {:>10} | {:>10} | {:>10} | {:>10} | {:>10} |",
        "workload", "commands", "commands/s", "p50", "p99", "server CPU", "load gen."
    );
    println!(
        "|{}|{}|{}|{}|{}|{}|{}|",
        "-".repeat(36),
        "-".repeat(10),
        "-".repeat(12),
        "-".repeat(12),
        "-".repeat(12),
        "-".repeat(12),
        "-".repeat(12)
    );
    let load_before = load_average();
    // The raw loop runs first and last: fsync latency on a shared machine drifts with
    // whatever else is writing, and the two rows show how much.
    if wanted("sqlite") {
        let floor = ("raw rusqlite, 1 txn/command, FULL", "floor", "FULL");
        for (row, (key, system, durability)) in [
            (raw_sqlite_lifecycle(), floor),
            (
                http_lifecycle(1, "full"),
                ("HTTP c=1, FULL", "ours", "FULL"),
            ),
            // Beside c=1 FULL: how much of its latency is the per-command fsync.
            (
                http_lifecycle(1, "normal"),
                ("HTTP c=1, NORMAL", "ours", "NORMAL"),
            ),
            (
                http_lifecycle(32, "full"),
                ("HTTP c=32, FULL", "ours", "FULL"),
            ),
            (
                http_lifecycle(32, "normal"),
                ("HTTP c=32, NORMAL", "ours", "NORMAL"),
            ),
            (raw_sqlite_lifecycle(), floor),
        ] {
            row.print();
            row.emit(key, system, durability);
        }
    }
    // The broker relay on and off, back to back at the same concurrency and durability.
    let relay_note = match wanted("relay").then(|| http_lifecycle_publishing(32, "full")) {
        None => "relay rows not run: not in BENCH_ROWS".into(),
        Some(Some((row, note))) => {
            let off = http_lifecycle(32, "full");
            off.print();
            off.emit("HTTP c=32, FULL, relay off", "ours", "FULL");
            row.print();
            row.emit("HTTP c=32, FULL, --publish", "ours", "FULL");
            note
        }
        Some(None) => "relay rows not run: no RabbitMQ on 127.0.0.1:5672".into(),
    };
    // PostgreSQL: the floor of one INSERT per transaction, then the server alone and three
    // servers sharing one database (every write serialises on the `$all` row).
    let pg_note = if !wanted("postgres") {
        "PG rows not run: not in BENCH_ROWS"
    } else if postgres::reachable() {
        for (row, key, system) in [
            (
                postgres::raw_insert_floor(),
                "raw PG, 1 INSERT/txn",
                "floor",
            ),
            (postgres::http_lifecycle(1, 1), "HTTP c=1, PG", "ours"),
            (postgres::http_lifecycle(32, 1), "HTTP c=32, PG", "ours"),
            (
                postgres::http_lifecycle(32, 3),
                "HTTP c=32, PG, 3 servers",
                "ours",
            ),
        ] {
            row.print();
            row.emit(key, system, "FULL");
        }
        "PG rows: a fresh database each on the local server, synchronous_commit on."
    } else {
        "PG rows not run: no PostgreSQL at ORDER_TEST_PG_URL (default 127.0.0.1:5432)"
    };
    println!();
    println!(
        "load average before / after: {load_before} / {}",
        load_average()
    );
    println!("{relay_note}");
    println!("{pg_note}");
    println!(
        "HTTP rows: the real binary (guest decides in wasmtime, group commit). The raw row is \
         the one-fsync-per-command floor; group commit can beat it under concurrency."
    );
    println!(
        "CPU columns: CPU time per command of the server processes and of the load generator \
         (one thread, all clients as async tasks), which share this machine's cores."
    );
}
