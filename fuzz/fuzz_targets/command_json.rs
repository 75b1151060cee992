//! Command JSON as clients send it (every command route, each item of `POST /commands`, the
//! guest's input). Decoding never panics; a decoded command encodes and decodes back to
//! the same command (quantity and price text unchanged); deciding it against no order and
//! against a draft order of its id (where quantity and price are parsed and checked)
//! never panics either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use order_core::{decide, evolve, initial_state, Command, Context, CreateOrder};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(command) = Command::from_json(text) else {
        return;
    };
    let encoded = serde_json::to_string(&command).expect("a decoded command encodes");
    let again = Command::from_json(&encoded)
        .unwrap_or_else(|e| panic!("{text} encoded as {encoded} does not decode: {e}"));
    assert_eq!(again, command, "{text} encoded as {encoded}");

    let ctx = Context::at(chrono::DateTime::UNIX_EPOCH);
    let empty = initial_state();
    let _ = decide(&empty, &command, &ctx);
    let create = Command::CreateOrder(CreateOrder {
        order_id: command.order_id().to_string(),
        customer_id: "c-1".into(),
    });
    let Ok(created) = decide(&empty, &create, &ctx) else {
        return;
    };
    let mut state = created.iter().fold(empty, evolve);
    // Twice: a second add merges into the same line, where the line limits bite.
    for _ in 0..2 {
        match decide(&state, &command, &ctx) {
            Ok(events) => state = events.iter().fold(state, evolve),
            Err(_) => return,
        }
    }
});
