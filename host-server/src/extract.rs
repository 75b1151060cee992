//! Request extractors that answer with [`ApiError`] instead of axum's plain-text
//! rejections: JSON bodies (any content type, classified into `invalid_json` vs
//! `invalid_input`), path and query parameters, and the command headers
//! (`Idempotency-Key`, `If-Match`, `X-Actor`, `X-Correlation-Id`).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::auth::Caller;
use crate::error::ApiError;

/// Longest accepted idempotency key, actor or correlation id (they are stored per event).
pub const MAX_HEADER_ID_LEN: usize = 200;

/// A JSON object body. Parsed from the raw bytes whatever the `Content-Type`, so that
/// `curl -d` works; an empty body is an empty object (commands whose fields are all
/// optional, such as place and cancel, may be sent without one).
#[derive(Debug, Clone, Default)]
pub struct JsonObject(pub Map<String, Value>);

/// Any JSON body (used where the body is an array).
#[derive(Debug, Clone)]
pub struct JsonValue(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonValue {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::invalid_json(
                "the request body is empty; expected JSON",
            ));
        }
        parse_json(&bytes).map(JsonValue)
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonObject::default());
        }
        match parse_json(&bytes)? {
            Value::Object(map) => Ok(JsonObject(map)),
            other => Err(ApiError::invalid_input(format!(
                "expected a JSON object, found {}",
                json_kind(&other)
            ))),
        }
    }
}

fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid_json(format!("malformed JSON: {e}")))
}

pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn bytes_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::payload_too_large()
    } else {
        ApiError::invalid_input(format!(
            "could not read the request body: {}",
            rejection.body_text()
        ))
    }
}

/// `Path` with the API's error body.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|rejection: PathRejection| ApiError::invalid_input(rejection.body_text()))
    }
}

/// `Query` with the API's error body (an unparsable query value is a 400).
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|rejection: QueryRejection| ApiError::invalid_input(rejection.body_text()))
    }
}

/// The host-level options a command request may carry in headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandHeaders {
    pub idempotency_key: Option<String>,
    pub if_match: Option<u64>,
    pub actor: Option<String>,
    pub correlation_id: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for CommandHeaders {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let mut headers = CommandHeaders::parse(&parts.headers)?;
        // Without a correlation id of its own, a command is correlated by its trace, so
        // its events lead to the request's spans (and the caller's, over `traceparent`).
        if headers.correlation_id.is_none() {
            headers.correlation_id = crate::telemetry::trace_id(&parts.headers);
        }
        // Under authentication the token's subject is the actor, whatever the request says.
        if let Some(subject) = parts.extensions.get::<Caller>().and_then(Caller::subject) {
            headers.actor = Some(subject.to_string());
        }
        Ok(headers)
    }
}

impl CommandHeaders {
    pub fn parse(headers: &HeaderMap) -> Result<Self, ApiError> {
        Ok(CommandHeaders {
            idempotency_key: id_header(headers, "idempotency-key")?,
            if_match: headers
                .get("if-match")
                .map(|v| {
                    v.to_str().ok().and_then(parse_if_match).ok_or_else(|| {
                        ApiError::invalid_input(
                            "If-Match must be a stream version: a number like 3 or \"3\"",
                        )
                    })
                })
                .transpose()?,
            actor: id_header(headers, "x-actor")?,
            correlation_id: id_header(headers, "x-correlation-id")?,
        })
    }
}

/// `3`, `"3"` and the weak form `W/"3"` all name stream version 3.
pub fn parse_if_match(value: &str) -> Option<u64> {
    let value = value.trim();
    let value = value.strip_prefix("W/").unwrap_or(value);
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    value.parse().ok()
}

fn id_header(headers: &HeaderMap, name: &str) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(name) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::invalid_input(format!("header {name} must be visible ASCII")))?
        .trim();
    if text.is_empty() || text.len() > MAX_HEADER_ID_LEN {
        return Err(ApiError::invalid_input(format!(
            "header {name} must hold 1 to {MAX_HEADER_ID_LEN} characters"
        )));
    }
    Ok(Some(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_accepts_bare_quoted_and_weak_versions() {
        assert_eq!(parse_if_match("3"), Some(3));
        assert_eq!(parse_if_match("\"3\""), Some(3));
        assert_eq!(parse_if_match("W/\"12\""), Some(12));
        assert_eq!(parse_if_match(" 7 "), Some(7));
        assert_eq!(parse_if_match("*"), None);
        assert_eq!(parse_if_match("-1"), None);
        assert_eq!(parse_if_match("\"abc\""), None);
    }

    #[test]
    fn command_headers_reject_an_unparsable_if_match() {
        let mut headers = HeaderMap::new();
        headers.insert("if-match", "three".parse().unwrap());
        let err = CommandHeaders::parse(&headers).unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(err.code, "invalid_input");
    }
}
