//! A server that holds against hostile clients, against the real binary: cross-site
//! requests a browser sends without asking (non-JSON bodies, foreign origins), load above
//! the concurrency cap, clients that drip their request, and requests for files that are
//! not part of the web demo.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{Db, Server};

fn last_position(server: &Server) -> u64 {
    server.get("/health").body["lastPosition"].as_u64().unwrap()
}

fn address(server: &Server) -> String {
    server
        .base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

/// Sends raw bytes on a new connection and reads the answer until the server closes it
/// (every request here says `Connection: close`); returns the status line's code and body.
fn raw(server: &Server, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address(server)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn post_request(addr: &str, path: &str, headers: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn a_cross_site_text_plain_post_is_415_and_writes_nothing() {
    let db = Db::new();
    let server = Server::start(&db);
    let addr = address(&server);
    let body = r#"{"customerId":"c1","orderId":"o-1"}"#;
    for headers in [
        "Content-Type: text/plain\r\n",
        "Content-Type: text/plain;charset=UTF-8\r\n",
        "Content-Type: application/x-www-form-urlencoded\r\n",
        "Content-Type: multipart/form-data; boundary=x\r\n",
        // A body without any type (a `no-cors` fetch of a Blob) is refused too.
        "",
    ] {
        let (status, answer) = raw(&server, &post_request(&addr, "/orders", headers, body));
        assert_eq!(status, 415, "{headers:?}: {answer}");
        let answer: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
        assert_eq!(
            answer["error"]["code"], "unsupported_media_type",
            "{headers:?}"
        );
    }
    // An empty form post to a command that needs no body is refused as well.
    let (status, _) = raw(
        &server,
        &post_request(
            &addr,
            "/orders/o-1/place",
            "Content-Type: text/plain\r\n",
            "",
        ),
    );
    assert_eq!(status, 415);
    assert_eq!(last_position(&server), 0, "nothing was written");
    // JSON is accepted, with or without parameters, and so is a body-less command.
    let (status, answer) = raw(
        &server,
        &post_request(
            &addr,
            "/orders",
            "Content-Type: application/json; charset=utf-8\r\n",
            body,
        ),
    );
    assert_eq!(status, 201, "{answer}");
    let (status, answer) = raw(&server, &post_request(&addr, "/orders/o-1/cancel", "", ""));
    assert_eq!(status, 200, "{answer}");
}

#[test]
fn only_the_servers_own_origin_and_configured_ones_may_call_it() {
    let db = Db::new();
    let server = Server::start_with(&db, &["--cors-origin", "https://shop.example"]);
    let addr = address(&server);
    let port = addr.rsplit(':').next().unwrap();
    let create = |origin: &str, order: &str| {
        raw(
            &server,
            &post_request(
                &addr,
                "/orders",
                &format!("Origin: {origin}\r\nContent-Type: application/json\r\n"),
                &json!({"customerId": "c-1", "orderId": order}).to_string(),
            ),
        )
    };
    for foreign in [
        "http://evil.example",
        "null",
        &format!("http://evil.example:{port}"),
    ] {
        let (status, answer) = create(foreign, "o-evil");
        assert_eq!(status, 403, "{foreign}: {answer}");
        assert!(answer.contains("forbidden_origin"), "{answer}");
    }
    assert_eq!(last_position(&server), 0, "nothing was written");
    assert_eq!(create(&format!("http://127.0.0.1:{port}"), "o-1").0, 201);
    assert_eq!(create(&format!("http://localhost:{port}"), "o-2").0, 201);
    assert_eq!(create("https://shop.example", "o-3").0, 201);

    // Preflight: answered with CORS headers for the configured origin only.
    let preflight = |origin: &str| {
        let request = format!(
            "OPTIONS /orders HTTP/1.1\r\nHost: {addr}\r\nOrigin: {origin}\r\n\
             Access-Control-Request-Method: POST\r\n\
             Access-Control-Request-Headers: content-type, authorization\r\nConnection: close\r\n\r\n"
        );
        let mut stream = TcpStream::connect(&addr).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer.to_ascii_lowercase()
    };
    let allowed = preflight("https://shop.example");
    assert!(allowed.starts_with("http/1.1 200"), "{allowed}");
    assert!(
        allowed.contains("access-control-allow-origin: https://shop.example"),
        "{allowed}"
    );
    assert!(allowed.contains("authorization"), "{allowed}");
    let refused = preflight("http://evil.example");
    assert!(
        !refused.contains("access-control-allow-origin"),
        "{refused}"
    );
}

/// Opens a request whose body never completes: the server holds it in a handler.
fn hold_a_request(server: &Server) -> TcpStream {
    let addr = address(server);
    let mut stream = TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "POST /orders HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{{\"customerId\":"
    )
    .unwrap();
    stream
}

#[test]
fn above_the_concurrency_cap_requests_get_503_at_once() {
    let db = Db::new();
    let server = Server::start_with(&db, &["--max-concurrent-requests", "1"]);
    assert_eq!(server.get("/health").status, 200);
    let held = hold_a_request(&server);
    // Give the server a moment to route the held request into its handler.
    let deadline = Instant::now() + Duration::from_secs(10);
    let shed = loop {
        let started = Instant::now();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        let mut response = agent.get(server.url("/health")).call().unwrap();
        let elapsed = started.elapsed();
        if response.status() == 503 {
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            let body: Value =
                serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
            break (elapsed, retry_after, body);
        }
        assert!(
            Instant::now() < deadline,
            "never shed while a request was held"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let (elapsed, retry_after, body) = shed;
    assert!(elapsed < Duration::from_secs(1), "shed in {elapsed:?}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    assert_eq!(body["error"]["code"], "overloaded");
    // Once the held request is gone, requests are served again.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.get("/health").status != 200 {
        assert!(
            Instant::now() < deadline,
            "still shedding after the held request ended"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_client_dripping_its_body_is_cut_off_while_others_are_served() {
    let db = Db::new();
    let server = Server::start_with(&db, &["--request-timeout-secs", "2"]);
    let addr = address(&server);
    let dripper = std::thread::spawn(move || {
        let started = Instant::now();
        let mut stream = TcpStream::connect(&addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        write!(
            stream,
            "POST /orders HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: 1000\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = Vec::new();
        // One byte every 300 ms: each arrives well within any idle timeout.
        while started.elapsed() < Duration::from_secs(20) {
            if stream.write_all(b" ").is_err() {
                break;
            }
            let mut buf = [0u8; 1024];
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
                Err(_) => {}
            }
            if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        (
            started.elapsed(),
            String::from_utf8_lossy(&answer).into_owned(),
        )
    });
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let created = server.post("/orders", json!({"customerId": "c-1"}));
    assert_eq!(created.status, 201);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a normal client waited"
    );
    let (elapsed, answer) = dripper.join().unwrap();
    assert!(
        elapsed < Duration::from_secs(6),
        "the dripping client was cut off after {elapsed:?}"
    );
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
}

#[test]
fn only_the_built_demo_is_served_as_files() {
    let db = Db::new();
    let web = db.dir.path().join("web");
    for (path, text) in [
        ("index.html", "<h1>demo</h1>"),
        ("js/main.js", "export {}"),
        ("node_modules/pkg/index.js", "secret module"),
        ("test/offline.test.mjs", "a test"),
        ("test-results/report.json", "{}"),
        (".env", "ORDER_AUTH_HS256_SECRET=x"),
        ("js/.hidden.js", "hidden"),
        ("package.json", "{}"),
    ] {
        let file = web.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    let server = Server::start_with(&db, &["--web-dir", web.to_str().unwrap()]);
    let index = server.get("/");
    assert_eq!(index.status, 200);
    assert!(index.text.contains("demo"));
    assert_eq!(server.get("/js/main.js").status, 200);
    for path in [
        "/node_modules/pkg/index.js",
        "/test/offline.test.mjs",
        "/test-results/report.json",
        "/.env",
        "/js/.hidden.js",
        "/package.json",
        "/js/%2e%2e/package.json",
        "/js/..%2fpackage.json",
    ] {
        let answer = server.get(path);
        assert_eq!(answer.status, 404, "{path}: {}", answer.text);
        assert!(!answer.text.contains("secret") && !answer.text.contains("ORDER_AUTH"));
    }
}

#[test]
fn a_client_dripping_its_headers_is_disconnected_while_others_are_served() {
    let db = Db::new();
    let server = Server::start_with(&db, &["--header-timeout-secs", "2"]);
    let addr = address(&server);
    let dripper = std::thread::spawn(move || {
        let started = Instant::now();
        let mut stream = TcpStream::connect(&addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        write!(stream, "GET /health HTTP/1.1\r\nHost: {addr}\r\n").unwrap();
        // One header line every 300 ms, never the blank line that ends the head.
        for n in 0.. {
            if started.elapsed() > Duration::from_secs(20) {
                break;
            }
            let mut buf = [0u8; 256];
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
                Err(_) => {}
            }
            if write!(stream, "X-Drip-{n}: 1\r\n").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        started.elapsed()
    });
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    assert_eq!(server.get("/health").status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a normal client waited"
    );
    let elapsed = dripper.join().unwrap();
    assert!(
        elapsed < Duration::from_secs(6),
        "the dripping client kept its connection for {elapsed:?}"
    );
}

#[test]
fn a_server_failure_answers_in_general_terms_with_a_request_id() {
    use order_server::wasm::testing::{build_chaos_guest, CHAOS_TRAP};
    let guest = build_chaos_guest();
    let db = Db::new();
    let server = Server::start_with(&db, &["--guest", guest.to_str().unwrap()]);
    support::create_order(&server, "o-1", "c-1");
    let reply = server.post(
        "/orders/o-1/items",
        json!({"productId": CHAOS_TRAP, "quantity": 1, "price": "1.00"}),
    );
    assert_eq!(reply.status, 500, "{}", reply.text);
    assert_eq!(reply.code(), "runtime_error");
    let request_id = reply.body["error"]["requestId"]
        .as_str()
        .unwrap()
        .to_string();
    let message = reply.body["error"]["message"].as_str().unwrap();
    assert!(message.contains(&request_id), "{message}");
    assert!(
        !message.contains("wasm") && !message.contains("trap") && !message.contains("unreachable"),
        "no internal detail in the body: {message}"
    );
    // The detail is in the log, under the same id.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !server.log().contains(&request_id) {
        assert!(
            Instant::now() < deadline,
            "request id not logged:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn ids_are_bounded_and_an_orders_events_come_in_pages() {
    let db = Db::new();
    let server = Server::start(&db);
    let long = "x".repeat(300);
    for (body, code) in [
        (
            json!({"customerId": "c-1", "orderId": long}),
            "invalid_order_id",
        ),
        (json!({"customerId": long}), "invalid_customer"),
        (
            json!({"customerId": "c-1", "commandId": long}),
            "invalid_input",
        ),
    ] {
        let reply = server.post("/orders", body);
        assert_eq!(reply.code(), code, "{}", reply.text);
        assert!(reply.status == 400 || reply.status == 422);
    }
    let reply = server.post_with(
        "/orders",
        json!({"customerId": "c-1"}),
        &[("idempotency-key", &long)],
    );
    assert_eq!((reply.status, reply.code()), (400, "invalid_input"));
    let synced = server.post(
        "/commands",
        json!([{"commandId": long, "type": "CreateOrder", "orderId": "o-x", "customerId": "c-1"}]),
    );
    assert_eq!(synced.body[0]["error"]["code"], "invalid_input");
    support::create_order(&server, "o-1", "c-1");
    let reply = server.post("/orders/o-1/cancel", json!({"reason": "r".repeat(1001)}));
    assert_eq!((reply.status, reply.code()), (422, "invalid_reason"));
    assert_eq!(
        last_position(&server),
        1,
        "only the valid create was written"
    );

    for n in 0..5 {
        support::add_item(&server, "o-1", &format!("p-{n}"), 1, "1.00");
    }
    let versions = |path: &str| -> Vec<u64> {
        let reply = server.get(path);
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
        reply
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["version"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(versions("/orders/o-1/events"), [1, 2, 3, 4, 5, 6]);
    assert_eq!(versions("/orders/o-1/events?limit=2"), [1, 2]);
    assert_eq!(versions("/orders/o-1/events?after=2&limit=2"), [3, 4]);
    assert_eq!(versions("/orders/o-1/events?after=6"), Vec::<u64>::new());
    assert_eq!(server.get("/orders/o-1/events?limit=0").status, 400);
    assert_eq!(server.get("/orders/o-1/events?after=x").status, 400);
    assert_eq!(server.get("/orders/o-none/events?after=2").status, 404);
}

#[test]
fn a_client_above_its_rate_gets_429_with_retry_after() {
    let db = Db::new();
    let server = Server::start_with(&db, &["--rate-limit", "3"]);
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut answers = Vec::new();
    for _ in 0..10 {
        let mut response = agent.get(server.url("/health")).call().unwrap();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        let body: Value =
            serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        answers.push((response.status().as_u16(), retry_after, body));
    }
    assert_eq!(answers[0].0, 200);
    let limited = answers
        .iter()
        .find(|(status, _, _)| *status == 429)
        .expect("ten requests at once exceed 3 per second");
    assert_eq!(limited.1.as_deref(), Some("1"));
    assert_eq!(limited.2["error"]["code"], "rate_limited");
    // After a second the bucket has refilled.
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(server.get("/health").status, 200);
}
