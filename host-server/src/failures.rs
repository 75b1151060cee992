//! Server failures answer in general terms: a 5xx body keeps its code, says what kind of
//! thing failed and carries a request id; the detail (SQL, a guest trap) goes only to the
//! log, under the same id, so an operator can find it and a client learns nothing inside.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// Header carrying the id of a failed request (also in the body as `requestId`).
pub const REQUEST_ID: &str = "x-request-id";
/// Largest 5xx body read back for the log.
const MAX_LOGGED_BODY: usize = 64 * 1024;

/// What failed, in general terms, by error code.
fn general_message(code: &str) -> &'static str {
    match code {
        "store_error" => "the event store could not complete the request; nothing was applied",
        "runtime_error" => {
            "the domain runtime failed while deciding the command; nothing was applied"
        }
        "storage_full" => "the server's storage is full; nothing was applied",
        _ => "the server failed while handling the request",
    }
}

/// Layer (`map_response`): rewrites every 5xx but 503 (whose answers are already
/// general: overloaded, shutting down) and logs the original body.
pub async fn internal_detail_to_log(response: Response) -> Response {
    let status = response.status();
    if !status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE {
        return response;
    }
    let (parts, body) = response.into_parts();
    let original = axum::body::to_bytes(body, MAX_LOGGED_BODY)
        .await
        .unwrap_or_default();
    let detail: Value = serde_json::from_slice(&original).unwrap_or(Value::Null);
    let code = detail["error"]["code"]
        .as_str()
        .unwrap_or("internal_error")
        .to_string();
    let request_id = uuid::Uuid::now_v7().to_string();
    tracing::error!(
        request_id = %request_id,
        status = %status,
        detail = %String::from_utf8_lossy(&original),
        "request failed"
    );
    let body = json!({"error": {
        "code": code,
        "message": format!("{} (request id {request_id})", general_message(&code)),
        "requestId": request_id,
    }});
    let mut rebuilt = (parts.status, axum::Json(body)).into_response();
    if let Some(retry_after) = parts.headers.get(axum::http::header::RETRY_AFTER) {
        rebuilt
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, retry_after.clone());
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        rebuilt
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID), value);
    }
    rebuilt
}
