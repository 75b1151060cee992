//! Fault injection for the relay, compiled only with the `fault-suite` feature: a crash in
//! the window between the broker's confirm and the checkpoint write, where a kill -9 from
//! outside lands only by luck. Production builds have no trace of it.

use std::sync::OnceLock;

/// The process aborts once the broker has confirmed at least this many events in total.
pub const ABORT_AFTER_CONFIRMED: &str = "ORDER_FAULT_RELAY_ABORT_AFTER_CONFIRMED";

fn abort_after() -> Option<u64> {
    static LIMIT: OnceLock<Option<u64>> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::env::var(ABORT_AFTER_CONFIRMED)
            .ok()
            .and_then(|v| v.parse().ok())
    })
}

/// Called right after a round's confirms, before its checkpoint may be written: aborts the
/// process (no destructor, no flush, like a crash) when the configured count is reached.
/// The line on stderr names the window the crash landed in, for the test to check.
pub fn crash_after_confirm(confirmed_total: u64, saved: u64, confirmed_position: u64) {
    if abort_after().is_some_and(|limit| confirmed_total >= limit) {
        eprintln!(
            "relay fault: aborting after the broker confirmed up to position \
             {confirmed_position}; checkpoint written at {saved}"
        );
        std::process::abort();
    }
}
