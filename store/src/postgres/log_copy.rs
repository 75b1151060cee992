//! The log as stored, out and in: what `migrate`, `events` and `import` copy between
//! databases, payloads and schema versions untouched.

use std::collections::HashMap;

use order_core::{place_imported, project, CommandRecord, OrderView, StoreError, StoredEvent};

use super::{lock_log_head, rows, storable, PostgresStore, READ_MODEL};

impl PostgresStore {
    /// Up to `limit` events with position > `after_position` exactly as stored (payloads
    /// and schema versions as written, not upcast): what `migrate` copies.
    pub fn read_all_stored(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let after = i64::try_from(after_position).unwrap_or(i64::MAX);
        self.read(|client, st| {
            let found = client.query(&st.read_all, &[&after, &limit])?;
            found.iter().map(rows::stored).collect()
        })
    }

    /// Appends stored events as they are (keeping each payload and schemaVersion), assigning
    /// global positions after the last one. Each event must continue its stream; the stream
    /// heads, read model and command records follow. All or nothing. Returns events imported.
    pub fn import(&mut self, events: Vec<StoredEvent>) -> Result<u64, StoreError> {
        for event in &events {
            storable(&event.stream_id)?;
            storable(&event.event_type)?;
            if let Some(command_id) = &event.metadata.command_id {
                storable(command_id)?;
            }
        }
        self.atomically(|client, st| {
            let mut position = lock_log_head(client, st)?;
            let mut heads: HashMap<String, (u64, uuid::Uuid)> = HashMap::new();
            let mut views: HashMap<String, Option<OrderView>> = HashMap::new();
            let mut commands: HashMap<String, CommandRecord> = HashMap::new();
            let mut rows = Vec::with_capacity(events.len());
            for stored in &events {
                let version = match heads.get(&stored.stream_id) {
                    Some((v, _)) => *v,
                    None => rows::stream_head(client, st, &stored.stream_id)?.0,
                };
                position += 1;
                let (envelope, raw) = place_imported(stored, version, position)?;
                rows.push(raw);
                if let Some(command_id) = &stored.metadata.command_id {
                    if !commands.contains_key(command_id) {
                        let record =
                            rows::get_command(client, st, command_id)?.unwrap_or_else(|| {
                                CommandRecord {
                                    command_id: command_id.clone(),
                                    order_id: envelope.stream_id.clone(),
                                    version: 0,
                                    positions: Vec::new(),
                                    fingerprint: None,
                                }
                            });
                        commands.insert(command_id.clone(), record);
                    }
                    if let Some(record) = commands.get_mut(command_id) {
                        record.version = envelope.version;
                        record.positions.push(envelope.position);
                    }
                }
                let prior = match views.remove(&stored.stream_id) {
                    Some(v) => v,
                    None => rows::get_view(client, st, &stored.stream_id)?,
                };
                views.insert(stored.stream_id.clone(), project(prior, &envelope));
                heads.insert(stored.stream_id.clone(), (stored.version, stored.event_id));
            }
            for chunk in rows.chunks(1000) {
                rows::insert_events(client, st, chunk)?;
            }
            for (stream_id, (version, last_event)) in &heads {
                rows::put_stream_head(client, st, stream_id, *version, *last_event)?;
            }
            for view in views.into_values().flatten() {
                rows::put_view(client, st, &view)?;
            }
            for record in commands.values() {
                rows::upsert_command(client, st, record)?;
            }
            rows::set_checkpoint(client, st, READ_MODEL, position)?;
            client.execute(&st.advance_log_head, &[&(position as i64)])?;
            Ok(events.len() as u64)
        })
    }
}
