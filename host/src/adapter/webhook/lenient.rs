//! Serde helpers for sloppy platform JSON: ids that are numbers or strings, `null` where a value
//! was expected, fields that are a string in one payload and a list in the next.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A string, a number (as its decimal text), or absent/`null` (as an empty string).
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(text_of(&Value::deserialize(d)?))
}

/// Like [`string`], but `None` for absent, `null` or empty.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Some(text_of(&Value::deserialize(d)?)).filter(|s| !s.is_empty()))
}

/// An integer given as a number or a numeric string; anything else is 0.
pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(int_of(&Value::deserialize(d)?))
}

/// A list of strings given as a JSON array or as one comma-separated string.
pub fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .iter()
            .map(text_of)
            .filter(|s| !s.is_empty())
            .collect(),
        Value::String(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        Value::Null => Vec::new(),
        other => vec![text_of(&other)],
    })
}

/// The text of a JSON scalar: strings as they are, numbers and booleans as written, else empty.
pub fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// An integer from a number or a numeric string; 0 otherwise.
pub fn int_of(value: &Value) -> i64 {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .unwrap_or_default(),
        Value::String(s) => s.trim().parse().unwrap_or_default(),
        _ => 0,
    }
}

/// `T`, or `T::default()` when the value is `null` or of another shape (a nested object a
/// platform sometimes sends as `null` or as a string must not sink the whole event).
pub fn or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned + Default,
{
    let value = Value::deserialize(d)?;
    Ok(serde_json::from_value(value).unwrap_or_default())
}
