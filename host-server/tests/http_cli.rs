//! The maintenance subcommands on a database the server wrote: `rebuild-read-models`
//! equals the inline read model, `verify` is clean and catches a tampered read model,
//! `events` / `import` round-trip the log; plus the web demo served beside the API.

mod support;

use serde_json::{json, Value};
use support::{add_item, cli, cli_ok, create_order, Db, Server};

/// A history with every kind of event, through the API.
fn write_history(server: &Server) {
    for (i, customer) in ["c-1", "c-1", "c-2"].iter().enumerate() {
        let order = format!("o-{i}");
        create_order(server, &order, customer);
        add_item(server, &order, "a", 2, "0.10");
        add_item(server, &order, "b", 1, "0.20");
    }
    assert_eq!(server.delete("/orders/o-0/items/a?quantity=1").status, 200);
    assert_eq!(server.post_empty("/orders/o-1/place", &[]).status, 200);
    assert_eq!(
        server
            .post("/orders/o-2/cancel", json!({"reason": "r"}))
            .status,
        200
    );
}

/// The read model table as stored (the full view JSON per order).
fn read_model_rows(db: &Db) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(db.path()).unwrap();
    let mut statement = conn
        .prepare("SELECT id, view FROM rm_orders ORDER BY id")
        .unwrap();
    let rows = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows
}

#[test]
fn rebuild_verify_and_tampering() {
    let db = Db::new();
    let server = Server::start(&db);
    write_history(&server);
    let views_before: Vec<Value> = (0..3)
        .map(|i| server.get(&format!("/orders/o-{i}")).body)
        .collect();
    assert_eq!(views_before[0]["total"], "0.30");
    assert_eq!(server.terminate().code(), Some(0));
    let rows_before = read_model_rows(&db);
    assert_eq!(rows_before.len(), 3);

    let report = cli_ok(&db, &["verify"], None);
    assert!(
        report.contains("verified 3 streams, 12 events: 0 mismatches"),
        "{report}"
    );

    cli_ok(&db, &["rebuild-read-models"], None);
    assert_eq!(
        read_model_rows(&db),
        rows_before,
        "rebuilt read model equals the inline one"
    );

    // Tamper with one stored view: verify names it and fails.
    let conn = rusqlite::Connection::open(db.path()).unwrap();
    conn.execute(
        "UPDATE rm_orders SET view = json_set(view, '$.total', '999.99'), total = '999.99' WHERE id = ?1",
        ["o-1"],
    )
    .unwrap();
    drop(conn);
    let output = cli(&db, &["verify"], None);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("MISMATCH o-1"), "{stdout}");
    assert!(stdout.contains("1 mismatches"), "{stdout}");

    // A rebuild repairs it, and the server serves the repaired view.
    cli_ok(&db, &["rebuild-read-models"], None);
    assert!(cli_ok(&db, &["verify"], None).contains(": 0 mismatches"));
    assert_eq!(read_model_rows(&db), rows_before);
    let server = Server::start(&db);
    for (i, before) in views_before.iter().enumerate() {
        assert_eq!(&server.get(&format!("/orders/o-{i}")).body, before);
    }
}

#[test]
fn events_and_import_round_trip() {
    let source = Db::new();
    let server = Server::start(&source);
    write_history(&server);
    server.terminate();

    let dump = cli_ok(&source, &["events"], None);
    let lines: Vec<Value> = dump
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 12);
    let positions: Vec<u64> = lines
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect();
    assert_eq!(positions, (1..=12).collect::<Vec<_>>());
    let tail = cli_ok(&source, &["events", "--after", "10"], None);
    assert_eq!(tail.lines().count(), 2);

    let target = Db::new();
    let imported = support::cli(&target, &["import", "-"], Some(dump.as_bytes()));
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    assert!(String::from_utf8_lossy(&imported.stderr).contains("imported 12 events"));
    assert_eq!(
        cli_ok(&target, &["events"], None),
        dump,
        "same log, same positions"
    );
    assert_eq!(
        read_model_rows(&target),
        read_model_rows(&source),
        "read model follows the import"
    );
    assert!(cli_ok(&target, &["verify"], None).contains(": 0 mismatches"));

    // Importing the same log again breaks stream continuity: refused, nothing written.
    let again = support::cli(&target, &["import", "-"], Some(dump.as_bytes()));
    assert!(!again.status.success());
    assert_eq!(cli_ok(&target, &["events"], None).lines().count(), 12);
    // A malformed line is named.
    let bad = support::cli(&target, &["import", "-"], Some(b"{\"nope\": 1}\n"));
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("line 1"));
}

#[test]
fn serves_the_web_demo_behind_the_api() {
    let db = Db::new();
    let web = db.dir.path().join("web");
    std::fs::create_dir_all(web.join("pkg")).unwrap();
    std::fs::write(web.join("index.html"), "<h1>orders demo</h1>").unwrap();
    std::fs::write(web.join("pkg/app.js"), "export const ok = 1;").unwrap();
    let server = Server::start_with(&db, &["--web-dir", web.to_str().unwrap()]);

    let index = server.get("/");
    assert_eq!(index.status, 200);
    assert!(index.text.contains("orders demo"));
    assert!(server.get("/pkg/app.js").text.contains("ok = 1"));
    // API routes take precedence; misses are JSON 404s.
    assert_eq!(server.get("/health").body["status"], "ok");
    let missing = server.get("/pkg/missing.js");
    assert_eq!((missing.status, missing.code()), (404, "not_found"));
}

#[test]
fn serves_the_demo_built_into_the_binary_from_any_directory() {
    // The server runs in the database's temporary directory: no web-demo/ beside it.
    let db = Db::new();
    let server = Server::start(&db);
    let index = server.get("/");
    assert_eq!(index.status, 200);
    assert_eq!(
        index.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(index.text.contains("<title>Orders"), "{}", index.text);
    let script = server.get("/js/main.js");
    assert_eq!(script.status, 200);
    assert!(script
        .header("content-type")
        .unwrap()
        .starts_with("text/javascript"));
    for outside in ["/package.json", "/test/harness.mjs", "/README.md"] {
        let refused = server.get(outside);
        assert_eq!(
            (refused.status, refused.code()),
            (404, "not_found"),
            "{outside}"
        );
    }
    assert_eq!(server.get("/health").body["status"], "ok");
}
