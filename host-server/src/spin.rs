//! Spin-then-park, for the writer's hand-offs (why: `crate::writer`). Where a wait turns
//! out long (a slow disk), polling only burns CPU that the work waited for may need, so a
//! poll that runs out makes the next [`BACKOFF`] waits sleep at once; then one polls
//! again to see whether it pays by now.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Waits that sleep at once after a poll ran out.
pub const BACKOFF: u32 = 16;

#[derive(Debug)]
pub struct SpinWait {
    limit: Duration,
    /// Waits left that sleep at once.
    sleep_next: AtomicU32,
}

impl SpinWait {
    /// Polls for at most `limit`; zero never polls.
    pub fn new(limit: Duration) -> SpinWait {
        SpinWait {
            limit,
            sleep_next: AtomicU32::new(0),
        }
    }

    /// Calls `poll` until it returns something or the limit has passed, yielding the CPU
    /// between calls. `None` (the caller then sleeps) when the time ran out, or when an
    /// earlier poll ran out less than [`BACKOFF`] waits ago.
    pub fn poll<T>(&self, mut poll: impl FnMut() -> Option<T>) -> Option<T> {
        if self.limit.is_zero() || self.skip() {
            return None;
        }
        let until = Instant::now() + self.limit;
        loop {
            if let Some(found) = poll() {
                return Some(found);
            }
            if Instant::now() >= until {
                self.sleep_next.store(BACKOFF, Ordering::Relaxed);
                return None;
            }
            std::thread::yield_now();
        }
    }

    /// Whether this wait sleeps at once (counting it against the backoff).
    fn skip(&self) -> bool {
        self.sleep_next
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(1)
            })
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poll_that_runs_out_makes_the_next_waits_sleep_then_polls_again() {
        let wait = SpinWait::new(Duration::from_micros(200));
        assert_eq!(wait.poll(|| Some(7)), Some(7));
        let mut polls = 0;
        assert_eq!(
            wait.poll(|| {
                polls += 1;
                None::<()>
            }),
            None
        );
        assert!(polls > 1, "it polled until the limit");
        for _ in 0..BACKOFF {
            assert_eq!(wait.poll(|| Some(1)), None, "backing off: sleeps at once");
        }
        assert_eq!(wait.poll(|| Some(2)), Some(2), "then it polls again");
    }

    #[test]
    fn zero_never_polls() {
        let wait = SpinWait::new(Duration::ZERO);
        let mut polled = false;
        assert_eq!(
            wait.poll(|| {
                polled = true;
                Some(())
            }),
            None
        );
        assert!(!polled);
    }
}
