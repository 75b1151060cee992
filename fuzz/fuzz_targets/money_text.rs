//! Money as decimal text (prices in commands, totals in views, every host's boundary).
//! Parsing never panics; an accepted amount prints as text that parses back to it, as a
//! JSON string and as a JSON number; and it stays exact: the input and the printed amount
//! name the same decimal number digit for digit, compared as text, not through arithmetic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use order_core::Money;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(money) = Money::parse(text) else {
        return;
    };
    let shown = money.to_string();
    assert_eq!(Money::parse(&shown), Ok(money), "{text:?} shown as {shown}");
    assert_eq!(
        normalized(text),
        normalized(&shown),
        "{text:?} shown as {shown}"
    );
    let as_string = serde_json::to_string(&money).expect("money encodes");
    assert_eq!(serde_json::from_str::<Money>(&as_string).ok(), Some(money));
    assert_eq!(
        serde_json::from_str::<Money>(&shown).ok(),
        Some(money),
        "{shown} as a JSON number"
    );
});

/// The decimal number a text names, written one way: no `+`, no leading or trailing
/// zeros, `0` for zero whatever its sign.
fn normalized(text: &str) -> String {
    let text = text.trim();
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let (whole, fraction) = (
        whole.trim_start_matches('0'),
        fraction.trim_end_matches('0'),
    );
    if whole.is_empty() && fraction.is_empty() {
        return "0".into();
    }
    format!("{}{whole}.{fraction}", if negative { "-" } else { "" })
}
