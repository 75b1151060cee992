//! The single writer: one thread owns the engine (store connection + domain runtime) and
//! applies every command. Requests queue on a channel; the thread drains what is waiting
//! (up to [`MAX_BATCH_COMMANDS`]) and applies it as one group commit, so concurrent
//! commands share one fsync. Replies go out only after the commit, so an acknowledged
//! command is durable and the next read sees it.
//!
//! Waiting is spin-then-park when the server is quiet. A parked thread pays a wake-up to
//! resume, and on a VM whose vCPU halted meanwhile that costs about as much as a NORMAL
//! commit; a lone request crosses two such hand-offs (to the writer and back). So the
//! writer polls its queue for a while ([`DEFAULT_SPIN_WAIT`]) after each batch before it
//! parks, and a request alone in the server polls for its reply as long
//! ([`Waiting::Spin`]). Under load the queue is rarely empty and requests park; where
//! polls run out (a slow disk) they pause (`crate::spin`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use order_core::{
    BatchStore, Command, CommandOptions, CommandOutcome, DomainRuntime, Engine, EngineError,
    Environment,
};
use tokio::sync::{mpsc, oneshot};

use crate::metrics;
use crate::spin::SpinWait;
use crate::telemetry;

/// Commands applied in one transaction at most; bounds the latency a batch adds.
pub const MAX_BATCH_COMMANDS: usize = 256;
/// Jobs waiting for the writer before senders are held back.
const QUEUE_CAPACITY: usize = 1024;
/// How long a quiet side polls before it parks, unless the server is told otherwise
/// (`serve --spin-wait-us`). Longer than a commit at FULL (one fsync, 0.15-0.25 ms on this
/// project's machines) and than a request's trip from one reply to the next command
/// (about 0.1 ms at c=1).
pub const DEFAULT_SPIN_WAIT: Duration = Duration::from_micros(500);

/// How a requester waits for its commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// Parks the task at once, leaving the thread to other requests: for a busy server.
    Park,
    /// Polls the reply for the spin wait first, holding the thread: only for a
    /// request that is alone in the server (`crate::occupancy`).
    Spin,
}

/// One command and its host-level options.
#[derive(Debug, Clone)]
pub struct CommandRequest {
    pub command: Command,
    pub options: CommandOptions,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The batch transaction failed as a whole; no command of it was applied.
    #[error("batch commit failed: {0}")]
    CommitFailed(order_core::StoreError),
    #[error("the writer is not running")]
    Unavailable,
}

pub type WriteResult = Result<CommandOutcome, WriteError>;

struct Job {
    requests: Vec<CommandRequest>,
    reply: oneshot::Sender<Vec<WriteResult>>,
    queued_at: Instant,
    /// The requester's span (its HTTP request), so that the commit on this thread is
    /// part of the request's trace.
    span: tracing::Span,
}

/// The cloneable sending side, held by the HTTP state.
#[derive(Clone)]
pub struct WriterHandle {
    jobs: mpsc::Sender<Job>,
    health: Arc<WriterHealth>,
    /// Signalled after every batch that committed something.
    committed: Arc<CommitSignal>,
    /// How a lone requester waits for its reply.
    reply_wait: Arc<SpinWait>,
}

/// Tells followers of the log that a batch committed: the broker relay (one waiter) and
/// the live feeds (any number, each with its own receiver).
#[derive(Debug)]
struct CommitSignal {
    relay: Arc<tokio::sync::Notify>,
    /// A count of commits; its value means nothing, its changes wake the feeds.
    feeds: tokio::sync::watch::Sender<u64>,
}

impl CommitSignal {
    fn new() -> Self {
        CommitSignal {
            relay: Arc::new(tokio::sync::Notify::new()),
            feeds: tokio::sync::watch::Sender::new(0),
        }
    }

    fn committed(&self) {
        self.relay.notify_one();
        self.feeds
            .send_modify(|count| *count = count.wrapping_add(1));
    }
}

/// What readiness reports about the writer.
#[derive(Debug, Default)]
struct WriterHealth {
    /// An engine is open and taking jobs.
    running: AtomicBool,
    /// Times the writer failed and opened its engine again.
    restarts: AtomicU64,
}

/// The writer's state as `/health` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterStatus {
    pub running: bool,
    pub restarts: u64,
}

impl WriterHandle {
    /// Notified after each commit, so followers of the log need not poll for this
    /// process's writes.
    pub fn commits(&self) -> Arc<tokio::sync::Notify> {
        self.committed.relay.clone()
    }

    /// Changes after each commit of this process; any number of live feeds may listen.
    pub fn commit_updates(&self) -> tokio::sync::watch::Receiver<u64> {
        self.committed.feeds.subscribe()
    }

    pub fn status(&self) -> WriterStatus {
        WriterStatus {
            running: self.health.running.load(Ordering::SeqCst) && !self.jobs.is_closed(),
            restarts: self.health.restarts.load(Ordering::SeqCst),
        }
    }

    /// Applies the commands in order (within one batch) and returns one result each.
    pub async fn submit(&self, requests: Vec<CommandRequest>) -> Vec<WriteResult> {
        self.submit_waiting(requests, Waiting::Park).await
    }

    /// [`WriterHandle::submit`], waiting for the commit as `waiting` says.
    pub async fn submit_waiting(
        &self,
        requests: Vec<CommandRequest>,
        waiting: Waiting,
    ) -> Vec<WriteResult> {
        let count = requests.len();
        let (reply, answer) = oneshot::channel();
        let job = Job {
            requests,
            reply,
            queued_at: Instant::now(),
            span: tracing::Span::current(),
        };
        if self.jobs.send(job).await.is_err() {
            return vec![Err(WriteError::Unavailable); count];
        }
        let mut answer = answer;
        let replied = match waiting {
            Waiting::Spin => self.reply_wait.poll(|| match answer.try_recv() {
                Err(oneshot::error::TryRecvError::Empty) => None,
                Ok(results) => Some(Ok(results)),
                Err(oneshot::error::TryRecvError::Closed) => Some(Err(())),
            }),
            Waiting::Park => None,
        };
        let replied = match replied {
            Some(replied) => replied,
            None => answer.await.map_err(|_| ()),
        };
        replied.unwrap_or_else(|()| vec![Err(WriteError::Unavailable); count])
    }

    pub async fn submit_one(&self, request: CommandRequest, waiting: Waiting) -> WriteResult {
        self.submit_waiting(vec![request], waiting)
            .await
            .pop()
            .unwrap_or(Err(WriteError::Unavailable))
    }
}

/// How often the writer tries to open its engine again after a failure before it gives
/// up (the process then exits non-zero so that a supervisor restarts it).
const MAX_REOPEN_ATTEMPTS: u32 = 5;

/// Starts the writer thread. `open` runs on that thread (store connections and wasmtime
/// instances stay where they were made); its first error is returned before any request is
/// accepted. The thread ends once every [`WriterHandle`] is dropped and the queue is empty.
///
/// A panic while applying a batch (a bug, a runtime fault) does not leave the server
/// answering 503 forever: the batch's requesters get `Unavailable` (nothing of a batch is
/// durable before its commit, and a retry with the same command id is exactly-once), the
/// engine is dropped (its connection rolls back what was open) and opened again with
/// `open`, and the queue goes on. If it cannot be opened again, `on_fatal` runs.
pub fn spawn<S, E, R, F>(
    open: F,
    on_fatal: impl FnOnce() + Send + 'static,
) -> anyhow::Result<(WriterHandle, JoinHandle<()>)>
where
    S: BatchStore + 'static,
    E: Environment + 'static,
    R: DomainRuntime + 'static,
    F: Fn() -> anyhow::Result<Engine<S, E, R>> + Send + 'static,
{
    spawn_with_spin_wait(open, on_fatal, DEFAULT_SPIN_WAIT)
}

/// [`spawn`], polling for `spin_wait` before parking (zero: park at once).
pub fn spawn_with_spin_wait<S, E, R, F>(
    open: F,
    on_fatal: impl FnOnce() + Send + 'static,
    spin_wait: Duration,
) -> anyhow::Result<(WriterHandle, JoinHandle<()>)>
where
    S: BatchStore + 'static,
    E: Environment + 'static,
    R: DomainRuntime + 'static,
    F: Fn() -> anyhow::Result<Engine<S, E, R>> + Send + 'static,
{
    let (jobs, queue) = mpsc::channel(QUEUE_CAPACITY);
    let health = Arc::new(WriterHealth::default());
    let committed = Arc::new(CommitSignal::new());
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let thread_health = health.clone();
    let thread_committed = committed.clone();
    let thread = std::thread::Builder::new()
        .name("order-writer".into())
        .spawn(move || match open() {
            Ok(engine) => {
                thread_health.running.store(true, Ordering::SeqCst);
                let _ = ready_tx.send(Ok(()));
                let context = WriterContext {
                    health: &thread_health,
                    committed: &thread_committed,
                    queue_wait: &SpinWait::new(spin_wait),
                };
                supervise(engine, &open, queue, context, on_fatal);
            }
            Err(e) => {
                let _ = ready_tx.send(Err(e));
            }
        })?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok((
            WriterHandle {
                jobs,
                health,
                committed,
                reply_wait: Arc::new(SpinWait::new(spin_wait)),
            },
            thread,
        )),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => {
            let _ = thread.join();
            anyhow::bail!("the writer thread died while starting")
        }
    }
}

/// What the writer thread reports through.
#[derive(Clone, Copy)]
struct WriterContext<'a> {
    health: &'a WriterHealth,
    committed: &'a CommitSignal,
    queue_wait: &'a SpinWait,
}

fn supervise<S, E, R, F>(
    mut engine: Engine<S, E, R>,
    open: &F,
    mut queue: mpsc::Receiver<Job>,
    context: WriterContext<'_>,
    on_fatal: impl FnOnce(),
) where
    S: BatchStore,
    E: Environment,
    R: DomainRuntime,
    F: Fn() -> anyhow::Result<Engine<S, E, R>>,
{
    loop {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run(&mut engine, &mut queue, context)
        }));
        let health = context.health;
        if outcome.is_ok() {
            break;
        }
        health.running.store(false, Ordering::SeqCst);
        tracing::error!("the writer failed while applying a batch; opening its engine again");
        drop(engine);
        match reopen(open) {
            Some(fresh) => {
                engine = fresh;
                health.restarts.fetch_add(1, Ordering::SeqCst);
                health.running.store(true, Ordering::SeqCst);
            }
            None => {
                queue.close();
                on_fatal();
                return;
            }
        }
    }
    context.health.running.store(false, Ordering::SeqCst);
    tracing::info!("writer stopped: queue closed and drained");
}

fn reopen<S, E, R, F>(open: &F) -> Option<Engine<S, E, R>>
where
    F: Fn() -> anyhow::Result<Engine<S, E, R>>,
{
    for attempt in 1..=MAX_REOPEN_ATTEMPTS {
        match open() {
            Ok(engine) => return Some(engine),
            Err(e) => {
                tracing::error!(attempt, error = %e, "cannot open the writer's engine again");
                std::thread::sleep(std::time::Duration::from_millis(200 * u64::from(attempt)));
            }
        }
    }
    None
}

fn run<S: BatchStore, E: Environment, R: DomainRuntime>(
    engine: &mut Engine<S, E, R>,
    queue: &mut mpsc::Receiver<Job>,
    context: WriterContext<'_>,
) {
    loop {
        let polled = context.queue_wait.poll(|| match queue.try_recv() {
            Err(mpsc::error::TryRecvError::Empty) => None,
            Ok(job) => Some(Some(job)),
            Err(mpsc::error::TryRecvError::Disconnected) => Some(None),
        });
        let Some(first) = polled.unwrap_or_else(|| queue.blocking_recv()) else {
            break;
        };
        let mut jobs = vec![first];
        let mut commands = jobs[0].requests.len();
        while commands < MAX_BATCH_COMMANDS {
            match queue.try_recv() {
                Ok(job) => {
                    commands += job.requests.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        if apply_batch(engine, jobs, commands) {
            context.committed.committed();
        }
    }
}

/// Applies one group commit (the core's `handle_batch`); true when it committed.
fn apply_batch<S: BatchStore, E: Environment, R: DomainRuntime>(
    engine: &mut Engine<S, E, R>,
    mut jobs: Vec<Job>,
    commands: usize,
) -> bool {
    metrics::record_batch(commands);
    // Each job's share of the results, in the order its requests were queued.
    let shares: Vec<usize> = jobs.iter().map(|job| job.requests.len()).collect();
    let mut types = Vec::with_capacity(commands);
    let mut requests = Vec::with_capacity(commands);
    for job in &mut jobs {
        for request in std::mem::take(&mut job.requests) {
            types.push(request.command.type_name());
            requests.push((request.command, request.options));
        }
    }
    let requesters: Vec<&tracing::Span> = jobs.iter().map(|job| &job.span).collect();
    let span = telemetry::commit_span(&requesters, commands);
    let outcome = span.in_scope(|| engine.handle_batch(requests));
    let (results, committed): (Vec<WriteResult>, bool) = match outcome {
        Ok(results) => {
            let results = types
                .iter()
                .zip(results)
                .map(|(command_type, result)| {
                    metrics::record_command(command_type, &result);
                    Ok(result?)
                })
                .collect();
            (results, true)
        }
        Err(e) => {
            span.record("otel.status_code", "ERROR");
            tracing::error!(error = %e, commands, "group commit failed; failing the whole batch");
            let failed = Err(EngineError::from(e.clone()));
            for command_type in &types {
                metrics::record_command(command_type, &failed);
            }
            (vec![Err(WriteError::CommitFailed(e)); types.len()], false)
        }
    };
    let mut results = results.into_iter();
    for (job, share) in jobs.into_iter().zip(shares) {
        finish(job, results.by_ref().take(share).collect());
    }
    committed
}

fn finish(job: Job, results: Vec<WriteResult>) {
    metrics::record_latency(job.queued_at.elapsed(), results.len());
    // The requester may have gone away (client disconnected); the outcome stands anyway.
    let _ = job.reply.send(results);
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
