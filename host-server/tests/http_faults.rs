//! Regression tests for the faults found in review (issue 10), against the real binary:
//! client mistakes that used to answer 500, numbers read through f64, transient failures
//! reported as final rejections, envelopes without a command id, readiness, and metrics
//! that were empty until the first command.

mod support;

use serde_json::{json, Value};
use support::{create_order, Db, Server};

#[test]
fn numbers_the_guest_could_not_decode_are_client_mistakes_not_server_errors() {
    let db = Db::new();
    let server = Server::start(&db);
    create_order(&server, "o-1", "c-1");
    // Past i64, past u64, a huge exponent, negative zero: all well-formed JSON numbers.
    for quantity in [
        "9223372036854775808",
        "18446744073709551616",
        "1e400",
        "-0",
        "2.000000000000000001",
    ] {
        let body = format!(r#"{{"productId":"p","quantity":{quantity},"price":"1.00"}}"#);
        let reply = server.post_raw("/orders/o-1/items", body.as_bytes());
        assert_eq!(reply.status, 422, "quantity {quantity}: {}", reply.text);
        assert_eq!(reply.code(), "invalid_quantity", "quantity {quantity}");
    }
    let synced = server.post_raw(
        "/commands",
        br#"[{"commandId":"k-1","type":"AddItem","orderId":"o-1","productId":"p","quantity":9223372036854775808,"price":"1.00"}]"#,
    );
    assert_eq!(synced.status, 200, "{}", synced.text);
    assert_eq!(synced.body[0]["accepted"], false);
    assert_eq!(synced.body[0]["error"]["code"], "invalid_quantity");
    assert_eq!(
        synced.body[0]["retryable"], false,
        "a rule violation is final"
    );
    let removed = server.delete("/orders/o-1/items/p?quantity=9223372036854775808");
    assert!(removed.status < 500, "{}", removed.text);
}

#[test]
fn a_price_is_read_from_its_exact_text_not_through_f64() {
    let db = Db::new();
    let server = Server::start(&db);
    create_order(&server, "o-1", "c-1");
    let reply = server.post_raw(
        "/orders/o-1/items",
        br#"{"productId":"p","quantity":1,"price":12.340000000000000001}"#,
    );
    assert_eq!(reply.status, 422, "{}", reply.text);
    assert_eq!(reply.code(), "invalid_price");
    let exact = server.post_raw(
        "/orders/o-1/items",
        br#"{"productId":"p","quantity":2.0,"price":12.340}"#,
    );
    assert_eq!(exact.status, 200, "{}", exact.text);
    assert_eq!(server.get("/orders/o-1").body["total"], "24.68");
}

#[test]
fn every_event_names_its_command_and_correlation_even_without_a_client_id() {
    let db = Db::new();
    let server = Server::start(&db);
    let created = server.post("/orders", json!({"customerId": "c-1"}));
    assert_eq!(created.status, 201);
    let order = created.body["orderId"].as_str().unwrap().to_string();
    let events = server.events_of(&order);
    let metadata = &events[0]["metadata"];
    let command_id = metadata["commandId"].as_str().expect("a command id");
    assert!(!command_id.is_empty());
    assert_eq!(metadata["correlationId"], metadata["commandId"]);
    // A client's own ids are kept as given.
    server.post_with(
        &format!("/orders/{order}/items"),
        json!({"productId": "p", "quantity": 1, "price": "1.00", "commandId": "mine"}),
        &[("x-correlation-id", "flow-7")],
    );
    let events = server.events_of(&order);
    assert_eq!(events[1]["metadata"]["commandId"], "mine");
}

#[test]
fn health_reports_the_writer_and_the_store() {
    let db = Db::new();
    let server = Server::start(&db);
    let health = server.get("/health");
    assert_eq!(health.status, 200, "{}", health.text);
    assert_eq!(health.body["status"], "ok");
    assert_eq!(health.body["writer"]["status"], "running");
    assert_eq!(health.body["writer"]["restarts"], 0);
    assert_eq!(health.body["store"]["status"], "ok");
}

#[test]
fn metrics_expose_every_series_before_the_first_command() {
    let db = Db::new();
    let server = Server::start(&db);
    let text = server.get("/metrics").text;
    for series in [
        "orders_commands_total{",
        "orders_events_written_total",
        "orders_write_batch_commands",
        "orders_command_duration_seconds",
        "orders_writer_running 1",
        "orders_writer_restarts_total 0",
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
    ] {
        assert!(text.contains(series), "missing {series} in:\n{text}");
    }
    server.get("/orders/missing");
    let text = server.get("/metrics").text;
    let requests: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .collect();
    assert!(
        requests
            .iter()
            .any(|l| l.contains(r#"route="/orders/{id}""#) && l.contains(r#"status="404""#)),
        "requests by route and status: {requests:?}"
    );
    assert!(text.contains("http_request_duration_seconds_bucket{"));
}

/// Another connection holds the write lock longer than the busy timeout: the command is
/// answered 503 with Retry-After (not 500, not a hang), and works once the lock is gone.
#[test]
fn a_locked_database_answers_503_with_retry_after_and_recovers() {
    let db = Db::new();
    let server = Server::start_with(&db, &["--busy-timeout-ms", "200"]);
    create_order(&server, "o-1", "c-1");
    let locker = rusqlite::Connection::open(db.path()).unwrap();
    locker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = std::time::Instant::now();
    let reply = server.post("/orders", json!({"orderId": "o-2", "customerId": "c"}));
    assert_eq!(reply.status, 503, "{}", reply.text);
    assert_eq!(reply.code(), "store_busy");
    assert_eq!(reply.header("retry-after"), Some("1"));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "no hang"
    );
    let synced = server.post(
        "/commands",
        json!([{"commandId": "k-1", "type": "CreateOrder", "orderId": "o-3", "customerId": "c"}]),
    );
    assert_eq!(synced.body[0]["accepted"], false);
    assert_eq!(synced.body[0]["retryable"], true, "{}", synced.text);
    // Reads go on meanwhile.
    assert_eq!(server.get("/orders/o-1").status, 200);
    locker.execute_batch("ROLLBACK").unwrap();
    let retried = server.post("/orders", json!({"orderId": "o-2", "customerId": "c"}));
    assert_eq!(retried.status, 201, "{}", retried.text);
    let orders: Value = server.get("/events?after=0").body;
    assert_eq!(
        orders.as_array().unwrap().len(),
        2,
        "nothing of the failed batches landed"
    );
}
