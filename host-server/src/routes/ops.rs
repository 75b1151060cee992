//! Operations: liveness/readiness and Prometheus metrics.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::error::ApiError;

/// `GET /health`: answers only if the database can be read; 503 `database_unavailable`
/// while it cannot (a PostgreSQL server down or unreachable).
pub async fn health(State(app): State<AppState>) -> Result<Json<Value>, ApiError> {
    let last_position = app
        .queries
        .run(|store| Ok(store.last_position()?))
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                format!("the database cannot be read: {}", e.message),
            )
        })?;
    Ok(Json(json!({
        "status": "ok",
        "lastPosition": last_position,
        "moduleHash": app.module_hash,
    })))
}

/// `GET /metrics`: Prometheus text exposition.
pub async fn metrics() -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::render(),
    )
}
