//! The live feed against the real binary: `GET /events/stream` pushes each committed
//! event as `id: position` / `data: envelope`, resumes after `Last-Event-ID`, keeps idle
//! streams open with heartbeats, and carries only what the token may see.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::auth::*;
use support::sse::{self, Received};
use support::{Db, Server};

const WAIT: Duration = Duration::from_secs(10);

fn create_with_item(server: &Server, order: &str, customer: &str) {
    let created = server.post("/orders", json!({"orderId": order, "customerId": customer}));
    assert_eq!(created.status, 201, "{}", created.text);
    let added = server.post(
        &format!("/orders/{order}/items"),
        json!({"productId": "p-1", "quantity": 2, "price": "1.50"}),
    );
    assert_eq!(added.status, 200, "{}", added.text);
}

#[test]
fn the_stream_pushes_each_committed_event_and_resumes_after_last_event_id() {
    let db = Db::new();
    let server = Server::start_with(&db, &["--stream-heartbeat-secs", "1"]);
    create_with_item(&server, "o-1", "c-1");
    let feed = server.get("/events?after=0").body;

    let stream = sse::open(&server.url("/events/stream"), &[]);
    assert_eq!(stream.status, 200);
    assert_eq!(stream.content_type.as_deref(), Some("text/event-stream"));
    for expected in feed.as_array().unwrap() {
        let (id, envelope) = stream.next_event(WAIT);
        assert_eq!(id, expected["position"].to_string());
        assert_eq!(
            &envelope, expected,
            "data is the envelope exactly as /events has it"
        );
    }
    // A commit made after the stream opened is pushed, without polling by the client.
    let placed = server.post("/orders/o-1/place", json!({}));
    assert_eq!(placed.status, 200, "{}", placed.text);
    let (id, envelope) = stream.next_event(WAIT);
    assert_eq!(
        (id.as_str(), envelope["type"].as_str()),
        ("3", Some("OrderPlaced"))
    );
    // Idle, the stream stays open with heartbeats.
    assert_eq!(
        stream.next_within(Duration::from_secs(5)),
        Some(Received::Heartbeat)
    );

    // A reconnect resumes after its Last-Event-ID, which wins over ?after=.
    let resumed = sse::open(
        &server.url("/events/stream?after=0"),
        &[("last-event-id", "1")],
    );
    assert_eq!(resumed.next_event(WAIT).0, "2");
    let after = sse::open(&server.url("/events/stream?after=2"), &[]);
    assert_eq!(after.next_event(WAIT).0, "3");
    let bad = sse::open(&server.url("/events/stream"), &[("last-event-id", "abc")]);
    assert_eq!(bad.status, 400);
    assert_eq!(bad.error_body.unwrap()["error"]["code"], "invalid_input");

    // One order's stream counts in stream versions.
    let order = sse::open(&server.url("/orders/o-1/events/stream?after=1"), &[]);
    let (id, envelope) = order.next_event(WAIT);
    assert_eq!((id.as_str(), envelope["version"].as_u64()), ("2", Some(2)));
    let missing = sse::open(&server.url("/orders/nope/events/stream"), &[]);
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.error_body.unwrap()["error"]["code"],
        "order_not_found"
    );

    let metrics = server.get("/metrics").text;
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from /metrics"))
    };
    assert!(value("orders_streams_open") >= 4.0, "{metrics}");
    assert!(
        value("orders_stream_events_pushed_total") >= 6.0,
        "{metrics}"
    );

    // Open streams do not hold a graceful shutdown: they end, and the server exits.
    assert!(server.terminate().success());
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match stream.next_within(left) {
            Some(Received::End) => break,
            Some(Received::Heartbeat) => continue,
            other => panic!("expected the stream to end at shutdown, got {other:?}"),
        }
    }
}

fn stream_ids(server: &Server, path: &str, token: &str, count: usize) -> Vec<(String, Value)> {
    let bearer = format!("Bearer {token}");
    let stream = sse::open(&server.url(path), &[("authorization", &bearer)]);
    assert_eq!(stream.status, 200, "{:?}", stream.error_body);
    (0..count).map(|_| stream.next_event(WAIT)).collect()
}

#[test]
fn a_customer_token_streams_only_their_own_orders() {
    let db = Db::new();
    let server = start_with_auth(&db, &[]);
    let clerk = hs256(&claims("clerk-1", &["clerk"], None), SECRET.as_bytes());
    let alice = hs256(
        &claims("alice", &["customer"], Some("c-a")),
        SECRET.as_bytes(),
    );
    for (order, customer) in [("o-a", "c-a"), ("o-b", "c-b"), ("o-a2", "c-a")] {
        let created = call(
            &server,
            "POST",
            "/orders",
            Some(&clerk),
            Some(json!({"orderId": order, "customerId": customer})),
            &[],
        );
        assert_eq!(created.status, 201, "{}", created.body);
    }

    let all = stream_ids(&server, "/events/stream", &clerk, 3);
    let ids: Vec<&str> = all.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3"], "a clerk sees the whole feed");

    let mine = stream_ids(&server, "/events/stream", &alice, 2);
    let seen: Vec<(&str, &str)> = mine
        .iter()
        .map(|(id, envelope)| (id.as_str(), envelope["streamId"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [("1", "o-a"), ("3", "o-a2")],
        "a customer sees their own orders, with global positions"
    );

    let anonymous = sse::open(&server.url("/events/stream"), &[]);
    assert_eq!(anonymous.status, 401);
    let bearer = format!("Bearer {alice}");
    let foreign = sse::open(
        &server.url("/orders/o-b/events/stream"),
        &[("authorization", &bearer)],
    );
    assert_eq!(
        foreign.status, 404,
        "another customer's order does not exist for alice"
    );
}
