//! JSON text across the guest boundary: the core's own serde shapes both ways, and the
//! guest's errors turned back into the core's typed values.

use order_core::{DomainError, Event, RuntimeError};
use serde::Serialize;

use super::bindings::GuestDomainError;

/// Serializes a value for the guest. The core's types always serialize; the error path
/// exists so a future type that cannot is a runtime error, not a panic.
pub fn to_json<T: Serialize>(what: &str, value: &T) -> Result<String, RuntimeError> {
    serde_json::to_string(value)
        .map_err(|e| RuntimeError(format!("cannot encode the {what} for the guest: {e}")))
}

/// Decodes the events a guest decided.
pub fn events_from_guest(events: &[String]) -> Result<Vec<Event>, RuntimeError> {
    events
        .iter()
        .map(|text| {
            order_core::event_from_json(text)
                .map_err(|e| RuntimeError(format!("the guest returned an undecodable event: {e}")))
        })
        .collect()
}

/// Rebuilds the core's typed rejection from the guest's `domain-error` record.
pub fn domain_error_from_guest(error: &GuestDomainError) -> Result<DomainError, RuntimeError> {
    let typed: DomainError = serde_json::from_str(&error.detail).map_err(|e| {
        RuntimeError(format!(
            "the guest rejected with `{}` but its detail does not decode: {e}",
            error.code
        ))
    })?;
    if typed.code() != error.code {
        return Err(RuntimeError(format!(
            "the guest's rejection code `{}` disagrees with its detail (`{}`)",
            error.code,
            typed.code()
        )));
    }
    Ok(typed)
}

/// Decodes a value the guest returned (state or view).
pub fn from_guest<T: serde::de::DeserializeOwned>(
    what: &str,
    text: &str,
) -> Result<T, RuntimeError> {
    serde_json::from_str(text)
        .map_err(|e| RuntimeError(format!("the guest returned an undecodable {what}: {e}")))
}

#[cfg(test)]
mod tests {
    use order_core::Command;

    use super::*;

    #[test]
    fn a_rule_breaking_command_survives_the_trip_to_the_guest() {
        // The guest decodes what the host encodes; 1.5 must stay a number, not become text.
        for when in [
            r#"{"type":"AddItem","orderId":"o","productId":"p","quantity":1.5,"price":"abc"}"#,
            r#"{"type":"AddItem","orderId":"o","productId":"p","quantity":-1,"price":0.001}"#,
            r#"{"type":"RemoveItem","orderId":"o","productId":"p","quantity":1e21}"#,
        ] {
            let command = Command::from_json(when).unwrap();
            let sent = to_json("command", &command).unwrap();
            assert_eq!(Command::from_json(&sent).unwrap(), command, "{sent}");
        }
    }

    #[test]
    fn a_rejection_is_rebuilt_with_its_code_checked() {
        let error = DomainError::ItemNotFound {
            product_id: "p".into(),
        };
        let record = |code: &str| GuestDomainError {
            code: code.into(),
            message: error.to_string(),
            detail: serde_json::to_string(&error).unwrap(),
        };
        assert_eq!(
            domain_error_from_guest(&record("item_not_found")).unwrap(),
            error
        );
        let mismatch = domain_error_from_guest(&record("empty_order")).unwrap_err();
        assert!(mismatch.0.contains("disagrees"), "{mismatch}");
        let garbage = GuestDomainError {
            detail: "{}".into(),
            ..record("item_not_found")
        };
        assert!(domain_error_from_guest(&garbage).is_err());
    }
}
