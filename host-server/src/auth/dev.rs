//! `--dev-auth` (loopback only): `POST /dev/token {sub, roles, customerId?}` -> `{token}`,
//! an HS256 token the server itself accepts, for the web demo and local tries.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{Claims, SharedAuth};
use crate::error::ApiError;
use crate::extract::JsonObject;

/// How long a dev token lives.
pub const DEV_TOKEN_TTL_SECS: u64 = 8 * 3600;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TokenRequest {
    sub: String,
    roles: Vec<String>,
    #[serde(default)]
    customer_id: Option<String>,
}

pub async fn issue_token(
    State(auth): State<SharedAuth>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let request: TokenRequest = serde_json::from_value(Value::Object(body)).map_err(|e| {
        ApiError::invalid_input(format!(
            "{e} (expected {{sub, roles: [\"customer\"|\"clerk\"|\"admin\"], customerId?}})"
        ))
    })?;
    let now = jsonwebtoken::get_current_timestamp();
    let claims = Claims {
        sub: request.sub,
        roles: request.roles,
        customer_id: request.customer_id,
        exp: now + DEV_TOKEN_TTL_SECS,
        nbf: None,
        iat: Some(now),
    };
    // Only tokens that grant something: a useless one would fail later, less clearly.
    claims
        .identity()
        .map_err(|e| ApiError::invalid_input(e.to_string()))?;
    let verifier = auth.verifier.as_ref().ok_or_else(|| {
        ApiError::internal(
            "internal_error",
            "dev tokens need authentication configured",
        )
    })?;
    let token = verifier
        .sign_hs256(&claims)
        .map_err(|e| ApiError::internal("internal_error", format!("signing: {e:#}")))?;
    Ok(Json(json!({ "token": token, "expiresAt": claims.exp })))
}
