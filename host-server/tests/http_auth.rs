//! Identity against the real binary: which tokens are refused (401) and which pass, and
//! the start-up modes (open on loopback only, `--dev-auth`). Scope: http_scope.rs.

mod support;

use std::process::{Command, Stdio};

use jsonwebtoken::Algorithm;
use serde_json::json;
use support::auth::*;
use support::{Db, Server, BIN};

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
    try_start_env(args, &[])
}

fn try_start_env(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let db = Db::new();
    let mut child = Command::new(BIN)
        .arg("serve")
        .arg("--db")
        .arg(db.path())
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("ORDER_AUTH_HS256_SECRET")
        .envs(env.iter().copied())
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

#[test]
fn a_configured_audience_and_issuer_must_be_in_every_token() {
    let db = Db::new();
    let server = start_with_auth(
        &db,
        &[
            "--auth-audience",
            "orders-api",
            "--auth-issuer",
            "https://idp.test",
            "--dev-auth",
        ],
    );
    let with = |aud: Option<serde_json::Value>, iss: Option<&str>| {
        let mut claims = claims("clerk-1", &["clerk"], None);
        if let Some(aud) = aud {
            claims["aud"] = aud;
        }
        if let Some(iss) = iss {
            claims["iss"] = json!(iss);
        }
        claims
    };
    let get = |token: &str| call(&server, "GET", "/events", Some(token), None, &[]);
    let iss = Some("https://idp.test");
    for (claims, what) in [
        (with(Some(json!("billing")), iss), "another audience"),
        (
            with(Some(json!(["billing", "crm"])), iss),
            "an array without ours",
        ),
        (with(None, iss), "no aud"),
        (
            with(Some(json!("orders-api")), Some("https://evil.test")),
            "another issuer",
        ),
        (with(Some(json!("orders-api")), None), "no iss"),
    ] {
        assert_unauthorized(&get(&hs256(&claims, SECRET.as_bytes())), what);
        let rs256 = signed(Algorithm::RS256, Some("rsa-1"), "rsa-private.pem", &claims);
        assert_unauthorized(&get(&rs256), &format!("RS256, {what}"));
    }
    for aud in [json!("orders-api"), json!(["billing", "orders-api"])] {
        let good = with(Some(aud), iss);
        for token in [
            hs256(&good, SECRET.as_bytes()),
            signed(Algorithm::RS256, Some("rsa-1"), "rsa-private.pem", &good),
        ] {
            let answer = get(&token);
            assert_eq!(answer.status, 200, "{}", answer.body);
        }
    }
    // --dev-auth tokens carry the configured aud and iss, so the demo keeps working.
    let issued = call(
        &server,
        "POST",
        "/dev/token",
        None,
        Some(json!({"sub": "ann", "roles": ["clerk"]})),
        &[],
    );
    assert_eq!(issued.status, 200, "{}", issued.body);
    let token = issued.body["token"].as_str().unwrap();
    assert_eq!(get(token).status, 200);

    // Without the options, aud and iss are not looked at (a server of the same keys).
    let open_db = Db::new();
    let unchecked = start_with_auth(&open_db, &[]);
    let foreign = hs256(
        &with(Some(json!("billing")), Some("https://evil.test")),
        SECRET.as_bytes(),
    );
    let answer = call(&unchecked, "GET", "/events", Some(&foreign), None, &[]);
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[test]
fn audience_and_issuer_come_from_the_environment_and_need_a_key() {
    // Given through the environment with no key configured, the server refuses to start
    // rather than serve open while the operator believes tokens are checked.
    for var in ["ORDER_AUTH_AUDIENCE", "ORDER_AUTH_ISSUER"] {
        let (started, stderr) = try_start_env(&["--listen", "127.0.0.1:0"], &[(var, "x")]);
        assert!(!started, "{var}");
        assert!(stderr.contains("no key"), "{var}: {stderr}");
    }
    let (started, stderr) = try_start_env(
        &["--listen", "127.0.0.1:0", "--dev-auth"],
        &[
            ("ORDER_AUTH_AUDIENCE", "orders-api"),
            ("ORDER_AUTH_ISSUER", "i"),
        ],
    );
    assert!(started, "{stderr}");
}
