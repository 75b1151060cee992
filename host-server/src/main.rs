//! `order-server`: see `order-server --help`.

use std::process::ExitCode;

use clap::Parser;
use order_server::cli::{run, Cli};
use order_server::telemetry::Traces;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

fn main() -> ExitCode {
    // A `.env` file in the working directory may set ORDER_DB, ORDER_LISTEN, RUST_LOG...
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    // Held to the end of `main`: dropping it exports the spans still queued.
    let _traces = init_logging(cli.log_json);
    match run(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Logs to stderr as `RUST_LOG` says and, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set,
/// exports traces too. A collector that is misconfigured does not stop the server: it
/// runs without traces, and says so.
fn init_logging(json: bool) -> Option<Traces> {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    // A log line that cannot be written (stderr on a full disk) is dropped: by default
    // tracing-subscriber reports it with `eprintln!`, which panics when stderr is full, and
    // took down the writer thread (and request tasks) with it (docs/reliability.md).
    let log = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .log_internal_errors(false);
    let log = if json {
        log.json().boxed()
    } else {
        log.boxed()
    };
    let (traces, trace_error) = match Traces::from_env() {
        Ok(traces) => (traces, None),
        Err(e) => (None, Some(e)),
    };
    tracing_subscriber::registry()
        .with(log.with_filter(filter))
        .with(traces.as_ref().map(Traces::layer))
        .init();
    if let Some(e) = trace_error {
        tracing::warn!(error = %format!("{e:#}"), "traces are not exported");
    }
    traces
}
