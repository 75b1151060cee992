//! `issuedAt`: a command queued offline says when its user acted. The business times in the
//! payload take it, `recordedAt` stays the commit time, and the envelope keeps both. A time
//! outside the documented window (five minutes ahead, seven days behind) is refused (400).

mod support;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Value};
use support::{Db, Server};

fn text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `t` as the client sends it: to the millisecond.
fn millis(t: DateTime<Utc>) -> DateTime<Utc> {
    text(t).parse().unwrap()
}

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {value}"))
        .parse()
        .unwrap()
}

#[test]
fn business_times_take_the_clients_issued_at_and_recorded_at_stays_the_commit_time() {
    let db = Db::new();
    let server = Server::start(&db);
    let started = Utc::now();
    let created = millis(started - Duration::minutes(16));
    let reply = server.post(
        "/orders",
        json!({"orderId": "o-1", "customerId": "c-1", "issuedAt": text(created)}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    // Through the sync route, as the web demo sends its queue.
    let placed = millis(started - Duration::minutes(3));
    let synced = server.post(
        "/commands",
        json!([
            {"commandId": "k-add", "type": "AddItem", "orderId": "o-1", "productId": "p",
             "quantity": 1, "price": "2.50"},
            {"commandId": "k-place", "type": "PlaceOrder", "orderId": "o-1",
             "issuedAt": text(placed)}
        ]),
    );
    assert_eq!(synced.status, 200, "{}", synced.text);
    assert!(
        synced
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["accepted"] == true),
        "{}",
        synced.text
    );

    let events = server.events_of("o-1");
    assert_eq!(events.len(), 3);
    let (create, add, place) = (&events[0], &events[1], &events[2]);
    assert_eq!(time(&create["data"]["createdAt"]), created);
    assert_eq!(time(&create["metadata"]["issuedAt"]), created);
    assert!(
        time(&create["metadata"]["recordedAt"]) >= started,
        "recordedAt is the commit"
    );
    assert!(
        add["metadata"].get("issuedAt").is_none(),
        "none given, none stored"
    );
    assert_eq!(time(&place["data"]["placedAt"]), placed);
    assert_eq!(time(&place["metadata"]["issuedAt"]), placed);
    assert!(time(&place["metadata"]["recordedAt"]) >= started);

    let order = server.get("/orders/o-1").body;
    assert_eq!(time(&order["createdAt"]), created);
    assert_eq!(time(&order["placedAt"]), placed);
}

#[test]
fn an_issued_at_outside_the_window_or_not_a_time_is_a_client_mistake() {
    let db = Db::new();
    let server = Server::start(&db);
    let now = Utc::now();
    for (issued, why) in [
        (
            text(now + Duration::minutes(30)),
            "outside the accepted window",
        ),
        (text(now - Duration::days(8)), "outside the accepted window"),
        ("yesterday".to_string(), "not an RFC 3339 time"),
    ] {
        let reply = server.post(
            "/orders",
            json!({"orderId": "o-x", "customerId": "c-1", "issuedAt": issued}),
        );
        assert_eq!(reply.status, 400, "{issued}: {}", reply.text);
        assert_eq!(reply.code(), "invalid_input");
        assert!(reply.text.contains(why), "{issued}: {}", reply.text);
        let synced = server.post(
            "/commands",
            json!([{"commandId": "k-x", "type": "CreateOrder", "orderId": "o-x",
                    "customerId": "c-1", "issuedAt": issued}]),
        );
        assert_eq!(synced.status, 200, "{}", synced.text);
        let outcome = &synced.body[0];
        assert_eq!(outcome["accepted"], false);
        assert_eq!(outcome["error"]["code"], "invalid_input");
        assert_eq!(outcome["retryable"], false);
    }
    assert_eq!(server.get("/orders/o-x").status, 404, "nothing was written");
    // Inside the window, at its edges.
    for (i, issued) in [now + Duration::minutes(4), now - Duration::days(6)]
        .into_iter()
        .enumerate()
    {
        let reply = server.post(
            "/orders",
            json!({"orderId": format!("o-{i}"), "customerId": "c-1", "issuedAt": text(issued)}),
        );
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
}
