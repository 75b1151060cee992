//! The broker stopped (`rabbitmqctl stop_app`) for a while under load: commands keep being
//! accepted without waiting for it, `/health` stays ok and says the relay is disconnected,
//! and once the broker is back the relay drains the backlog: every event arrives, in
//! version order per stream. Its own test binary: it stops the shared broker.

mod support;

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use support::amqp::{Broadcast, URL};
use support::{Db, Server};

/// How long the broker stays down.
const OUTAGE: Duration = Duration::from_secs(20);

fn rabbitmqctl(action: &str) {
    let status = Command::new("rabbitmqctl")
        .arg(action)
        .status()
        .unwrap_or_else(|e| panic!("rabbitmqctl {action}: {e} (is RabbitMQ installed?)"));
    assert!(status.success(), "rabbitmqctl {action} failed");
}

/// Restarts the broker's app even if the test fails half-way.
struct BrokerBack;

impl Drop for BrokerBack {
    fn drop(&mut self) {
        let _ = Command::new("rabbitmqctl").arg("start_app").status();
    }
}

fn median_ms(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}

fn timed_adds(server: &Server, order: &str, from: usize, count: usize) -> Vec<Duration> {
    (from..from + count)
        .map(|i| {
            let started = Instant::now();
            let reply = server.post(
                &format!("/orders/{order}/items"),
                json!({"productId": format!("p-{i}"), "quantity": 1, "price": "1.00"}),
            );
            assert_eq!(reply.status, 200, "{}", reply.text);
            started.elapsed()
        })
        .collect()
}

#[test]
fn a_broker_outage_never_blocks_a_command_and_the_backlog_drains_after() {
    let db = Db::new();
    let broadcast = Broadcast::new("outage");
    let server = Server::start_with(
        &db,
        &["--publish", URL, "--publish-exchange", &broadcast.exchange],
    );
    // Small orders throughout, so the latency compares like with like (a command's cost
    // grows with its order's lines).
    let new_order = |name: &str| {
        let reply = server.post("/orders", json!({"orderId": name, "customerId": "c"}));
        assert_eq!(reply.status, 201, "{}", reply.text);
    };
    new_order("before");
    let before = median_ms(timed_adds(&server, "before", 0, 20));

    let _restart = BrokerBack;
    rabbitmqctl("stop_app");
    let outage_started = Instant::now();
    let mut during = Vec::new();
    let mut added = 0;
    while outage_started.elapsed() < OUTAGE {
        let order = format!("during-{added}");
        new_order(&order);
        during.extend(timed_adds(&server, &order, 0, 20));
        added += 21;
        std::thread::sleep(Duration::from_millis(200));
    }
    let health = server.get("/health");
    assert_eq!(
        health.status, 200,
        "commands work, so the server is healthy"
    );
    assert_eq!(
        health.body["relay"]["status"], "disconnected",
        "{}",
        health.text
    );
    assert!(health.body["relay"]["lag"].as_u64().unwrap() > 0);
    rabbitmqctl("start_app");
    // Every command of the outage was answered 200 (timed_adds asserts it); the latency is
    // reported, not asserted (timing belongs to benchmarks, and this machine is shared).
    let during = median_ms(during);
    eprintln!(
        "{added} commands during a {}s broker outage, all accepted; median latency \
         {before:.2} ms before, {during:.2} ms during",
        OUTAGE.as_secs()
    );

    let committed = server.get("/health").body["lastPosition"].as_u64().unwrap() as usize;
    let messages = broadcast.drain(Duration::from_secs(30), |m| {
        let distinct: std::collections::HashSet<_> = m.iter().map(|m| &m.message_id).collect();
        distinct.len() >= committed
    });
    let mut last_version: HashMap<String, u64> = HashMap::new();
    let mut distinct = std::collections::HashSet::new();
    for message in &messages {
        if !distinct.insert(message.message_id.clone()) {
            continue; // a redelivery of a message published before a confirm was lost
        }
        let stream = message.body["streamId"].as_str().unwrap().to_string();
        let version = message.body["version"].as_u64().unwrap();
        let previous = last_version.insert(stream, version).unwrap_or(0);
        assert_eq!(version, previous + 1, "in version order per stream");
    }
    assert_eq!(distinct.len(), committed, "the backlog drained completely");
}
