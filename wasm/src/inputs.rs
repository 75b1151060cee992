//! Arguments JS callers pass that are not core types: query options and plain strings.
//! Decoding them names the problem; judging values is left to the core wherever it has a rule.

use chrono::{DateTime, Utc};
use js_sys::Reflect;
use order_core::AsOf;
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};

use crate::convert::from_js;
use crate::error;

/// Default and largest page of `listOrders`.
pub(crate) const DEFAULT_PAGE: usize = 100;
pub(crate) const MAX_PAGE: usize = 1_000;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListOrdersOptions {
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    limit: Option<u32>,
}

/// `listOrders(customerId, {after?, limit?})` options, checked.
pub(crate) fn list_options(value: Option<JsValue>) -> Result<(Option<String>, usize), JsValue> {
    let options: ListOrdersOptions = match value {
        Some(v) if !v.is_undefined() && !v.is_null() => from_js(v, "listOrders options")?,
        _ => ListOrdersOptions::default(),
    };
    let limit = match options.limit {
        None => DEFAULT_PAGE,
        Some(n) if (1..=MAX_PAGE as u32).contains(&n) => n as usize,
        Some(n) => {
            return Err(error::invalid_input(&format!(
                "listOrders options: limit must be between 1 and {MAX_PAGE}, got {n}"
            )))
        }
    };
    Ok((options.after, limit))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetOrderOptions {
    #[serde(default)]
    version: Option<u64>,
    /// RFC 3339; a JS `Date` arrives as its ISO string (`Date.prototype.toJSON`).
    #[serde(default)]
    at: Option<String>,
}

/// `getOrder(orderId, {version?, at?})` options: which point in history, if any.
pub(crate) fn as_of(value: Option<JsValue>) -> Result<Option<AsOf>, JsValue> {
    let value = match value {
        Some(v) if !v.is_undefined() && !v.is_null() => v,
        _ => return Ok(None),
    };
    // An invalid Date would serialize as `null`, silently meaning "now"; refuse it instead.
    let at = Reflect::get(&value, &"at".into()).unwrap_or(JsValue::UNDEFINED);
    if at
        .dyn_ref::<js_sys::Date>()
        .is_some_and(|d| d.get_time().is_nan())
    {
        return Err(error::invalid_input(
            "getOrder options: `at` is an invalid Date",
        ));
    }
    let options: GetOrderOptions = from_js(value, "getOrder options")?;
    let at = options.at.as_deref().map(timestamp).transpose()?;
    match (options.version, at) {
        (Some(_), Some(_)) => Err(error::invalid_input(
            "getOrder options: give either `version` or `at`, not both",
        )),
        (Some(version), None) => Ok(Some(AsOf::Version(version))),
        (None, Some(at)) => Ok(Some(AsOf::Time(at))),
        (None, None) => Ok(None),
    }
}

fn timestamp(text: &str) -> Result<DateTime<Utc>, JsValue> {
    // The same parser the core's events use for their timestamps (RFC 3339, any offset).
    text.parse::<DateTime<Utc>>().map_err(|e| {
        error::invalid_input(&format!(
            "getOrder options: `at` is not an RFC 3339 timestamp ({text:?}: {e})"
        ))
    })
}

/// A string argument; anything else is `invalid_input` rather than a garbled call.
pub(crate) fn string_arg(value: JsValue, what: &str) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| error::invalid_input(&format!("{what} must be a string")))
}

/// An optional non-negative whole number (a position, a limit), else `invalid_input`.
pub(crate) fn whole_number(value: Option<JsValue>, what: &str) -> Result<Option<u64>, JsValue> {
    const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
    let Some(value) = value.filter(|v| !v.is_undefined() && !v.is_null()) else {
        return Ok(None);
    };
    match value.as_f64() {
        Some(n) if (0.0..=MAX_SAFE_INTEGER).contains(&n) && n.fract() == 0.0 => Ok(Some(n as u64)),
        _ => Err(error::invalid_input(&format!(
            "{what} must be a non-negative whole number"
        ))),
    }
}
