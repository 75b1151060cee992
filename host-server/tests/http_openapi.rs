//! `/openapi.json` against the real router: an OpenAPI 3.1 document whose every operation
//! is routed, on paths that route no undocumented method.

mod support;

use std::collections::BTreeSet;

use serde_json::Value;
use support::{Db, Server};

/// Every route `app::secured_router` registers (with `--dev-auth`), as `METHOD path`.
const ROUTER: &[&str] = &[
    "DELETE /orders/{id}/items/{productId}",
    "GET /events",
    "GET /events/stream",
    "GET /health",
    "GET /metrics",
    "GET /openapi.json",
    "GET /orders",
    "GET /orders/{id}",
    "GET /orders/{id}/events",
    "GET /orders/{id}/events/stream",
    "POST /commands",
    "POST /dev/token",
    "POST /orders",
    "POST /orders/{id}/cancel",
    "POST /orders/{id}/items",
    "POST /orders/{id}/place",
];

fn documented(doc: &Value) -> BTreeSet<String> {
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "delete", "put", "patch"].contains(&method.as_str()) {
                operations.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    operations
}

fn send(server: &Server, method: &str, path: &str) -> (u16, Value) {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(server.url(path))
        .body(Vec::new())
        .unwrap();
    let mut response = agent.run(request).expect("transport");
    let status = response.status().as_u16();
    let streaming = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    if streaming {
        // A live feed never ends: its answer is the status.
        return (status, Value::Null);
    }
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[test]
fn the_document_describes_exactly_the_routes_the_server_has() {
    let db = Db::new();
    let server = Server::start(&db);
    let reply = server.get("/openapi.json");
    assert_eq!(reply.status, 200);
    let doc = reply.body;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let operations = documented(&doc);
    let expected: BTreeSet<String> = ROUTER.iter().map(|r| r.to_string()).collect();
    assert_eq!(operations, expected);
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // OpenAPI requires a description on every response.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                assert!(
                    response["description"].is_string(),
                    "{method} {path} {status} has no description"
                );
            }
        }
    }

    // Each documented operation is routed (the open server has no /dev/token); each
    // documented path answers 405 to the methods it does not document.
    let paths: BTreeSet<&str> = ROUTER
        .iter()
        .map(|r| r.split_once(' ').unwrap().1)
        .collect();
    for path in paths {
        let concrete = path.replace("{id}", "o-none").replace("{productId}", "p-1");
        for method in ["GET", "POST", "DELETE", "PUT", "PATCH"] {
            let (status, body) = send(&server, method, &concrete);
            let no_route = status == 404 && body["error"]["code"] == "not_found";
            if expected.contains(&format!("{method} {path}")) {
                if path == "/dev/token" {
                    assert!(no_route, "/dev/token exists only with --dev-auth");
                } else {
                    assert!(
                        status != 405 && !no_route,
                        "{method} {path} is documented but not routed: {status} {body}"
                    );
                }
            } else {
                assert!(
                    status == 405 || no_route,
                    "{method} {path} is routed but not documented: {status} {body}"
                );
            }
        }
    }
    let dev_db = Db::new();
    let dev = Server::start_with(&dev_db, &["--dev-auth"]);
    let (status, body) = send(&dev, "POST", "/dev/token");
    assert_eq!(status, 400, "routed under --dev-auth: {body}");
}

/// The number at `pointer` in the document (a bound it states).
fn bound(doc: &Value, pointer: &str) -> u64 {
    doc.pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("the document states no bound at {pointer}"))
}

#[test]
fn the_documented_input_bounds_are_the_ones_the_server_enforces() {
    use order_core::limits::{MAX_ID_LEN, MAX_LINE_QUANTITY, MAX_REASON_LEN};
    let db = Db::new();
    let server = Server::start(&db);
    let doc = server.get("/openapi.json").body;
    let schemas = "/components/schemas";
    let id_max = bound(
        &doc,
        &format!("{schemas}/CreateOrder/properties/customerId/maxLength"),
    );
    let quantity_max = bound(
        &doc,
        &format!("{schemas}/AddItem/properties/quantity/maximum"),
    );
    let reason_max = bound(
        &doc,
        &format!("{schemas}/CancelOrder/properties/reason/maxLength"),
    );
    let batch_max = bound(
        &doc,
        "/paths/~1commands/post/requestBody/content/application~1json/schema/maxItems",
    );
    let limit_max = doc["paths"]["/events"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .and_then(|p| p["schema"]["maximum"].as_u64())
        .expect("GET /events states the largest limit");
    // Taken from the constants, not typed again.
    assert_eq!(
        (id_max, quantity_max, reason_max),
        (
            MAX_ID_LEN as u64,
            u64::from(MAX_LINE_QUANTITY),
            MAX_REASON_LEN as u64
        )
    );

    // At each bound the server accepts; one beyond, it refuses with a 4xx.
    let at = |n: u64| "x".repeat(n as usize);
    let create =
        |customer: String| server.post("/orders", serde_json::json!({"customerId": customer}));
    assert_eq!(create(at(id_max)).status, 201);
    assert_eq!(create(at(id_max + 1)).status, 422);
    assert_eq!(
        server
            .post(
                "/orders",
                serde_json::json!({"orderId": "o-b", "customerId": "c"})
            )
            .status,
        201
    );
    let add = |quantity: u64| {
        server.post(
            "/orders/o-b/items",
            serde_json::json!({"productId": format!("p-{quantity}"), "quantity": quantity, "price": "1.00"}),
        )
    };
    assert_eq!(add(quantity_max).status, 200);
    assert_eq!(add(quantity_max + 1).status, 422);
    let cancel =
        |reason: String| server.post("/orders/o-b/cancel", serde_json::json!({"reason": reason}));
    assert_eq!(cancel(at(reason_max + 1)).status, 422);
    assert_eq!(cancel(at(reason_max)).status, 200);
    let page = |limit: u64| server.get(&format!("/events?limit={limit}")).status;
    assert_eq!((page(limit_max), page(limit_max + 1)), (200, 400));
    let batch = |n: u64| {
        let commands: Vec<Value> = (0..n)
            .map(|i| serde_json::json!({"commandId": format!("k-{i}"), "type": "PlaceOrder", "orderId": "o-none"}))
            .collect();
        server.post("/commands", Value::Array(commands)).status
    };
    assert_eq!((batch(batch_max), batch(batch_max + 1)), (200, 400));
}
