//! The command line: `serve` and the maintenance commands that work on a database file
//! (`rebuild-read-models`, `events`, `import`, `verify`), on an SQLite file or a PostgreSQL
//! database alike.

use std::io::{BufRead, BufWriter, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use order_core::{Engine, EngineConfig, EventStore, StoredEvent};
use order_store::Synchronous;

use crate::database::{AnyStore, Database};

use crate::environment::SystemEnvironment;
use crate::guest::{load_guest, runtime_for};
use crate::server::{serve, ServeConfig};

/// Events read or folded per step by the maintenance commands.
const BATCH: usize = 1000;

#[derive(Debug, Parser)]
#[command(
    name = "order-server",
    version,
    about = "Order service: HTTP API over an SQLite or PostgreSQL event store; the domain runs in a wasmtime sandbox"
)]
pub struct Cli {
    /// Log as JSON lines instead of text (level filter: RUST_LOG).
    #[arg(long, global = true, env = "ORDER_LOG_JSON")]
    pub log_json: bool,
    #[command(subcommand)]
    pub command: CliCommand,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Serve the HTTP API (and the web demo).
    Serve(ServeArgs),
    /// Rebuild every read model from position 0 through the guest.
    RebuildReadModels(DbArg),
    /// Print events as JSON lines, oldest first.
    Events(EventsArgs),
    /// Append events (JSON lines of envelopes, as `events` prints them) from a file or `-`.
    Import(ImportArgs),
    /// Replay every stream through the guest and compare with the stored read model;
    /// exits 1 on any mismatch.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct DbArg {
    /// The database: an SQLite file path (created on first use) or a PostgreSQL URL,
    /// `postgres://user@host/db` (schema created on first use).
    #[arg(long, env = "ORDER_DB", default_value = "./data/orders.db")]
    pub db: Database,
    /// A guest component to use instead of the embedded one.
    #[arg(long, env = "ORDER_GUEST")]
    pub guest: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SyncMode {
    /// fsync every commit: acknowledged commands survive power loss.
    Full,
    /// fsync at WAL checkpoints only: faster, a power loss may drop the last commits.
    Normal,
}

impl From<SyncMode> for Synchronous {
    fn from(mode: SyncMode) -> Self {
        match mode {
            SyncMode::Full => Synchronous::Full,
            SyncMode::Normal => Synchronous::Normal,
        }
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Address to listen on (port 0 picks a free port, printed on stdout).
    #[arg(long, env = "ORDER_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[arg(long, env = "ORDER_SYNCHRONOUS", value_enum, default_value_t = SyncMode::Full)]
    pub synchronous: SyncMode,
    /// Store a snapshot of an order's state every N events (0 disables snapshots).
    #[arg(long, env = "ORDER_SNAPSHOT_EVERY", default_value_t = order_core::DEFAULT_SNAPSHOT_EVERY)]
    pub snapshot_every: u64,
    /// Directory served at `/` (default: ./web-demo when it exists).
    #[arg(long, env = "ORDER_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Only events with a global position greater than this.
    #[arg(long, default_value_t = 0)]
    pub after: u64,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// File of JSON lines, or `-` for standard input.
    pub input: PathBuf,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub db: DbArg,
}

/// Runs the command; `Ok(false)` means it ran but found a problem (exit code 1).
pub fn run(cli: Cli) -> anyhow::Result<bool> {
    match cli.command {
        CliCommand::Serve(args) => {
            let config = ServeConfig {
                db: args.db.db,
                listen: args.listen,
                synchronous: args.synchronous.into(),
                snapshot_every: args.snapshot_every,
                guest: args.db.guest,
                web_dir: args.web_dir.or_else(crate::app::default_web_dir),
            };
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(serve(config))?;
            Ok(true)
        }
        CliCommand::RebuildReadModels(args) => rebuild_read_models(&args).map(|()| true),
        CliCommand::Events(args) => print_events(&args.db.db, args.after).map(|()| true),
        CliCommand::Import(args) => import(&args.db.db, &args.input).map(|()| true),
        CliCommand::Verify(args) => verify(&args.db),
    }
}

fn open_store(db: &Database) -> anyhow::Result<AnyStore> {
    db.open(Synchronous::Full)
        .with_context(|| format!("opening {db}"))
}

fn engine(
    args: &DbArg,
) -> anyhow::Result<Engine<AnyStore, SystemEnvironment, crate::wasm::WasmRuntime>> {
    let store = open_store(&args.db)?;
    let guest = load_guest(args.guest.as_deref())?;
    Ok(Engine::with_runtime(
        store,
        SystemEnvironment::default(),
        runtime_for(guest),
        EngineConfig::default(),
    ))
}

fn rebuild_read_models(args: &DbArg) -> anyhow::Result<()> {
    let mut engine = engine(args)?;
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} events ({per_sec}, eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let folded = engine
        .rebuild_read_models(BATCH, |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .context("rebuilding read models")?;
    bar.finish();
    eprintln!("rebuilt the read models from {folded} events");
    Ok(())
}

fn print_events(db: &Database, after: u64) -> anyhow::Result<()> {
    let store = open_store(db)?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut position = after;
    loop {
        let batch = store.read_all(position, BATCH)?;
        let Some(last) = batch.last() else { break };
        position = last.position;
        for envelope in &batch {
            serde_json::to_writer(&mut out, envelope)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(())
}

fn import(db: &Database, input: &Path) -> anyhow::Result<()> {
    let events = if input == Path::new("-") {
        read_stored_events(std::io::stdin().lock())?
    } else {
        let file =
            std::fs::File::open(input).with_context(|| format!("opening {}", input.display()))?;
        read_stored_events(std::io::BufReader::new(file))?
    };
    let mut store = open_store(db)?;
    let imported = store.import(events).context("importing")?;
    eprintln!("imported {imported} events");
    Ok(())
}

/// One stored event per non-blank line; the first bad line stops the import.
pub fn read_stored_events(reader: impl BufRead) -> anyhow::Result<Vec<StoredEvent>> {
    let mut events = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let event: StoredEvent = serde_json::from_str(&line)
            .with_context(|| format!("line {}: not a stored event", index + 1))?;
        events.push(event);
    }
    Ok(events)
}

fn verify(args: &DbArg) -> anyhow::Result<bool> {
    let mut engine = engine(args)?;
    let report = engine.verify(BATCH).context("verifying")?;
    for mismatch in &report.mismatches {
        println!("MISMATCH {mismatch}");
    }
    println!(
        "verified {} streams, {} events: {} mismatches",
        report.streams,
        report.events,
        report.mismatches.len()
    );
    Ok(report.mismatches.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn stored_events_are_read_line_by_line_naming_the_bad_line() {
        let good = r#"{"eventId":"00000000-0000-0000-0000-000000000001","streamId":"o","version":1,"type":"OrderPlaced","data":{}}"#;
        let text = format!("{good}\n\n{{not json\n");
        let err = read_stored_events(text.as_bytes()).unwrap_err();
        assert!(format!("{err:#}").contains("line 3"), "{err:#}");
        assert_eq!(read_stored_events(good.as_bytes()).unwrap().len(), 1);
    }
}
