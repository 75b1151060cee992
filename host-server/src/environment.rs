//! The server's clock and id source for the engine: wall-clock time, UUID v7 event ids.

use chrono::{DateTime, Utc};
use order_core::Environment;
use uuid::Uuid;

/// `Utc::now()` that never runs backwards: temporal queries (`?at=`) treat a stream's
/// history as ordered by `recordedAt`, so a clock step back must not reorder it.
#[derive(Debug, Default)]
pub struct SystemEnvironment {
    last: Option<DateTime<Utc>>,
}

impl Environment for SystemEnvironment {
    fn now(&mut self) -> DateTime<Utc> {
        let now = Utc::now();
        let now = match self.last {
            Some(last) if last > now => last,
            _ => now,
        };
        self.last = Some(now);
        now
    }

    fn new_event_id(&mut self) -> Uuid {
        Uuid::now_v7()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_never_goes_backwards() {
        let mut env = SystemEnvironment {
            last: Some(Utc::now() + chrono::Duration::hours(1)),
        };
        let ahead = env.last.unwrap();
        assert_eq!(env.now(), ahead);
        assert_eq!(env.new_event_id().get_version_num(), 7);
    }
}
