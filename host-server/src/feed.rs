//! The live feed behind `GET /events/stream` and `GET /orders/{id}/events/stream`: a task
//! per open stream reads the committed log from its cursor, page by page, and hands each
//! envelope to the HTTP response through a small bounded buffer. It wakes on this
//! process's commits and polls for those of other processes sharing the database.
//!
//! Reading from the log (not fanning out a copy of each commit) keeps memory bounded by
//! the buffer whatever the consumer does: a consumer that stops reading for longer than
//! the stall timeout is disconnected, and resumes by position with `Last-Event-ID`.

use std::time::Duration;

use clap::Args;
use order_core::{EventEnvelope, EventStore};
use tokio::sync::{mpsc, watch};

use crate::error::ApiError;
use crate::queries::Queries;

/// Envelopes read per store round trip.
const PAGE: usize = 500;
/// Envelopes a stream buffers ahead of its consumer.
const BUFFER: usize = 256;
/// How often a waiting stream looks for commits made by other processes.
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// How long streams stay open without traffic, and how long a consumer may stall.
#[derive(Debug, Clone, Copy)]
pub struct FeedSettings {
    /// Interval between comment heartbeats on an idle stream.
    pub heartbeat: Duration,
    /// A consumer that accepts nothing for this long while events wait is disconnected.
    pub stall_timeout: Duration,
}

impl Default for FeedSettings {
    fn default() -> Self {
        FeedSettings {
            heartbeat: Duration::from_secs(15),
            stall_timeout: Duration::from_secs(10),
        }
    }
}

/// `serve`'s flags for the live feed.
#[derive(Debug, Args)]
pub struct FeedArgs {
    /// Seconds between heartbeats (SSE comments) on an idle `/events/stream`.
    #[arg(long, env = "ORDER_STREAM_HEARTBEAT_SECS", default_value_t = 15)]
    pub stream_heartbeat_secs: u64,
    /// Milliseconds a stream's consumer may stop reading before it is disconnected.
    #[arg(long, env = "ORDER_STREAM_STALL_TIMEOUT_MS", default_value_t = 10_000)]
    pub stream_stall_timeout_ms: u64,
}

impl FeedArgs {
    pub fn settings(&self) -> anyhow::Result<FeedSettings> {
        if self.stream_heartbeat_secs == 0 || self.stream_stall_timeout_ms == 0 {
            anyhow::bail!(
                "--stream-heartbeat-secs and --stream-stall-timeout-ms must be at least 1"
            );
        }
        Ok(FeedSettings {
            heartbeat: Duration::from_secs(self.stream_heartbeat_secs),
            stall_timeout: Duration::from_millis(self.stream_stall_timeout_ms),
        })
    }
}

/// One event of a stream: its SSE `id:` and `data:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedItem {
    pub id: u64,
    /// The envelope as JSON, exactly as `/events` returns it.
    pub data: String,
}

/// Which events a stream carries, and how its cursor is counted.
#[derive(Debug, Clone)]
pub enum Selection {
    /// The global feed; the cursor is the global position.
    All,
    /// The global feed restricted to one customer's orders; the cursor is the global
    /// position (so it has gaps).
    Customer(String),
    /// One order's events; the cursor is the stream version.
    Order(String),
}

impl Selection {
    /// The next events after `cursor`, and the cursor to continue from.
    fn next_page(
        &self,
        store: &dyn EventStore,
        cursor: u64,
    ) -> Result<(Vec<EventEnvelope>, u64), ApiError> {
        let events = match self {
            Selection::All => store.read_all(cursor, PAGE)?,
            Selection::Customer(customer) => {
                return crate::auth::scope::filtered_feed(store, customer, cursor, PAGE)
            }
            Selection::Order(order_id) => {
                let mut events = store.read_stream(order_id, cursor)?;
                events.truncate(PAGE);
                events
            }
        };
        let through = events.last().map_or(cursor, |last| self.cursor_of(last));
        Ok((events, through))
    }

    /// The SSE `id:` of an envelope, which a reconnect sends back as `Last-Event-ID`.
    fn cursor_of(&self, event: &EventEnvelope) -> u64 {
        match self {
            Selection::Order(_) => event.version,
            Selection::All | Selection::Customer(_) => event.position,
        }
    }
}

/// Starts the task feeding one stream from `after`; the receiver ends when the consumer
/// is disconnected (stalled), the store fails or the server shuts down.
pub fn open(
    queries: Queries,
    mut commits: watch::Receiver<u64>,
    mut shutting_down: watch::Receiver<bool>,
    selection: Selection,
    after: u64,
    settings: FeedSettings,
) -> mpsc::Receiver<FeedItem> {
    let (sender, receiver) = mpsc::channel(BUFFER);
    tokio::spawn(async move {
        crate::metrics::record_stream_opened();
        let mut cursor = after;
        loop {
            if *shutting_down.borrow_and_update() {
                break;
            }
            commits.mark_unchanged();
            let page_selection = selection.clone();
            let read = queries
                .run(move |store| page_selection.next_page(store, cursor))
                .await;
            let (events, through) = match read {
                Ok(page) => page,
                Err(error) => {
                    tracing::warn!(code = %error.code, message = %error.message, "live feed read failed; closing the stream");
                    break;
                }
            };
            let progressed = through > cursor;
            if !push(&sender, &selection, events, settings.stall_timeout).await {
                break;
            }
            cursor = through;
            // More may be waiting right behind this page: read again before sleeping.
            if progressed {
                continue;
            }
            tokio::select! {
                _ = commits.changed() => {}
                () = tokio::time::sleep(POLL_INTERVAL) => {}
                () = sender.closed() => break,
                _ = shutting_down.changed() => {}
            }
        }
        crate::metrics::record_stream_closed();
    });
    receiver
}

/// Sends `events` in order; false when the stream is over (consumer gone or stalled).
async fn push(
    sender: &mpsc::Sender<FeedItem>,
    selection: &Selection,
    events: Vec<EventEnvelope>,
    stall_timeout: Duration,
) -> bool {
    for event in events {
        let data = match serde_json::to_string(&event) {
            Ok(data) => data,
            Err(e) => {
                tracing::error!(error = %e, "cannot encode an envelope for the live feed");
                return false;
            }
        };
        let item = FeedItem {
            id: selection.cursor_of(&event),
            data,
        };
        match sender.send_timeout(item, stall_timeout).await {
            Ok(()) => crate::metrics::record_stream_event(),
            Err(mpsc::error::SendTimeoutError::Timeout(_)) => {
                tracing::info!("a live feed consumer stopped reading; disconnecting it");
                crate::metrics::record_stream_disconnected_slow();
                return false;
            }
            Err(mpsc::error::SendTimeoutError::Closed(_)) => return false,
        }
    }
    true
}

#[cfg(test)]
#[path = "feed_tests.rs"]
mod tests;
