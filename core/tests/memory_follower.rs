//! A memory store following another store's feed (`append_confirmed`): a customer's feed
//! has gaps in its positions, yet each stream must continue its versions; anything else
//! is refused whole, and the follower then decides and reads like the store it follows.

use chrono::{TimeZone, Utc};
use order_core::{
    CancelOrder, Command, CommandOptions, CreateOrder, Engine, EventEnvelope, EventStore,
    FixedEnvironment, MemoryStore, StoreError,
};

fn env() -> FixedEnvironment {
    FixedEnvironment::starting_at(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap())
}

fn create(order_id: &str, customer_id: &str) -> Command {
    Command::CreateOrder(CreateOrder {
        order_id: order_id.into(),
        customer_id: customer_id.into(),
    })
}

/// The server's log: alice's and bob's orders interleaved.
fn server_log() -> Vec<EventEnvelope> {
    let mut server = Engine::new(MemoryStore::new(), env());
    for command in [
        create("a-1", "alice"),
        create("b-1", "bob"),
        create("a-2", "alice"),
        Command::CancelOrder(CancelOrder {
            order_id: "b-1".into(),
            reason: None,
        }),
    ] {
        server.handle(command, CommandOptions::default()).unwrap();
    }
    server.store().events().to_vec()
}

fn of_customer(log: &[EventEnvelope], prefix: &str) -> Vec<EventEnvelope> {
    log.iter()
        .filter(|e| e.stream_id.starts_with(prefix))
        .cloned()
        .collect()
}

#[test]
fn a_feed_with_gaps_is_followed_and_positions_keep_their_global_values() {
    let log = server_log();
    let mut follower = MemoryStore::new();
    follower
        .append_confirmed(of_customer(&log, "a-"))
        .expect("alice's feed");
    let positions: Vec<u64> = follower.events().iter().map(|e| e.position).collect();
    assert_eq!(positions, [1, 3]);
    assert_eq!(follower.last_position().unwrap(), 3);
    assert_eq!(
        follower.event_at(3).map(|e| e.stream_id.as_str()),
        Some("a-2")
    );
    assert!(
        follower.event_at(2).is_none() && follower.event_at(4).is_none(),
        "a position in a gap or past the end holds no event"
    );
    assert_eq!(
        follower.read_all(1, 10).unwrap()[0].stream_id,
        "a-2",
        "read_all continues after a position that is not held"
    );
    assert!(follower.get_view("a-2").unwrap().is_some());
    assert!(follower.get_view("b-1").unwrap().is_none());

    // Decisions on top of the follower get positions after the last one held.
    let mut engine = Engine::new(follower, env());
    let cancel = Command::CancelOrder(CancelOrder {
        order_id: "a-1".into(),
        reason: None,
    });
    let outcome = engine.handle(cancel, CommandOptions::default()).unwrap();
    assert_eq!((outcome.version, outcome.positions), (2, vec![4]));
}

#[test]
fn feeds_are_followed_in_steps_and_replays_of_held_events_are_refused_whole() {
    let log = server_log();
    let mut follower = MemoryStore::new();
    follower.append_confirmed(log[..2].to_vec()).unwrap();
    follower.append_confirmed(log[2..].to_vec()).unwrap();
    assert_eq!(follower.events(), &log[..]);

    let mut again = MemoryStore::new();
    again.append_confirmed(log[..3].to_vec()).unwrap();
    let error = again.append_confirmed(log[2..].to_vec()).unwrap_err();
    assert!(
        matches!(&error, StoreError::Invalid(m) if m.contains("already held")),
        "{error}"
    );
    assert_eq!(
        again.events().len(),
        3,
        "nothing of a refused batch is added"
    );
}

#[test]
fn an_event_that_skips_a_version_of_its_stream_is_refused() {
    let log = server_log();
    // b-1's OrderCancelled (version 2) without its OrderCreated.
    let skipped = vec![log[0].clone(), log[3].clone()];
    let mut follower = MemoryStore::new();
    let error = follower.append_confirmed(skipped).unwrap_err();
    assert!(
        matches!(&error, StoreError::Invalid(m) if m.contains("`b-1` has version 2, expected 1")),
        "{error}"
    );
    assert!(follower.events().is_empty());
}

#[test]
fn from_events_still_requires_positions_from_one_without_gaps() {
    let log = server_log();
    let error = MemoryStore::from_events(of_customer(&log, "a-")).unwrap_err();
    assert!(
        matches!(&error, StoreError::Invalid(m) if m.contains("expected 2")),
        "{error}"
    );
    assert_eq!(
        MemoryStore::from_events(log.clone()).unwrap().events(),
        &log[..]
    );
}
