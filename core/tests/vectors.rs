//! Runs every shared vector in tests/vectors/ against the pure core.

use std::path::PathBuf;

use order_core::testing::default_context;
use order_core::{decide, evolve_all, initial_state, upcast, Command, Context, Event};
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// A given entry is either today's event (tagged by `type`) or a stored older shape
/// `{type, schemaVersion, data}`, which is upcast.
fn given_event(value: &Value) -> Event {
    if let (Some(t), Some(v), Some(data)) = (
        value["type"].as_str(),
        value["schemaVersion"].as_u64(),
        value.get("data"),
    ) {
        return upcast(t, v as u32, data.clone()).expect("given event upcasts");
    }
    serde_json::from_value(value.clone()).expect("given event decodes")
}

#[test]
fn every_vector_passes() {
    let mut files: Vec<_> = std::fs::read_dir(vectors_dir())
        .expect("tests/vectors exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 30,
        "expected at least 30 vectors, found {}",
        files.len()
    );
    let mut codes_seen = std::collections::BTreeSet::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap())
            .unwrap_or_else(|e| panic!("{name}: invalid JSON: {e}"));
        let ctx: Context = match case.get("context") {
            Some(c) => serde_json::from_value(c.clone()).unwrap(),
            None => default_context(),
        };
        let given: Vec<Event> = case["given"]
            .as_array()
            .unwrap()
            .iter()
            .map(given_event)
            .collect();
        let command: Command = serde_json::from_value(case["when"].clone())
            .unwrap_or_else(|e| panic!("{name}: command does not decode: {e}"));
        let state = evolve_all(initial_state(), &given);
        let result = decide(&state, &command, &ctx);
        match (&case.get("error"), result) {
            (Some(code), Err(e)) => {
                assert_eq!(e.code(), code.as_str().unwrap(), "{name}: {e}");
                codes_seen.insert(e.code());
            }
            (Some(code), Ok(events)) => panic!("{name}: expected {code}, got {events:?}"),
            (None, Err(e)) => panic!("{name}: unexpected error {}: {e}", e.code()),
            (None, Ok(events)) => {
                let expected: Vec<Event> = serde_json::from_value(case["then"].clone())
                    .unwrap_or_else(|e| panic!("{name}: then does not decode: {e}"));
                assert_eq!(events, expected, "{name}");
                // Byte-level JSON identity, not just structural equality after decoding.
                assert_eq!(
                    serde_json::to_value(&events).unwrap(),
                    case["then"],
                    "{name}: JSON shape"
                );
                if let Some(expect) = case.get("expect") {
                    let after = evolve_all(state, &events);
                    let order = serde_json::to_value(after.order.as_ref().unwrap()).unwrap();
                    for (key, value) in expect.as_object().unwrap() {
                        assert_eq!(&order[key], value, "{name}: expect.{key}");
                    }
                }
            }
        }
    }
    for code in order_core::DomainError::CODES {
        assert!(codes_seen.contains(code), "no vector produces `{code}`");
    }
    println!(
        "vectors: {} cases passed, covering {} error codes",
        files.len(),
        codes_seen.len()
    );
}
