//! Per-customer scope against the real binary: what a customer may see and change
//! (everything else answers as if it did not exist), on every route and inside
//! `POST /commands`, and that the actor comes from the token alone.

mod support;

use serde_json::{json, Value};
use support::auth::*;
use support::Db;

fn positions(answer: &Answer) -> Vec<u64> {
    answer
        .body
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {}", answer.body))
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect()
}

#[test]
fn a_customer_sees_and_changes_only_their_own_orders() {
    let db = Db::new();
    let server = start_with_auth(&db, &[]);
    let clerk = hs256(&claims("clerk-1", &["clerk"], None), SECRET.as_bytes());
    let alice = hs256(
        &claims("alice", &["customer"], Some("c-a")),
        SECRET.as_bytes(),
    );
    let clerk_call = |method: &str, path: &str, body: Option<Value>| {
        call(&server, method, path, Some(&clerk), body, &[])
    };
    let alice_call = |method: &str, path: &str, body: Option<Value>| {
        call(&server, method, path, Some(&alice), body, &[])
    };
    // The clerk creates one order for each customer.
    for (order, customer) in [("o-a", "c-a"), ("o-b", "c-b")] {
        let created = clerk_call(
            "POST",
            "/orders",
            Some(json!({"orderId": order, "customerId": customer})),
        );
        assert_eq!(created.status, 201, "{}", created.body);
        let added = clerk_call(
            "POST",
            &format!("/orders/{order}/items"),
            Some(json!({"productId": "p-1", "quantity": 1, "price": "1.00"})),
        );
        assert_eq!(added.status, 200, "{}", added.body);
    }
    let events_of_b = clerk_call("GET", "/orders/o-b/events", None).body;

    // Another customer's order answers exactly like one that does not exist.
    let requests: [(&str, &str, Option<Value>); 9] = [
        ("GET", "/orders/{}", None),
        ("GET", "/orders/{}?version=1", None),
        ("GET", "/orders/{}?at=2999-01-01T00:00:00Z", None),
        ("GET", "/orders/{}/events", None),
        (
            "POST",
            "/orders/{}/items",
            Some(json!({"productId": "p-2", "quantity": 1, "price": "1.00"})),
        ),
        ("DELETE", "/orders/{}/items/p-1", None),
        ("POST", "/orders/{}/place", None),
        (
            "POST",
            "/orders/{}/cancel",
            Some(json!({"reason": "mine now"})),
        ),
        ("GET", "/orders/{}/events?after=0&limit=1", None),
    ];
    for (method, template, body) in requests {
        let theirs = alice_call(method, &template.replace("{}", "o-b"), body.clone());
        let missing = alice_call(method, &template.replace("{}", "o-none"), body);
        assert_eq!(
            (theirs.status, theirs.code()),
            (404, "order_not_found"),
            "{method} {template}: {}",
            theirs.body
        );
        assert_eq!(
            theirs.body["error"]["message"]
                .as_str()
                .unwrap()
                .replace("o-b", "o-none"),
            missing.body["error"]["message"].as_str().unwrap(),
            "{method} {template}: the same answer as for a missing order"
        );
    }
    // ... and nothing of it was changed.
    assert_eq!(
        clerk_call("GET", "/orders/o-b/events", None).body,
        events_of_b
    );
    // Their own order is theirs to read and change.
    assert_eq!(alice_call("GET", "/orders/o-a", None).status, 200);
    assert_eq!(alice_call("POST", "/orders/o-a/place", None).status, 200);

    // Creating for someone else is forbidden; for themself, fine.
    let foreign = alice_call(
        "POST",
        "/orders",
        Some(json!({"orderId": "o-x", "customerId": "c-b"})),
    );
    assert_eq!((foreign.status, foreign.code()), (403, "forbidden"));
    assert_eq!(
        clerk_call("GET", "/orders/o-x", None).status,
        404,
        "nothing was created"
    );
    for odd in [json!(["c-a"]), json!(7), json!(null)] {
        let answer = alice_call(
            "POST",
            "/orders",
            Some(json!({"orderId": "o-y", "customerId": odd})),
        );
        assert_eq!((answer.status, answer.code()), (403, "forbidden"), "{odd}");
    }
    let own = alice_call(
        "POST",
        "/orders",
        Some(json!({"orderId": "o-a2", "customerId": "c-a"})),
    );
    assert_eq!(own.status, 201, "{}", own.body);

    // Listing: only their own; naming another customer is 403.
    let listed = alice_call("GET", "/orders?customerId=c-a", None);
    let ids: Vec<&str> = listed.body["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["o-a", "o-a2"]);
    let other = alice_call("GET", "/orders?customerId=c-b", None);
    assert_eq!((other.status, other.code()), (403, "forbidden"));
    assert_eq!(
        clerk_call("GET", "/orders?customerId=c-b", None).body["orders"][0]["id"],
        "o-b"
    );

    // The global feed: the clerk sees everything, the customer only events of their orders,
    // with global positions (gaps where the others' events are).
    let all = clerk_call("GET", "/events?after=0&limit=100", None);
    assert_eq!(positions(&all), (1..=6).collect::<Vec<u64>>());
    let mine = alice_call("GET", "/events?after=0&limit=100", None);
    assert_eq!(positions(&mine), [1, 2, 5, 6]);
    assert!(mine
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["streamId"] != "o-b"));
    assert_eq!(mine.scanned_through, Some(6));
    let page = alice_call("GET", "/events?after=2&limit=1", None);
    assert_eq!(positions(&page), [5]);
    assert_eq!(page.scanned_through, Some(5));
}

#[test]
fn post_commands_applies_the_customer_scope_to_each_command() {
    let db = Db::new();
    let server = start_with_auth(&db, &[]);
    let clerk = hs256(&claims("clerk-1", &["clerk"], None), SECRET.as_bytes());
    let alice = hs256(
        &claims("alice", &["customer"], Some("c-a")),
        SECRET.as_bytes(),
    );
    let created = call(
        &server,
        "POST",
        "/orders",
        Some(&clerk),
        Some(json!({"orderId": "o-b", "customerId": "c-b"})),
        &[],
    );
    assert_eq!(created.status, 201);
    let add = |id: &str, order: &str| json!({"commandId": id, "type": "AddItem", "orderId": order, "productId": "p-1", "quantity": 1, "price": "2.50"});
    let batch = json!([
        {"commandId": "k1", "type": "CreateOrder", "orderId": "o-stolen", "customerId": "c-b"},
        add("k2", "o-b"),
        {"commandId": "k3", "type": "CreateOrder", "orderId": "o-new", "customerId": "c-a"},
        add("k4", "o-new"),
        {"commandId": "k5", "type": "CancelOrder", "orderId": "o-b"},
        {"commandId": "k6", "type": "PlaceOrder", "orderId": "o-new"},
        // Creating an order that exists (another customer's) fails, and a later command
        // on that id must not reach it.
        {"commandId": "k7", "type": "CreateOrder", "orderId": "o-b", "customerId": "c-a"},
        add("k8", "o-b"),
    ]);
    let answer = call(&server, "POST", "/commands", Some(&alice), Some(batch), &[]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let outcomes = answer.body.as_array().unwrap();
    let summary: Vec<(&str, bool, &str)> = outcomes
        .iter()
        .map(|o| {
            (
                o["commandId"].as_str().unwrap(),
                o["accepted"].as_bool().unwrap(),
                o["error"]["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("k1", false, "forbidden"),
            ("k2", false, "order_not_found"),
            ("k3", true, ""),
            ("k4", true, ""),
            ("k5", false, "order_not_found"),
            ("k6", true, ""),
            ("k7", false, "order_already_exists"),
            ("k8", false, "order_not_found"),
        ]
    );
    for rejected in outcomes
        .iter()
        .filter(|o| o["error"]["code"] == "forbidden" || o["error"]["code"] == "order_not_found")
    {
        assert_eq!(rejected["retryable"], false, "{rejected}");
    }
    assert_eq!(outcomes[3]["version"], 2);
    // The other customer's order was not touched, and nothing was created for them.
    let theirs = call(
        &server,
        "GET",
        "/orders/o-b/events",
        Some(&clerk),
        None,
        &[],
    );
    assert_eq!(theirs.body.as_array().unwrap().len(), 1);
    assert_eq!(
        call(&server, "GET", "/orders/o-stolen", Some(&clerk), None, &[]).status,
        404
    );
    let new = call(&server, "GET", "/orders/o-new", Some(&alice), None, &[]);
    assert_eq!(
        (new.body["status"].as_str(), new.body["total"].as_str()),
        (Some("placed"), Some("2.50"))
    );
}

#[test]
fn the_actor_comes_from_the_token_alone() {
    let db = Db::new();
    let server = start_with_auth(&db, &[]);
    let alice = hs256(
        &claims("alice", &["customer"], Some("c-a")),
        SECRET.as_bytes(),
    );
    let created = call(
        &server,
        "POST",
        "/orders",
        Some(&alice),
        Some(json!({"orderId": "o-1", "customerId": "c-a", "actor": "mallory"})),
        &[("x-actor", "mallory")],
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let synced = call(
        &server,
        "POST",
        "/commands",
        Some(&alice),
        Some(
            json!([{"commandId": "k1", "type": "AddItem", "orderId": "o-1", "productId": "p", "quantity": 1, "price": 1, "actor": "mallory"}]),
        ),
        &[("x-actor", "mallory")],
    );
    assert_eq!(synced.body[0]["accepted"], true, "{}", synced.body);
    let placed = call(
        &server,
        "POST",
        "/orders/o-1/place",
        Some(&alice),
        Some(json!({"actor": "mallory"})),
        &[("x-actor", "mallory")],
    );
    assert_eq!(placed.status, 200);
    let events = call(
        &server,
        "GET",
        "/orders/o-1/events",
        Some(&alice),
        None,
        &[],
    )
    .body;
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 3);
    for event in events {
        assert_eq!(event["metadata"]["actor"], "alice", "{event}");
    }
    assert_eq!(events[0]["data"]["createdBy"], "alice");
}
