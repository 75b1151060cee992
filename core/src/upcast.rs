//! Event schema evolution. Every stored event carries `schemaVersion`; an upcaster turns an
//! old payload into today's event at read time, so history is never rewritten.
//!
//! History of the schemas:
//! - `ItemAdded` v1 stored the unit price as integer cents in `unitPriceCents` (the first
//!   import from the legacy platform); v2 stores exact decimal text in `price`.
//! - every other event is at v1.

use serde_json::{Map, Value};

use crate::event::Event;
use crate::money::Money;

/// Why a stored payload could not become an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpcastError {
    #[error("unknown event type `{0}`")]
    UnknownType(String),
    #[error("{event_type} schema version {version} is newer than this build knows ({known})")]
    FutureSchema {
        event_type: String,
        version: u32,
        known: u32,
    },
    #[error("{event_type} v{version} payload is invalid: {reason}")]
    InvalidPayload {
        event_type: String,
        version: u32,
        reason: String,
    },
}

/// Today's schema version for an event type.
pub fn current_schema_version(event_type: &str) -> Option<u32> {
    match event_type {
        "ItemAdded" => Some(2),
        "OrderCreated" | "ItemRemoved" | "OrderPlaced" | "OrderCancelled" => Some(1),
        _ => None,
    }
}

/// Turns a stored `(type, schemaVersion, data)` into today's event.
pub fn upcast(event_type: &str, schema_version: u32, data: Value) -> Result<Event, UpcastError> {
    let known = current_schema_version(event_type)
        .ok_or_else(|| UpcastError::UnknownType(event_type.to_string()))?;
    if schema_version > known || schema_version == 0 {
        return Err(UpcastError::FutureSchema {
            event_type: event_type.to_string(),
            version: schema_version,
            known,
        });
    }
    let invalid = |reason: String| UpcastError::InvalidPayload {
        event_type: event_type.to_string(),
        version: schema_version,
        reason,
    };
    let Value::Object(mut fields) = data else {
        return Err(invalid("data is not an object".into()));
    };
    let mut version = schema_version;
    while version < known {
        fields = step(event_type, version, fields).map_err(invalid)?;
        version += 1;
    }
    fields.insert("type".into(), Value::String(event_type.to_string()));
    serde_json::from_value(Value::Object(fields)).map_err(|e| invalid(e.to_string()))
}

/// One step: version `from` to `from + 1`.
fn step(
    event_type: &str,
    from: u32,
    mut fields: Map<String, Value>,
) -> Result<Map<String, Value>, String> {
    match (event_type, from) {
        ("ItemAdded", 1) => {
            let cents = fields
                .remove("unitPriceCents")
                .and_then(|v| v.as_i64())
                .ok_or("missing integer `unitPriceCents`")?;
            fields.insert(
                "price".into(),
                Value::String(Money::from_cents(cents).to_string()),
            );
            Ok(fields)
        }
        _ => Err(format!("no upcaster from v{from}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn item_added_v1_becomes_v2() {
        let e = upcast(
            "ItemAdded",
            1,
            json!({"orderId":"o","productId":"p","quantity":2,"unitPriceCents":2999}),
        )
        .unwrap();
        let Event::ItemAdded(e) = e else {
            panic!("wrong type")
        };
        assert_eq!(e.price, Money::from_cents(2999));
    }

    #[test]
    fn unknown_and_future_are_errors() {
        assert!(matches!(
            upcast("Nope", 1, json!({})),
            Err(UpcastError::UnknownType(_))
        ));
        assert!(matches!(
            upcast("ItemAdded", 3, json!({})),
            Err(UpcastError::FutureSchema { .. })
        ));
        assert!(matches!(
            upcast("ItemAdded", 1, json!({"orderId":"o"})),
            Err(UpcastError::InvalidPayload { .. })
        ));
    }
}
