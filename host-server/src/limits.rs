//! Bounds on what one client can hold: a cap on requests in flight (above it, an
//! immediate 503 with `Retry-After`, never a queue that grows until the server stalls) and
//! a deadline for a whole request, so a client that drips its body is cut off.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::BoxError;

use crate::error::ApiError;

/// Default cap on requests being handled at once.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 512;
/// Default deadline for a request, from its head to the end of the handler.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time a client has to send the request head (slowloris).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// What a shed request is told to wait before trying again.
const RETRY_AFTER_SECS: u32 = 1;

/// Limits the HTTP layers enforce.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_concurrent_requests: usize,
    pub request_timeout: Duration,
    pub header_timeout: Duration,
    /// Requests per second per client address (`None`: no per-client limit).
    pub per_client_per_second: Option<u32>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            per_client_per_second: None,
        }
    }
}

/// The answer to a request shed by the concurrency cap (tower's `LoadShed` error).
pub async fn overloaded(error: BoxError) -> Response {
    if !error.is::<tower::load_shed::error::Overloaded>() {
        tracing::error!(error = %error, "request failed inside the load limiter");
    }
    let mut response = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "overloaded",
        "the server is handling as many requests as it allows; retry shortly",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    response
}
