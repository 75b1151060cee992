//! `order-server`: see `order-server --help`.

use std::process::ExitCode;

use clap::Parser;
use order_server::cli::{run, Cli};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // A `.env` file in the working directory may set ORDER_DB, ORDER_LISTEN, RUST_LOG...
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    init_logging(cli.log_json);
    match run(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    // A log line that cannot be written (stderr on a full disk) is dropped: by default
    // tracing-subscriber reports it with `eprintln!`, which panics when stderr is full, and
    // took down the writer thread (and request tasks) with it (docs/reliability.md).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .log_internal_errors(false);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
