//! `POST /commands`: the offline client's queued commands, re-decided by the server one by
//! one, in order, against the authoritative state. Each gets its own outcome: accepted
//! with the positions written, or rejected with the error code (the client rebases).

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use serde_json::Value;

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{json_kind, CommandHeaders, JsonValue};
use crate::routes::commands::{body_options, decode_command, merge_options};
use crate::writer::{CommandRequest, WriteError};

/// Commands accepted in one request (the body limit bounds it too).
pub const MAX_SYNC_COMMANDS: usize = 1000;

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum SyncOutcome {
    Accepted {
        #[serde(rename = "commandId")]
        command_id: Option<String>,
        accepted: bool,
        #[serde(rename = "orderId")]
        order_id: String,
        version: u64,
        positions: Vec<u64>,
    },
    Rejected {
        #[serde(rename = "commandId")]
        command_id: Option<String>,
        accepted: bool,
        error: OutcomeError,
        /// False for a rule violation or a malformed command (final); true when the server
        /// could not process it (send it again later, with the same commandId).
        retryable: bool,
    },
}

/// The `{code, message}` of a rejected command (the same pair as an error response body).
#[derive(Debug, Serialize)]
pub struct OutcomeError {
    pub code: String,
    pub message: String,
}

fn rejected(command_id: Option<String>, error: ApiError) -> SyncOutcome {
    SyncOutcome::Rejected {
        command_id,
        accepted: false,
        retryable: error.is_retryable(),
        error: OutcomeError {
            code: error.code,
            message: error.message,
        },
    }
}

/// `POST /commands [{commandId, type, ...fields, expectedVersion?}, ...]` -> 200 outcomes.
pub async fn sync_commands(
    State(app): State<AppState>,
    headers: CommandHeaders,
    JsonValue(body): JsonValue,
) -> Result<Json<Vec<SyncOutcome>>, ApiError> {
    let Value::Array(items) = body else {
        return Err(ApiError::invalid_input(format!(
            "expected a JSON array of commands, found {}",
            json_kind(&body)
        )));
    };
    if items.len() > MAX_SYNC_COMMANDS {
        return Err(ApiError::invalid_input(format!(
            "at most {MAX_SYNC_COMMANDS} commands per request, got {}",
            items.len()
        )));
    }
    // Decode everything first; only well-formed commands go to the writer, in order.
    let mut slots: Vec<Result<Option<String>, SyncOutcome>> = Vec::with_capacity(items.len());
    let mut requests = Vec::new();
    for item in items {
        match sync_request(item, &headers) {
            Ok(request) => {
                slots.push(Ok(request.options.command_id.clone()));
                requests.push(request);
            }
            Err(outcome) => slots.push(Err(outcome)),
        }
    }
    let mut results = app
        .writer
        .submit_waiting(requests, app.occupancy.waiting())
        .await
        .into_iter();
    let mut outcomes = Vec::with_capacity(slots.len());
    for slot in slots {
        let command_id = match slot {
            Err(outcome) => {
                outcomes.push(outcome);
                continue;
            }
            Ok(command_id) => command_id,
        };
        match results.next().unwrap_or(Err(WriteError::Unavailable)) {
            Ok(outcome) => outcomes.push(SyncOutcome::Accepted {
                command_id,
                accepted: true,
                order_id: outcome.order_id,
                version: outcome.version,
                positions: outcome.positions,
            }),
            // A failed batch commit or a lost writer applied nothing: each such command is
            // `retryable`, so the client keeps it queued instead of dropping it as rejected.
            Err(e) => outcomes.push(rejected(command_id, ApiError::from(e))),
        }
    }
    Ok(Json(outcomes))
}

fn sync_request(item: Value, headers: &CommandHeaders) -> Result<CommandRequest, SyncOutcome> {
    let Value::Object(body) = item else {
        return Err(rejected(
            None,
            ApiError::invalid_input(format!(
                "a command must be a JSON object, found {}",
                json_kind(&item)
            )),
        ));
    };
    let given_id = body
        .get("commandId")
        .and_then(Value::as_str)
        .map(String::from);
    let options = body_options(&body).map_err(|e| rejected(given_id.clone(), e))?;
    let Some(command_id) = options.command_id.clone() else {
        return Err(rejected(
            None,
            ApiError::invalid_input("commandId is required for every synced command"),
        ));
    };
    let command =
        decode_command(Value::Object(body)).map_err(|e| rejected(Some(command_id.clone()), e))?;
    let per_command_headers = CommandHeaders {
        idempotency_key: None,
        if_match: None,
        ..headers.clone()
    };
    let options =
        merge_options(&per_command_headers, options).map_err(|e| rejected(Some(command_id), e))?;
    Ok(CommandRequest { command, options })
}
