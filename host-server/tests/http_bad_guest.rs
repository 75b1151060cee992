//! A deliberately bad guest (the chaos build: loops, hoards memory or traps on certain
//! product ids) loaded with `serve --guest`: those commands fail with a 5xx
//! `runtime_error`, write nothing, and the server keeps serving everything else.

mod support;

use order_server::wasm::testing::{build_chaos_guest, CHAOS_ALLOC, CHAOS_LOOP, CHAOS_TRAP};
use serde_json::json;
use support::{add_item, create_order, Db, Server};

#[test]
fn a_misbehaving_guest_fails_only_its_own_commands() {
    let guest = build_chaos_guest();
    let db = Db::new();
    let server = Server::start_with(&db, &["--guest", guest.to_str().unwrap()]);
    create_order(&server, "o-chaos", "c-1");
    add_item(&server, "o-chaos", "fine", 1, "1.00");

    for product in [CHAOS_LOOP, CHAOS_ALLOC, CHAOS_TRAP] {
        let reply = server.post(
            "/orders/o-chaos/items",
            json!({"productId": product, "quantity": 1, "price": "1.00"}),
        );
        assert!(
            (500..600).contains(&reply.status),
            "{product}: expected a 5xx, got {}: {}",
            reply.status,
            reply.text
        );
        assert_eq!(reply.code(), "runtime_error", "{product}");
        // ...and the server still decides other commands, on the same order and others.
        add_item(&server, "o-chaos", &format!("after-{product}"), 1, "1.00");
        create_order(&server, &format!("o-after-{product}"), "c-2");
    }
    let events = server.events_of("o-chaos");
    assert_eq!(events.len(), 5, "only the good commands wrote events");
    assert!(events.iter().all(|e| !e["data"]["productId"]
        .as_str()
        .unwrap_or("")
        .starts_with("chaos")));
    let view = server.get("/orders/o-chaos").body;
    assert_eq!(view["total"], "4.00");

    // The same bad commands inside a sync batch are rejected one by one, the rest accepted.
    let reply = server.post(
        "/commands",
        json!([
            {"commandId": "k-1", "type": "AddItem", "orderId": "o-chaos", "productId": CHAOS_TRAP, "quantity": 1, "price": "1.00"},
            {"commandId": "k-2", "type": "AddItem", "orderId": "o-chaos", "productId": "ok", "quantity": 1, "price": "1.00"}
        ]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body[0]["accepted"], false);
    assert_eq!(reply.body[0]["error"]["code"], "runtime_error");
    assert_eq!(reply.body[1]["accepted"], true);
    assert_eq!(server.get("/health").status, 200);
    // The events were decided by the chaos module, whose hash differs from the embedded one.
    let hash = events[0]["metadata"]["moduleHash"].as_str().unwrap();
    assert_eq!(server.get("/health").body["moduleHash"], hash);
}
