//! Prometheus metrics: commands by type and outcome, write-batch sizes, command latency
//! (queue + decision + commit) and events written. Rendered by `GET /metrics`.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use order_core::{CommandOutcome, EngineError};

const COMMANDS: &str = "orders_commands_total";
const EVENTS: &str = "orders_events_written_total";
const BATCH_SIZE: &str = "orders_write_batch_commands";
const LATENCY: &str = "orders_command_duration_seconds";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once; later calls reuse it.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(LATENCY.into()),
                    &[
                        0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                    ],
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(BATCH_SIZE.into()),
                        &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0],
                    )
                });
            match builder.and_then(|b| b.install_recorder()) {
                Ok(handle) => {
                    describe();
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

fn describe() {
    metrics::describe_counter!(
        COMMANDS,
        "Commands handled, by command type and outcome code"
    );
    metrics::describe_counter!(EVENTS, "Events appended to the log");
    metrics::describe_histogram!(BATCH_SIZE, "Commands per group commit");
    metrics::describe_histogram!(
        LATENCY,
        metrics::Unit::Seconds,
        "Time from queueing a command to its committed reply"
    );
}

/// The Prometheus text exposition.
pub fn render() -> String {
    match install() {
        Some(handle) => {
            handle.run_upkeep();
            handle.render()
        }
        None => String::new(),
    }
}

pub fn record_command(command_type: &'static str, result: &Result<CommandOutcome, EngineError>) {
    let outcome = match result {
        Ok(outcome) if outcome.replayed => "replayed",
        Ok(_) => "accepted",
        Err(e) => e.code(),
    };
    metrics::counter!(COMMANDS, "type" => command_type, "outcome" => outcome).increment(1);
    if let Ok(outcome) = result {
        metrics::counter!(EVENTS).increment(outcome.events.len() as u64);
    }
}

pub fn record_batch(commands: usize) {
    metrics::histogram!(BATCH_SIZE).record(commands as f64);
}

pub fn record_latency(elapsed: Duration, commands: usize) {
    let histogram = metrics::histogram!(LATENCY);
    for _ in 0..commands {
        histogram.record(elapsed.as_secs_f64());
    }
}
