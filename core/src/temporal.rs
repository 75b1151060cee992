//! Temporal queries: the state and the view of an order as of a stream version or a moment,
//! as folds over the stream's envelopes (ordered by version).

use chrono::{DateTime, Utc};

use crate::envelope::EventEnvelope;
use crate::state::{evolve, initial_state, OrderState};
use crate::view::{project, OrderView};

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

fn prefix(envelopes: &[EventEnvelope], as_of: AsOf) -> impl Iterator<Item = &EventEnvelope> {
    history_as_of(envelopes, as_of).iter()
}

pub fn state_as_of(envelopes: &[EventEnvelope], as_of: AsOf) -> OrderState {
    prefix(envelopes, as_of).fold(initial_state(), |s, e| evolve(s, &e.event))
}

pub fn view_as_of(envelopes: &[EventEnvelope], as_of: AsOf) -> Option<OrderView> {
    prefix(envelopes, as_of).fold(None, project)
}
