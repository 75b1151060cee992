//! Prometheus metrics: commands by type and outcome, write-batch sizes, command latency
//! (queue + decision + commit), events written, HTTP requests and their latency by route
//! and status, the writer's state, the live feed's streams and the process (CPU, memory, files, threads). Every
//! series exists from the start, at zero, so dashboards and alerts see them before traffic.
//! Rendered by `GET /metrics`.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use order_core::{CommandOutcome, EngineError};

const COMMANDS: &str = "orders_commands_total";
const EVENTS: &str = "orders_events_written_total";
const BATCH_SIZE: &str = "orders_write_batch_commands";
const LATENCY: &str = "orders_command_duration_seconds";
const HTTP_REQUESTS: &str = "http_requests_total";
const HTTP_LATENCY: &str = "http_request_duration_seconds";
const WRITER_RUNNING: &str = "orders_writer_running";
const WRITER_RESTARTS: &str = "orders_writer_restarts_total";
const STREAMS_OPEN: &str = "orders_streams_open";
const STREAM_EVENTS: &str = "orders_stream_events_pushed_total";
const STREAM_SLOW: &str = "orders_stream_slow_consumers_disconnected_total";

/// The command types, so their counters exist before the first command.
const COMMAND_TYPES: [&str; 5] = [
    "CreateOrder",
    "AddItem",
    "RemoveItem",
    "PlaceOrder",
    "CancelOrder",
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once; later calls reuse it.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("_seconds".into()),
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
                    register_at_zero();
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

fn process_collector() -> &'static metrics_process::Collector {
    static COLLECTOR: OnceLock<metrics_process::Collector> = OnceLock::new();
    COLLECTOR.get_or_init(metrics_process::Collector::default)
}

/// Creates every series with its zero value (histograms empty).
fn register_at_zero() {
    for command_type in COMMAND_TYPES {
        metrics::counter!(COMMANDS, "type" => command_type, "outcome" => "accepted").absolute(0);
    }
    metrics::counter!(EVENTS).absolute(0);
    let _ = metrics::histogram!(BATCH_SIZE);
    let _ = metrics::histogram!(LATENCY);
    metrics::counter!(WRITER_RESTARTS).absolute(0);
    metrics::gauge!(WRITER_RUNNING).set(0.0);
    metrics::gauge!(STREAMS_OPEN).set(0.0);
    metrics::counter!(STREAM_EVENTS).absolute(0);
    metrics::counter!(STREAM_SLOW).absolute(0);
    process_collector().collect();
}

fn describe() {
    process_collector().describe();
    metrics::describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by method, route and status"
    );
    metrics::describe_histogram!(
        HTTP_LATENCY,
        metrics::Unit::Seconds,
        "Time to answer an HTTP request, by method, route and status"
    );
    metrics::describe_gauge!(WRITER_RUNNING, "1 while the command writer takes commands");
    metrics::describe_counter!(
        WRITER_RESTARTS,
        "Times the command writer failed and was opened again"
    );
    metrics::describe_counter!(
        COMMANDS,
        "Commands handled, by command type and outcome code"
    );
    metrics::describe_counter!(EVENTS, "Events appended to the log");
    metrics::describe_gauge!(STREAMS_OPEN, "Live feed streams (SSE) open now");
    metrics::describe_counter!(STREAM_EVENTS, "Events sent on live feed streams");
    metrics::describe_counter!(
        STREAM_SLOW,
        "Live feed consumers disconnected for not reading"
    );
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
            process_collector().collect();
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

/// One answered HTTP request; `route` is the matched route pattern (`/orders/{id}`), so
/// ids never become label values.
pub fn record_http(method: &str, route: &str, status: u16, elapsed: Duration) {
    let labels = [
        ("method", method.to_string()),
        ("route", route.to_string()),
        ("status", status.to_string()),
    ];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_LATENCY, &labels).record(elapsed.as_secs_f64());
}

pub fn record_stream_opened() {
    metrics::gauge!(STREAMS_OPEN).increment(1.0);
}

pub fn record_stream_closed() {
    metrics::gauge!(STREAMS_OPEN).decrement(1.0);
}

pub fn record_stream_event() {
    metrics::counter!(STREAM_EVENTS).increment(1);
}

pub fn record_stream_disconnected_slow() {
    metrics::counter!(STREAM_SLOW).increment(1);
}

/// The writer's state, as `/health` reads it.
pub fn record_writer(running: bool, restarts: u64) {
    metrics::gauge!(WRITER_RUNNING).set(if running { 1.0 } else { 0.0 });
    metrics::counter!(WRITER_RESTARTS).absolute(restarts);
}

/// The broker relay's progress (`--publish`): lag, messages published and confirmed,
/// failures, and whether this process runs the relay.
pub fn record_relay(status: &crate::relay::RelayStatus) {
    use std::sync::atomic::Ordering::Relaxed;
    metrics::gauge!("orders_relay_lag_events").set(status.lag() as f64);
    metrics::gauge!("orders_relay_active").set(if status.active.load(Relaxed) {
        1.0
    } else {
        0.0
    });
    metrics::gauge!("orders_relay_connected").set(if status.connected.load(Relaxed) {
        1.0
    } else {
        0.0
    });
    metrics::counter!("orders_relay_published_total").absolute(status.published.load(Relaxed));
    metrics::counter!("orders_relay_confirmed_total").absolute(status.confirmed.load(Relaxed));
    metrics::counter!("orders_relay_failures_total").absolute(status.failures.load(Relaxed));
}
