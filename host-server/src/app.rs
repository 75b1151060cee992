//! The HTTP application: routes, shared state and the layers around them (body limit,
//! JSON error bodies for responses axum or tower-http produce themselves, request tracing,
//! authentication and scope, hostile-client limits, and the web demo's static files
//! behind the API).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;

use axum::error_handling::HandleErrorLayer;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::auth::{self, scope, Auth, SharedAuth};
use crate::error::ApiError;
use crate::failures;
use crate::guard::{self, Origins};
use crate::limits::{self, Limits};
use crate::queries::Queries;
use crate::rate_limit::{self, RateLimiter};
use crate::routes::{commands, ops, queries, stream, sync};
use crate::static_files;
use crate::telemetry;
use crate::writer::WriterHandle;

/// Largest accepted request body (1 MiB); larger bodies get 413 `payload_too_large`.
pub const BODY_LIMIT_BYTES: usize = 1 << 20;

/// What every route shares, behind one `Arc`: axum clones the state for each request and
/// each stateful layer, several times per request, and a clone of the parts themselves
/// (channel senders, receivers, strings) showed in the profile of a lone client's commands.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl AppState {
    pub fn new(parts: AppParts) -> Self {
        AppState(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;
    fn deref(&self) -> &AppParts {
        &self.0
    }
}

pub struct AppParts {
    pub writer: WriterHandle,
    /// Requests being served: a lone command waits for its commit actively.
    pub occupancy: crate::occupancy::Occupancy,
    pub queries: Queries,
    /// The deciding guest, for the folds the read routes make (temporal views).
    pub folds: crate::folds::Folds,
    /// sha256 of the guest module deciding commands (shown by `/health`).
    pub module_hash: Option<String>,
    /// The broker relay, when `--publish` is on.
    pub relay: Option<crate::relay::Relay>,
    /// Heartbeats and the stall timeout of the live feed.
    pub feed: crate::feed::FeedSettings,
    /// Turns true when the server shuts down: live feeds end, so that the graceful
    /// shutdown is not held open by streams that never finish.
    pub shutting_down: tokio::sync::watch::Receiver<bool>,
}

/// How the HTTP layers protect the API: authentication, the origin allow-list, the
/// dev token endpoint and the load and time limits.
#[derive(Clone)]
pub struct Security {
    pub auth: SharedAuth,
    pub origins: Arc<Origins>,
    /// Other front ends allowed to call the API from a browser: they get CORS answers.
    pub cors_origins: Vec<HeaderValue>,
    /// Adds `POST /dev/token` (`--dev-auth`, loopback only; checked by `serve`).
    pub dev_tokens: bool,
    pub limits: Limits,
}

impl Security {
    /// No authentication and no origin check: for embedding the router in tests and
    /// benchmarks. `serve` always builds its own from the command line.
    pub fn unrestricted() -> Self {
        Security {
            auth: Auth::open(),
            origins: Arc::new(Origins::unchecked()),
            cors_origins: Vec::new(),
            dev_tokens: false,
            limits: Limits::default(),
        }
    }
}

/// The full application without authentication or origin checks ([`Security::unrestricted`]).
pub fn router(state: AppState, web_dir: Option<PathBuf>) -> Router {
    secured_router(state, web_dir, Security::unrestricted())
}

/// The full application. API routes take precedence over the web demo's files: those of
/// `web_dir`, or the demo embedded in the binary.
pub fn secured_router(state: AppState, web_dir: Option<PathBuf>, security: Security) -> Router {
    let own_order = middleware::from_fn_with_state(state.clone(), scope::own_order_only);
    let state_occupancy = state.occupancy.clone();
    let order_routes = Router::new()
        .route("/orders/{id}", get(queries::get_order))
        .route("/orders/{id}/items", post(commands::add_item))
        .route(
            "/orders/{id}/items/{product_id}",
            delete(commands::remove_item),
        )
        .route("/orders/{id}/place", post(commands::place_order))
        .route("/orders/{id}/cancel", post(commands::cancel_order))
        .route("/orders/{id}/events", get(queries::order_events))
        .route("/orders/{id}/events/stream", get(stream::order_events))
        .route_layer(own_order);
    let api = Router::new()
        .route(
            "/orders",
            post(commands::create_order)
                .route_layer(middleware::from_fn(scope::create_for_self_only))
                .merge(
                    get(queries::list_orders)
                        .route_layer(middleware::from_fn(scope::list_own_only)),
                ),
        )
        .route("/events", get(scope::events_feed))
        .route("/events/stream", get(stream::all_events))
        .route(
            "/commands",
            post(sync::sync_commands).route_layer(middleware::from_fn_with_state(
                state.clone(),
                scope::commands_in_scope,
            )),
        )
        .merge(order_routes)
        .layer(middleware::from_fn_with_state(
            security.auth.clone(),
            auth::authenticate,
        ));
    let mut public = Router::new()
        .route("/health", get(ops::health))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(crate::openapi::document));
    if security.dev_tokens {
        public = public.route(
            "/dev/token",
            post(auth::dev::issue_token).with_state(security.auth.clone()),
        );
    }
    let app = api.merge(public).with_state(state);
    let app = match web_dir {
        Some(dir) => app.fallback_service(
            ServiceBuilder::new()
                .layer(middleware::from_fn(static_files::only_the_demo))
                .service(ServeDir::new(dir)),
        ),
        None => app.fallback(crate::embedded_web::serve),
    };
    // Outermost last: the body limit wraps the routes, the JSON error mapping wraps the
    // limit (whose early 413 has no JSON body); requests are timed, counted against the
    // concurrency cap, checked for content type and origin; tracing wraps everything.
    let app = app
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .layer(middleware::from_fn(guard::json_bodies_only))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            security.limits.request_timeout,
        ))
        .layer(middleware::map_response(json_error_bodies))
        .layer(middleware::map_response(failures::internal_detail_to_log))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(limits::overloaded))
                .layer(LoadShedLayer::new())
                .layer(GlobalConcurrencyLimitLayer::new(
                    security.limits.max_concurrent_requests,
                )),
        )
        .layer(middleware::from_fn_with_state(
            security.origins.clone(),
            guard::check_origin,
        ));
    let app = match security.limits.per_client_per_second {
        Some(rate) => app.layer(middleware::from_fn_with_state(
            RateLimiter::new(rate),
            rate_limit::limit_per_client,
        )),
        None => app,
    };
    let app = app
        // Counts every answer, including requests shed or refused by the layers above.
        .layer(middleware::from_fn(count_requests))
        .layer(middleware::from_fn_with_state(
            state_occupancy,
            crate::occupancy::track,
        ));
    // CORS answers (preflights included) only for the configured front ends; the origin
    // check above refuses every other foreign origin.
    let app = if security.cors_origins.is_empty() {
        app
    } else {
        app.layer(guard::cors(security.cors_origins))
    };
    app.layer(
        TraceLayer::new_for_http()
            .make_span_with(telemetry::request_span)
            .on_response(telemetry::RecordStatus(
                DefaultOnResponse::new().level(Level::INFO),
            )),
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
        StatusCode::REQUEST_TIMEOUT => ApiError::new(
            status,
            "request_timeout",
            "the request took longer than the server allows",
        ),
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
