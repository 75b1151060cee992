//! Exact money: integer minor units (cents), never a binary float.
//!
//! Across every boundary an amount travels as decimal text ("109.97"). Inputs may also be
//! JSON numbers; those are read from their exact text (serde_json's `arbitrary_precision`),
//! so the number written as `29.99` means exactly 29.99, while `0.001` and
//! `12.340000000000000001` are recognised as having more than two decimals (and rejected),
//! never rounded. Numbers from hosts without text (a Python float) are read through their
//! shortest round-trip representation.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An exact amount in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

/// Why a decimal text is not a valid amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyParseError {
    #[error("`{0}` is not a decimal number")]
    NotANumber(String),
    #[error("`{0}` has more than 2 decimal places")]
    TooManyDecimals(String),
    #[error("`{0}` is too large")]
    TooLarge(String),
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_cents(cents: i64) -> Self {
        Money(cents)
    }

    pub const fn cents(self) -> i64 {
        self.0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    pub fn checked_mul(self, quantity: u32) -> Option<Money> {
        self.0.checked_mul(i64::from(quantity)).map(Money)
    }

    /// Parses decimal text such as `"29.99"`, `"-1"`, `"0.5"` or `"+3.10"`.
    /// No exponent, no thousands separators, at most two decimals.
    pub fn parse(text: &str) -> Result<Money, MoneyParseError> {
        let not_a_number = || MoneyParseError::NotANumber(text.to_string());
        let trimmed = text.trim();
        let (negative, unsigned) = match trimmed.as_bytes().first() {
            Some(b'-') => (true, &trimmed[1..]),
            Some(b'+') => (false, &trimmed[1..]),
            _ => (false, trimmed),
        };
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((w, f)) => (w, f),
            None => (unsigned, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction)
        {
            return Err(not_a_number());
        }
        // Trailing zeros beyond the second decimal carry no value ("1.500" is 1.50).
        let significant_fraction = fraction.trim_end_matches('0');
        if significant_fraction.len() > 2 {
            return Err(MoneyParseError::TooManyDecimals(text.to_string()));
        }
        let too_large = || MoneyParseError::TooLarge(text.to_string());
        // Only digits are left, so a failed parse can only mean overflow.
        let whole_value: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse::<i64>().map_err(|_| too_large())?
        };
        let mut cents_part: i64 = 0;
        for (i, b) in significant_fraction.bytes().enumerate() {
            let digit = i64::from(b - b'0');
            cents_part += if i == 0 { digit * 10 } else { digit };
        }
        let cents = whole_value
            .checked_mul(100)
            .and_then(|c| c.checked_add(cents_part))
            .ok_or_else(too_large)?;
        Ok(Money(if negative { -cents } else { cents }))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl std::str::FromStr for Money {
    type Err = MoneyParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = deserializer.deserialize_any(DecimalTextVisitor {
            allow_strings: true,
        })?;
        Money::parse(&text).map_err(de::Error::custom)
    }
}

/// An amount or count exactly as the caller wrote it, kept as decimal text so that the
/// domain (not the decoder) judges it: `-1`, `1.5` or `0.001` are well-formed inputs that
/// break a rule, which is a different error from a missing or mistyped field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DecimalText(String);

impl DecimalText {
    pub fn new(text: impl Into<String>) -> Self {
        DecimalText(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<u32> for DecimalText {
    fn from(v: u32) -> Self {
        DecimalText(v.to_string())
    }
}

impl From<Money> for DecimalText {
    fn from(m: Money) -> Self {
        DecimalText(m.to_string())
    }
}

impl From<&str> for DecimalText {
    fn from(s: &str) -> Self {
        DecimalText(s.to_string())
    }
}

impl fmt::Display for DecimalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for DecimalText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Text written as a JSON number travels as that very number, digit for digit
        // (quantities, including rule-breaking ones such as 1.5, 2.0 or 9223372036854775808),
        // so every host decodes exactly what the caller sent; anything else as text ("abc").
        if let Ok(n) = self.0.parse::<i64>() {
            if n.to_string() == self.0 {
                return serializer.serialize_i64(n);
            }
        }
        if is_json_number(&self.0) && reads_back_unchanged(&self.0) {
            return serde_json::Number::from_string_unchecked(self.0.clone()).serialize(serializer);
        }
        serializer.serialize_str(&self.0)
    }
}

/// serde_json writes an exponent's sign out when it reads a number (`1e3` becomes `1e+3`):
/// such text travels as a string (only a price can be one; quantities come from numbers).
fn reads_back_unchanged(text: &str) -> bool {
    match text.find(['e', 'E']) {
        Some(at) => matches!(text.as_bytes().get(at + 1), Some(b'+' | b'-')),
        None => true,
    }
}

/// Whether `text` is a number in JSON's grammar: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_json_number(text: &str) -> bool {
    fn digits(s: &[u8]) -> usize {
        s.iter().take_while(|b| b.is_ascii_digit()).count()
    }
    let mut rest = text.as_bytes();
    if let [b'-', tail @ ..] = rest {
        rest = tail;
    }
    match digits(rest) {
        0 => return false,
        n if n > 1 && rest[0] == b'0' => return false,
        n => rest = &rest[n..],
    }
    if let [b'.', tail @ ..] = rest {
        let n = digits(tail);
        if n == 0 {
            return false;
        }
        rest = &tail[n..];
    }
    if let [b'e' | b'E', tail @ ..] = rest {
        let tail = match tail {
            [b'+' | b'-', t @ ..] => t,
            t => t,
        };
        let n = digits(tail);
        if n == 0 {
            return false;
        }
        rest = &tail[n..];
    }
    rest.is_empty()
}

/// A price input: a JSON number or a decimal string.
pub(crate) fn deserialize_price_text<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<DecimalText, D::Error> {
    deserializer
        .deserialize_any(DecimalTextVisitor {
            allow_strings: true,
        })
        .map(DecimalText)
}

/// A quantity input: a JSON number only (a string is a type error, not a rule violation).
pub(crate) fn deserialize_quantity_text<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<DecimalText, D::Error> {
    deserializer
        .deserialize_any(DecimalTextVisitor {
            allow_strings: false,
        })
        .map(DecimalText)
}

pub(crate) fn deserialize_optional_quantity_text<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DecimalText>, D::Error> {
    struct Wrapper(DecimalText);
    impl<'de> Deserialize<'de> for Wrapper {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            deserialize_quantity_text(d).map(Wrapper)
        }
    }
    Ok(Option::<Wrapper>::deserialize(deserializer)?.map(|w| w.0))
}

struct DecimalTextVisitor {
    allow_strings: bool,
}

impl<'de> Visitor<'de> for DecimalTextVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.allow_strings {
            f.write_str("a number or a decimal string")
        } else {
            f.write_str("a number")
        }
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<String, E> {
        Ok(v.to_string())
    }

    /// serde_json (with `arbitrary_precision`) hands over a number that is not a plain
    /// integer as a one-entry map holding its exact text; `Number` knows how to read it.
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<String, A::Error> {
        let number = serde_json::Number::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(number.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        // Rust prints the shortest text that reads back as the same f64, never in exponent
        // form: 29.99 -> "29.99", 0.001 -> "0.001", 1e21 -> "1000000000000000000000".
        if v.is_finite() {
            Ok(v.to_string())
        } else {
            Err(E::custom("expected a finite number"))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        if self.allow_strings {
            Ok(v.to_string())
        } else {
            Err(E::invalid_type(de::Unexpected::Str(v), &self))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_exactly() {
        for (text, cents, shown) in [
            ("29.99", 2999, "29.99"),
            ("0.1", 10, "0.10"),
            ("0", 0, "0.00"),
            (".5", 50, "0.50"),
            ("5.", 500, "5.00"),
            ("1.500", 150, "1.50"),
            ("-1", -100, "-1.00"),
            ("8645.79", 864579, "8645.79"),
            ("007.05", 705, "7.05"),
        ] {
            let m = Money::parse(text).unwrap();
            assert_eq!(m.cents(), cents, "{text}");
            assert_eq!(m.to_string(), shown, "{text}");
        }
    }

    #[test]
    fn rejects_bad_text() {
        for text in [
            "", ".", "abc", "1e5", "1,5", "0.001", "1.005", "--1", "1.2.3", " ",
        ] {
            assert!(Money::parse(text).is_err(), "{text:?} should be rejected");
        }
        assert!(matches!(
            Money::parse("99999999999999999999"),
            Err(MoneyParseError::TooLarge(_))
        ));
    }

    #[test]
    fn json_numbers_are_read_from_their_exact_text_not_through_f64() {
        // As f64 this is 12.34; as written it has 18 decimals.
        assert!(serde_json::from_str::<Money>("12.340000000000000001").is_err());
        let command: crate::Command = serde_json::from_str(
            r#"{"type":"AddItem","orderId":"o","productId":"p","quantity":2.0,"price":12.340000000000000001}"#,
        )
        .unwrap();
        let crate::Command::AddItem(add) = &command else {
            panic!("{command:?}")
        };
        assert_eq!(add.price.as_str(), "12.340000000000000001");
        assert_eq!(add.quantity.as_str(), "2.0");
    }

    #[test]
    fn decimal_text_round_trips_through_json_exactly() {
        for (json, text) in [
            ("2", "2"),
            ("2.0", "2.0"),
            ("1.5", "1.5"),
            ("-0", "-0"),
            ("9223372036854775808", "9223372036854775808"),
            (
                "340282366920938463463374607431768211456",
                "340282366920938463463374607431768211456",
            ),
            // serde_json writes the exponent sign out; the value is the same.
            ("1e400", "1e+400"),
            ("12.340000000000000001", "12.340000000000000001"),
            ("\"abc\"", "abc"),
            ("\"007.05\"", "007.05"),
        ] {
            let read = deserialize_price_text(&mut serde_json::Deserializer::from_str(json))
                .unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(read.as_str(), text, "{json}");
            let written = serde_json::to_string(&read).unwrap();
            let again =
                deserialize_price_text(&mut serde_json::Deserializer::from_str(&written)).unwrap();
            assert_eq!(again, read, "{json} -> {written}");
        }
    }

    #[test]
    fn only_json_grammar_counts_as_a_number() {
        for yes in ["0", "-0", "1.5", "10", "1e5", "1E-5", "-2.50e+3"] {
            assert!(is_json_number(yes), "{yes}");
        }
        for no in [
            "", "-", "01", "1.", ".5", "+1", "1e", "abc", "1.5.2", "0x10", " 1",
        ] {
            assert!(!is_json_number(no), "{no}");
        }
    }

    #[test]
    fn json_numbers_are_read_through_their_decimal_text() {
        let m: Money = serde_json::from_str("29.99").unwrap();
        assert_eq!(m.cents(), 2999);
        let m: Money = serde_json::from_str("\"0.30\"").unwrap();
        assert_eq!(m.cents(), 30);
        assert!(serde_json::from_str::<Money>("0.001").is_err());
        assert_eq!(
            serde_json::to_string(&Money::from_cents(10997)).unwrap(),
            "\"109.97\""
        );
    }
}
