//! Operations: readiness (`/health`) and Prometheus metrics.

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

use crate::app::AppState;

/// `GET /health`: readiness. 200 with `"status":"ok"` while the command writer runs and
/// the database answers a read; otherwise 503 with `"status":"unavailable"` and what is
/// wrong, so a load balancer stops sending traffic and a supervisor can act.
pub async fn health(State(app): State<AppState>) -> (StatusCode, Json<Value>) {
    let writer = app.writer.status();
    crate::metrics::record_writer(writer.running, writer.restarts);
    let store = app.queries.run(|store| Ok(store.last_position()?)).await;
    let ready = writer.running && store.is_ok();
    let store_body = match &store {
        Ok(last_position) => json!({"status": "ok", "lastPosition": last_position}),
        Err(e) => json!({"status": "unreachable", "error": e.message}),
    };
    // The broker never makes the server unready: commands go on, the relay catches up.
    let relay = app.relay.as_ref().map(|relay| {
        let status = &relay.status;
        crate::metrics::record_relay(status);
        json!({
            "status": if status.connected.load(Ordering::Relaxed) { "connected" } else { "disconnected" },
            "active": status.active.load(Ordering::Relaxed),
            "lag": status.lag(),
            "checkpoint": status.checkpoint.load(Ordering::Relaxed),
        })
    });
    // An unready answer also carries the API's error shape, naming what is down first.
    let error = match (&store, writer.running) {
        (Err(e), _) => Some(json!({
            "code": "database_unavailable",
            "message": format!("the database cannot be read: {}", e.message),
        })),
        (Ok(_), false) => Some(json!({
            "code": "writer_unavailable",
            "message": "the command writer is not running",
        })),
        (Ok(_), true) => None,
    };
    let body = json!({
        "status": if ready { "ok" } else { "unavailable" },
        "error": error,
        "relay": relay,
        "writer": {
            "status": if writer.running { "running" } else { "stopped" },
            "restarts": writer.restarts,
        },
        "store": store_body,
        "lastPosition": store.as_ref().ok(),
        "moduleHash": app.module_hash,
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

/// `GET /metrics`: Prometheus text exposition.
pub async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    let writer = app.writer.status();
    crate::metrics::record_writer(writer.running, writer.restarts);
    if let Some(relay) = &app.relay {
        crate::metrics::record_relay(&relay.status);
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::render(),
    )
}
