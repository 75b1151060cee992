//! Snapshots: a stream's serialized state at a version, tagged with the state schema so that
//! a snapshot written by a different layout is ignored (and the stream replayed) rather
//! than trusted.

use serde::{Deserialize, Serialize};

use crate::state::OrderState;

/// Bump when `OrderState`'s serialized layout changes; older snapshots are then ignored.
pub const STATE_SCHEMA_VERSION: u32 = 1;
/// Default number of events between snapshots.
pub const DEFAULT_SNAPSHOT_EVERY: u64 = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub stream_id: String,
    pub version: u64,
    pub state_schema_version: u32,
    /// `OrderState` as JSON text.
    pub state: String,
}

impl Snapshot {
    pub fn of(stream_id: &str, state: &OrderState) -> Snapshot {
        Snapshot {
            stream_id: stream_id.to_string(),
            version: state.version,
            state_schema_version: STATE_SCHEMA_VERSION,
            // OrderState is plain data; serializing it cannot fail.
            state: serde_json::to_string(state).unwrap_or_default(),
        }
    }

    /// The state, if this snapshot is of a known schema and consistent; `None` means
    /// "replay from the start instead".
    pub fn restore(&self) -> Option<OrderState> {
        if self.state_schema_version != STATE_SCHEMA_VERSION {
            return None;
        }
        let state: OrderState = serde_json::from_str(&self.state).ok()?;
        (state.version == self.version).then_some(state)
    }
}

/// Whether a stream that moved from `before` to `after` crossed a snapshot boundary.
pub fn snapshot_due(before: u64, after: u64, every: u64) -> bool {
    every > 0 && before / every != after / every
}
