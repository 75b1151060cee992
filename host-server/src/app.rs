//! The HTTP application: routes, shared state and the layers around them (body limit,
//! JSON error bodies for responses axum or tower-http produce themselves, request tracing,
//! and the web demo's static files behind the API).

use std::path::PathBuf;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;

use axum::http::{header, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::error::ApiError;
use crate::queries::Queries;
use crate::routes::{commands, ops, queries, sync};
use crate::writer::WriterHandle;

/// Largest accepted request body (1 MiB); larger bodies get 413 `payload_too_large`.
pub const BODY_LIMIT_BYTES: usize = 1 << 20;

#[derive(Clone)]
pub struct AppState {
    pub writer: WriterHandle,
    pub queries: Queries,
    /// sha256 of the guest module deciding commands (shown by `/health`).
    pub module_hash: Option<String>,
    /// The broker relay, when `--publish` is on.
    pub relay: Option<crate::relay::Relay>,
}

/// The full application. API routes take precedence over files in `web_dir`.
pub fn router(state: AppState, web_dir: Option<PathBuf>) -> Router {
    let api = Router::new()
        .route(
            "/orders",
            post(commands::create_order).get(queries::list_orders),
        )
        .route("/orders/{id}", get(queries::get_order))
        .route("/orders/{id}/items", post(commands::add_item))
        .route(
            "/orders/{id}/items/{product_id}",
            delete(commands::remove_item),
        )
        .route("/orders/{id}/place", post(commands::place_order))
        .route("/orders/{id}/cancel", post(commands::cancel_order))
        .route("/orders/{id}/events", get(queries::order_events))
        .route("/events", get(queries::all_events))
        .route("/commands", post(sync::sync_commands))
        .route("/health", get(ops::health))
        .route("/metrics", get(ops::metrics))
        .with_state(state);
    let app = match web_dir {
        Some(dir) => api.fallback_service(ServeDir::new(dir)),
        None => api.fallback(unknown_route),
    };
    // Outermost last: the body limit wraps the routes, the JSON error mapping wraps the
    // limit (whose early 413 has no JSON body), tracing wraps everything.
    app.layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .layer(middleware::map_response(json_error_bodies))
        .layer(middleware::from_fn(count_requests))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

/// Counts every answered request by method, matched route and status, with its latency.
async fn count_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |path| path.as_str())
        .to_string();
    let response = next.run(request).await;
    crate::metrics::record_http(
        method.as_str(),
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

async fn unknown_route() -> ApiError {
    ApiError::not_found("not_found", "no such route")
}

/// Gives every error response the API's JSON body, including those produced outside our
/// handlers (405 from the router, 413 from the body limit, 404 from the file service).
async fn json_error_bodies(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return response;
    }
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::payload_too_large(),
        StatusCode::NOT_FOUND => ApiError::not_found("not_found", "no such route or file"),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            "method_not_allowed",
            "this route does not accept that method",
        ),
        _ if status.is_server_error() => ApiError::internal("internal_error", status.to_string()),
        _ => ApiError::new(status, "bad_request", status.to_string()),
    };
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut mapped = error.into_response();
    if let Some(allow) = allow {
        mapped.headers_mut().insert(header::ALLOW, allow);
    }
    mapped
}

/// `web-demo` when it exists in the working directory (the repository root in development).
pub fn default_web_dir() -> Option<PathBuf> {
    let dir = PathBuf::from("web-demo");
    dir.is_dir().then_some(dir)
}
