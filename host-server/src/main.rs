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
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
