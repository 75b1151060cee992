//! Identity and access: who is calling (bearer tokens, [`authenticate`]) and what they may
//! touch ([`scope`]). Without configured keys the server runs open (loopback only, checked
//! at start), every caller is [`Caller::Anonymous`] and nothing here changes a request.

pub mod claims;
pub mod config;
pub mod dev;
pub mod jwt;
pub mod scope;

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

pub use claims::{Caller, Claims, Identity, Scope};
pub use jwt::Verifier;

use crate::error::ApiError;

/// The authentication settings the HTTP layers share.
pub struct Auth {
    /// `None`: open mode, no authentication.
    pub verifier: Option<Verifier>,
}

pub type SharedAuth = Arc<Auth>;

impl Auth {
    pub fn open() -> SharedAuth {
        Arc::new(Auth { verifier: None })
    }

    pub fn with(verifier: Verifier) -> SharedAuth {
        Arc::new(Auth {
            verifier: Some(verifier),
        })
    }

    pub fn is_open(&self) -> bool {
        self.verifier.is_none()
    }
}

/// 401 `unauthorized` with the `WWW-Authenticate: Bearer` challenge (RFC 6750).
pub fn unauthorized(message: impl Into<String>, token_given: bool) -> Response {
    let mut response =
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message).into_response();
    let challenge = if token_given {
        HeaderValue::from_static("Bearer error=\"invalid_token\"")
    } else {
        HeaderValue::from_static("Bearer")
    };
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, challenge);
    response
}

pub fn forbidden(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
}

/// Establishes the [`Caller`] (a request extension every route may read). With
/// authentication on, a request without a valid token stops here with 401, and the actor
/// a request names itself (`X-Actor`, a body `actor`) is removed: the token's `sub` is
/// the only actor (see `CommandHeaders`).
pub async fn authenticate(
    State(auth): State<SharedAuth>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(verifier) = &auth.verifier else {
        request.extensions_mut().insert(Caller::Anonymous);
        return next.run(request).await;
    };
    let identity = match bearer_token(&request) {
        Err(message) => return unauthorized(message, false),
        Ok(token) => match verifier.verify(token) {
            Err(e) => return unauthorized(e.to_string(), true),
            Ok(claims) => match claims.identity() {
                Ok(identity) => identity,
                Err(e) => return forbidden(e.to_string()).into_response(),
            },
        },
    };
    request.headers_mut().remove("x-actor");
    let request = match strip_body_actor(request).await {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let mut request = request;
    request.extensions_mut().insert(Caller::User(identity));
    next.run(request).await
}

fn bearer_token(request: &Request) -> Result<&str, &'static str> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or("this route needs a bearer token (Authorization: Bearer <JWT>)")?;
    let text = value
        .to_str()
        .map_err(|_| "the Authorization header is not visible ASCII")?;
    let (scheme, token) = text
        .split_once(' ')
        .ok_or("the Authorization header must be `Bearer <JWT>`")?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err("the Authorization header must be `Bearer <JWT>`");
    }
    Ok(token.trim())
}

/// Reads the whole body (bounded by the API's body limit) for a middleware that must look
/// at it; the caller puts it back with [`with_body`].
pub async fn read_body(request: Request) -> Result<(Request<()>, Bytes), ApiError> {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, crate::app::BODY_LIMIT_BYTES).await {
        Ok(bytes) => Ok((Request::from_parts(parts, ()), bytes)),
        Err(_) => Err(ApiError::payload_too_large()),
    }
}

pub fn with_body(head: Request<()>, bytes: Bytes) -> Request {
    let (mut parts, ()) = head.into_parts();
    parts
        .headers
        .insert(header::CONTENT_LENGTH, bytes.len().into());
    Request::from_parts(parts, Body::from(bytes))
}

/// Removes `actor` from a JSON object body, or from each object of an array body
/// (`POST /commands`). Anything that is not JSON passes unchanged (the route answers 400).
async fn strip_body_actor(request: Request) -> Result<Request, ApiError> {
    let has_body = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .is_none_or(|length| length != "0");
    if !has_body || request.method() == axum::http::Method::GET {
        return Ok(request);
    }
    let (head, bytes) = read_body(request).await?;
    let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
        return Ok(with_body(head, bytes));
    };
    let mut removed = false;
    match &mut value {
        Value::Object(map) => removed = map.remove("actor").is_some(),
        Value::Array(items) => {
            for item in items.iter_mut().filter_map(Value::as_object_mut) {
                removed |= item.remove("actor").is_some();
            }
        }
        _ => {}
    }
    if !removed {
        return Ok(with_body(head, bytes));
    }
    let bytes = serde_json::to_vec(&value).map_err(|e| {
        ApiError::internal(
            "internal_error",
            format!("re-encoding the request body: {e}"),
        )
    })?;
    Ok(with_body(head, Bytes::from(bytes)))
}
