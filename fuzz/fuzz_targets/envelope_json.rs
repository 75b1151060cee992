//! One line of an import file (`order-server import`, the stores' `import`, the Python and
//! JS `events` readers): a stored event envelope. Decoding never panics; a decoded line
//! encodes and decodes back to the same envelope; and what import does next (continue the
//! stream, upcast the payload to today's event) never panics and gives an envelope that
//! round-trips too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use order_core::{place_imported, EventEnvelope, StoredEvent};

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(stored) = serde_json::from_str::<StoredEvent>(line) else {
        return;
    };
    let encoded = serde_json::to_string(&stored).expect("a decoded event encodes");
    let again: StoredEvent = serde_json::from_str(&encoded)
        .unwrap_or_else(|e| panic!("{line} encoded as {encoded} does not decode: {e}"));
    assert_eq!(again, stored, "{line} encoded as {encoded}");

    let Ok((envelope, _)) = place_imported(&stored, stored.version.saturating_sub(1), 1) else {
        return;
    };
    let encoded = serde_json::to_string(&envelope).expect("an envelope encodes");
    let again: EventEnvelope = serde_json::from_str(&encoded)
        .unwrap_or_else(|e| panic!("{line} upcast and encoded as {encoded} does not decode: {e}"));
    assert_eq!(again, envelope, "{line} upcast and encoded as {encoded}");
});
