//! The README's HTTP example (host-server/examples/readme.sh), run with curl against the
//! real server. scripts/check-readme.py checks that the README quotes the file verbatim.

mod support;

use support::{Db, Server};

#[test]
fn readme_http_example_places_the_seed_order() {
    let db = Db::new();
    let server = Server::start(&db);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/readme.sh");
    let output = std::process::Command::new("bash")
        .args(["-e", script])
        .env("BASE", server.url("").trim_end_matches('/'))
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "example failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let last_line = stdout.lines().last().unwrap_or_default();
    let order: serde_json::Value = serde_json::from_str(last_line.trim()).expect("order JSON");
    assert_eq!(order["status"], "placed");
    assert_eq!(order["total"], "109.97");
}

#[test]
fn readme_auth_example_acts_as_the_tokens_subject() {
    let db = Db::new();
    let server = Server::start_with(&db, &["--dev-auth"]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/readme-auth.sh");
    let output = std::process::Command::new("bash")
        .args(["-e", script])
        .env("BASE", server.url("").trim_end_matches('/'))
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "example failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.contains(&"403: not ann's customer"), "{stdout}");
    assert!(lines.contains(&"401"), "{stdout}");
    let events: serde_json::Value =
        serde_json::from_str(lines.last().unwrap().trim()).expect("events JSON");
    assert_eq!(events[0]["metadata"]["actor"], "ann");
    assert_eq!(events[0]["data"]["createdBy"], "ann");
}
