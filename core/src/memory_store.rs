//! An in-memory `EventStore`: the browser engine, Python's `OrderService()` and the tests
//! use it. Same semantics as the SQLite store, including atomic commits.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use crate::envelope::EventEnvelope;
use crate::snapshot::Snapshot;
use crate::store::{BatchStore, CommandRecord, Commit, EventStore, OrderPage, StoreError};
use crate::view::{project, OrderView};

#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    /// The global log in position order. Positions are 1..n for a store that commits its
    /// own events; a follower of a filtered feed ([`MemoryStore::append_confirmed`]) holds
    /// increasing positions with gaps.
    log: Vec<EventEnvelope>,
    /// Per stream: indexes into `log`, in version order.
    streams: HashMap<String, Vec<usize>>,
    snapshots: HashMap<String, Snapshot>,
    commands: HashMap<String, CommandRecord>,
    views: HashMap<String, OrderView>,
    /// (customer, created_at, order id), ordered for paging.
    by_customer: BTreeSet<(String, DateTime<Utc>, String)>,
    checkpoint: u64,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds a store from an exported log: checks that positions and per-stream versions
    /// are gap-free, then derives the read model and the command records.
    pub fn from_events(events: Vec<EventEnvelope>) -> Result<Self, StoreError> {
        for (index, event) in events.iter().enumerate() {
            let expected_position = index as u64 + 1;
            if event.position != expected_position {
                return Err(StoreError::Invalid(format!(
                    "event {} has position {}, expected {expected_position}",
                    event.event_id, event.position
                )));
            }
        }
        let mut store = MemoryStore::new();
        store.append_confirmed(events)?;
        Ok(store)
    }

    /// Adds events another store committed, such as those of a live feed, after the ones
    /// held: positions must increase past the last one held (gaps allowed: a customer's
    /// feed skips other customers' events) and each event must continue its stream's
    /// versions. All or nothing: on an error nothing is added.
    pub fn append_confirmed(&mut self, events: Vec<EventEnvelope>) -> Result<(), StoreError> {
        let mut last_position = self.last_position_held();
        let mut versions: HashMap<&str, u64> = HashMap::new();
        for event in &events {
            if event.position <= last_position {
                return Err(StoreError::Invalid(format!(
                    "event {} has position {}, but positions up to {last_position} are already held",
                    event.event_id, event.position
                )));
            }
            last_position = event.position;
            let version = versions
                .entry(event.stream_id.as_str())
                .or_insert_with(|| self.stream_version(&event.stream_id));
            if event.version != *version + 1 {
                return Err(StoreError::Invalid(format!(
                    "event {} of stream `{}` has version {}, expected {}",
                    event.event_id,
                    event.stream_id,
                    event.version,
                    *version + 1
                )));
            }
            *version = event.version;
        }
        for event in events {
            self.hold_confirmed(event);
        }
        Ok(())
    }

    /// Appends one checked event, deriving its view and its command record (from
    /// `metadata.commandId`), so a command retried after an import is still idempotent.
    fn hold_confirmed(&mut self, event: EventEnvelope) {
        if let Some(command_id) = &event.metadata.command_id {
            let record = self
                .commands
                .entry(command_id.clone())
                .or_insert_with(|| CommandRecord {
                    command_id: command_id.clone(),
                    order_id: event.stream_id.clone(),
                    version: 0,
                    positions: Vec::new(),
                    fingerprint: None,
                });
            record.version = event.version;
            record.positions.push(event.position);
        }
        let view = project(self.views.get(&event.stream_id).cloned(), &event);
        self.put_view(&event.stream_id, view);
        self.checkpoint = event.position;
        self.streams
            .entry(event.stream_id.clone())
            .or_default()
            .push(self.log.len());
        self.log.push(event);
    }

    fn last_position_held(&self) -> u64 {
        self.log.last().map_or(0, |event| event.position)
    }

    pub fn stream_version(&self, stream_id: &str) -> u64 {
        self.streams.get(stream_id).map_or(0, |s| s.len() as u64)
    }

    /// Every event, in position order.
    pub fn events(&self) -> &[EventEnvelope] {
        &self.log
    }

    /// The event at a global position, if this store holds one there.
    pub fn event_at(&self, position: u64) -> Option<&EventEnvelope> {
        self.log
            .binary_search_by_key(&position, |event| event.position)
            .ok()
            .map(|i| &self.log[i])
    }

    pub fn save_snapshot(&mut self, snapshot: Snapshot) {
        self.snapshots.insert(snapshot.stream_id.clone(), snapshot);
    }

    fn put_view(&mut self, stream_id: &str, view: Option<OrderView>) {
        let Some(view) = view else {
            if let Some(old) = self.views.remove(stream_id) {
                self.by_customer
                    .remove(&(old.customer_id, old.created_at, old.id));
            }
            return;
        };
        // Every command but an order's first updates a view in place under the same paging
        // key: touch the index only when the key changes.
        if let Some(old) = self.views.get_mut(stream_id) {
            if (&old.customer_id, old.created_at, &old.id)
                != (&view.customer_id, view.created_at, &view.id)
            {
                self.by_customer.remove(&(
                    std::mem::take(&mut old.customer_id),
                    old.created_at,
                    std::mem::take(&mut old.id),
                ));
                self.by_customer.insert((
                    view.customer_id.clone(),
                    view.created_at,
                    view.id.clone(),
                ));
            }
            *old = view;
            return;
        }
        self.by_customer
            .insert((view.customer_id.clone(), view.created_at, view.id.clone()));
        self.views.insert(stream_id.to_string(), view);
    }
}

impl EventStore for MemoryStore {
    fn commit(&mut self, commit: Commit) -> Result<Vec<u64>, StoreError> {
        // Validate everything before touching anything: the commit is all or nothing.
        let last_event = self
            .streams
            .get(&commit.stream_id)
            .and_then(|stream| stream.last())
            .map(|&index| self.log[index].event_id);
        commit.check_head(self.stream_version(&commit.stream_id), last_event)?;
        if let Some(record) = &commit.command {
            if self.commands.contains_key(&record.command_id) {
                return Err(StoreError::DuplicateCommand(record.command_id.clone()));
            }
        }
        commit.check_sequence()?;
        let first_position = self.last_position_held() + 1;
        let positions: Vec<u64> = (0..commit.events.len() as u64)
            .map(|i| first_position + i)
            .collect();
        let stream = self.streams.entry(commit.stream_id.clone()).or_default();
        for (mut event, position) in commit.events.into_iter().zip(&positions) {
            event.position = *position;
            stream.push(self.log.len());
            self.log.push(event);
        }
        if let Some(view) = commit.view {
            self.put_view(&commit.stream_id, Some(view));
        }
        if let Some(p) = positions.last() {
            self.checkpoint = *p;
        }
        if let Some(snapshot) = commit.snapshot {
            self.save_snapshot(snapshot);
        }
        if let Some(mut record) = commit.command {
            record.positions = positions.clone();
            self.commands.insert(record.command_id.clone(), record);
        }
        Ok(positions)
    }

    fn read_stream(
        &self,
        stream_id: &str,
        after_version: u64,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let Some(indexes) = self.streams.get(stream_id) else {
            return Ok(Vec::new());
        };
        let skip = usize::try_from(after_version).unwrap_or(usize::MAX);
        Ok(indexes
            .iter()
            .skip(skip)
            .map(|i| self.log[*i].clone())
            .collect())
    }

    fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let skip = self
            .log
            .partition_point(|event| event.position <= after_position);
        Ok(self.log.iter().skip(skip).take(limit).cloned().collect())
    }

    fn last_position(&self) -> Result<u64, StoreError> {
        Ok(self.last_position_held())
    }

    fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        Ok(self.snapshots.get(stream_id).cloned())
    }

    fn command_record(&self, command_id: &str) -> Result<Option<CommandRecord>, StoreError> {
        Ok(self.commands.get(command_id).cloned())
    }

    fn get_view(&self, order_id: &str) -> Result<Option<OrderView>, StoreError> {
        Ok(self.views.get(order_id).cloned())
    }

    fn list_views(
        &self,
        customer_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<OrderPage, StoreError> {
        let start = match after {
            Some(cursor) => {
                let Some(v) = self
                    .views
                    .get(cursor)
                    .filter(|v| v.customer_id == customer_id)
                else {
                    return Err(StoreError::Invalid(format!("unknown cursor `{cursor}`")));
                };
                std::ops::Bound::Excluded((customer_id.to_string(), v.created_at, v.id.clone()))
            }
            None => std::ops::Bound::Included((
                customer_id.to_string(),
                DateTime::<Utc>::MIN_UTC,
                String::new(),
            )),
        };
        let orders: Vec<OrderView> = self
            .by_customer
            .range((start, std::ops::Bound::Unbounded))
            .take_while(|(c, _, _)| c == customer_id)
            .take(limit.saturating_add(1))
            .filter_map(|(_, _, id)| self.views.get(id).cloned())
            .collect();
        Ok(OrderPage::from_overfetched(orders, limit))
    }

    fn clear_read_models(&mut self) -> Result<(), StoreError> {
        self.views.clear();
        self.by_customer.clear();
        self.checkpoint = 0;
        Ok(())
    }

    fn save_views(&mut self, views: &[OrderView], checkpoint: u64) -> Result<(), StoreError> {
        for view in views {
            self.put_view(&view.id.clone(), Some(view.clone()));
        }
        self.checkpoint = checkpoint;
        Ok(())
    }

    fn projection_checkpoint(&self) -> Result<u64, StoreError> {
        Ok(self.checkpoint)
    }
}

/// Each in-memory commit is already atomic and there is nothing to make durable, so a batch
/// is only a grouping: its commits stay applied even if the batch is aborted. (The engine
/// never relies on an abort undoing work; the server uses batches only on real stores.)
impl BatchStore for MemoryStore {
    fn begin_batch(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    fn finish_batch(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    fn abort_batch(&mut self) {}
}
