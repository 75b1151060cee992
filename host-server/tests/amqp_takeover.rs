//! Two replicas on one PostgreSQL database, both started with `--publish`: exactly one
//! runs the relay (a session advisory lock); when it is killed with kill -9 the other takes
//! the role over within seconds, and the broker still receives every committed event.

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::amqp::{Broadcast, URL};
use support::{Db, Server};

fn relay_active(server: &Server) -> bool {
    server.get("/health").body["relay"]["active"] == true
}

/// Waits until `check` holds or `limit` passes; returns how long it took.
fn wait_for(limit: Duration, check: impl Fn() -> bool) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if check() {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

fn write(server: &Server, tag: &str, orders: usize) -> usize {
    let mut acked = 0;
    for i in 0..orders {
        let order = format!("{tag}-{i}");
        if server
            .try_post("/orders", json!({"orderId": order, "customerId": "c"}))
            .is_some_and(|r| r.status == 201)
        {
            acked += 1;
        }
        let item = json!({"productId": "p", "quantity": 1, "price": "1.00"});
        if server
            .try_post(&format!("/orders/{order}/items"), item)
            .is_some_and(|r| r.status == 200)
        {
            acked += 1;
        }
    }
    acked
}

#[test]
fn the_other_replica_takes_the_relay_over_and_nothing_is_lost() {
    let db = Db::postgres();
    let broadcast = Broadcast::new("takeover");
    let publish = ["--publish", URL, "--publish-exchange", &broadcast.exchange];
    let first = Server::start_with(&db, &publish);
    let second = Server::start_with(&db, &publish);
    let servers = [&first, &second];
    assert!(
        wait_for(Duration::from_secs(10), || servers
            .iter()
            .any(|s| relay_active(s)))
        .is_some(),
        "one replica runs the relay"
    );
    let active: Vec<bool> = servers.iter().map(|s| relay_active(s)).collect();
    assert_eq!(
        active.iter().filter(|a| **a).count(),
        1,
        "exactly one relay per database: {active:?}"
    );
    write(&first, "a", 20);
    write(&second, "b", 20);

    let (holder, survivor) = if active[0] {
        (first, second)
    } else {
        (second, first)
    };
    let pid = holder.pid().to_string();
    std::thread::scope(|scope| {
        let load = scope.spawn(|| write(&survivor, "during", 40));
        std::thread::sleep(Duration::from_millis(200));
        let killed = std::process::Command::new("kill")
            .args(["-9", &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        assert!(load.join().unwrap() > 0);
    });
    holder.kill_hard();
    let took = wait_for(Duration::from_secs(15), || relay_active(&survivor))
        .expect("the surviving replica takes the relay over");
    eprintln!(
        "relay taken over {:.1} s after the kill",
        took.as_secs_f64()
    );
    write(&survivor, "after", 10);

    let last = survivor.get("/health").body["lastPosition"]
        .as_u64()
        .unwrap();
    let messages = broadcast.drain(Duration::from_secs(15), |m| {
        m.iter()
            .map(|m| &m.message_id)
            .collect::<BTreeSet<_>>()
            .len() as u64
            >= last
    });
    let positions: BTreeSet<u64> = messages
        .iter()
        .map(|m| m.body["position"].as_u64().unwrap())
        .collect();
    assert_eq!(
        positions,
        (1..=last).collect::<BTreeSet<u64>>(),
        "every committed event reached the broker ({} messages for {last} events)",
        messages.len()
    );
    let events: Value = survivor
        .get(&format!("/events?after={}&limit=1", last - 1))
        .body;
    assert_eq!(events[0]["position"], last);
}
