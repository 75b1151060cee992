//! The engine's memory of streams it decided recently: each one's state and read-model view
//! as of the version it last committed. A hit saves loading the stream (snapshot, events,
//! view) before the next decision on it.
//!
//! It never needs to be proven current up front: a decision made on a cached state commits
//! with that state's version and last event id as what it expects, so if anyone else
//! appended to the stream meanwhile, or the write that produced the cached state was rolled
//! back, the store refuses the commit and the engine decides again on the store's state. An
//! entry is taken out while a command runs and put back only after its commit, so a failed
//! command leaves nothing behind.

use std::collections::{HashMap, VecDeque};

use uuid::Uuid;

use crate::state::OrderState;
use crate::view::OrderView;

/// A stream's state and view at the same version.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CachedStream {
    pub state: OrderState,
    pub view: Option<OrderView>,
    /// The id of the stream's last event, which the next commit names so the store can
    /// prove the stream still ends there (a version alone could belong to a rolled-back
    /// write).
    pub last_event_id: Option<Uuid>,
}

/// Bounded by entry count; the entry put back least recently is evicted first.
#[derive(Debug, Default)]
pub(crate) struct StateCache {
    capacity: usize,
    /// Each entry with the generation of its latest `put`.
    entries: HashMap<String, (u64, CachedStream)>,
    /// Puts in order, oldest first. A pair whose generation no longer matches its entry
    /// (taken out, or put again since) is stale and skipped.
    order: VecDeque<(u64, String)>,
    generation: u64,
}

impl StateCache {
    pub fn new(capacity: usize) -> Self {
        StateCache {
            capacity,
            ..StateCache::default()
        }
    }

    /// Removes and returns a stream's entry.
    pub fn take(&mut self, stream_id: &str) -> Option<CachedStream> {
        self.entries.remove(stream_id).map(|(_, entry)| entry)
    }

    pub fn put(&mut self, stream_id: &str, entry: CachedStream) {
        if self.capacity == 0 {
            return;
        }
        self.generation += 1;
        self.entries
            .insert(stream_id.to_string(), (self.generation, entry));
        self.order
            .push_back((self.generation, stream_id.to_string()));
        while self.entries.len() > self.capacity {
            let Some((generation, id)) = self.order.pop_front() else {
                break;
            };
            if self.is_current(generation, &id) {
                self.entries.remove(&id);
            }
        }
        // Stale pairs pile up as hot streams are taken and put back; drop them once they
        // outnumber the live entries, so memory stays proportional to the capacity.
        if self.order.len() > 2 * self.capacity + 16 {
            let entries = &self.entries;
            self.order
                .retain(|(generation, id)| entries.get(id).is_some_and(|(g, _)| g == generation));
        }
    }

    fn is_current(&self, generation: u64, stream_id: &str) -> bool {
        self.entries
            .get(stream_id)
            .is_some_and(|(g, _)| *g == generation)
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::initial_state;

    fn entry(version: u64) -> CachedStream {
        CachedStream {
            state: OrderState {
                version,
                ..initial_state()
            },
            view: None,
            last_event_id: None,
        }
    }

    #[test]
    fn evicts_the_oldest_insertion_beyond_capacity() {
        let mut cache = StateCache::new(2);
        cache.put("a", entry(1));
        cache.put("b", entry(1));
        cache.put("c", entry(1));
        assert_eq!(cache.len(), 2);
        assert!(cache.take("a").is_none());
        assert_eq!(cache.take("b").map(|e| e.state.version), Some(1));
        assert_eq!(cache.take("c").map(|e| e.state.version), Some(1));
    }

    #[test]
    fn take_removes_and_put_replaces() {
        let mut cache = StateCache::new(4);
        cache.put("a", entry(1));
        let taken = cache.take("a").expect("present");
        assert_eq!(taken.state.version, 1);
        assert!(cache.take("a").is_none());
        cache.put("a", entry(2));
        cache.put("a", entry(3));
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.take("a").map(|e| e.state.version), Some(3));
    }

    #[test]
    fn a_stream_put_back_recently_outlives_older_ones() {
        let mut cache = StateCache::new(2);
        cache.put("a", entry(1));
        cache.put("b", entry(1));
        let a = cache.take("a").expect("present");
        cache.put("a", a);
        cache.put("c", entry(1));
        assert!(cache.take("b").is_none(), "b was the least recently put");
        assert!(cache.take("a").is_some());
        assert!(cache.take("c").is_some());
    }

    #[test]
    fn capacity_zero_keeps_nothing() {
        let mut cache = StateCache::new(0);
        cache.put("a", entry(1));
        assert!(cache.take("a").is_none());
    }

    #[test]
    fn churn_keeps_the_order_queue_bounded() {
        let mut cache = StateCache::new(3);
        for i in 0..1000 {
            let id = format!("s{i}");
            cache.put(&id, entry(1));
            cache.take(&id);
        }
        assert!(
            cache.order.len() <= 2 * 3 + 16,
            "order queue grew to {}",
            cache.order.len()
        );
    }
}
