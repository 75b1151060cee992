//! JS <-> Rust values, crossing as JSON text (`JSON.stringify` in, `JSON.parse` out).
//!
//! Why text rather than serde-wasm-bindgen: every type decoded or encoded through a second
//! serde data format instantiates its whole (de)serializer again, and this module has a
//! 150 KB gzipped budget. JSON text reuses the instantiations the core already links for
//! snapshots, fingerprints and upcasting (measured: 149 KB vs 154-157 KB gzipped). The
//! values JS sees are the same plain, JSON-compatible objects: exactly the JSON every other
//! host exchanges, with money as decimal strings and no `Map`s or `BigInt`s.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

use crate::error;

/// Decodes a plain JS value; a missing field or a wrong type is `invalid_input`, with the
/// problem named and prefixed by what was being read (`"addItem: missing field `price`"`).
/// `undefined` fields count as absent, as in JSON; `NaN` and `Infinity` become `null`, which
/// no numeric field accepts.
pub(crate) fn from_js<T: DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsValue> {
    let text = json_text(&value, what)?;
    serde_json::from_str(&text).map_err(|e| decode_error(what, &e))
}

/// Decodes a tagged enum (`Command`, `Event`) through `serde_json::Value`, the path the
/// core's upcaster already links, instead of instantiating a second tagged decoder.
pub(crate) fn from_js_tagged<T: DeserializeOwned>(
    value: JsValue,
    what: &str,
) -> Result<T, JsValue> {
    let json: serde_json::Value = from_js(value, what)?;
    from_json(json, what)
}

/// Decodes an already parsed JSON value.
pub(crate) fn from_json<T: DeserializeOwned>(
    value: serde_json::Value,
    what: &str,
) -> Result<T, JsValue> {
    serde_json::from_value(value).map_err(|e| decode_error(what, &e))
}

/// serde_json names the problem, then where in the text it is; the caller never saw that
/// text (we made it from their object), so only the problem is kept.
pub(crate) fn decode_error(what: &str, e: &serde_json::Error) -> JsValue {
    let message = e.to_string();
    let problem = match message.rfind(" at line ") {
        Some(i) if e.line() > 0 => &message[..i],
        _ => &message,
    };
    error::invalid_input(&format!("{what}: {problem}"))
}

/// Encodes a value as plain JS objects, arrays, strings and numbers.
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    // Our values are plain structs of strings, integers and timestamps; failing here would
    // be a bug in this adapter, reported as such rather than as the caller's mistake.
    let text = serde_json::to_string(value)
        .map_err(|e| error::runtime(&format!("could not convert a result to JS: {e}")))?;
    js_sys::JSON::parse(&text).map_err(|_| error::runtime("could not convert a result to JS"))
}

fn json_text(value: &JsValue, what: &str) -> Result<String, JsValue> {
    if value.is_undefined() {
        return Err(error::invalid_input(&format!("{what}: missing argument")));
    }
    // `JSON.stringify` throws on a BigInt or a cycle; that is the caller's input too.
    let text = js_sys::JSON::stringify(value)
        .map_err(|_| error::invalid_input(&format!("{what}: not representable as JSON")))?;
    Ok(String::from(text))
}
