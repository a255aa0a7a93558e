//! Serde helpers for sloppy platform JSON: ids that are numbers or strings, `null` where a value
//! was expected, fields that are a string in one payload and a list in the next.
//!
//! **Ids keep the text the platform sent.** serde_json reads a number into a `u64`, an `i64` or
//! an `f64`, and the `f64` loses what an id needs: `18446744073709551617` and
//! `18446744073709551618` both become `1.8446744073709552e19`, `1e3` and `1000.0` both become
//! `1000.0`, and a second, different event was dropped as a duplicate of the first. So these
//! helpers read each value as a [`RawValue`] (serde_json's `raw_value` feature, which only adds
//! that type) and take a number's literal as written. The `arbitrary_precision` feature would
//! also keep the text, but it changes how every `serde_json::Value` of every crate in the build
//! stores, compares and prints numbers; it is not used.
//!
//! The fact sheets of the webhook platforms (Yunhu, Biliao, minapp) say their ids are strings;
//! a number in an id field is production's sloppiness, and its literal is the id. So `1000`,
//! `1e3` and `1000.0` are three different ids, while `1000` and `"1000"` are the same one.
//! Nothing here refuses a non-integer: these platforms' ids are not integers (`msg_abc123`).
//!
//! The text is exact when the payload is deserialized from its text, as the webhook ingress
//! does; deserialized from an already parsed `Value`, a number has the text that `Value` kept.

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::Value;

/// A value where a scalar belongs, remembering what came, so that a payload whose field
/// holds an object or a list can be refused by name rather than read as empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Scalar {
    /// Absent or `null`.
    #[default]
    Absent,
    /// A string's contents, or a number's or a boolean's literal exactly as written.
    Text(String),
    /// An object or a list: what it was, for the refusal (`an object`, `a list`).
    Compound(&'static str),
}

/// A field that holds an object or a list where a string or a number belongs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` must be a string or a number, not {found}")]
pub struct NotScalar {
    pub field: String,
    pub found: &'static str,
}

impl Scalar {
    /// What the JSON text `raw` holds.
    pub fn of(raw: &RawValue) -> Self {
        let text = raw.get();
        match text.as_bytes().first() {
            Some(b'"') => serde_json::from_str(text).map_or(Scalar::Absent, Scalar::Text),
            Some(b'{') => Scalar::Compound("an object"),
            Some(b'[') => Scalar::Compound("a list"),
            Some(b'n') | None => Scalar::Absent,
            Some(_) => Scalar::Text(text.to_string()),
        }
    }

    /// The text (empty when absent), or an error naming `field` when it is an object or a list.
    pub fn text(&self, field: &str) -> Result<&str, NotScalar> {
        match self {
            Scalar::Absent => Ok(""),
            Scalar::Text(text) => Ok(text),
            Scalar::Compound(found) => Err(NotScalar {
                field: field.to_string(),
                found,
            }),
        }
    }

    /// The text, empty for anything but a scalar (the lenient reading).
    pub fn into_text(self) -> String {
        match self {
            Scalar::Text(text) => text,
            Scalar::Absent | Scalar::Compound(_) => String::new(),
        }
    }
}

/// A [`Scalar`], for `#[serde(default, deserialize_with = "lenient::scalar")]`.
pub fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
    Ok(Scalar::of(&raw(d)?))
}

/// A string, a number (its literal as written), a boolean, or absent/`null` (an empty string).
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(scalar(d)?.into_text())
}

/// Like [`string`], but `None` for absent, `null` or empty.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Some(string(d)?).filter(|s| !s.is_empty()))
}

/// An integer given as a number or a numeric string; anything else is 0. For counts, codes and
/// times, never for ids (an id is text: [`string`]).
pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(int_of_text(&string(d)?))
}

/// A list of strings given as a JSON array or as one comma-separated string; each item keeps its
/// exact text.
pub fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let raw = raw(d)?;
    if raw.get().starts_with('[') {
        let items: Vec<Box<RawValue>> =
            serde_json::from_str(raw.get()).map_err(serde::de::Error::custom)?;
        return Ok(items
            .iter()
            .map(|item| Scalar::of(item).into_text())
            .filter(|s| !s.is_empty())
            .collect());
    }
    Ok(Scalar::of(&raw)
        .into_text()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect())
}

/// `T`, or `T::default()` when the value is `null` or of another shape (a nested object a
/// platform sometimes sends as `null` or as a string must not sink the whole event).
pub fn or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned + Default,
{
    Ok(serde_json::from_str(raw(d)?.get()).unwrap_or_default())
}

/// The value as the text it came as.
fn raw<'de, D: Deserializer<'de>>(d: D) -> Result<Box<RawValue>, D::Error> {
    Box::<RawValue>::deserialize(d)
}

/// The text of an already parsed JSON scalar: strings as they are, numbers and booleans as the
/// `Value` holds them, else empty. A `Value` has already turned a number beyond 64 bits, or one
/// with a fraction or an exponent, into an `f64`: inbound ids are read with [`string`] instead.
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
            .or_else(|| n.as_f64().and_then(integral))
            .unwrap_or_default(),
        Value::String(s) => int_of_text(s),
        _ => 0,
    }
}

/// The integer a number's text or a numeric string stands for (`1e3` is 1000); 0 when it
/// stands for none that fits an `i64`.
pub fn int_of_text(text: &str) -> i64 {
    let text = text.trim();
    text.parse()
        .ok()
        .or_else(|| text.parse::<f64>().ok().and_then(integral))
        .unwrap_or_default()
}

/// `f` as an `i64` when it is a whole number in range.
fn integral(f: f64) -> Option<i64> {
    // ±2^63 is exact as an f64, and every whole f64 between them converts exactly.
    let limit = 2f64.powi(63);
    let whole = f.is_finite() && f.fract() == 0.0 && f >= -limit && f < limit;
    whole.then_some(f as i64)
}

#[cfg(test)]
mod tests;
