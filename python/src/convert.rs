//! Values across the boundary: money out as `decimal.Decimal`, amounts and counts in as
//! decimal text for the core to judge, timestamps as aware datetimes, dicts via serde.

use chrono::{DateTime, Utc};
use order_core::{DecimalText, Money};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString, PyType};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::errors::{invalid_input, Failure};

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn decimal_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DECIMAL.import(py, "decimal", "Decimal")
}

/// An exact amount as `Decimal("109.97")`, built from the core's decimal text.
pub fn money_to_decimal(py: Python<'_>, money: Money) -> PyResult<Bound<'_, PyAny>> {
    decimal_type(py)?.call1((money.to_string(),))
}

pub fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

/// A number's exact decimal text, or `None` when the value is not a number at all.
/// A float is read through its shortest round-trip text (what `repr` shows), so `29.99`
/// means 29.99; Rust's `Display` for f64 gives the same digits without an exponent.
fn numeric_text(value: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    if value.is_instance_of::<PyBool>() {
        return Ok(None);
    }
    if value.is_instance_of::<PyInt>() {
        return Ok(Some(value.str()?.to_string()));
    }
    if let Ok(float) = value.cast::<PyFloat>() {
        return Ok(Some(float.value().to_string()));
    }
    if value.is_instance(decimal_type(value.py())?)? {
        // Fixed-point text: `Decimal("1E+2")` becomes "100", never exponent form.
        let builtins = value.py().import("builtins")?;
        let text = builtins.getattr("format")?.call1((value, "f"))?;
        return Ok(Some(text.extract()?));
    }
    Ok(None)
}

/// A price: `Decimal`, `str`, `int` or `float`. Whether it is a valid amount (>= 0, at most
/// two decimals, within limits) is the core's decision (`invalid_price`).
pub fn price_text(value: &Bound<'_, PyAny>) -> Result<DecimalText, Failure> {
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(DecimalText::new(text.to_string()));
    }
    match numeric_text(value).map_err(|e| invalid_input(e.to_string()))? {
        Some(text) => Ok(DecimalText::new(text)),
        None => Err(invalid_input(format!(
            "price must be a Decimal, str, int or float, not {}",
            type_name(value)
        ))),
    }
}

/// A quantity: a number (a string is a type error, as in the JSON contract). Whether it is
/// a positive integer within limits is the core's decision (`invalid_quantity`).
pub fn quantity_text(value: &Bound<'_, PyAny>) -> Result<DecimalText, Failure> {
    match numeric_text(value).map_err(|e| invalid_input(e.to_string()))? {
        Some(text) => Ok(DecimalText::new(text)),
        None => Err(invalid_input(format!(
            "quantity must be a number, not {}",
            type_name(value)
        ))),
    }
}

/// An aware `datetime` (any offset) as UTC; a naive one is rejected rather than guessed.
pub fn utc_datetime(value: &Bound<'_, PyAny>, what: &str) -> Result<DateTime<Utc>, Failure> {
    let not_aware = || invalid_input(format!("{what} must be a timezone-aware datetime.datetime"));
    let text: String = value
        .call_method0("isoformat")
        .and_then(|t| t.extract())
        .map_err(|_| not_aware())?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| not_aware())
}

/// A plain Python value (dict, list, str, int, float, bool, None) as a core type.
pub fn from_plain<T: DeserializeOwned>(value: &Bound<'_, PyAny>, what: &str) -> Result<T, Failure> {
    pythonize::depythonize(value).map_err(|e| invalid_input(format!("{what}: {e}")))
}

/// A core type as plain Python values, in the JSON shape (camelCase, decimal strings,
/// RFC 3339 timestamps). Goes through `serde_json::Value`, whose numbers keep their exact
/// text (the core reads numbers with `arbitrary_precision`): integers become `int` of any
/// size, other numbers `float` of their text, as `json.loads` would make them.
pub fn to_plain<'py, T: Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    json_to_python(py, &value)
}

fn json_to_python<'py>(py: Python<'py>, value: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    use pyo3::types::{PyDict, PyList};
    use pyo3::IntoPyObjectExt;
    use serde_json::Value;
    match value {
        Value::Null => Ok(py.None().into_bound(py)),
        Value::Bool(b) => b.into_bound_py_any(py),
        Value::String(s) => s.into_bound_py_any(py),
        Value::Number(n) => {
            let text = n.to_string();
            let builtins = py.import("builtins")?;
            let integral = !text.contains(['.', 'e', 'E']);
            builtins
                .getattr(if integral { "int" } else { "float" })?
                .call1((text,))
        }
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_python(py, item)?)?;
            }
            Ok(list.into_any())
        }
        Value::Object(fields) => {
            let dict = PyDict::new(py);
            for (key, item) in fields {
                dict.set_item(key, json_to_python(py, item)?)?;
            }
            Ok(dict.into_any())
        }
    }
}
