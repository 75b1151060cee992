//! The feed task on a real SQLite file: pages, cursors per selection, live wake-ups, and
//! the disconnect of a consumer that stops reading.

use super::*;
use chrono::{TimeZone, Utc};
use order_core::{Command, CommandOptions, CreateOrder, Engine, FixedEnvironment};
use order_store::{SqliteStore, Synchronous};

struct Log {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    engine: Engine<SqliteStore, FixedEnvironment>,
}

impl Log {
    fn new() -> Log {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed.db");
        let store = SqliteStore::open(&path, Synchronous::Normal).unwrap();
        let env = FixedEnvironment::starting_at(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
        Log {
            _dir: dir,
            path,
            engine: Engine::new(store, env),
        }
    }

    fn create(&mut self, order_id: &str, customer_id: &str) {
        let command = Command::CreateOrder(CreateOrder {
            order_id: order_id.into(),
            customer_id: customer_id.into(),
        });
        self.engine
            .handle(command, CommandOptions::default())
            .unwrap();
    }

    fn queries(&self) -> Queries {
        Queries::sqlite(self.path.clone())
    }
}

/// A stream on `log` with its two signals: this process's commits and the shutdown.
struct Feed {
    items: mpsc::Receiver<FeedItem>,
    commits: watch::Sender<u64>,
    stop: watch::Sender<bool>,
}

fn follow(log: &Log, selection: Selection, after: u64, stall_ms: u64) -> Feed {
    let (commits, updates) = watch::channel(0);
    let (stop, stopping) = watch::channel(false);
    let settings = FeedSettings {
        heartbeat: Duration::from_secs(15),
        stall_timeout: Duration::from_millis(stall_ms),
    };
    let items = open(log.queries(), updates, stopping, selection, after, settings);
    Feed {
        items,
        commits,
        stop,
    }
}

fn id_of(item: &FeedItem) -> String {
    item.id.to_string()
}

async fn next(receiver: &mut mpsc::Receiver<FeedItem>) -> Option<FeedItem> {
    tokio::time::timeout(Duration::from_secs(5), receiver.recv())
        .await
        .expect("the feed said nothing for 5 s")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_global_feed_sends_every_event_after_the_cursor_then_new_ones_as_they_commit() {
    let mut log = Log::new();
    for i in 0..3 {
        log.create(&format!("o-{i}"), "c");
    }
    let mut feed = follow(&log, Selection::All, 1, 5_000);
    assert_eq!(id_of(&next(&mut feed.items).await.unwrap()), "2");
    assert_eq!(id_of(&next(&mut feed.items).await.unwrap()), "3");
    log.create("o-late", "c");
    feed.commits.send_modify(|n| *n += 1);
    assert_eq!(id_of(&next(&mut feed.items).await.unwrap()), "4");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_of_another_process_reach_the_feed_without_a_signal() {
    let mut log = Log::new();
    let mut feed = follow(&log, Selection::All, 0, 5_000);
    log.create("o-1", "c");
    assert_eq!(id_of(&next(&mut feed.items).await.unwrap()), "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_feed_holds_only_their_orders_with_global_positions_as_ids() {
    let mut log = Log::new();
    log.create("o-a1", "alice");
    log.create("o-b1", "bob");
    log.create("o-a2", "alice");
    let mut feed = follow(&log, Selection::Customer("alice".into()), 0, 5_000);
    assert_eq!(id_of(&next(&mut feed.items).await.unwrap()), "1");
    assert_eq!(id_of(&next(&mut feed.items).await.unwrap()), "3");
    log.create("o-b2", "bob");
    log.create("o-a3", "alice");
    assert_eq!(id_of(&next(&mut feed.items).await.unwrap()), "5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_feed_counts_its_cursor_in_stream_versions() {
    let mut log = Log::new();
    log.create("o-other", "c");
    log.create("o-1", "c");
    let mut feed = follow(&log, Selection::Order("o-1".into()), 0, 5_000);
    let first = next(&mut feed.items).await.unwrap();
    assert_eq!(id_of(&first), "1", "version 1, although position 2");
    let envelope: serde_json::Value = serde_json::from_str(&first.data).unwrap();
    assert_eq!(envelope["position"], 2, "{envelope}");
    assert_eq!(envelope["streamId"], "o-1", "{envelope}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_stops_reading_is_disconnected_after_the_stall_timeout() {
    let mut log = Log::new();
    let total = BUFFER + 100;
    for i in 0..total {
        log.create(&format!("o-{i}"), "c");
    }
    let mut feed = follow(&log, Selection::All, 0, 200);
    // Read nothing until the stall timeout has passed with events waiting.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mut received = 0;
    while let Some(event) = next(&mut feed.items).await {
        received += 1;
        assert_eq!(id_of(&event), received.to_string(), "in position order");
    }
    assert_eq!(
        received, BUFFER,
        "what was buffered is delivered, then the stream ends; the rest waits in the log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_keeps_reading_gets_more_than_the_buffer_holds() {
    let mut log = Log::new();
    let total = 2 * BUFFER + PAGE;
    for i in 0..total {
        log.create(&format!("o-{i}"), "c");
    }
    let mut feed = follow(&log, Selection::All, 0, 200);
    for expected in 1..=total {
        let event = next(&mut feed.items).await.expect("still open");
        assert_eq!(id_of(&event), expected.to_string());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_ends_every_stream() {
    let mut log = Log::new();
    log.create("o-1", "c");
    let mut feed = follow(&log, Selection::All, 0, 5_000);
    assert_eq!(id_of(&next(&mut feed.items).await.unwrap()), "1");
    feed.stop.send(true).unwrap();
    assert_eq!(
        next(&mut feed.items).await,
        None,
        "the stream ends instead of waiting"
    );
}
