//! The HTTP API described as OpenAPI 3.1 (utoipa), served at `/openapi.json`. The shapes
//! below mirror the JSON the routes read and write (the core's own types stay free of any
//! HTTP dependency); `tests/http_openapi.rs` checks that every documented operation is
//! routed and that the router answers nothing undocumented on those paths. The bounds of
//! the inputs are added by [`InputLimits`], from the constants that enforce them.

#![allow(dead_code)] // the schema structs and operation stubs exist only for the document

use axum::http::header;
use axum::response::IntoResponse;
use serde_json::Value;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::openapi_limits::InputLimits;

/// `{"error": {"code", "message"}}`: every error response.
#[derive(ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct ErrorDetail {
    /// Stable snake_case code (`order_not_found`, `unauthorized`, ...).
    code: String,
    message: String,
    /// On server failures (5xx): the id under which the detail is logged.
    request_id: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Accepted {
    order_id: String,
    version: u64,
}

/// Options any command body may carry.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct CreateOrder {
    customer_id: String,
    /// Generated (UUID v7) when absent.
    order_id: Option<String>,
    /// Idempotency key (or the `Idempotency-Key` header).
    command_id: Option<String>,
    /// Optimistic concurrency (or the `If-Match` header).
    expected_version: Option<u64>,
    /// When the user acted, for a command queued offline (RFC 3339): the business time of
    /// what it decides (createdAt, placedAt, cancelledAt). At most 5 minutes after and 7
    /// days before the server's clock; `metadata.recordedAt` stays the commit time.
    #[schema(format = DateTime)]
    issued_at: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct AddItem {
    product_id: String,
    // quantity and price: their schemas (bounds included) come from `openapi_limits`.
    #[schema(value_type = Object)]
    quantity: Value,
    #[schema(value_type = Object)]
    price: Value,
    command_id: Option<String>,
    expected_version: Option<u64>,
    /// When the user acted (RFC 3339); see `CreateOrder.issuedAt`.
    #[schema(format = DateTime)]
    issued_at: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct CommandOptions {
    command_id: Option<String>,
    expected_version: Option<u64>,
    /// When the user acted (RFC 3339); see `CreateOrder.issuedAt`.
    #[schema(format = DateTime)]
    issued_at: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct CancelOrder {
    reason: Option<String>,
    command_id: Option<String>,
    expected_version: Option<u64>,
    /// When the user acted (RFC 3339); see `CreateOrder.issuedAt`.
    #[schema(format = DateTime)]
    issued_at: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct OrderItem {
    product_id: String,
    quantity: u32,
    /// Decimal string.
    price: String,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub enum OrderStatus {
    Draft,
    Placed,
    Cancelled,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct OrderView {
    id: String,
    customer_id: String,
    status: OrderStatus,
    items: Vec<OrderItem>,
    /// Decimal string ("109.97").
    total: String,
    created_at: String,
    placed_at: Option<String>,
    cancelled_at: Option<String>,
    version: u64,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct OrderPage {
    orders: Vec<OrderView>,
    /// Pass back as `after` for the next page; absent or null on the last page.
    next_cursor: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct EventEnvelope {
    event_id: String,
    stream_id: String,
    version: u64,
    position: u64,
    r#type: String,
    schema_version: u32,
    #[schema(value_type = Object)]
    data: Value,
    /// commandId, correlationId, causationId, actor, recordedAt, issuedAt (when the client
    /// gave one), moduleHash.
    #[schema(value_type = Object)]
    metadata: Value,
}

/// One queued command: `{commandId, type, ...the command's fields, expectedVersion?,
/// issuedAt?}`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct SyncCommand {
    command_id: String,
    /// CreateOrder, AddItem, RemoveItem, PlaceOrder or CancelOrder.
    r#type: String,
    expected_version: Option<u64>,
    /// When the user acted (RFC 3339); see `CreateOrder.issuedAt`.
    #[schema(format = DateTime)]
    issued_at: Option<String>,
}

/// Accepted: `orderId`, `version`, `positions`; rejected: `error`, `retryable`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct SyncOutcome {
    command_id: Option<String>,
    accepted: bool,
    order_id: Option<String>,
    version: Option<u64>,
    positions: Option<Vec<u64>>,
    error: Option<ErrorDetail>,
    retryable: Option<bool>,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct DevTokenRequest {
    sub: String,
    roles: Vec<String>,
    customer_id: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct DevToken {
    token: String,
    /// Seconds since the Unix epoch.
    expires_at: u64,
}

const ERRORS: &str = "a JSON error body";

#[utoipa::path(post, path = "/orders", tag = "commands", request_body = CreateOrder,
    params(("Idempotency-Key" = Option<String>, Header), ("If-Match" = Option<String>, Header)),
    responses((status = 201, body = Accepted, description = "Created"), (status = "4XX", body = ErrorBody, description = ERRORS), (status = "5XX", body = ErrorBody, description = ERRORS)),
    security(("bearer" = [])))]
fn create_order() {}

#[utoipa::path(get, path = "/orders", tag = "queries",
    params(("customerId" = String, Query), ("limit" = Option<u32>, Query), ("after" = Option<String>, Query)),
    responses((status = 200, body = OrderPage, description = "OK"), (status = "4XX", body = ErrorBody, description = ERRORS), (status = "5XX", body = ErrorBody, description = ERRORS)),
    security(("bearer" = [])))]
fn list_orders() {}

#[utoipa::path(get, path = "/orders/{id}", tag = "queries",
    params(("id" = String, Path), ("version" = Option<u64>, Query), ("at" = Option<String>, Query, description = "RFC 3339")),
    responses((status = 200, body = OrderView, description = "OK"), (status = "4XX", body = ErrorBody, description = ERRORS), (status = "5XX", body = ErrorBody, description = ERRORS)),
    security(("bearer" = [])))]
fn get_order() {}

#[utoipa::path(post, path = "/orders/{id}/items", tag = "commands", request_body = AddItem,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = Accepted, description = "OK"), (status = "4XX", body = ErrorBody, description = ERRORS), (status = "5XX", body = ErrorBody, description = ERRORS)),
    security(("bearer" = [])))]
fn add_item() {}

#[utoipa::path(delete, path = "/orders/{id}/items/{productId}", tag = "commands",
    params(("id" = String, Path), ("productId" = String, Path), ("quantity" = Option<u32>, Query), ("Idempotency-Key" = Option<String>, Header), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = Accepted, description = "OK"), (status = "4XX", body = ErrorBody, description = ERRORS), (status = "5XX", body = ErrorBody, description = ERRORS)),
    security(("bearer" = [])))]
fn remove_item() {}

#[utoipa::path(post, path = "/orders/{id}/place", tag = "commands", request_body(content = Option<CommandOptions>),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = Accepted, description = "OK"), (status = "4XX", body = ErrorBody, description = ERRORS), (status = "5XX", body = ErrorBody, description = ERRORS)),
    security(("bearer" = [])))]
fn place_order() {}

#[utoipa::path(post, path = "/orders/{id}/cancel", tag = "commands", request_body(content = Option<CancelOrder>),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = Accepted, description = "OK"), (status = "4XX", body = ErrorBody, description = ERRORS), (status = "5XX", body = ErrorBody, description = ERRORS)),
    security(("bearer" = [])))]
fn cancel_order() {}

#[utoipa::path(get, path = "/orders/{id}/events", tag = "queries",
    params(("id" = String, Path), ("after" = Option<u64>, Query, description = "stream version"), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = Vec<EventEnvelope>, description = "OK"), (status = "4XX", body = ErrorBody, description = ERRORS), (status = "5XX", body = ErrorBody, description = ERRORS)),
    security(("bearer" = [])))]
fn order_events() {}

#[utoipa::path(get, path = "/events", tag = "queries",
    params(("after" = Option<u64>, Query, description = "global position"), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = Vec<EventEnvelope>, description = "for a customer, only their orders' events; header X-Scanned-Through says where to continue"),
        (status = "4XX", body = ErrorBody, description = ERRORS), (status = "5XX", body = ErrorBody, description = ERRORS)),
    security(("bearer" = [])))]
fn events() {}

#[utoipa::path(get, path = "/events/stream", tag = "queries",
    params(("after" = Option<u64>, Query, description = "global position; a reconnect's Last-Event-ID header wins"),
        ("Last-Event-ID" = Option<u64>, Header, description = "resume after this position")),
    responses((status = 200, content_type = "text/event-stream", body = String,
            description = "Server-Sent Events: `id:` the position, `data:` the envelope as /events returns it; comment heartbeats; for a customer, only their orders' events. A consumer that stops reading is disconnected and resumes by position."),
        (status = "4XX", body = ErrorBody, description = ERRORS), (status = "5XX", body = ErrorBody, description = ERRORS)),
    security(("bearer" = [])))]
fn events_stream() {}

#[utoipa::path(get, path = "/orders/{id}/events/stream", tag = "queries",
    params(("id" = String, Path), ("after" = Option<u64>, Query, description = "stream version; a reconnect's Last-Event-ID header wins"),
        ("Last-Event-ID" = Option<u64>, Header, description = "resume after this stream version")),
    responses((status = 200, content_type = "text/event-stream", body = String,
            description = "Server-Sent Events of one order: `id:` the stream version, `data:` the envelope"),
        (status = "4XX", body = ErrorBody, description = ERRORS), (status = "5XX", body = ErrorBody, description = ERRORS)),
    security(("bearer" = [])))]
fn order_events_stream() {}

#[utoipa::path(post, path = "/commands", tag = "sync", request_body = Vec<SyncCommand>,
    responses((status = 200, body = Vec<SyncOutcome>, description = "OK"), (status = "4XX", body = ErrorBody, description = ERRORS), (status = "5XX", body = ErrorBody, description = ERRORS)),
    security(("bearer" = [])))]
fn sync_commands() {}

#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, body = Object, description = "OK"), (status = "5XX", body = ErrorBody, description = ERRORS)))]
fn health() {}

#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, body = String, content_type = "text/plain", description = "Prometheus text")))]
fn metrics() {}

#[utoipa::path(post, path = "/dev/token", tag = "operations", request_body = DevTokenRequest,
    description = "Only with `serve --dev-auth` (loopback addresses).",
    responses((status = 200, body = DevToken, description = "OK"), (status = "4XX", body = ErrorBody, description = ERRORS)))]
fn dev_token() {}

#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, body = Object, description = "this document")))]
fn openapi_json() {}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "order-server", description = "Event-sourced orders: commands, queries, offline sync. Errors are {\"error\":{\"code\",\"message\"}}. See docs/security.md for who may do what."),
    paths(create_order, list_orders, get_order, add_item, remove_item, place_order, cancel_order,
        order_events, order_events_stream, events, events_stream, sync_commands, health, metrics, dev_token, openapi_json),
    modifiers(&BearerAuth, &InputLimits)
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
pub async fn document() -> impl IntoResponse {
    let json = ApiDoc::openapi().to_json().unwrap_or_else(|e| {
        format!("{{\"error\":{{\"code\":\"internal_error\",\"message\":\"{e}\"}}}}")
    });
    ([(header::CONTENT_TYPE, "application/json")], json)
}
