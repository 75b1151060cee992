//! Temporal queries: which part of a stream's envelopes (ordered by version) an order's
//! state or view as of a stream version or a moment is folded from. The fold itself runs in
//! the host's runtime (`Engine::get_order`), the same code that decides.

use chrono::{DateTime, Utc};

use crate::envelope::EventEnvelope;

/// Which point in a stream's history to look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// After the event with this stream version (0 = before the first event).
    Version(u64),
    /// After every event recorded at or before this moment (inclusive).
    Time(DateTime<Utc>),
}

impl AsOf {
    fn includes(&self, envelope: &EventEnvelope) -> bool {
        match self {
            AsOf::Version(v) => envelope.version <= *v,
            AsOf::Time(t) => envelope.metadata.recorded_at <= *t,
        }
    }
}

/// The part of a stream's envelopes (ordered by version) that `as_of` looks at: stream
/// order is commit order, so history up to a point is a prefix.
pub fn history_as_of(envelopes: &[EventEnvelope], as_of: AsOf) -> &[EventEnvelope] {
    let end = envelopes
        .iter()
        .position(|e| !as_of.includes(e))
        .unwrap_or(envelopes.len());
    &envelopes[..end]
}
