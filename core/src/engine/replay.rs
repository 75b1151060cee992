//! Replaying the log through the runtime: the read-model rebuild (catch-up) and `verify`.

use std::collections::{BTreeMap, HashMap};

use super::{Engine, EngineError, Environment, VerifyReport};
use crate::envelope::EventEnvelope;
use crate::runtime::DomainRuntime;
use crate::state::initial_state;
use crate::store::{BatchStore, EventStore};
use crate::view::OrderView;

impl<S: EventStore, E: Environment, R: DomainRuntime> Engine<S, E, R> {
    /// Catch-up: drops the read model and folds every event from position 0 again, in
    /// batches; `progress(done, total)` is called after each batch. Returns events folded.
    ///
    /// The whole rebuild is one store batch (one transaction): another process writing the
    /// same database waits for it (and, past its busy timeout, fails retryably) instead of
    /// interleaving, so no event is folded twice and the checkpoint never moves backwards.
    pub fn rebuild_read_models(
        &mut self,
        batch_size: usize,
        progress: impl FnMut(u64, u64),
    ) -> Result<u64, EngineError>
    where
        S: BatchStore,
    {
        self.store.begin_batch()?;
        match self.rebuild_inside_batch(batch_size, progress) {
            Ok(position) => {
                self.store.finish_batch()?;
                // Views remembered from before may belong to a read model that was just
                // replaced; they are equal by construction, but nothing relies on it.
                self.cache.clear();
                Ok(position)
            }
            Err(e) => {
                self.store.abort_batch();
                Err(e)
            }
        }
    }

    fn rebuild_inside_batch(
        &mut self,
        batch_size: usize,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<u64, EngineError> {
        let total = self.store.last_position()?;
        self.store.clear_read_models()?;
        let mut position = 0;
        loop {
            let batch = self.store.read_all(position, batch_size.max(1))?;
            let Some(last) = batch.last() else { break };
            let last_position = last.position;
            let mut by_stream: BTreeMap<String, Vec<EventEnvelope>> = BTreeMap::new();
            for envelope in batch {
                by_stream
                    .entry(envelope.stream_id.clone())
                    .or_default()
                    .push(envelope);
            }
            let mut views = Vec::with_capacity(by_stream.len());
            for (stream_id, envelopes) in by_stream {
                // The read model started empty and versions are gap-free from 1: a stream
                // whose events here start after version 1 was folded by an earlier batch,
                // and only such a stream has a view to read back.
                let prior = if envelopes.first().is_some_and(|e| e.version > 1) {
                    self.store.get_view(&stream_id)?
                } else {
                    None
                };
                if let Some(view) = self.runtime.project(prior, &envelopes)? {
                    views.push(view);
                }
            }
            self.store.save_views(&views, last_position)?;
            position = last_position;
            progress(position, total.max(position));
        }
        Ok(position)
    }

    /// Replays every stream through the runtime (both `evolve` and `project`) and compares
    /// the result with the stored read model.
    pub fn verify(&mut self, batch_size: usize) -> Result<VerifyReport, EngineError> {
        self.verify_with_progress(batch_size, |_, _| {})
    }

    /// [`Engine::verify`], reporting `(events checked, events in the log)` after each stream.
    pub fn verify_with_progress(
        &mut self,
        batch_size: usize,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<VerifyReport, EngineError> {
        let mut streams: HashMap<String, Vec<EventEnvelope>> = HashMap::new();
        let mut position = 0;
        let mut report = VerifyReport::default();
        loop {
            let batch = self.store.read_all(position, batch_size.max(1))?;
            let Some(last) = batch.last() else { break };
            position = last.position;
            for envelope in batch {
                report.events += 1;
                streams
                    .entry(envelope.stream_id.clone())
                    .or_default()
                    .push(envelope);
            }
        }
        let mut ids: Vec<_> = streams.keys().cloned().collect();
        ids.sort();
        report.streams = ids.len();
        let total = report.events;
        let mut checked = 0;
        progress(checked, total);
        for id in ids {
            let envelopes = &streams[&id];
            checked += envelopes.len() as u64;
            let projected = self.runtime.project(None, envelopes)?;
            let events: Vec<_> = envelopes.iter().map(|e| e.event.clone()).collect();
            let state = self.runtime.evolve(initial_state(), &events)?;
            let updated_at = envelopes
                .last()
                .map(|e| e.metadata.recorded_at)
                .unwrap_or_default();
            let from_state = OrderView::from_state(&state, updated_at);
            let stored = self.store.get_view(&id)?;
            if projected != stored {
                report.mismatches.push(format!(
                    "{id}: stored read model differs from the replayed projection"
                ));
            } else if from_state != stored {
                report.mismatches.push(format!(
                    "{id}: write-side state differs from the read model"
                ));
            }
            progress(checked, total);
        }
        Ok(report)
    }
}
