//! `serve`: opens the store, starts the writer (engine + guest runtime) and the read pool,
//! binds the listener and runs until SIGTERM or ctrl-c, then drains in-flight requests
//! and lets the writer commit what it holds before the process exits.

use std::net::SocketAddr;
use std::path::PathBuf;

use order_core::{Engine, EngineConfig};
use order_store::Synchronous;

use crate::app::{router, AppState};
use crate::database::Database;
use crate::environment::SystemEnvironment;
use crate::guest::{load_guest, runtime_for};
use crate::{metrics, writer};

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub db: Database,
    pub listen: SocketAddr,
    pub synchronous: Synchronous,
    pub snapshot_every: u64,
    /// A guest component replacing the embedded one.
    pub guest: Option<PathBuf>,
    pub web_dir: Option<PathBuf>,
}

pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    metrics::install();
    let guest = load_guest(config.guest.as_deref())?;
    let module_hash = guest.hash().to_string();
    let (db, synchronous, snapshot_every) =
        (config.db.clone(), config.synchronous, config.snapshot_every);
    let (writer, writer_thread) = writer::spawn(move || {
        let store = db.open(synchronous)?;
        let engine_config = EngineConfig {
            snapshot_every,
            ..EngineConfig::default()
        };
        Ok(Engine::with_runtime(
            store,
            SystemEnvironment::default(),
            runtime_for(guest),
            engine_config,
        ))
    })?;
    let state = AppState {
        writer,
        queries: config.db.queries(),
        module_hash: Some(module_hash.clone()),
    };
    if let Some(dir) = &config.web_dir {
        tracing::info!(dir = %dir.display(), "serving the web demo");
    }
    let app = router(state, config.web_dir.clone());
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let address = listener.local_addr()?;
    tracing::info!(%address, db = %config.db, guest = %module_hash, "listening");
    // A plain line on stdout for scripts and tests that start the server on port 0.
    println!("order-server listening on http://{address}");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
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
