//! The command routes: each request becomes one core `Command` (decoded by the core's own
//! serde rules, so quantity and price are judged by `decide`, not here) plus the host
//! options (idempotency key, expected version, actor), and goes to the writer.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use order_core::{Command, CommandOptions, CommandOutcome};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, CommandHeaders, JsonObject};
use crate::writer::CommandRequest;

/// What a command route answers: the order and its version after the command.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Accepted {
    pub order_id: String,
    pub version: u64,
}

impl From<CommandOutcome> for Accepted {
    fn from(outcome: CommandOutcome) -> Self {
        Accepted {
            order_id: outcome.order_id,
            version: outcome.version,
        }
    }
}

/// `POST /orders {customerId, orderId?, commandId?, expectedVersion?}` -> 201.
pub async fn create_order(
    State(app): State<AppState>,
    headers: CommandHeaders,
    JsonObject(mut body): JsonObject,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let generated_order_id = !body.contains_key("orderId");
    if generated_order_id {
        body.insert(
            "orderId".into(),
            Value::String(uuid::Uuid::now_v7().to_string()),
        );
    }
    let mut request = command_request("CreateOrder", body, &headers)?;
    request.options.order_id_generated = generated_order_id;
    let outcome = app
        .writer
        .submit_one(request, app.occupancy.waiting())
        .await?;
    Ok((StatusCode::CREATED, Json(outcome.into())))
}

/// `POST /orders/{id}/items {productId, quantity, price}`.
pub async fn add_item(
    State(app): State<AppState>,
    ApiPath(order_id): ApiPath<String>,
    headers: CommandHeaders,
    JsonObject(mut body): JsonObject,
) -> Result<Json<Accepted>, ApiError> {
    body.insert("orderId".into(), Value::String(order_id));
    submit(&app, command_request("AddItem", body, &headers)?).await
}

#[derive(Debug, Deserialize)]
pub struct RemoveItemQuery {
    quantity: Option<String>,
}

/// `DELETE /orders/{id}/items/{productId}[?quantity=n]`.
pub async fn remove_item(
    State(app): State<AppState>,
    ApiPath((order_id, product_id)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<RemoveItemQuery>,
    headers: CommandHeaders,
) -> Result<Json<Accepted>, ApiError> {
    let mut body = Map::new();
    body.insert("orderId".into(), Value::String(order_id));
    body.insert("productId".into(), Value::String(product_id));
    if let Some(quantity) = query.quantity {
        // Any number goes to the core (which rejects 0, -1 or 1.5 with a 422);
        // text that is not a number at all is a malformed request.
        let number: serde_json::Number = serde_json::from_str(quantity.trim()).map_err(|_| {
            ApiError::invalid_input(format!(
                "query parameter quantity must be a number, not `{quantity}`"
            ))
        })?;
        body.insert("quantity".into(), Value::Number(number));
    }
    submit(&app, command_request("RemoveItem", body, &headers)?).await
}

/// `POST /orders/{id}/place` (no body needed).
pub async fn place_order(
    State(app): State<AppState>,
    ApiPath(order_id): ApiPath<String>,
    headers: CommandHeaders,
    JsonObject(mut body): JsonObject,
) -> Result<Json<Accepted>, ApiError> {
    body.insert("orderId".into(), Value::String(order_id));
    submit(&app, command_request("PlaceOrder", body, &headers)?).await
}

/// `POST /orders/{id}/cancel {reason?}`.
pub async fn cancel_order(
    State(app): State<AppState>,
    ApiPath(order_id): ApiPath<String>,
    headers: CommandHeaders,
    JsonObject(mut body): JsonObject,
) -> Result<Json<Accepted>, ApiError> {
    body.insert("orderId".into(), Value::String(order_id));
    submit(&app, command_request("CancelOrder", body, &headers)?).await
}

async fn submit(app: &AppState, request: CommandRequest) -> Result<Json<Accepted>, ApiError> {
    let outcome = app
        .writer
        .submit_one(request, app.occupancy.waiting())
        .await?;
    Ok(Json(outcome.into()))
}

/// Host fields a command body may carry beside the command's own.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BodyOptions {
    #[serde(default)]
    pub command_id: Option<String>,
    #[serde(default)]
    pub expected_version: Option<u64>,
    /// Who asked; wins over the `X-Actor` header, so one sync request can carry commands
    /// queued by different people.
    #[serde(default)]
    pub actor: Option<String>,
    /// When the user acted (RFC 3339), for a command queued offline: see [`ISSUED_AT_WINDOW`].
    #[serde(default)]
    pub issued_at: Option<String>,
}

/// How far a command's `issuedAt` may be from the server's clock: at most five minutes
/// ahead (clocks drift) and seven days behind (a device offline for a week). Outside the
/// window it is a client mistake (400 `invalid_input`), so that no client can date orders
/// at will.
pub const ISSUED_AT_WINDOW: (chrono::Duration, chrono::Duration) =
    (chrono::Duration::minutes(5), chrono::Duration::days(7));

/// `issuedAt` as a time inside [`ISSUED_AT_WINDOW`] around `now`.
fn issued_at(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, ApiError> {
    let at = DateTime::parse_from_rfc3339(text)
        .map_err(|e| {
            ApiError::invalid_input(format!("issuedAt `{text}` is not an RFC 3339 time ({e})"))
        })?
        .with_timezone(&Utc);
    let (ahead, behind) = ISSUED_AT_WINDOW;
    if at > now + ahead || at < now - behind {
        return Err(ApiError::invalid_input(format!(
            "issuedAt {text} is outside the accepted window: at most {} minutes after and {} \
             days before the server's clock ({})",
            ahead.num_minutes(),
            behind.num_days(),
            now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )));
    }
    Ok(at)
}

/// Builds the command of type `command_type` from a body (with the path fields already
/// inserted) and merges the options given as headers and as body fields.
fn command_request(
    command_type: &str,
    mut body: Map<String, Value>,
    headers: &CommandHeaders,
) -> Result<CommandRequest, ApiError> {
    let body_options = body_options(&body)?;
    body.insert("type".into(), Value::String(command_type.into()));
    let command = decode_command(Value::Object(body))?;
    let options = merge_options(headers, body_options)?;
    Ok(CommandRequest { command, options })
}

pub fn body_options(body: &Map<String, Value>) -> Result<BodyOptions, ApiError> {
    let mut fields = Map::new();
    for key in ["commandId", "expectedVersion", "actor", "issuedAt"] {
        if let Some(value) = body.get(key).filter(|v| !v.is_null()) {
            fields.insert(key.into(), value.clone());
        }
    }
    serde_json::from_value(Value::Object(fields)).map_err(|e| {
        ApiError::invalid_input(format!(
            "{e} (commandId, actor and issuedAt must be strings, expectedVersion a \
             non-negative integer)"
        ))
    })
}

/// The core's decoder decides what a well-formed command is. It reads JSON text, as every
/// host's decoder (and the guest's) does: a `Value` hands integers past u64 to serde as
/// u128, which the tagged command enum cannot buffer, while text keeps them exact.
pub fn decode_command(value: Value) -> Result<Command, ApiError> {
    Command::from_json(&value.to_string()).map_err(|e| ApiError::invalid_input(e.to_string()))
}

/// Headers and body may both name the idempotency key / expected version, but not differently.
/// Longest actor accepted in a body (the same bound as the `X-Actor` header).
const MAX_ACTOR_LEN: usize = 200;

pub fn merge_options(
    headers: &CommandHeaders,
    body: BodyOptions,
) -> Result<CommandOptions, ApiError> {
    let command_id = agree(
        "Idempotency-Key header",
        headers.idempotency_key.clone(),
        "commandId",
        body.command_id,
    )?;
    if command_id.as_ref().is_some_and(|id| id.trim().is_empty()) {
        return Err(ApiError::invalid_input("commandId must not be empty"));
    }
    // Stored with every event of the command: bounded like the Idempotency-Key header.
    if command_id
        .as_ref()
        .is_some_and(|id| id.len() > MAX_ACTOR_LEN)
    {
        return Err(ApiError::invalid_input(format!(
            "commandId must be at most {MAX_ACTOR_LEN} bytes"
        )));
    }
    let expected_version = agree(
        "If-Match header",
        headers.if_match,
        "expectedVersion",
        body.expected_version,
    )?;
    if body.actor.as_ref().is_some_and(|a| a.len() > MAX_ACTOR_LEN) {
        return Err(ApiError::invalid_input(format!(
            "actor must be at most {MAX_ACTOR_LEN} bytes"
        )));
    }
    let issued_at = body
        .issued_at
        .as_deref()
        .map(|text| issued_at(text, Utc::now()))
        .transpose()?;
    Ok(CommandOptions {
        command_id,
        expected_version,
        actor: body.actor.or_else(|| headers.actor.clone()),
        correlation_id: headers.correlation_id.clone(),
        causation_id: None,
        issued_at,
        order_id_generated: false,
    })
}

fn agree<T: PartialEq + std::fmt::Debug>(
    header_name: &str,
    header: Option<T>,
    field_name: &str,
    field: Option<T>,
) -> Result<Option<T>, ApiError> {
    match (header, field) {
        (Some(h), Some(f)) if h != f => Err(ApiError::invalid_input(format!(
            "the {header_name} ({h:?}) and the body field {field_name} ({f:?}) disagree"
        ))),
        (Some(h), _) => Ok(Some(h)),
        (None, f) => Ok(f),
    }
}
