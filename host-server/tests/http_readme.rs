//! The README's examples (host-server/examples/readme*.sh), run with curl against the real
//! server (and, for readme-rabbitmq.sh, the real broker). scripts/check-readme.py checks
//! that the README quotes each file verbatim.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::amqp::{Broadcast, URL};
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

/// Runs an example script that starts its own server, with `order-server` on the PATH, in
/// its own process group (killed whole if it hangs); returns its stdout.
fn run_self_serving_example(script: &str, dir: &std::path::Path, env: &[(&str, &str)]) -> String {
    use std::os::unix::process::CommandExt;
    let bin_dir = std::path::Path::new(support::BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let child = std::process::Command::new("bash")
        .args(["-e", script])
        .env("PATH", path)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .current_dir(dir)
        .process_group(0)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("bash runs");
    let group = child.id();
    // A debug build compiles the guest at startup: give it as long as Server::start does.
    let watchdog = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(240);
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
            if std::process::Command::new("kill")
                .args(["-0", &group.to_string()])
                .status()
                .is_ok_and(|s| !s.success())
            {
                return;
            }
        }
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &format!("-{group}")])
            .status();
    });
    let output = child.wait_with_output().expect("example ran");
    let _ = watchdog.join();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "example failed ({}): {stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn readme_rabbitmq_example_prints_each_event_of_the_order_once_and_cleans_up() {
    let db = Db::new();
    // The test's own exchange (deleted after) and a queue bound to it, to compare with.
    let broadcast = Broadcast::new("readme");
    let queue = format!("{}.billing", broadcast.exchange);
    let listen = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().to_string()
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/readme-rabbitmq.sh");
    let stdout = run_self_serving_example(
        script,
        db.dir.path(),
        &[
            ("AMQP", URL),
            ("EXCHANGE", &broadcast.exchange),
            ("QUEUE", &queue),
            ("LISTEN", &listen),
        ],
    );
    let queue_left = broadcast.queue_exists(&queue);
    broadcast.delete_queue(&queue);
    assert!(!queue_left, "the example deletes the queue it declared");

    let printed: Vec<Value> = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|value| value.get("eventId").is_some())
        .collect();
    let types: Vec<&str> = printed
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["OrderCreated", "ItemAdded", "OrderPlaced"],
        "{stdout}"
    );
    let positions: Vec<u64> = printed
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect();
    assert_eq!(positions, [1, 2, 3]);
    // What the example printed is what the broker delivered to any other queue too.
    let delivered = broadcast.drain(Duration::from_secs(10), |m| m.len() >= 3);
    let bodies: Vec<Value> = delivered.into_iter().map(|m| m.body).collect();
    assert_eq!(bodies, printed);
}
