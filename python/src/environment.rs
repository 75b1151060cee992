//! The host's clock and id source for the engine: the system clock and UUID v7 (time-ordered,
//! so event ids sort roughly by creation).

use chrono::{DateTime, SubsecRound, Utc};
use order_core::Environment;
use uuid::Uuid;

#[derive(Debug, Default, Clone, Copy)]
pub struct HostEnvironment;

impl Environment for HostEnvironment {
    fn now(&mut self) -> DateTime<Utc> {
        // Microseconds: what a Python `datetime` holds. A nanosecond timestamp would come
        // back truncated, and `get_order(at=event.recorded_at)` would miss its own event.
        Utc::now().trunc_subsecs(6)
    }

    fn new_event_id(&mut self) -> Uuid {
        Uuid::now_v7()
    }
}
