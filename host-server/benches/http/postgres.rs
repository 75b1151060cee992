//! The PostgreSQL rows of the HTTP benchmark: the same lifecycle with one server and with
//! three servers on one database (clients spread over them), beside the floor of one
//! INSERT per transaction through the driver the store uses (`postgres`, which is
//! tokio-postgres run on a small runtime of its own). Each row gets a fresh database on the
//! local server (`ORDER_TEST_PG_URL`), dropped afterwards.

use std::ffi::OsString;
use std::time::Instant;

use order_store::postgres::testing::TestDatabase;

use super::{drive, orders_for, Row, Server};

/// Whether a PostgreSQL server answers where the test databases are made.
pub fn reachable() -> bool {
    let url = order_store::postgres::testing::admin_url();
    postgres::Client::connect(&url, postgres::NoTls).is_ok()
}

/// The lifecycle at `concurrency` through `servers` processes on one fresh database.
pub fn http_lifecycle(concurrency: usize, servers: usize) -> Row {
    let db = TestDatabase::create();
    let url = OsString::from(db.url());
    // One at a time: each applies (or checks) the schema before it listens.
    let running: Vec<Server> = (0..servers)
        .map(|_| Server::start(&url, "full", &[]))
        .collect();
    let load = drive(&running.iter().collect::<Vec<_>>(), concurrency);
    drop(running);
    let plural = if servers == 1 { "" } else { "s" };
    let name = format!("HTTP lifecycle, c={concurrency}, PG, {servers} server{plural}");
    Row::from_load(name, load)
}

/// One INSERT of an event row per transaction, sequentially, into the store's own `events`
/// table: the commit-per-command floor (one WAL flush each, `synchronous_commit` on).
pub fn raw_insert_floor() -> Row {
    let db = TestDatabase::create();
    // Created by the real store so the table, its keys and indexes are the same.
    drop(order_store::PostgresStore::open(db.url()).expect("create the schema"));
    let mut client = postgres::Client::connect(db.url(), postgres::NoTls).expect("connect");
    let insert = client
        .prepare(
            "INSERT INTO events (position, event_id, stream_id, version, type, schema_version,
                                 data, metadata, recorded_at)
             VALUES ($1, CAST($2::text AS uuid), $3, $4, $5, 1, $6, $7, $8)",
        )
        .expect("prepare");
    let now = "2026-01-01T10:00:00.000000Z";
    let data = r#"{"orderId":"raw","productId":"product-456","quantity":1,"price":"29.99"}"#;
    let metadata = format!(
        r#"{{"recordedAt":"{now}","moduleHash":"{}"}}"#,
        "0".repeat(64)
    );
    let commands = orders_for(1) * super::COMMANDS_PER_ORDER;
    let mut latencies = Vec::with_capacity(commands);
    let started = Instant::now();
    for n in 0..commands {
        let order = format!("raw-{}", n / super::COMMANDS_PER_ORDER);
        let version = (n % super::COMMANDS_PER_ORDER) as i64 + 1;
        let start = Instant::now();
        let mut tx = client.transaction().expect("begin");
        tx.execute(
            &insert,
            &[
                &(n as i64 + 1),
                &uuid::Uuid::now_v7().to_string(),
                &order,
                &version,
                &"ItemAdded",
                &data,
                &metadata,
                &now,
            ],
        )
        .expect("insert");
        tx.commit().expect("commit");
        latencies.push(start.elapsed());
    }
    Row {
        name: "raw PG, 1 INSERT/txn, c=1".into(),
        commands: latencies.len(),
        elapsed: started.elapsed(),
        latencies,
        cpu: None,
    }
}
