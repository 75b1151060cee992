//! The writer: batching, failed group commits, retried creates and restarts after a fault.

use super::*;
use chrono::{TimeZone, Utc};
use order_core::{
    CommandRecord, Commit, CreateOrder, EventStore, FixedEnvironment, MemoryStore, OrderPage,
    OrderView, Snapshot, StoreError,
};
use order_store::SqliteStore;

fn create(order_id: &str, command_id: Option<&str>) -> CommandRequest {
    CommandRequest {
        command: Command::CreateOrder(CreateOrder {
            order_id: order_id.into(),
            customer_id: "c".into(),
        }),
        options: CommandOptions {
            command_id: command_id.map(String::from),
            ..CommandOptions::default()
        },
    }
}

fn env() -> FixedEnvironment {
    FixedEnvironment::starting_at(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commands_are_committed_and_answered_in_batches() {
    let (writer, thread) = spawn(
        || Ok(Engine::new(SqliteStore::open_in_memory()?, env())),
        || {},
    )
    .unwrap();
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let writer = writer.clone();
            tokio::spawn(async move {
                writer
                    .submit_one(create(&format!("o-{i}"), None), Waiting::Park)
                    .await
            })
        })
        .collect();
    let mut positions = Vec::new();
    for task in tasks {
        let outcome = task.await.unwrap().expect("accepted");
        assert_eq!(outcome.version, 1);
        positions.extend(outcome.positions);
    }
    positions.sort();
    assert_eq!(
        positions,
        (1..=64).collect::<Vec<u64>>(),
        "gap-free, each once"
    );
    // In one job, commands run in order: the second create sees the first.
    let results = writer
        .submit(vec![create("o-same", None), create("o-same", None)])
        .await;
    assert!(results[0].is_ok());
    assert_eq!(
        results[1].as_ref().unwrap_err(),
        &WriteError::Engine(EngineError::Domain(
            order_core::DomainError::OrderAlreadyExists {
                order_id: "o-same".into()
            }
        ))
    );
    drop(writer);
    thread.join().unwrap();
}

#[tokio::test]
async fn a_retried_create_without_order_id_reuses_the_first_id() {
    let (writer, thread) = spawn(|| Ok(Engine::new(MemoryStore::new(), env())), || {}).unwrap();
    let mut first = create("generated-1", Some("cmd-1"));
    first.options.order_id_generated = true;
    let mut retry = create("generated-2", Some("cmd-1"));
    retry.options.order_id_generated = true;
    let first = writer.submit_one(first, Waiting::Spin).await.unwrap();
    let retry = writer.submit_one(retry, Waiting::Park).await.unwrap();
    assert_eq!(retry.order_id, "generated-1");
    assert!(retry.replayed);
    assert_eq!(retry.version, first.version);
    drop(writer);
    thread.join().unwrap();
}

#[tokio::test]
async fn a_failed_group_commit_fails_every_command_of_the_batch() {
    let (writer, thread) = spawn(
        || {
            Ok(Engine::new(
                FailingCommit {
                    inner: MemoryStore::new(),
                },
                env(),
            ))
        },
        || {},
    )
    .unwrap();
    let results = writer
        .submit(vec![create("o-1", None), create("o-1", None)])
        .await;
    assert_eq!(results.len(), 2);
    for result in results {
        assert!(
            matches!(result, Err(WriteError::CommitFailed(ref e)) if e.to_string().contains("disk full")),
            "{result:?}"
        );
    }
    drop(writer);
    thread.join().unwrap();
}

#[tokio::test]
async fn a_writer_that_panics_is_opened_again_and_reports_it() {
    let opened = Arc::new(AtomicU64::new(0));
    let counter = opened.clone();
    let (writer, thread) = spawn(
        move || {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(Engine::new(PanicsOn("o-boom"), env()))
        },
        || panic!("reopening works, so the writer is never lost"),
    )
    .unwrap();
    assert_eq!(
        writer.status(),
        WriterStatus {
            running: true,
            restarts: 0
        }
    );
    let lost = writer
        .submit_one(create("o-boom", None), Waiting::Spin)
        .await;
    assert_eq!(lost.unwrap_err(), WriteError::Unavailable);
    let after = writer.submit_one(create("o-1", None), Waiting::Park).await;
    assert_eq!(
        after.unwrap().version,
        1,
        "the restarted writer applies commands"
    );
    assert_eq!(
        writer.status(),
        WriterStatus {
            running: true,
            restarts: 1
        }
    );
    assert_eq!(opened.load(Ordering::SeqCst), 2);
    drop(writer);
    thread.join().unwrap();
}

#[tokio::test]
async fn a_writer_that_cannot_be_opened_again_is_reported_lost() {
    let opens = Arc::new(AtomicU64::new(0));
    let counter = opens.clone();
    let (fatal_tx, fatal_rx) = std::sync::mpsc::channel();
    let (writer, thread) = spawn(
        move || {
            if counter.fetch_add(1, Ordering::SeqCst) > 0 {
                anyhow::bail!("the database is gone");
            }
            Ok(Engine::new(PanicsOn("o-boom"), env()))
        },
        move || fatal_tx.send(()).unwrap(),
    )
    .unwrap();
    let lost = writer
        .submit_one(create("o-boom", None), Waiting::Park)
        .await;
    assert_eq!(lost.unwrap_err(), WriteError::Unavailable);
    fatal_rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("on_fatal runs");
    assert!(!writer.status().running);
    let refused = writer.submit_one(create("o-1", None), Waiting::Park).await;
    assert_eq!(refused.unwrap_err(), WriteError::Unavailable);
    thread.join().unwrap();
}

/// A memory store whose commit panics for one stream (a bug in the write path).
struct PanicsOn(&'static str);

impl BatchStore for PanicsOn {
    fn begin_batch(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    fn finish_batch(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    fn abort_batch(&mut self) {}
}

impl EventStore for PanicsOn {
    fn commit(&mut self, commit: Commit) -> Result<Vec<u64>, StoreError> {
        assert_ne!(commit.stream_id, self.0, "injected writer fault");
        Ok((1..=commit.events.len() as u64).collect())
    }
    fn read_stream(&self, _: &str, _: u64) -> Result<Vec<order_core::EventEnvelope>, StoreError> {
        Ok(Vec::new())
    }
    fn read_all(&self, _: u64, _: usize) -> Result<Vec<order_core::EventEnvelope>, StoreError> {
        Ok(Vec::new())
    }
    fn last_position(&self) -> Result<u64, StoreError> {
        Ok(0)
    }
    fn load_snapshot(&self, _: &str) -> Result<Option<Snapshot>, StoreError> {
        Ok(None)
    }
    fn command_record(&self, _: &str) -> Result<Option<CommandRecord>, StoreError> {
        Ok(None)
    }
    fn get_view(&self, _: &str) -> Result<Option<OrderView>, StoreError> {
        Ok(None)
    }
    fn list_views(&self, _: &str, _: Option<&str>, _: usize) -> Result<OrderPage, StoreError> {
        Ok(OrderPage::from_overfetched(Vec::new(), 1))
    }
    fn clear_read_models(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    fn save_views(&mut self, _: &[OrderView], _: u64) -> Result<(), StoreError> {
        Ok(())
    }
    fn projection_checkpoint(&self) -> Result<u64, StoreError> {
        Ok(0)
    }
}

/// A store whose batch commit always fails (a full disk, a lost lock).
struct FailingCommit {
    inner: MemoryStore,
}

impl BatchStore for FailingCommit {
    fn begin_batch(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    fn finish_batch(&mut self) -> Result<(), StoreError> {
        Err(StoreError::Backend("disk full".into()))
    }
    fn abort_batch(&mut self) {}
}

impl EventStore for FailingCommit {
    fn commit(&mut self, commit: Commit) -> Result<Vec<u64>, StoreError> {
        self.inner.commit(commit)
    }
    fn read_stream(
        &self,
        id: &str,
        after: u64,
    ) -> Result<Vec<order_core::EventEnvelope>, StoreError> {
        self.inner.read_stream(id, after)
    }
    fn read_all(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<order_core::EventEnvelope>, StoreError> {
        self.inner.read_all(after, limit)
    }
    fn last_position(&self) -> Result<u64, StoreError> {
        self.inner.last_position()
    }
    fn load_snapshot(&self, id: &str) -> Result<Option<Snapshot>, StoreError> {
        self.inner.load_snapshot(id)
    }
    fn command_record(&self, id: &str) -> Result<Option<CommandRecord>, StoreError> {
        self.inner.command_record(id)
    }
    fn get_view(&self, id: &str) -> Result<Option<OrderView>, StoreError> {
        self.inner.get_view(id)
    }
    fn list_views(
        &self,
        customer: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<OrderPage, StoreError> {
        self.inner.list_views(customer, after, limit)
    }
    fn clear_read_models(&mut self) -> Result<(), StoreError> {
        self.inner.clear_read_models()
    }
    fn save_views(&mut self, views: &[OrderView], checkpoint: u64) -> Result<(), StoreError> {
        self.inner.save_views(views, checkpoint)
    }
    fn projection_checkpoint(&self) -> Result<u64, StoreError> {
        self.inner.projection_checkpoint()
    }
}
