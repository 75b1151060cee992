//! The real server binary on PostgreSQL: `--db postgres://...` on a fresh database per test
//! (dropped afterwards; an unreachable server fails the test). The seed lifecycle over HTTP,
//! the CLI maintenance commands, `/health` while the database refuses connections, and the
//! URL that used to become a local folder.

mod support;

use serde_json::{json, Value};
use support::{add_item, cli, cli_ok, create_order, Db, Server, BIN};

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[test]
fn the_seed_lifecycle_on_postgres() {
    let db = Db::postgres();
    let server = Server::start(&db);
    let created = server.post("/orders", json!({"customerId": "c-1", "orderId": "o-1"}));
    assert_eq!(
        (created.status, created.body.clone()),
        (201, json!({"orderId": "o-1", "version": 1}))
    );
    add_item(&server, "o-1", "product-456", 2, "29.99");
    let added = server.post(
        "/orders/o-1/items",
        json!({"productId": "product-789", "quantity": 1, "price": 49.99}),
    );
    assert_eq!(added.body, json!({"orderId": "o-1", "version": 3}));
    let placed = server.post("/orders/o-1/place", json!({}));
    assert_eq!(placed.status, 200, "{}", placed.text);
    let view = server.get("/orders/o-1");
    assert_eq!(view.status, 200);
    assert_eq!(view.body["total"], "109.97");
    assert_eq!(view.body["status"], "placed");
    assert_eq!(view.body["version"], 4);
    let events = server.get("/events?after=0&limit=3").body;
    let positions: Vec<_> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["position"].clone())
        .collect();
    assert_eq!(positions, [json!(1), json!(2), json!(3)]);
    // Idempotency and conflicts answer as on SQLite.
    let first = server.post(
        "/orders",
        json!({"customerId": "c-2", "orderId": "o-2", "commandId": "k-1"}),
    );
    let again = server.post(
        "/orders",
        json!({"customerId": "c-2", "orderId": "o-2", "commandId": "k-1"}),
    );
    assert_eq!((first.status, &first.body), (again.status, &again.body));
    let stale = server.post_with("/orders/o-1/cancel", json!({}), &[("If-Match", "2")]);
    assert_eq!((stale.status, stale.code()), (409, "concurrency_conflict"));
    let listed = server.get("/orders?customerId=c-1").body;
    assert_eq!(listed["orders"][0]["id"], "o-1");
    let health = server.get("/health");
    assert_eq!(
        (health.status, &health.body["lastPosition"]),
        (200, &json!(5))
    );
    let status = server.terminate();
    let logs: Vec<String> = std::fs::read_dir(db.dir.path())
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default())
        .collect();
    assert_eq!(status.code(), Some(0), "{logs:?}");
}

#[test]
fn events_verify_rebuild_and_import_work_on_postgres() {
    let db = Db::postgres();
    {
        let server = Server::start(&db);
        create_order(&server, "o-1", "c-1");
        add_item(&server, "o-1", "p", 2, "0.10");
        create_order(&server, "o-2", "c-1");
        assert_eq!(server.terminate().code(), Some(0));
    }
    let exported = cli_ok(&db, &["events"], None);
    assert_eq!(lines(&exported).len(), 3);
    assert!(cli_ok(&db, &["verify"], None).contains("3 events: 0 mismatches"));
    let rebuilt = cli(&db, &["rebuild-read-models"], None);
    assert!(rebuilt.status.success());
    // The exported log imported into an empty SQLite file and another PostgreSQL database
    // reads back identically from both.
    for target in [Db::new(), Db::postgres()] {
        let stderr = cli_ok(&target, &["import", "-"], Some(exported.as_bytes()));
        assert_eq!(cli_ok(&target, &["events"], None), exported, "{stderr}");
        assert!(cli_ok(&target, &["verify"], None).contains("0 mismatches"));
    }
}

#[test]
fn health_says_the_database_is_unavailable_while_it_refuses_connections() {
    let db = Db::postgres();
    let server = Server::start(&db);
    create_order(&server, "o-1", "c-1");
    assert_eq!(server.get("/health").status, 200);
    let name = db.url().unwrap().rsplit('/').next().unwrap().to_string();
    let mut admin = postgres::Client::connect(
        &order_store::postgres::testing::admin_url(),
        postgres::NoTls,
    )
    .unwrap();
    admin
        .batch_execute(&format!(
            "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .unwrap();
    let health = server.get("/health");
    assert_eq!(
        (health.status, health.code()),
        (503, "database_unavailable"),
        "{}",
        health.text
    );
    let refused = server.post("/orders", json!({"customerId": "c-1", "orderId": "o-2"}));
    assert_eq!(
        (refused.status, refused.code()),
        (503, "database_unavailable"),
        "{}",
        refused.text
    );
    admin
        .batch_execute(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"))
        .unwrap();
    // Both the read pool and the writer reconnect by themselves.
    assert_eq!(server.get("/health").status, 200);
    create_order(&server, "o-2", "c-1");
    assert_eq!(server.get("/orders/o-2").status, 200);
    assert_eq!(server.terminate().code(), Some(0));
}

#[test]
fn a_postgres_url_never_becomes_a_local_folder() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(BIN)
        .args(["events", "--db", "postgresql://root@127.0.0.1:1/nowhere"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot reach PostgreSQL at 127.0.0.1:1/nowhere"),
        "{stderr}"
    );
    let output = std::process::Command::new(BIN)
        .args(["events", "--db", "mysql://h/db"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a supported database"));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing created in the working directory"
    );
}

/// Every column of every event row of an SQLite file, in position order.
fn sqlite_rows(path: &std::path::Path) -> Vec<Vec<String>> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut select = conn
        .prepare(
            "SELECT position, event_id, stream_id, version, type, schema_version, data, metadata, \
             recorded_at FROM events ORDER BY position",
        )
        .unwrap();
    select
        .query_map([], |r| {
            (0..9)
                .map(|i| {
                    r.get::<_, rusqlite::types::Value>(i)
                        .map(|v| format!("{v:?}"))
                })
                .collect()
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn migrate(from: &str, to: &str) -> std::process::Output {
    std::process::Command::new(BIN)
        .args(["migrate", "--from", from, "--to", to])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

#[test]
fn migrate_sqlite_to_postgres_and_back_gives_an_identical_log() {
    let original = Db::new();
    // An old-schema payload (ItemAdded v1 in cents) must cross unchanged, not upcast.
    let old = r#"{"eventId":"00000000-0000-0000-0000-000000000001","streamId":"old","version":1,"type":"OrderCreated","schemaVersion":1,"data":{"orderId":"old","customerId":"c-9","createdAt":"2025-01-01T09:00:00Z"},"metadata":{"recordedAt":"2025-01-01T09:00:00Z","commandId":"k-old"}}
{"eventId":"00000000-0000-0000-0000-000000000002","streamId":"old","version":2,"type":"ItemAdded","schemaVersion":1,"data":{"orderId":"old","productId":"p","quantity":2,"unitPriceCents":2999},"metadata":{"recordedAt":"2025-01-01T09:01:00Z"}}
"#;
    cli_ok(&original, &["import", "-"], Some(old.as_bytes()));
    {
        let server = Server::start(&original);
        create_order(&server, "o-1", "c-1");
        add_item(&server, "o-1", "product-456", 2, "29.99");
        add_item(&server, "o-1", "product-789", 1, "49.99");
        assert_eq!(server.post("/orders/o-1/place", json!({})).status, 200);
        assert_eq!(server.terminate().code(), Some(0));
    }
    let pg = Db::postgres();
    let back = Db::new();
    let (sqlite_a, url, sqlite_b) = (
        original.path().display().to_string(),
        pg.url().unwrap().to_string(),
        back.path().display().to_string(),
    );
    let there = migrate(&sqlite_a, &url);
    assert!(there.status.success(), "{there:?}");
    assert!(String::from_utf8_lossy(&there.stdout).contains("migrated 6 events"));
    let home = migrate(&url, &sqlite_b);
    assert!(home.status.success(), "{home:?}");
    assert!(String::from_utf8_lossy(&home.stdout).contains("migrated 6 events"));
    assert_eq!(sqlite_rows(&original.path()), sqlite_rows(&back.path()));
    assert_eq!(
        cli_ok(&back, &["events"], None),
        cli_ok(&pg, &["events"], None)
    );
    assert!(cli_ok(&pg, &["verify"], None).contains("0 mismatches"));
    assert!(cli_ok(&back, &["verify"], None).contains("0 mismatches"));
    // Copying into a database that holds events is refused, and changes nothing.
    let refused = migrate(&sqlite_a, &url);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("already holds 6 events"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
