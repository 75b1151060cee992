//! Errors thrown to JS: instances of the classes errors.js exports (real `Error`s, so
//! stacks are kept and `instanceof ConcurrencyError` holds) whose `code` is the core's
//! stable code and whose `name` tells the kind apart.

use order_core::{DomainError, EngineError};
use serde_json::json;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use crate::convert::to_js;

/// `name` of each kind of error, as documented in the TypeScript declarations.
pub(crate) mod name {
    pub const DOMAIN: &str = "DomainError";
    pub const CONCURRENCY: &str = "ConcurrencyError";
    pub const IDEMPOTENCY: &str = "IdempotencyError";
    pub const INVALID_INPUT: &str = "InvalidInput";
    pub const STORE: &str = "StoreError";
    pub const RUNTIME: &str = "RuntimeError";
}

/// Code of input that could not be decoded (same as `order_core::DecodeError::CODE`).
pub(crate) const INVALID_INPUT: &str = order_core::DecodeError::CODE;

#[wasm_bindgen(module = "/src/errors.js")]
extern "C" {
    /// An instance of the exported class `name` (errors.js), so `instanceof` works.
    #[wasm_bindgen(js_name = makeError)]
    fn make_error(name: &str, code: &str, message: &str, details: JsValue) -> JsValue;
}

fn make(name: &str, code: &str, message: &str, details: Option<JsValue>) -> JsValue {
    make_error(name, code, message, details.unwrap_or(JsValue::UNDEFINED))
}

/// A rule of the domain said no. `details` carries the error's fields (`{code, orderId, ...}`).
pub(crate) fn domain(error: &DomainError) -> JsValue {
    make(
        name::DOMAIN,
        error.code(),
        &error.to_string(),
        to_js(error).ok(),
    )
}

pub(crate) fn invalid_input(message: &str) -> JsValue {
    make(name::INVALID_INPUT, INVALID_INPUT, message, None)
}

pub(crate) fn runtime(message: &str) -> JsValue {
    make(name::RUNTIME, "runtime_error", message, None)
}

pub(crate) fn engine(error: EngineError) -> JsValue {
    let message = error.to_string();
    match &error {
        EngineError::Domain(e) => domain(e),
        EngineError::Concurrency {
            stream_id,
            expected,
            actual,
        } => make(
            name::CONCURRENCY,
            error.code(),
            &message,
            to_js(&json!({"streamId": stream_id, "expected": expected, "actual": actual})).ok(),
        ),
        EngineError::IdempotencyKeyReused { command_id } => make(
            name::IDEMPOTENCY,
            error.code(),
            &message,
            to_js(&json!({ "commandId": command_id })).ok(),
        ),
        // An exported log that does not fit together (gaps, wrong versions) is the
        // caller's input, not a broken store.
        EngineError::Store(order_core::StoreError::Invalid(_)) => {
            make(name::INVALID_INPUT, error.code(), &message, None)
        }
        EngineError::Store(_) => make(name::STORE, error.code(), &message, None),
        EngineError::Runtime(_) => make(name::RUNTIME, error.code(), &message, None),
    }
}

/// Every code an error thrown by this package can carry.
pub(crate) fn is_known_code(code: &str) -> bool {
    DomainError::CODES.contains(&code)
        || [
            "concurrency_conflict",
            "idempotency_key_reused",
            INVALID_INPUT,
            "store_error",
            "corrupt_store",
            "runtime_error",
        ]
        .contains(&code)
}
