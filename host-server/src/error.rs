//! The one error type every route answers with: an HTTP status plus the body
//! `{"error":{"code","message"}}`. Each failure source (core, engine, store, axum's own
//! extractor rejections) is mapped here, so a client mistake can never become a 5xx.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use order_core::{DomainError, EngineError, StoreError};
use serde::Serialize;

use crate::writer::WriteError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// Seconds after which the same request may succeed (`Retry-After`), for failures that
    /// pass by themselves: a busy database, a restarting writer.
    pub retry_after: Option<u32>,
}

/// `Retry-After` for transient failures: the busy timeout has already passed once.
const RETRY_AFTER_SECONDS: u32 = 1;

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

/// The `{code, message}` pair, also used inside `POST /commands` outcomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorDetail<'a> {
    pub code: &'a str,
    pub message: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            retry_after: None,
        }
    }

    fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Whether the server could not process the request (try again later, with the same
    /// command id), as opposed to a request that is wrong and stays wrong.
    pub fn is_retryable(&self) -> bool {
        self.status.is_server_error()
    }

    /// Input that is not JSON at all (syntax error, truncated, empty body).
    pub fn invalid_json(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_json", message)
    }

    /// Well-formed input of the wrong shape: a missing field, a wrong type, a bad query value.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_input", message)
    }

    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn order_not_found(order_id: &str) -> Self {
        Self::from(DomainError::OrderNotFound {
            order_id: order_id.to_string(),
        })
    }

    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "request body exceeds the limit of {} bytes",
                crate::app::BODY_LIMIT_BYTES
            ),
        )
    }

    pub fn internal(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, code, message)
    }

    pub fn detail(&self) -> ErrorDetail<'_> {
        ErrorDetail {
            code: &self.code,
            message: &self.message,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = %self.code, message = %self.message, "request failed");
        }
        let body = ErrorBody {
            error: self.detail(),
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        let status = match e {
            DomainError::OrderNotFound { .. } => StatusCode::NOT_FOUND,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::from(EngineError::from(e))
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        let code = e.code();
        let status = match &e {
            EngineError::Store(StoreError::Busy(_)) => {
                return ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, e.to_string())
                    .retry_after(RETRY_AFTER_SECONDS)
            }
            EngineError::Store(StoreError::Unavailable(detail)) => {
                // The detail names the database server: it goes to the log, not the client.
                tracing::warn!(%detail, "the database is unavailable");
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    code,
                    "the database cannot be reached right now; send the request again with \
                     the same command id (a command is never applied twice)",
                )
                .retry_after(RETRY_AFTER_SECONDS);
            }
            EngineError::Store(StoreError::Full(_)) => StatusCode::INSUFFICIENT_STORAGE,
            EngineError::Domain(domain) => return ApiError::from(domain.clone()),
            EngineError::Concurrency { .. } => StatusCode::CONFLICT,
            EngineError::IdempotencyKeyReused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            // The only client-caused store error: a request the store refuses (a bad cursor).
            EngineError::Store(StoreError::Invalid(_)) => StatusCode::BAD_REQUEST,
            EngineError::Store(StoreError::DuplicateCommand(_)) => StatusCode::CONFLICT,
            EngineError::Store(_) | EngineError::Runtime(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, code, e.to_string())
    }
}

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Engine(e) => ApiError::from(e),
            WriteError::CommitFailed(store) => {
                // A session lost during COMMIT leaves its outcome unknown: only the retry
                // (same command id) can tell, so claim nothing about it.
                let what = match store {
                    StoreError::Unavailable(_) => "the write batch was not confirmed committed",
                    _ => "the write batch could not be committed; nothing was applied",
                };
                let failed = ApiError::from(store);
                ApiError {
                    message: format!("{what}: {}", failed.message),
                    ..failed
                }
            }
            WriteError::Unavailable => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the command writer is not running (restarting or shutting down)",
            )
            .retry_after(RETRY_AFTER_SECONDS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use order_core::RuntimeError;

    #[test]
    fn domain_rejections_are_422_except_unknown_orders() {
        let rejected = ApiError::from(DomainError::EmptyOrder);
        assert_eq!(rejected.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(rejected.code, "empty_order");
        let missing = ApiError::order_not_found("o-9");
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(missing.code, "order_not_found");
    }

    #[test]
    fn host_failures_keep_their_codes() {
        let conflict = ApiError::from(EngineError::Concurrency {
            stream_id: "o".into(),
            expected: 1,
            actual: 2,
        });
        assert_eq!(
            (conflict.status, conflict.code.as_str()),
            (StatusCode::CONFLICT, "concurrency_conflict")
        );
        let trap = ApiError::from(EngineError::Runtime(RuntimeError("trap".into())));
        assert_eq!(
            (trap.status, trap.code.as_str()),
            (StatusCode::INTERNAL_SERVER_ERROR, "runtime_error")
        );
        let reused = ApiError::from(EngineError::IdempotencyKeyReused {
            command_id: "c".into(),
        });
        assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(!reused.is_retryable());
    }

    #[test]
    fn transient_store_failures_say_when_to_retry() {
        let busy = ApiError::from(WriteError::CommitFailed(StoreError::Busy("locked".into())));
        assert_eq!(
            (busy.status, busy.code.as_str(), busy.retry_after),
            (StatusCode::SERVICE_UNAVAILABLE, "store_busy", Some(1))
        );
        assert!(busy.is_retryable());
        let full = ApiError::from(WriteError::CommitFailed(StoreError::Full("disk".into())));
        assert_eq!(
            (full.status, full.code.as_str()),
            (StatusCode::INSUFFICIENT_STORAGE, "storage_full")
        );
        let lost = ApiError::from(WriteError::CommitFailed(StoreError::Unavailable(
            "cannot reach PostgreSQL at db.internal:5432/orders".into(),
        )));
        assert_eq!(
            (lost.status, lost.code.as_str(), lost.retry_after),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                Some(1)
            )
        );
        assert!(lost.is_retryable());
        assert!(!lost.message.contains("db.internal"), "{}", lost.message);
        let gone = ApiError::from(WriteError::Unavailable);
        assert_eq!(gone.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(gone.retry_after, Some(1));
    }

    /// `POST /commands` derives `retryable` from the status; other hosts (Python's
    /// `execute_many`) take the core's `is_retryable`. Both must say the same.
    #[test]
    fn retryable_statuses_agree_with_the_core() {
        let store_errors = [
            StoreError::Concurrency {
                stream_id: "o".into(),
                expected: 1,
                actual: 2,
            },
            StoreError::DuplicateCommand("k".into()),
            StoreError::Corrupt("bad row".into()),
            StoreError::Invalid("bad cursor".into()),
            StoreError::Busy("locked".into()),
            StoreError::Full("disk".into()),
            StoreError::Backend("io".into()),
        ];
        // As the engine reports them (a store conflict becomes `Concurrency`).
        let engine_errors = store_errors.into_iter().map(EngineError::from).chain([
            EngineError::Domain(DomainError::EmptyOrder),
            EngineError::Domain(DomainError::OrderNotFound {
                order_id: "o".into(),
            }),
            EngineError::Concurrency {
                stream_id: "o".into(),
                expected: 1,
                actual: 2,
            },
            EngineError::IdempotencyKeyReused {
                command_id: "k".into(),
            },
            EngineError::Runtime(RuntimeError("trap".into())),
        ]);
        for error in engine_errors {
            let api = ApiError::from(error.clone());
            assert_eq!(api.is_retryable(), error.is_retryable(), "{error:?}");
        }
    }
}
