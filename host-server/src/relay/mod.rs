//! The broker relay: follows the committed log from a checkpoint kept in the same database
//! (the log is the outbox) and publishes every event to a RabbitMQ topic exchange with
//! publisher confirms. The checkpoint advances only after the broker confirmed every event
//! up to it, so a crash anywhere re-publishes, never skips: delivery is at-least-once, in
//! position order, and a duplicate carries the same `message_id` (the event id).
//! Commands never wait for it: the relay reads what the writer already committed.

mod broker;
#[cfg(feature = "fault-suite")]
pub mod fault;
mod log;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

pub use broker::{envelope_message, Broker};
pub use log::{PostgresRelayLog, RelayLog, SqliteRelayLog};

/// Default exchange (`--publish-exchange`).
pub const DEFAULT_EXCHANGE: &str = "orders.events";
/// Events published per round before waiting for their confirms.
const BATCH: usize = 500;
/// How often the relay looks for events committed by other processes when not woken.
const POLL: Duration = Duration::from_millis(250);
const BACKOFF_FIRST: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(10);
/// How often a standby relay tries to take the role over.
const STANDBY_RETRY: Duration = Duration::from_secs(1);
/// Pause between partial rounds under load.
const COALESCE: Duration = Duration::from_millis(100);
/// Longest time confirmed progress waits to be written as the checkpoint under load.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

#[derive(Debug, Clone)]
pub struct RelayConfig {
    pub url: String,
    pub exchange: String,
}

impl RelayConfig {
    /// The checkpoint's name in the database: one per exchange.
    pub fn checkpoint_name(&self) -> String {
        format!("relay:{}", self.exchange)
    }
}

/// What `/health` and `/metrics` show about the relay.
#[derive(Debug, Default)]
pub struct RelayStatus {
    /// This process runs the relay (it holds the database's relay role).
    pub active: AtomicBool,
    pub connected: AtomicBool,
    pub checkpoint: AtomicU64,
    pub last_position: AtomicU64,
    pub published: AtomicU64,
    pub confirmed: AtomicU64,
    pub failures: AtomicU64,
}

impl RelayStatus {
    /// Positions committed but not yet confirmed by the broker.
    pub fn lag(&self) -> u64 {
        self.last_position
            .load(Ordering::Relaxed)
            .saturating_sub(self.checkpoint.load(Ordering::Relaxed))
    }
}

/// Handle kept by the server: the relay's status.
#[derive(Clone)]
pub struct Relay {
    pub status: Arc<RelayStatus>,
    wake: Arc<Notify>,
}

/// Starts the relay task on the current tokio runtime; `commits` is notified after each
/// local commit (the writer's), and other processes' commits are found by polling.
pub fn start(config: RelayConfig, log: impl RelayLog + 'static, commits: Arc<Notify>) -> Relay {
    let relay = Relay {
        status: Arc::new(RelayStatus::default()),
        wake: commits,
    };
    let task = relay.clone();
    tokio::spawn(async move { run(config, Arc::new(log), task).await });
    relay
}

async fn run(config: RelayConfig, log: Arc<dyn RelayLog>, relay: Relay) {
    let status = relay.status.clone();
    let name = config.checkpoint_name();
    let mut backoff = BACKOFF_FIRST;
    loop {
        // Standby until this process holds the database's relay role.
        if !holds_role(&log).await {
            status.active.store(false, Ordering::Relaxed);
            tokio::time::sleep(STANDBY_RETRY).await;
            continue;
        }
        if !status.active.swap(true, Ordering::Relaxed) {
            tracing::info!("this process now runs the relay");
        }
        match Broker::connect(&config.url, &config.exchange).await {
            Ok(broker) => {
                status.connected.store(true, Ordering::Relaxed);
                tracing::info!(exchange = %config.exchange, "relay connected to the broker");
                backoff = BACKOFF_FIRST;
                let error = publish_until_failure(&broker, &log, &name, &relay).await;
                tracing::warn!(%error, "relay lost the broker; reconnecting");
            }
            Err(e) => tracing::warn!(error = %e, "relay cannot reach the broker; retrying"),
        }
        status.connected.store(false, Ordering::Relaxed);
        status.failures.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

async fn holds_role(log: &Arc<dyn RelayLog>) -> bool {
    match blocking(log, |log| log.holds_role()).await {
        Ok(held) => held,
        Err(e) => {
            tracing::warn!(error = %e, "relay cannot reach the database to claim its role");
            false
        }
    }
}

/// Publishes from the checkpoint on, round after round; returns why it stopped (a broker
/// failure, or the role lost to another process).
///
/// The checkpoint is written at most every [`CHECKPOINT_EVERY`] under load (and as soon as
/// the relay has caught up), not after every round: a write transaction per round would
/// contend with the command writer for the database. Progress confirmed but not yet
/// written is published again after a crash: more duplicates, never a gap.
async fn publish_until_failure(
    broker: &Broker,
    log: &Arc<dyn RelayLog>,
    name: &str,
    relay: &Relay,
) -> anyhow::Error {
    let status = &relay.status;
    let mut confirmed = match blocking(log, {
        let name = name.to_string();
        move |log| log.checkpoint(&name)
    })
    .await
    {
        Ok(position) => position,
        Err(e) => return e,
    };
    status.checkpoint.store(confirmed, Ordering::Relaxed);
    let mut saved = confirmed;
    let mut last_save = Instant::now();
    let mut role_checked = Instant::now();
    let failure = loop {
        if role_checked.elapsed() >= STANDBY_RETRY {
            if !holds_role(log).await {
                return anyhow::anyhow!("the relay role is held by another process now");
            }
            role_checked = Instant::now();
        }
        let pending = match blocking(log, move |log| log.pending(confirmed, BATCH)).await {
            Ok(pending) => pending,
            Err(e) => break e,
        };
        status
            .last_position
            .store(pending.last_position, Ordering::Relaxed);
        let caught_up = pending.events.is_empty();
        if let Some(last) = pending.events.last().map(|e| e.position) {
            if let Err(e) = broker.publish_confirmed(&pending.events, status).await {
                break e;
            }
            status
                .confirmed
                .fetch_add(pending.events.len() as u64, Ordering::Relaxed);
            confirmed = last;
            status.checkpoint.store(confirmed, Ordering::Relaxed);
            #[cfg(feature = "fault-suite")]
            fault::crash_after_confirm(status.confirmed.load(Ordering::Relaxed), saved, confirmed);
        }
        if saved < confirmed && (caught_up || last_save.elapsed() >= CHECKPOINT_EVERY) {
            if let Err(e) = save(log, name, confirmed).await {
                return e;
            }
            saved = confirmed;
            last_save = Instant::now();
        }
        if caught_up {
            // Woken by a commit here, or a poll for other processes' commits.
            let _ = tokio::time::timeout(POLL, relay.wake.notified()).await;
        } else if pending.events.len() < BATCH {
            // Under load let events gather: fewer, larger rounds cost the commands (which
            // share the machine) less than one small round per group commit.
            tokio::time::sleep(COALESCE).await;
        }
    };
    // The broker failed: keep what it did confirm, so the next round starts there.
    if saved < confirmed {
        let _ = save(log, name, confirmed).await;
    }
    failure
}

async fn save(log: &Arc<dyn RelayLog>, name: &str, position: u64) -> anyhow::Result<()> {
    let name = name.to_string();
    blocking(log, move |log| log.advance(&name, position)).await
}

/// Runs a database call of the relay on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    log: &Arc<dyn RelayLog>,
    work: impl FnOnce(&dyn RelayLog) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let log = log.clone();
    tokio::task::spawn_blocking(move || work(log.as_ref()))
        .await
        .map_err(|e| anyhow::anyhow!("relay database task failed: {e}"))?
}
