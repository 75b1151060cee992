//! Bearer tokens for the tests: sign claims with the test keys (tests/keys), start a
//! server that verifies them, and call it with a token.

use std::path::PathBuf;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use super::{Db, Server};

pub const SECRET: &str = "test-secret-of-at-least-32-bytes-0123456789";

pub fn key_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keys")
        .join(name)
}

pub fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

pub fn claims(sub: &str, roles: &[&str], customer: Option<&str>) -> Value {
    let mut claims = json!({"sub": sub, "roles": roles, "exp": now() + 600});
    if let Some(customer) = customer {
        claims["customer_id"] = json!(customer);
    }
    claims
}

pub fn hs256(claims: &Value, secret: &[u8]) -> String {
    let key = EncodingKey::from_secret(secret).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key).unwrap()
}

pub fn signed(alg: Algorithm, kid: Option<&str>, pem_file: &str, claims: &Value) -> String {
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

pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A server verifying HS256 with [`SECRET`] and RS256/ES256 with tests/keys/jwks.json.
pub fn start_with_auth(db: &Db, extra: &[&str]) -> Server {
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

pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub www_authenticate: Option<String>,
    pub scanned_through: Option<u64>,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

/// One request with an optional bearer token and extra headers.
pub fn call(
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

pub fn assert_unauthorized(answer: &Answer, what: &str) {
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
