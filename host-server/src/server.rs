//! `serve`: opens the store, starts the writer (engine + guest runtime) and the read pool,
//! binds the listener and runs until SIGTERM or ctrl-c, then drains in-flight requests
//! and lets the writer commit what it holds before the process exits.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use order_core::{Engine, EngineConfig};
use order_store::Synchronous;

use crate::app::{secured_router, AppParts, AppState, Security};
use crate::auth::config::AuthSettings;
use crate::database::Database;
use crate::environment::SystemEnvironment;
use crate::guard::Origins;
use crate::guest::{load_guest, runtime_for};
use crate::limits::Limits;
use crate::{auth, guard, listener, metrics, writer};

/// Exit status when the command writer is lost for good (EX_SOFTWARE).
pub const WRITER_LOST_EXIT_CODE: i32 = 70;

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub db: Database,
    pub listen: SocketAddr,
    pub synchronous: Synchronous,
    pub snapshot_every: u64,
    /// How long a write waits for another process's lock on the database.
    pub busy_timeout: std::time::Duration,
    /// Broadcast committed events to RabbitMQ.
    pub publish: Option<crate::relay::RelayConfig>,
    /// A guest component replacing the embedded one.
    pub guest: Option<PathBuf>,
    pub web_dir: Option<PathBuf>,
    pub auth: AuthSettings,
    /// Origins allowed besides the server's own (CORS).
    pub cors_origins: Vec<String>,
    pub limits: Limits,
    pub feed: crate::feed::FeedSettings,
    /// How long the writer and a lone request poll before they park.
    pub spin_wait: std::time::Duration,
}

pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    // Refuse a bad configuration before opening anything.
    let auth = auth::config::configure(&config.auth, config.listen)?;
    let cors_origins = guard::parse_cors_origins(&config.cors_origins)?;
    metrics::install();
    let guest = load_guest(config.guest.as_deref())?;
    let module_hash = guest.hash().to_string();
    let folds = crate::folds::Folds::new(guest.clone());
    let (db, synchronous, snapshot_every, busy_timeout) = (
        config.db.clone(),
        config.synchronous,
        config.snapshot_every,
        config.busy_timeout,
    );
    let (writer, writer_thread) = writer::spawn_with_spin_wait(
        move || {
            let store = db.open(synchronous)?;
            store.set_busy_timeout(busy_timeout)?;
            let engine_config = EngineConfig {
                snapshot_every,
                ..EngineConfig::default()
            };
            Ok(Engine::with_runtime(
                store,
                SystemEnvironment::default(),
                runtime_for(guest.clone()),
                engine_config,
            ))
        },
        || {
            // Without a writer every command would fail: exit so a supervisor restarts us.
            tracing::error!("the writer cannot be restarted; exiting");
            std::process::exit(WRITER_LOST_EXIT_CODE);
        },
        config.spin_wait,
    )?;
    let relay = config.publish.clone().map(|publish| {
        tracing::info!(exchange = %publish.exchange, "publishing committed events to RabbitMQ");
        match &config.db {
            Database::Sqlite(path) => {
                let log = crate::relay::SqliteRelayLog::new(path);
                crate::relay::start(publish, log, writer.commits())
            }
            Database::Postgres(url) => {
                let log = crate::relay::PostgresRelayLog::new(url);
                crate::relay::start(publish, log, writer.commits())
            }
        }
    });
    let (shut_down, shutting_down) = tokio::sync::watch::channel(false);
    let state = AppState::new(AppParts {
        relay,
        writer,
        occupancy: Default::default(),
        queries: config.db.queries(),
        folds,
        module_hash: Some(module_hash.clone()),
        feed: config.feed,
        shutting_down,
    });
    match &config.web_dir {
        Some(dir) => tracing::info!(dir = %dir.display(), "serving the web demo"),
        None if crate::embedded_web::has_wasm_package() => {
            tracing::info!("serving the web demo built into the binary")
        }
        None => tracing::warn!(
            "the web demo built into this binary lacks its wasm package (run scripts/build-web.sh \
             before building the server); the page will not start"
        ),
    }
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let address = listener.local_addr()?;
    let security = Security {
        auth,
        origins: Arc::new(Origins::for_listener(address, &config.cors_origins)),
        cors_origins,
        dev_tokens: config.auth.dev_auth,
        limits: config.limits,
    };
    let app = secured_router(state, config.web_dir.clone(), security);
    tracing::info!(%address, db = %config.db, guest = %module_hash, "listening");
    // A plain line on stdout for scripts and tests that start the server on port 0.
    println!("order-server listening on http://{address}");
    let shutdown = async move {
        shutdown_signal().await;
        let _ = shut_down.send(true);
    };
    listener::serve(listener, app, config.limits.header_timeout, shutdown).await;
    // Every request handle is gone with the router, so the writer drains its queue and stops.
    tokio::task::spawn_blocking(move || writer_thread.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the writer thread panicked"))?;
    tracing::info!("stopped cleanly");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested: draining in-flight requests");
}
