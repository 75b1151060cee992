//! `serve --publish`: every committed event reaches RabbitMQ (a real broker), with the
//! promised routing key, properties and body, none missing, across kill -9 of the server;
//! and `subscribe` prints each event once.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use support::amqp::{check_against_log, Broadcast, URL};
use support::{all_events, write_orders, Db, Server};

fn publishing(db: &Db, broadcast: &Broadcast) -> Server {
    Server::start_with(
        db,
        &["--publish", URL, "--publish-exchange", &broadcast.exchange],
    )
}

#[test]
fn every_committed_event_is_published_with_its_type_id_and_headers() {
    let db = Db::new();
    let broadcast = Broadcast::new("basic");
    let server = publishing(&db, &broadcast);
    let acked = write_orders(&server, 8, 250, "o");
    assert_eq!(acked, 2000);
    let log = all_events(&server);
    let messages = broadcast.drain(Duration::from_secs(10), |m| m.len() >= log.len());
    let positions = check_against_log(&messages, &log);
    assert_eq!(
        positions.keys().copied().collect::<Vec<_>>(),
        (1..=log.len() as u64).collect::<Vec<_>>(),
        "no position missing"
    );
    let first = &messages[0];
    assert_eq!(first.content_type, "application/json");
    assert!(first.persistent);
    assert_eq!(first.routing_key, first.body["type"].as_str().unwrap());
    assert_eq!(
        first.header_text("type").as_deref(),
        first.body["type"].as_str()
    );
    assert_eq!(
        first.header_text("streamId").as_deref(),
        first.body["streamId"].as_str()
    );
    assert_eq!(first.header_int("version"), first.body["version"].as_i64());
    assert_eq!(
        first.header_int("position"),
        first.body["position"].as_i64()
    );
    // In position order, per relay: so every stream's versions arrive in order.
    let mut last_version: HashMap<String, u64> = HashMap::new();
    for message in &messages {
        let stream = message.body["streamId"].as_str().unwrap().to_string();
        let version = message.body["version"].as_u64().unwrap();
        let previous = last_version.insert(stream, version).unwrap_or(0);
        assert_eq!(version, previous + 1, "versions arrive in order");
    }
    let health = server.get("/health").body;
    assert_eq!(health["relay"]["status"], "connected");
    assert_eq!(health["relay"]["lag"], 0);
    let metrics = server.get("/metrics").text;
    assert!(metrics.contains("orders_relay_active 1"), "{metrics}");
    assert!(metrics.contains("orders_relay_lag_events 0"));
    assert!(metrics.contains(&format!("orders_relay_confirmed_total {}", log.len())));
}

#[test]
fn nothing_is_lost_across_kill_9_of_the_server() {
    let db = Db::new();
    let broadcast = Broadcast::new("restarts");
    for round in 0..5 {
        let server = publishing(&db, &broadcast);
        let pid = server.pid().to_string();
        let acked = std::thread::scope(|scope| {
            let clients = scope.spawn(|| write_orders(&server, 4, 400, &format!("r{round}")));
            // Killed while the clients are writing and the relay is publishing.
            std::thread::sleep(Duration::from_millis(300 + 90 * round as u64));
            let killed = std::process::Command::new("kill")
                .args(["-9", &pid])
                .status()
                .unwrap();
            assert!(killed.success());
            clients.join().unwrap()
        });
        assert!(acked < 1600, "round {round}: the kill landed under load");
        server.kill_hard();
    }
    let server = publishing(&db, &broadcast);
    let log = all_events(&server);
    assert!(log.len() > 100, "the load committed events: {}", log.len());
    let messages = broadcast.drain(Duration::from_secs(10), |m| {
        let distinct: std::collections::HashSet<_> = m.iter().map(|m| &m.message_id).collect();
        distinct.len() >= log.len()
    });
    let positions = check_against_log(&messages, &log);
    assert_eq!(
        positions.len(),
        log.len(),
        "after draining, the broker has every committed event ({} messages, {} duplicates)",
        messages.len(),
        messages.len() - positions.len()
    );
}

#[test]
fn subscribe_prints_each_event_once_as_a_json_line() {
    let db = Db::new();
    let broadcast = Broadcast::new("subscribe");
    let queue = format!("{}.subscriber", broadcast.exchange);
    // Declare the subscriber's queue first (it outlives the consumer), then publish.
    let declare = support::cli_run(&[
        "subscribe",
        "--amqp",
        URL,
        "--exchange",
        &broadcast.exchange,
        "--queue",
        &queue,
        "--idle-timeout-secs",
        "1",
    ]);
    assert!(
        declare.status.success(),
        "{}",
        String::from_utf8_lossy(&declare.stderr)
    );
    let server = publishing(&db, &broadcast);
    write_orders(&server, 2, 10, "s");
    let log = all_events(&server);
    let out = support::cli_run(&[
        "subscribe",
        "--amqp",
        URL,
        "--exchange",
        &broadcast.exchange,
        "--queue",
        &queue,
        "--max-events",
        &log.len().to_string(),
        "--idle-timeout-secs",
        "15",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines, log,
        "every event once, in position order, as /events shows it"
    );
    broadcast.delete_queue(&queue);
}
