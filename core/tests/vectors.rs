//! Runs every shared vector in tests/vectors/ against the pure core.

use std::path::PathBuf;

use order_core::testing::vectors::{Expected, Vector};
use order_core::{decide, evolve_all, initial_state};

fn read_vectors() -> Vec<Vector> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/vectors exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            Vector::parse(&name, &std::fs::read_to_string(path).unwrap())
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect()
}

#[test]
fn every_vector_passes() {
    let vectors = read_vectors();
    assert!(
        vectors.len() >= 30,
        "expected at least 30 vectors, found {}",
        vectors.len()
    );
    let mut codes_seen = std::collections::BTreeSet::new();
    for vector in &vectors {
        let name = &vector.file;
        let given = vector.given_events().unwrap_or_else(|e| panic!("{e}"));
        let state = evolve_all(initial_state(), &given);
        let result = decide(&state, &vector.when, &vector.context);
        match (&vector.expected, result) {
            (Expected::Error(code), Err(e)) => {
                assert_eq!(e.code(), code, "{name}: {e}");
                codes_seen.insert(e.code());
            }
            (Expected::Error(code), Ok(events)) => {
                panic!("{name}: expected {code}, got {events:?}")
            }
            (Expected::Events(_), Err(e)) => panic!("{name}: unexpected error {}: {e}", e.code()),
            (Expected::Events(expected), Ok(events)) => {
                assert_eq!(&events, expected, "{name}");
                // Byte-level JSON identity, not just structural equality after decoding.
                assert_eq!(
                    &serde_json::to_value(&events).unwrap(),
                    vector.then_json(),
                    "{name}: JSON shape"
                );
                if let Some(expect) = vector.expect() {
                    let after = evolve_all(state, &events);
                    let order = serde_json::to_value(after.order.as_ref().unwrap()).unwrap();
                    for (key, value) in expect {
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
        vectors.len(),
        codes_seen.len()
    );
}
