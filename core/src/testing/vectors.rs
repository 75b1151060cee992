//! The shared vectors (tests/vectors; format in tests/README.md) read into typed cases, so
//! every Rust runner (the core's, the guest's, the server's over HTTP) interprets the format
//! the same way: the default context, today's events beside stored older shapes, `then`
//! versus `error`. Pure: runners read the files and hand their text to [`Vector::parse`].

use serde_json::{Map, Value};

use crate::command::Command;
use crate::context::Context;
use crate::event::Event;
use crate::testing::default_context;
use crate::upcast::upcast;

/// One entry of `given`.
#[derive(Debug, Clone, PartialEq)]
pub enum GivenEvent {
    /// Today's event, tagged by `type`.
    Current(Event),
    /// A stored older shape `{type, schemaVersion, data}`, to be upcast when read.
    Stored {
        event_type: String,
        schema_version: u32,
        data: Value,
    },
}

impl GivenEvent {
    pub fn from_json(entry: &Value) -> Result<GivenEvent, String> {
        if let (Some(event_type), Some(version), Some(data)) = (
            entry["type"].as_str(),
            entry["schemaVersion"].as_u64(),
            entry.get("data"),
        ) {
            return Ok(GivenEvent::Stored {
                event_type: event_type.to_string(),
                schema_version: u32::try_from(version)
                    .map_err(|_| format!("schemaVersion {version} is out of range"))?,
                data: data.clone(),
            });
        }
        serde_json::from_value(entry.clone())
            .map(GivenEvent::Current)
            .map_err(|e| format!("given event does not decode: {e}"))
    }

    /// The event as the core folds it (stored shapes upcast).
    pub fn event(&self) -> Result<Event, String> {
        match self {
            GivenEvent::Current(event) => Ok(event.clone()),
            GivenEvent::Stored {
                event_type,
                schema_version,
                data,
            } => upcast(event_type, *schema_version, data.clone()).map_err(|e| e.to_string()),
        }
    }
}

/// What the case expects of `decide`.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// These events (possibly none: a successful no-op), and `then` exactly as written.
    Events(Vec<Event>),
    /// A rejection with this `DomainError` code.
    Error(String),
}

#[derive(Debug, Clone)]
pub struct Vector {
    /// The file name, e.g. `001-create-order.json`.
    pub file: String,
    /// The case as written, for runners that send parts of it on as JSON.
    pub case: Value,
    pub context: Context,
    pub given: Vec<GivenEvent>,
    pub when: Command,
    pub expected: Expected,
}

impl Vector {
    /// Reads one case; the error names the file and the part that is wrong.
    pub fn parse(file: &str, text: &str) -> Result<Vector, String> {
        let fail = |what: String| format!("{file}: {what}");
        let case: Value =
            serde_json::from_str(text).map_err(|e| fail(format!("invalid JSON: {e}")))?;
        let context = match case.get("context") {
            Some(c) => serde_json::from_value(c.clone())
                .map_err(|e| fail(format!("context does not decode: {e}")))?,
            None => default_context(),
        };
        let given = case["given"]
            .as_array()
            .ok_or_else(|| fail("`given` must be an array".into()))?
            .iter()
            .map(GivenEvent::from_json)
            .collect::<Result<_, _>>()
            .map_err(fail)?;
        let when = serde_json::from_value(case["when"].clone())
            .map_err(|e| fail(format!("command does not decode: {e}")))?;
        let expected = match (case.get("error"), case.get("then")) {
            (Some(code), None) => Expected::Error(
                code.as_str()
                    .ok_or_else(|| fail("`error` must be a string".into()))?
                    .to_string(),
            ),
            (None, Some(then)) => Expected::Events(
                serde_json::from_value(then.clone())
                    .map_err(|e| fail(format!("`then` does not decode: {e}")))?,
            ),
            _ => return Err(fail("exactly one of `then` and `error` is required".into())),
        };
        Ok(Vector {
            file: file.to_string(),
            case,
            context,
            given,
            when,
            expected,
        })
    }

    /// `given` as the core folds it.
    pub fn given_events(&self) -> Result<Vec<Event>, String> {
        self.given
            .iter()
            .map(GivenEvent::event)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{}: {e}", self.file))
    }

    /// `then` exactly as written (for byte-level JSON comparisons).
    pub fn then_json(&self) -> &Value {
        &self.case["then"]
    }

    /// `expect`: fields of the order after `given` and `then`, when the case names any.
    pub fn expect(&self) -> Option<&Map<String, Value>> {
        self.case.get("expect").and_then(Value::as_object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_shapes_are_upcast_and_context_defaults() {
        let text = r#"{
            "given": [{"type": "ItemAdded", "schemaVersion": 1,
                       "data": {"orderId": "o-1", "productId": "p", "quantity": 2, "unitPriceCents": 2999}}],
            "when": {"type": "PlaceOrder", "orderId": "o-1"},
            "error": "order_not_found"
        }"#;
        let vector = Vector::parse("x.json", text).unwrap();
        assert_eq!(vector.context, default_context());
        assert!(matches!(
            vector.given[0],
            GivenEvent::Stored {
                schema_version: 1,
                ..
            }
        ));
        let events = vector.given_events().unwrap();
        assert!(matches!(&events[0], Event::ItemAdded(e) if e.price.to_string() == "29.99"));
        assert_eq!(vector.expected, Expected::Error("order_not_found".into()));
    }

    #[test]
    fn a_case_with_both_then_and_error_is_refused_by_name() {
        let text = r#"{"given": [], "when": {"type": "PlaceOrder", "orderId": "o-1"},
                       "then": [], "error": "order_not_found"}"#;
        let refused = Vector::parse("bad.json", text).unwrap_err();
        assert!(refused.starts_with("bad.json: exactly one of"), "{refused}");
    }
}
