//! Identity and access against the real binary: which tokens are refused (401), what a
//! customer may see and change (everything else answers as if it did not exist), that the
//! actor comes from the token alone, and the start-up modes (open on loopback only,
//! `--dev-auth`).

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use support::{Db, Server, BIN};

const SECRET: &str = "test-secret-of-at-least-32-bytes-0123456789";

fn key_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keys")
        .join(name)
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn claims(sub: &str, roles: &[&str], customer: Option<&str>) -> Value {
    let mut claims = json!({"sub": sub, "roles": roles, "exp": now() + 600});
    if let Some(customer) = customer {
        claims["customer_id"] = json!(customer);
    }
    claims
}

fn hs256(claims: &Value, secret: &[u8]) -> String {
    let key = EncodingKey::from_secret(secret).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key).unwrap()
}

fn signed(alg: Algorithm, kid: Option<&str>, pem_file: &str, claims: &Value) -> String {
    let pem = std::fs::read(key_file(pem_file)).unwrap();
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem).unwrap(),
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem).unwrap(),
        other => panic!("no test key for {other:?}"),
    };
    let mut header = Header::new(alg);
    header.kid = kid.map(String::from);
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A server verifying HS256 with [`SECRET`] and RS256/ES256 with tests/keys/jwks.json.
fn start_with_auth(db: &Db, extra: &[&str]) -> Server {
    let secret_file = db.dir.path().join("hs256.secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let jwks = key_file("jwks.json");
    let mut args = vec![
        "--auth-hs256-secret-file",
        secret_file.to_str().unwrap(),
        "--auth-jwks",
        jwks.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Server::start_with(db, &args)
}

struct Answer {
    status: u16,
    body: Value,
    www_authenticate: Option<String>,
    scanned_through: Option<u64>,
}

impl Answer {
    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

/// One request with an optional bearer token and extra headers.
fn call(
    server: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Answer {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let url = server.url(path);
    let mut request = ureq::http::Request::builder().method(method).uri(&url);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let result = match body {
        Some(body) => agent.run(
            request
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&body).unwrap())
                .unwrap(),
        ),
        None => agent.run(request.body(Vec::new()).unwrap()),
    };
    let mut response = result.expect("transport");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let www_authenticate = header("www-authenticate");
    let scanned_through = header("x-scanned-through").map(|v| v.parse().unwrap());
    let text = response.body_mut().read_to_string().unwrap();
    Answer {
        status: response.status().as_u16(),
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        www_authenticate,
        scanned_through,
    }
}

fn assert_unauthorized(answer: &Answer, what: &str) {
    assert_eq!(answer.status, 401, "{what}: {}", answer.body);
    assert_eq!(answer.code(), "unauthorized", "{what}");
    assert!(
        answer.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{what}: a message says why"
    );
    assert!(
        answer
            .www_authenticate
            .as_deref()
            .is_some_and(|h| h.starts_with("Bearer")),
        "{what}: WWW-Authenticate: Bearer, got {:?}",
        answer.www_authenticate
    );
}

#[test]
fn tokens_that_do_not_verify_answer_401_and_good_ones_pass() {
    let db = Db::new();
    let server = start_with_auth(&db, &[]);
    let clerk = claims("clerk-1", &["clerk"], None);
    let get =
        |token: Option<&str>| call(&server, "GET", "/orders?customerId=c-1", token, None, &[]);

    assert_unauthorized(&get(None), "no token");
    assert_unauthorized(&get(Some("not-a-jwt")), "malformed");
    let wrong_scheme = call(
        &server,
        "GET",
        "/orders?customerId=c-1",
        None,
        None,
        &[("authorization", &format!("Basic {}", b64(b"a:b")))],
    );
    assert_unauthorized(&wrong_scheme, "Basic instead of Bearer");
    let other_secret = hs256(&clerk, b"another-secret-of-at-least-32-bytes-xxxxx");
    assert_unauthorized(&get(Some(&other_secret)), "bad HS256 signature");
    let mut expired = clerk.clone();
    expired["exp"] = json!(now() - 3600);
    assert_unauthorized(&get(Some(&hs256(&expired, SECRET.as_bytes()))), "expired");
    let mut early = clerk.clone();
    early["nbf"] = json!(now() + 3600);
    assert_unauthorized(
        &get(Some(&hs256(&early, SECRET.as_bytes()))),
        "nbf in the future",
    );
    let mut no_exp = clerk.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    assert_unauthorized(&get(Some(&hs256(&no_exp, SECRET.as_bytes()))), "no exp");
    // alg none: a header and claims with an empty signature.
    let none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(clerk.to_string().as_bytes())
    );
    assert_unauthorized(&get(Some(&none)), "alg none");
    // A known kid but another key's signature; a kid nobody configured.
    let forged = signed(
        Algorithm::RS256,
        Some("rsa-1"),
        "rsa-other-private.pem",
        &clerk,
    );
    assert_unauthorized(&get(Some(&forged)), "RS256 signed by a key not in the JWKS");
    let unknown_kid = signed(Algorithm::RS256, Some("rsa-9"), "rsa-private.pem", &clerk);
    assert_unauthorized(&get(Some(&unknown_kid)), "unknown kid");
    // An RSA kid used with ES256 does not select the RSA key.
    let es_with_rsa_kid = signed(Algorithm::ES256, Some("rsa-1"), "ec-private.pem", &clerk);
    assert_unauthorized(&get(Some(&es_with_rsa_kid)), "ES256 naming an RSA key");

    // Leeway: 10 s past exp is within the default 30 s.
    let mut skewed = clerk.clone();
    skewed["exp"] = json!(now() - 10);
    assert_eq!(get(Some(&hs256(&skewed, SECRET.as_bytes()))).status, 200);
    for token in [
        hs256(&clerk, SECRET.as_bytes()),
        signed(Algorithm::RS256, Some("rsa-1"), "rsa-private.pem", &clerk),
        signed(Algorithm::ES256, Some("ec-1"), "ec-private.pem", &clerk),
    ] {
        let answer = get(Some(&token));
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    // Verified, but granting no role: 403, not 401.
    let roleless = hs256(&claims("x", &["guest"], None), SECRET.as_bytes());
    let answer = get(Some(&roleless));
    assert_eq!((answer.status, answer.code()), (403, "forbidden"));
    // Health and metrics stay open for probes.
    assert_eq!(call(&server, "GET", "/health", None, None, &[]).status, 200);
}

#[test]
fn an_hs256_token_is_refused_when_only_public_keys_are_configured() {
    let db = Db::new();
    let jwks = key_file("jwks.json");
    let server = Server::start_with(&db, &["--auth-jwks", jwks.to_str().unwrap()]);
    let clerk = claims("clerk-1", &["clerk"], None);
    // The classic confusion: the RSA public key used as an HMAC secret.
    for public in ["rsa-public.pem", "ec-public.pem"] {
        let pem = std::fs::read(key_file(public)).unwrap();
        let token = hs256(&clerk, &pem);
        let answer = call(&server, "GET", "/events", Some(&token), None, &[]);
        assert_unauthorized(&answer, &format!("HS256 signed with {public}"));
    }
    let jwks_text = std::fs::read(&jwks).unwrap();
    let answer = call(
        &server,
        "GET",
        "/events",
        Some(&hs256(&clerk, &jwks_text)),
        None,
        &[],
    );
    assert_unauthorized(&answer, "HS256 signed with the JWKS document");
    let good = signed(Algorithm::RS256, Some("rsa-1"), "rsa-private.pem", &clerk);
    assert_eq!(
        call(&server, "GET", "/events", Some(&good), None, &[]).status,
        200
    );
}

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

#[test]
fn dev_auth_issues_tokens_the_server_accepts() {
    let db = Db::new();
    let server = Server::start_with(&db, &["--dev-auth"]);
    // Without a token the API is closed now.
    assert_unauthorized(
        &call(&server, "GET", "/events", None, None, &[]),
        "no token under --dev-auth",
    );
    let issued = call(
        &server,
        "POST",
        "/dev/token",
        None,
        Some(json!({"sub": "bob", "roles": ["customer"], "customerId": "c-9"})),
        &[],
    );
    assert_eq!(issued.status, 200, "{}", issued.body);
    let token = issued.body["token"].as_str().unwrap();
    let created = call(
        &server,
        "POST",
        "/orders",
        Some(token),
        Some(json!({"orderId": "o-9", "customerId": "c-9"})),
        &[],
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let foreign = call(
        &server,
        "POST",
        "/orders",
        Some(token),
        Some(json!({"customerId": "c-1"})),
        &[],
    );
    assert_eq!(foreign.status, 403);
    let useless = call(
        &server,
        "POST",
        "/dev/token",
        None,
        Some(json!({"sub": "bob", "roles": ["customer"]})),
        &[],
    );
    assert_eq!((useless.status, useless.code()), (400, "invalid_input"));
}

/// Runs `serve` with arguments (and no --listen of the harness) until it prints its
/// address or exits; returns whether it started and its stderr if it did not.
fn try_start(args: &[&str]) -> (bool, String) {
    let db = Db::new();
    let mut child = Command::new(BIN)
        .arg("serve")
        .arg("--db")
        .arg(db.path())
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("ORDER_AUTH_HS256_SECRET")
        .current_dir(db.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    let started = line.starts_with("order-server listening on");
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    (
        started,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn without_auth_only_loopback_serves_unless_insecure_is_explicit() {
    let (started, stderr) = try_start(&["--listen", "0.0.0.0:0"]);
    assert!(!started);
    assert!(stderr.contains("--insecure-no-auth"), "{stderr}");
    let (started, stderr) = try_start(&["--listen", "0.0.0.0:0", "--dev-auth"]);
    assert!(!started);
    assert!(stderr.contains("--dev-auth"), "{stderr}");
    let (started, stderr) = try_start(&["--listen", "0.0.0.0:0", "--insecure-no-auth"]);
    assert!(started, "{stderr}");
    let (started, _) = try_start(&["--listen", "127.0.0.1:0"]);
    assert!(started);
}
