//! The HTTP contract of DESIGN.md, route by route, against the real binary.

mod support;

use serde_json::{json, Value};
use support::{add_item, create_order, encode, Db, Server};

fn positions(events: &[Value]) -> Vec<u64> {
    events
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect()
}

/// Announces an oversized body with `Expect: 100-continue`, as careful clients do, and sends
/// no body byte: the server must refuse from the Content-Length alone. (A client that streams
/// the whole body races the early 413: its connection may be reset before it reads the
/// answer, which made a test that did so flaky.)
fn post_oversized(server: &Server, path: &str, length: usize) -> (u16, Value) {
    use std::io::{Read, Write};
    let base = server.url("");
    let addr = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
    )
    .expect("send headers");
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .expect("the server answers and closes without asking for the body");
    let text = String::from_utf8_lossy(&raw);
    let (head, payload) = text.split_once("\r\n\r\n").expect("a complete response");
    assert!(
        !head.starts_with("HTTP/1.1 100"),
        "the server asked for the body: {head}"
    );
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let payload = if chunked {
        // size line, chunk, ... , "0"; every body here is a single small chunk.
        payload.split("\r\n").nth(1).unwrap_or_default().to_string()
    } else {
        payload.to_string()
    };
    (
        status,
        serde_json::from_str(&payload).unwrap_or(Value::Null),
    )
}

fn last_position(server: &Server) -> u64 {
    server.get("/health").body["lastPosition"].as_u64().unwrap()
}

#[test]
fn order_lifecycle_through_every_command_route() {
    let db = Db::new();
    let server = Server::start(&db);

    // Create without an id: 201 with a generated UUID v7.
    let created = server.post("/orders", json!({"customerId": "c-1"}));
    assert_eq!(created.status, 201, "{}", created.text);
    let generated = created.body["orderId"].as_str().unwrap();
    let uuid = uuid::Uuid::parse_str(generated).expect("orderId is a UUID");
    assert_eq!(uuid.get_version_num(), 7);
    assert_eq!(created.body["version"], 1);

    // The seed example: 2 x 29.99 (decimal string) + 1 x 49.99 (JSON number) = 109.97.
    let created = server.post_with(
        "/orders",
        json!({"customerId": "c-1", "orderId": "o-life"}),
        &[("X-Actor", "alice")],
    );
    assert_eq!(
        (created.status, created.body.clone()),
        (201, json!({"orderId": "o-life", "version": 1}))
    );
    let added = server.post(
        "/orders/o-life/items",
        json!({"productId": "product-456", "quantity": 2, "price": "29.99"}),
    );
    assert_eq!(
        (added.status, added.body.clone()),
        (200, json!({"orderId": "o-life", "version": 2}))
    );
    let added = server.post(
        "/orders/o-life/items",
        json!({"productId": "product-789", "quantity": 3, "price": 49.99}),
    );
    assert_eq!(added.body["version"], 3);
    let view = server.get("/orders/o-life");
    assert_eq!(view.status, 200);
    assert_eq!(view.body["total"], "209.95");
    assert_eq!(view.body["createdBy"], "alice");
    assert_eq!(view.body["status"], "draft");

    // Remove part of a line, then the whole of another... and put it back.
    let removed = server.delete("/orders/o-life/items/product-789?quantity=2");
    assert_eq!(
        (removed.status, removed.body["version"].clone()),
        (200, json!(4))
    );
    let view = server.get("/orders/o-life").body;
    assert_eq!(view["total"], "109.97", "2 x 29.99 + 1 x 49.99");
    assert_eq!(
        view["items"],
        json!([
            {"productId": "product-456", "quantity": 2, "price": "29.99"},
            {"productId": "product-789", "quantity": 1, "price": "49.99"}
        ])
    );

    let placed = server.post_empty("/orders/o-life/place", &[]);
    assert_eq!(
        (placed.status, placed.body.clone()),
        (200, json!({"orderId": "o-life", "version": 5}))
    );
    // Placing again is an idempotent no-op: success, same version, no event.
    let again = server.post_empty("/orders/o-life/place", &[]);
    assert_eq!(
        (again.status, again.body["version"].clone()),
        (200, json!(5))
    );
    let view = server.get("/orders/o-life").body;
    assert_eq!(view["status"], "placed");
    assert!(view["placedAt"].is_string());

    let cancelled = server.post(
        "/orders/o-life/cancel",
        json!({"reason": "changed my mind"}),
    );
    assert_eq!(
        (cancelled.status, cancelled.body["version"].clone()),
        (200, json!(6))
    );
    let view = server.get("/orders/o-life").body;
    assert_eq!(view["status"], "cancelled");
    assert_eq!(view["cancelReason"], "changed my mind");

    let events = server.events_of("o-life");
    let types: Vec<_> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "OrderCreated",
            "ItemAdded",
            "ItemAdded",
            "ItemRemoved",
            "OrderPlaced",
            "OrderCancelled"
        ]
    );
    let versions: Vec<_> = events
        .iter()
        .map(|e| e["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [1, 2, 3, 4, 5, 6]);
    for event in &events {
        assert_eq!(event["streamId"], "o-life");
        let hash = event["metadata"]["moduleHash"]
            .as_str()
            .expect("moduleHash recorded");
        assert_eq!(hash.len(), 64, "sha256 hex");
    }
    assert_eq!(events[0]["metadata"]["actor"], "alice");
    assert!(
        events[1]["metadata"]["actor"].is_null(),
        "no X-Actor, no actor"
    );
    assert_eq!(events[4]["data"]["total"], "109.97");

    // Temporal queries: as of a version, and as of a moment (inclusive).
    let v2 = server.get("/orders/o-life?version=2").body;
    assert_eq!(
        (v2["version"].clone(), v2["total"].clone()),
        (json!(2), json!("59.98"))
    );
    let at = events[2]["metadata"]["recordedAt"].as_str().unwrap();
    let v3 = server.get(&format!("/orders/o-life?at={}", encode(at)));
    assert_eq!(v3.status, 200, "{}", v3.text);
    assert_eq!(
        v3.body["version"], 3,
        "?at= includes the event recorded at that instant"
    );
    let before = server.get("/orders/o-life?at=2000-01-01T00:00:00Z");
    assert_eq!((before.status, before.code()), (404, "order_not_found"));
    assert_eq!(server.get("/orders/o-life?version=0").status, 404);
    assert_eq!(server.get("/orders/o-life?version=99").body["version"], 6);
}

#[test]
fn bad_input_gets_4xx_with_the_error_body() {
    let db = Db::new();
    let server = Server::start(&db);
    create_order(&server, "o-bad", "c-1");
    add_item(&server, "o-bad", "p", 1, "1.00");

    // Right type, broken rule: 422 with the core's code.
    for (quantity, price, code) in [
        (json!(0), json!("1.00"), "invalid_quantity"),
        (json!(-1), json!("1.00"), "invalid_quantity"),
        (json!(1.5), json!("1.00"), "invalid_quantity"),
        (json!(1), json!(-1), "invalid_price"),
        (json!(1), json!(0.001), "invalid_price"),
        (json!(1), json!("0.001"), "invalid_price"),
        (json!(1), json!("abc"), "invalid_price"),
    ] {
        let reply = server.post(
            "/orders/o-bad/items",
            json!({"productId": "x", "quantity": quantity, "price": price}),
        );
        assert_eq!(
            (reply.status, reply.code()),
            (422, code),
            "quantity {quantity}, price {price}: {}",
            reply.text
        );
        assert!(!reply.body["error"]["message"].as_str().unwrap().is_empty());
    }
    let mismatch = server.post(
        "/orders/o-bad/items",
        json!({"productId": "p", "quantity": 1, "price": "2.00"}),
    );
    assert_eq!((mismatch.status, mismatch.code()), (422, "price_mismatch"));

    // Not JSON at all: 400 invalid_json.
    for body in [&b"{\"productId\": \"x\", "[..], b"not json", b"{]"] {
        let reply = server.post_raw("/orders/o-bad/items", body);
        assert_eq!(
            (reply.status, reply.code()),
            (400, "invalid_json"),
            "{}",
            reply.text
        );
    }
    let empty = server.post_raw("/orders", b"");
    assert_eq!(empty.status, 400, "{}", empty.text);
    // JSON of the wrong shape: 400 invalid_input naming the problem.
    let missing = server.post(
        "/orders/o-bad/items",
        json!({"productId": "x", "price": "1.00"}),
    );
    assert_eq!((missing.status, missing.code()), (400, "invalid_input"));
    assert!(missing.text.contains("quantity"), "{}", missing.text);
    let missing_customer = server.post("/orders", json!({"orderId": "o-x"}));
    assert_eq!(
        (missing_customer.status, missing_customer.code()),
        (400, "invalid_input")
    );
    assert!(
        missing_customer.text.contains("customerId"),
        "{}",
        missing_customer.text
    );
    let wrong_type = server.post(
        "/orders/o-bad/items",
        json!({"productId": "x", "quantity": "two", "price": "1.00"}),
    );
    assert_eq!(
        (wrong_type.status, wrong_type.code()),
        (400, "invalid_input")
    );
    let array = server.post("/orders", json!([1, 2]));
    assert_eq!((array.status, array.code()), (400, "invalid_input"));
    let bad_version = server.post("/orders/o-bad/place", json!({"expectedVersion": "latest"}));
    assert_eq!(
        (bad_version.status, bad_version.code()),
        (400, "invalid_input")
    );

    // Query values.
    let reply = server.delete("/orders/o-bad/items/p?quantity=abc");
    assert_eq!((reply.status, reply.code()), (400, "invalid_input"));
    let reply = server.delete("/orders/o-bad/items/p?quantity=0");
    assert_eq!((reply.status, reply.code()), (422, "invalid_quantity"));
    let reply = server.delete("/orders/o-bad/items/nope");
    assert_eq!((reply.status, reply.code()), (422, "item_not_found"));
    for path in [
        "/orders/o-bad?version=abc",
        "/orders/o-bad?version=-1",
        "/orders/o-bad?at=yesterday",
        "/orders/o-bad?version=1&at=2026-01-01T00:00:00Z",
        "/events?after=abc",
        "/events?limit=0",
        "/events?limit=1001",
        "/orders",
        "/orders?customerId=c-1&limit=x",
    ] {
        let reply = server.get(path);
        assert_eq!(
            (reply.status, reply.code()),
            (400, "invalid_input"),
            "{path}: {}",
            reply.text
        );
    }

    // Unknown orders and routes: 404.
    for reply in [
        server.get("/orders/nope"),
        server.get("/orders/nope/events"),
        server.post(
            "/orders/nope/items",
            json!({"productId": "p", "quantity": 1, "price": "1.00"}),
        ),
        server.post_empty("/orders/nope/place", &[]),
        server.post_empty("/orders/nope/cancel", &[]),
        server.delete("/orders/nope/items/p"),
    ] {
        assert_eq!(
            (reply.status, reply.code()),
            (404, "order_not_found"),
            "{}",
            reply.text
        );
    }
    let unknown = server.get("/no/such/route");
    assert_eq!((unknown.status, unknown.code()), (404, "not_found"));
    let method = server.put_empty("/orders");
    assert_eq!((method.status, method.code()), (405, "method_not_allowed"));

    // Bodies over 1 MiB: 413, JSON body, refused from the Content-Length alone.
    let (status, body) = post_oversized(&server, "/orders", (1 << 20) + 1);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    // Just under the limit is read (and judged by the rules, not refused for its size).
    let mut large = br#"{"customerId": "c", "padding": ""#.to_vec();
    large.extend(std::iter::repeat_n(b'a', (1 << 20) - 100));
    large.extend(br#""}"#);
    assert_eq!(server.post_raw("/orders", &large).status, 201);

    // Nothing above was a server error, and the server still answers.
    assert_eq!(server.get("/health").status, 200);
    assert_eq!(
        server.events_of("o-bad").len(),
        2,
        "rejected commands wrote nothing"
    );
}

#[test]
fn idempotency_keys_and_expected_versions() {
    let db = Db::new();
    let server = Server::start(&db);

    // Create without orderId, retried with the same Idempotency-Key: same answer, one order.
    let key = [("Idempotency-Key", "create-1")];
    let first = server.post_with("/orders", json!({"customerId": "c-idem"}), &key);
    assert_eq!(first.status, 201);
    let before = last_position(&server);
    let retry = server.post_with("/orders", json!({"customerId": "c-idem"}), &key);
    assert_eq!(
        (retry.status, &retry.body),
        (201, &first.body),
        "replay answers the first response"
    );
    assert_eq!(last_position(&server), before, "a replay writes nothing");
    let orders = server.get("/orders?customerId=c-idem").body;
    assert_eq!(orders["orders"].as_array().unwrap().len(), 1);
    let order_id = first.body["orderId"].as_str().unwrap().to_string();

    // commandId in the body works the same; the replay keeps the first version even after
    // the order moved on.
    let add = json!({"productId": "p", "quantity": 1, "price": "1.00", "commandId": "add-1"});
    let path = format!("/orders/{order_id}/items");
    let first_add = server.post(&path, add.clone());
    assert_eq!(first_add.body["version"], 2);
    add_item(&server, &order_id, "q", 1, "2.00");
    let before = last_position(&server);
    let replay = server.post(&path, add);
    assert_eq!((replay.status, &replay.body), (200, &first_add.body));
    assert_eq!(last_position(&server), before);
    assert_eq!(server.events_of(&order_id).len(), 3);

    // The same key for a different command is refused.
    let reused = server.post(
        &path,
        json!({"productId": "other", "quantity": 1, "price": "1.00", "commandId": "add-1"}),
    );
    assert_eq!(
        (reused.status, reused.code()),
        (422, "idempotency_key_reused")
    );
    // Header and body naming different keys is a malformed request.
    let disagree = server.post_with(
        &path,
        json!({"productId": "z", "quantity": 1, "price": "1.00", "commandId": "a"}),
        &[("Idempotency-Key", "b")],
    );
    assert_eq!((disagree.status, disagree.code()), (400, "invalid_input"));

    // Optimistic concurrency: If-Match as a bare or quoted version, or expectedVersion.
    let stale = server.post_with(
        &path,
        json!({"productId": "r", "quantity": 1, "price": "1.00"}),
        &[("If-Match", "2")],
    );
    assert_eq!((stale.status, stale.code()), (409, "concurrency_conflict"));
    let stale_body = server.post_empty(&format!("/orders/{order_id}/place"), &[]);
    assert_eq!(stale_body.status, 200, "no expectation, no conflict");
    let stale_field = server.post(
        &format!("/orders/{order_id}/cancel"),
        json!({"expectedVersion": 3}),
    );
    assert_eq!(
        (stale_field.status, stale_field.code()),
        (409, "concurrency_conflict")
    );
    let fresh = server.post_with(
        &format!("/orders/{order_id}/cancel"),
        json!({}),
        &[("If-Match", "\"4\"")],
    );
    assert_eq!(
        (fresh.status, fresh.body["version"].clone()),
        (200, json!(5))
    );
    let garbage = server.post_with(
        &format!("/orders/{order_id}/cancel"),
        json!({}),
        &[("If-Match", "soon")],
    );
    assert_eq!((garbage.status, garbage.code()), (400, "invalid_input"));
    assert_eq!(
        server.events_of(&order_id).len(),
        5,
        "conflicts wrote nothing"
    );
}

#[test]
fn feeds_paging_sync_health_and_metrics() {
    let db = Db::new();
    let server = Server::start(&db);

    // Five orders for one customer (and one for another), created concurrently so that the
    // writer groups them; then paged two at a time.
    std::thread::scope(|scope| {
        for i in 0..5 {
            let server = &server;
            scope.spawn(move || create_order(server, &format!("o-page-{i}"), "c-page"));
        }
    });
    create_order(&server, "o-other", "c-other");

    let all = server.get("/events?after=0&limit=3");
    assert_eq!(all.status, 200);
    assert_eq!(positions(all.body.as_array().unwrap()), [1, 2, 3]);
    let rest = server.get("/events?after=3").body;
    assert_eq!(positions(rest.as_array().unwrap()), [4, 5, 6]);
    assert_eq!(server.get("/events?after=6").body, json!([]));

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let query = match &after {
            Some(cursor) => format!("/orders?customerId=c-page&limit=2&after={}", encode(cursor)),
            None => "/orders?customerId=c-page&limit=2".to_string(),
        };
        let page = server.get(&query);
        assert_eq!(page.status, 200, "{}", page.text);
        pages += 1;
        let orders = page.body["orders"].as_array().unwrap();
        assert!(orders.len() <= 2);
        for order in orders {
            assert_eq!(order["customerId"], "c-page");
            seen.push(order["id"].as_str().unwrap().to_string());
        }
        match page.body["nextCursor"].as_str() {
            Some(cursor) => after = Some(cursor.to_string()),
            None => break,
        }
        assert!(pages < 10, "paging does not terminate");
    }
    let mut expected: Vec<String> = (0..5).map(|i| format!("o-page-{i}")).collect();
    let mut sorted = seen.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected, "every order exactly once");
    assert_eq!(pages, 3);
    let none = server.get("/orders?customerId=nobody").body;
    assert_eq!(none["orders"], json!([]));
    assert!(none["nextCursor"].is_null());

    // Offline sync: one outcome per command, in order; rejections carry the core's code.
    let batch = json!([
        {"commandId": "s-1", "type": "CreateOrder", "orderId": "o-sync", "customerId": "c-s"},
        {"commandId": "s-2", "type": "AddItem", "orderId": "o-sync", "productId": "p", "quantity": 2, "price": "0.10"},
        {"commandId": "s-3", "type": "AddItem", "orderId": "o-sync", "productId": "q", "quantity": 0, "price": "1.00"},
        {"commandId": "s-4", "type": "PlaceOrder", "orderId": "o-sync", "expectedVersion": 1},
        {"commandId": "s-5", "type": "PlaceOrder", "orderId": "o-sync"},
        {"commandId": "s-6", "type": "Teleport", "orderId": "o-sync"},
        {"type": "PlaceOrder", "orderId": "o-sync"},
        {"commandId": "s-8", "type": "AddItem", "orderId": "o-sync", "productId": "p", "quantity": 1, "price": "0.10"}
    ]);
    let reply = server.post("/commands", batch.clone());
    assert_eq!(reply.status, 200, "{}", reply.text);
    let outcomes = reply.body.as_array().unwrap();
    assert_eq!(outcomes.len(), 8);
    let start = last_position(&server) - 3; // three events were written by s-1, s-2, s-5
    assert_eq!(
        outcomes[0],
        json!({"commandId": "s-1", "accepted": true, "orderId": "o-sync", "version": 1, "positions": [start + 1]})
    );
    assert_eq!(outcomes[1]["positions"], json!([start + 2]));
    assert_eq!(outcomes[1]["version"], 2);
    let codes: Vec<_> = outcomes
        .iter()
        .map(|o| match o["accepted"].as_bool().unwrap() {
            true => "accepted".to_string(),
            false => o["error"]["code"].as_str().unwrap().to_string(),
        })
        .collect();
    assert_eq!(
        codes,
        [
            "accepted",
            "accepted",
            "invalid_quantity",
            "concurrency_conflict",
            "accepted",
            "invalid_input",
            "invalid_input",
            "order_not_draft"
        ]
    );
    assert_eq!(outcomes[2]["commandId"], "s-3");
    assert!(outcomes[6]["commandId"].is_null());
    assert_eq!(server.get("/orders/o-sync").body["total"], "0.20");
    // Replaying the whole batch (the client retrying after a lost reply) writes nothing and
    // answers the accepted commands the same.
    let before = last_position(&server);
    let replay = server.post("/commands", batch).body;
    assert_eq!(last_position(&server), before);
    for i in [0, 1, 4] {
        assert_eq!(replay[i], outcomes[i], "outcome {i} replayed");
    }
    let not_array = server.post("/commands", json!({"type": "PlaceOrder"}));
    assert_eq!((not_array.status, not_array.code()), (400, "invalid_input"));
    assert_eq!(server.post("/commands", json!([])).body, json!([]));
    // A per-command actor wins over the X-Actor header: one request can carry commands
    // queued by different people.
    let mixed = server.post_with(
        "/commands",
        json!([
            {"commandId": "a-1", "type": "CreateOrder", "orderId": "o-actors", "customerId": "c-a", "actor": "bob"},
            {"commandId": "a-2", "type": "CancelOrder", "orderId": "o-actors"}
        ]),
        &[("x-actor", "carol")],
    );
    assert_eq!(mixed.status, 200, "{}", mixed.text);
    let events = server.events_of("o-actors");
    assert_eq!(events[0]["metadata"]["actor"], "bob");
    assert_eq!(events[0]["data"]["createdBy"], "bob");
    assert_eq!(events[1]["metadata"]["actor"], "carol");
    let bad_actor = server.post(
        "/commands",
        json!([{"commandId": "a-3", "type": "PlaceOrder", "orderId": "o-actors", "actor": 7}]),
    );
    assert_eq!(bad_actor.body[0]["error"]["code"], "invalid_input");
    // (o-actors is the 8th order created in this test; the metrics below count it.)

    // Operations.
    let health = server.get("/health");
    assert_eq!(health.status, 200);
    assert_eq!(health.body["status"], "ok");
    assert_eq!(health.body["moduleHash"].as_str().unwrap().len(), 64);
    let metrics = server.get("/metrics");
    assert_eq!(metrics.status, 200);
    for needle in [
        "orders_commands_total{type=\"CreateOrder\",outcome=\"accepted\"} 8",
        "orders_commands_total{type=\"AddItem\",outcome=\"invalid_quantity\"} 1",
        "orders_events_written_total",
        "orders_write_batch_commands_bucket",
        "orders_command_duration_seconds_bucket",
    ] {
        assert!(
            metrics.text.contains(needle),
            "metrics lack `{needle}`:\n{}",
            metrics.text
        );
    }
}
