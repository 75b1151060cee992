//! The relay dies in its one delicate window, after the broker confirmed a round and before
//! the checkpoint records it (a hook of the `fault-suite` build aborts the process there; a
//! kill -9 from outside lands in it only by luck). A new `serve` on the same database must
//! publish again what was not checkpointed: every committed event reaches the queue at least
//! once, the only duplicates are events confirmed before the crash, and deduplicating by
//! `message_id` gives exactly the committed log in position order. On SQLite and PostgreSQL.
//!
//! Built only with `--features fault-suite` (scripts/test-server.sh runs it).

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use order_server::relay::fault::ABORT_AFTER_CONFIRMED;
use serde_json::Value;
use support::amqp::{check_against_log, Broadcast, Message, URL};
use support::{all_events, write_orders, Db, Server};

/// The crash comes once the broker confirmed this many events: mid-load, after several
/// rounds (and likely a checkpoint write), with more events committed behind it.
const CRASH_AFTER_CONFIRMED: &str = "200";
const SIGABRT: i32 = 6;

/// The checkpoint the database holds for the relay of `exchange`.
fn stored_checkpoint(db: &Db, exchange: &str) -> u64 {
    let name = format!("relay:{exchange}");
    match db.url() {
        Some(url) => order_store::PostgresStore::connect(url)
            .unwrap()
            .checkpoint(&name)
            .unwrap(),
        None => order_store::SqliteStore::open_read_only(db.path())
            .unwrap()
            .checkpoint(&name)
            .unwrap(),
    }
}

/// The (confirmed, checkpointed) positions the hook reported when it aborted.
fn crash_window(log: &str) -> (u64, u64) {
    let line = log
        .lines()
        .find(|l| l.starts_with("relay fault: aborting"))
        .unwrap_or_else(|| panic!("the hook did not fire; the server's log:\n{log}"));
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert_eq!(numbers.len(), 2, "{line}");
    (numbers[0], numbers[1])
}

fn positions(messages: &[Message]) -> Vec<u64> {
    messages
        .iter()
        .map(|m| m.body["position"].as_u64().unwrap())
        .collect()
}

fn crash_between_confirm_and_checkpoint_loses_nothing(db: &Db, tag: &str) {
    let broadcast = Broadcast::new(tag);
    let publish = ["--publish", URL, "--publish-exchange", &broadcast.exchange];

    let mut first = Server::start_with_env(
        db,
        &publish,
        &[(ABORT_AFTER_CONFIRMED, CRASH_AFTER_CONFIRMED)],
    );
    // The clients write until the process is gone (the crash takes it down under them).
    let acked_before = write_orders(&first, 4, 400, &format!("{tag}-a"));
    let exit = first.wait_exit();
    assert_eq!(exit.signal(), Some(SIGABRT), "the hook aborted: {exit:?}");
    let (confirmed, checkpoint) = crash_window(&first.log());
    assert!(
        checkpoint < confirmed,
        "the crash landed between confirm ({confirmed}) and checkpoint ({checkpoint})"
    );
    assert_eq!(
        stored_checkpoint(db, &broadcast.exchange),
        checkpoint,
        "the database holds the checkpoint written before the crash, not the confirmed one"
    );
    // Everything the broker confirmed is in the queue, once: the first process published
    // 1..=confirmed and nothing after.
    let before = broadcast.drain(Duration::from_secs(5), |m| m.len() as u64 >= confirmed);
    assert_eq!(
        positions(&before),
        (1..=confirmed).collect::<Vec<_>>(),
        "the queue holds each confirmed event once, in order"
    );

    let second = Server::start_with(db, &publish);
    let acked_after = write_orders(&second, 2, 20, &format!("{tag}-b"));
    assert_eq!(acked_after, 40, "the new process takes every command");
    let log = all_events(&second);
    let committed = log.len() as u64;
    assert!(
        committed > confirmed && committed >= (acked_before + acked_after) as u64,
        "{committed} events committed, {confirmed} confirmed before the crash"
    );
    let after = broadcast.drain(Duration::from_secs(15), |m| {
        m.last()
            .is_some_and(|last| last.body["position"].as_u64() == Some(committed))
    });
    let messages: Vec<Message> = before.into_iter().chain(after).collect();

    // At least once: every committed event, each message naming it exactly.
    let received = check_against_log(&messages, &log);
    assert_eq!(
        received.keys().copied().collect::<Vec<_>>(),
        (1..=committed).collect::<Vec<_>>(),
        "every committed event reached the queue"
    );
    // The only duplicates: what was confirmed but not checkpointed when the process died.
    let mut deliveries: BTreeMap<u64, usize> = BTreeMap::new();
    for position in positions(&messages) {
        *deliveries.entry(position).or_default() += 1;
    }
    let duplicated: BTreeSet<u64> = deliveries
        .iter()
        .filter(|(_, count)| **count > 1)
        .map(|(position, _)| *position)
        .collect();
    assert_eq!(
        duplicated,
        (checkpoint + 1..=confirmed).collect::<BTreeSet<_>>(),
        "duplicates are exactly the events confirmed after the last checkpoint"
    );
    assert!(deliveries.values().all(|count| *count <= 2));
    // A consumer deduplicating by message_id sees the committed log, in order.
    let mut seen = HashSet::new();
    let deduplicated: Vec<&Value> = messages
        .iter()
        .filter(|m| seen.insert(m.message_id.clone()))
        .map(|m| &m.body)
        .collect();
    assert_eq!(
        deduplicated,
        log.iter().collect::<Vec<_>>(),
        "deduplicated, the broadcast is the log in position order"
    );
    let mut versions: HashMap<&str, u64> = HashMap::new();
    for event in deduplicated {
        let version = versions
            .entry(event["streamId"].as_str().unwrap())
            .or_default();
        *version += 1;
        assert_eq!(
            event["version"].as_u64(),
            Some(*version),
            "per-stream order"
        );
    }
    eprintln!(
        "{tag}: crash with 1..={confirmed} confirmed, checkpoint {checkpoint}; {committed} \
         events committed, {} messages, {} duplicates",
        messages.len(),
        duplicated.len()
    );
}

#[test]
fn a_crash_between_confirm_and_checkpoint_loses_nothing_on_sqlite() {
    crash_between_confirm_and_checkpoint_loses_nothing(&Db::new(), "window-sqlite");
}

#[test]
fn a_crash_between_confirm_and_checkpoint_loses_nothing_on_postgres() {
    crash_between_confirm_and_checkpoint_loses_nothing(&Db::postgres(), "window-pg");
}
