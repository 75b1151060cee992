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
    // Boxed: its options outweigh every other command's many times over.
    Serve(Box<ServeArgs>),
    /// Rebuild every read model from position 0 through the guest.
    RebuildReadModels(DbArg),
    /// Print events as JSON lines, oldest first.
    Events(EventsArgs),
    /// Append events (JSON lines of envelopes, as `events` prints them) from a file or `-`.
    Import(ImportArgs),
    /// Replay every stream through the guest and compare with the stored read model;
    /// exits 1 on any mismatch.
    Verify(VerifyArgs),
    /// Consume the events `serve --publish` broadcasts: one JSON line each, deduplicated
    /// by event id (the reference consumer for downstream teams).
    Subscribe(SubscribeArgs),
    /// Copy the whole log from one database into another, empty one (SQLite or PostgreSQL,
    /// either direction), then compare the two event by event; exits 1 on any difference.
    Migrate(MigrateArgs),
    /// Write the embedded guest component (WIT order:domain@0.2.0, typed, importing nothing)
    /// to a file, for any other component host: jco in JavaScript, wasmtime-py, ...
    ExportGuest(ExportGuestArgs),
}

#[derive(Debug, Args)]
pub struct ExportGuestArgs {
    /// Where to write the component (.wasm).
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The database to copy from: an SQLite path or a postgres:// URL.
    #[arg(long)]
    pub from: Database,
    /// The database to copy into (created if needed); it must hold no events yet.
    #[arg(long)]
    pub to: Database,
}

#[derive(Debug, Args)]
pub struct SubscribeArgs {
    /// The broker, e.g. amqp://guest:guest@127.0.0.1:5672/%2f
    #[arg(long, env = "ORDER_SUBSCRIBE_URL")]
    pub amqp: String,
    /// A durable queue to use (kept across restarts; one active consumer at a time).
    /// Without it, a private queue that is deleted when the consumer stops.
    #[arg(long)]
    pub queue: Option<String>,
    #[arg(long, default_value = crate::relay::DEFAULT_EXCHANGE)]
    pub exchange: String,
    /// Routing-key pattern: `#` for every event, or an event type such as `OrderPlaced`.
    #[arg(long, default_value = "#")]
    pub binding: String,
    /// Exit after this many distinct events.
    #[arg(long)]
    pub max_events: Option<u64>,
    /// Exit when no event arrived for this many seconds.
    #[arg(long)]
    pub idle_timeout_secs: Option<u64>,
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
    /// SQLite only (PostgreSQL follows its own `synchronous_commit`).
    #[arg(long, env = "ORDER_SYNCHRONOUS", value_enum, default_value_t = SyncMode::Full)]
    pub synchronous: SyncMode,
    /// Store a snapshot of an order's state every N events (0 disables snapshots).
    #[arg(long, env = "ORDER_SNAPSHOT_EVERY", default_value_t = order_core::DEFAULT_SNAPSHOT_EVERY)]
    pub snapshot_every: u64,
    /// Serve the web demo from this directory (development) instead of the copy built into
    /// the binary.
    #[arg(long, env = "ORDER_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// How long a write waits for a lock held by another process (a CLI import, a Python
    /// program on the same file) before it answers 503 with Retry-After.
    #[arg(long, env = "ORDER_BUSY_TIMEOUT_MS", default_value_t = 5000)]
    pub busy_timeout_ms: u64,
    /// Publish every committed event to RabbitMQ at this `amqp://` URL (at least once, in
    /// position order, after the broker's confirm; commands never wait for it).
    #[arg(long, env = "ORDER_PUBLISH_URL")]
    pub publish: Option<String>,
    /// The durable topic exchange events are published to (routing key = event type).
    #[arg(long, env = "ORDER_PUBLISH_EXCHANGE", default_value = crate::relay::DEFAULT_EXCHANGE)]
    pub publish_exchange: String,
    /// Microseconds the command writer, and a command alone in the server, poll for work or
    /// for the commit before they sleep: on a VM waking a sleeping thread costs about as
    /// much as a commit at NORMAL. 0 sleeps at once (saves CPU on a shared host).
    #[arg(long, env = "ORDER_SPIN_WAIT_US", default_value_t = DEFAULT_SPIN_WAIT_US)]
    pub spin_wait_us: u64,
    #[command(flatten)]
    pub security: crate::security::SecurityArgs,
    #[command(flatten)]
    pub feed: crate::feed::FeedArgs,
}

const DEFAULT_SPIN_WAIT_US: u64 = crate::writer::DEFAULT_SPIN_WAIT.as_micros() as u64;

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
            let args = *args;
            let config = ServeConfig {
                db: args.db.db,
                listen: args.listen,
                synchronous: args.synchronous.into(),
                snapshot_every: args.snapshot_every,
                busy_timeout: std::time::Duration::from_millis(args.busy_timeout_ms),
                publish: args.publish.map(|url| crate::relay::RelayConfig {
                    url,
                    exchange: args.publish_exchange,
                }),
                guest: args.db.guest,
                web_dir: args.web_dir,
                auth: args.security.auth_settings()?,
                cors_origins: args.security.cors_origins.clone(),
                limits: args.security.limits()?,
                feed: args.feed.settings()?,
                spin_wait: std::time::Duration::from_micros(args.spin_wait_us),
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
        CliCommand::Subscribe(args) => {
            let config = crate::subscribe::SubscribeConfig {
                url: args.amqp,
                exchange: args.exchange,
                queue: args.queue,
                binding: args.binding,
                max_events: args.max_events,
                idle_timeout: args.idle_timeout_secs.map(std::time::Duration::from_secs),
            };
            let printed = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(crate::subscribe::subscribe(config))?;
            eprintln!("received {printed} events");
            Ok(true)
        }
        CliCommand::Migrate(args) => migrate(&args.from, &args.to),
        CliCommand::ExportGuest(args) => {
            let guest = crate::wasm::EMBEDDED_GUEST;
            std::fs::write(&args.out, guest)
                .with_context(|| format!("writing {}", args.out.display()))?;
            let hash = crate::wasm::GuestModule::embedded()?.hash().to_string();
            eprintln!(
                "wrote the guest component ({} bytes, sha256 {hash}) to {}",
                guest.len(),
                args.out.display()
            );
            Ok(true)
        }
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

/// A bar of events done out of all, with the rate and the time left (on stderr).
fn events_bar() -> ProgressBar {
    ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} events ({per_sec}, eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    )
}

/// Moves `bar` to `done` of `total`, as the engine's progress callbacks report them.
fn advance(bar: &ProgressBar) -> impl FnMut(u64, u64) + '_ {
    |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    }
}

fn rebuild_read_models(args: &DbArg) -> anyhow::Result<()> {
    let mut engine = engine(args)?;
    let bar = events_bar();
    let folded = engine
        .rebuild_read_models(BATCH, advance(&bar))
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

/// Copies events exactly as stored (payloads and schema versions as written), in pages,
/// each page one import transaction; the read model and command records are rebuilt from
/// them as `import` does. Snapshots are not copied (they are made again as streams grow).
fn migrate(from: &Database, to: &Database) -> anyhow::Result<bool> {
    if from == to {
        anyhow::bail!("--from and --to name the same database");
    }
    let source = open_store(from)?;
    let mut target = open_store(to)?;
    let already = target.last_position()?;
    if already != 0 {
        anyhow::bail!("{to} already holds {already} events; migrate copies into an empty database");
    }
    let bar = events_bar();
    bar.set_length(source.last_position()?);
    let mut position = 0;
    loop {
        let page = source.read_all_stored(position, BATCH)?;
        let Some(last) = page.last() else { break };
        position = last.position;
        let count = page.len() as u64;
        target
            .import(page)
            .with_context(|| format!("copying the events after position {}", position - count))?;
        bar.inc(count);
    }
    bar.finish();
    // The check reads both logs again, from the databases, not from what was sent.
    let mut after = 0;
    let mut compared = 0u64;
    loop {
        let (mine, theirs) = (
            source.read_all_stored(after, BATCH)?,
            target.read_all_stored(after, BATCH)?,
        );
        if mine != theirs {
            let at = mine
                .iter()
                .zip(&theirs)
                .find(|(a, b)| a != b)
                .map_or(after + mine.len().min(theirs.len()) as u64 + 1, |(a, _)| {
                    a.position
                });
            println!("MISMATCH the copy differs from {from} at position {at}");
            return Ok(false);
        }
        let Some(last) = mine.last() else { break };
        after = last.position;
        compared += mine.len() as u64;
    }
    println!("migrated {compared} events from {from} to {to}: identical, event by event");
    Ok(true)
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
    let bar = events_bar();
    let report = engine
        .verify_with_progress(BATCH, advance(&bar))
        .context("verifying")?;
    bar.finish();
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
        let good = r#"{"eventId":"00000000-0000-0000-0000-000000000001","streamId":"o","version":1,"type":"OrderPlaced","schemaVersion":1,"data":{},"metadata":{"recordedAt":"2026-01-01T00:00:00Z"}}"#;
        let text = format!("{good}\n\n{{not json\n");
        let err = read_stored_events(text.as_bytes()).unwrap_err();
        assert!(format!("{err:#}").contains("line 3"), "{err:#}");
        assert_eq!(read_stored_events(good.as_bytes()).unwrap().len(), 1);
    }

    #[test]
    fn an_event_without_its_time_or_schema_version_is_refused_by_line() {
        let good = r#"{"eventId":"00000000-0000-0000-0000-000000000001","streamId":"o","version":1,"type":"OrderPlaced","schemaVersion":1,"data":{},"metadata":{"recordedAt":"2026-01-01T00:00:00Z"}}"#;
        for (missing, line) in [
            (
                "recordedAt",
                good.replace(r#""recordedAt":"2026-01-01T00:00:00Z""#, ""),
            ),
            ("schemaVersion", good.replace(r#""schemaVersion":1,"#, "")),
            (
                "metadata",
                good.replace(r#","metadata":{"recordedAt":"2026-01-01T00:00:00Z"}"#, ""),
            ),
        ] {
            let text = format!("{good}\n{line}\n");
            let err = format!("{:#}", read_stored_events(text.as_bytes()).unwrap_err());
            assert!(
                err.contains("line 2") && err.contains(missing),
                "{missing}: {err}"
            );
        }
    }
}
