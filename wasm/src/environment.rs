//! The browser's clock and id source for the engine: `Date` for time, UUID v7 drawn from
//! `crypto.getRandomValues` for event ids. The core itself never reads either.

use chrono::{DateTime, Utc};
use order_core::Environment;
use uuid::Uuid;

#[derive(Debug, Default, Clone)]
pub struct BrowserEnv {
    last: Option<DateTime<Utc>>,
}

impl Environment for BrowserEnv {
    fn now(&mut self) -> DateTime<Utc> {
        // Temporal queries (`getOrder(id, {at})`) take a prefix of the stream by
        // `recordedAt`, so recorded times must never go backwards, even if the wall clock does.
        let now = Utc::now().max(self.last.unwrap_or(DateTime::<Utc>::MIN_UTC));
        self.last = Some(now);
        now
    }

    fn new_event_id(&mut self) -> Uuid {
        Uuid::now_v7()
    }
}

/// A fresh order id when the caller does not choose one.
pub(crate) fn new_order_id() -> String {
    Uuid::now_v7().to_string()
}
