//! Reading the JSON arguments of a platform's own operation or message kind: each field by name
//! and type, with an `invalid` error naming the field and what it should be.

use serde_json::{Map, Value};

use crate::model::AdapterError;

/// The arguments as an object (`null` counts as `{}`).
pub fn object<'a>(what: &str, args: &'a Value) -> Result<&'a Map<String, Value>, AdapterError> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    match args {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(EMPTY.get_or_init(Map::new)),
        _ => Err(AdapterError::Invalid(format!(
            "the arguments of `{what}` must be a JSON object"
        ))),
    }
}

/// A required string field; a JSON integer counts as its exact text (ids are often numbers).
pub fn string(what: &str, args: &Value, field: &str) -> Result<String, AdapterError> {
    opt_string(what, args, field)?
        .ok_or_else(|| AdapterError::Invalid(format!("`{what}` needs `{field}` (a string)")))
}

/// An optional string field (absent or `null` is `None`; empty text counts as given).
pub fn opt_string(what: &str, args: &Value, field: &str) -> Result<Option<String>, AdapterError> {
    match object(what, args)?.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
        Some(_) => Err(AdapterError::Invalid(format!(
            "`{what}`: `{field}` must be a string"
        ))),
    }
}

/// A required non-empty list of strings (integers count as their text).
pub fn strings(what: &str, args: &Value, field: &str) -> Result<Vec<String>, AdapterError> {
    let list = opt_strings(what, args, field)?.unwrap_or_default();
    if list.is_empty() {
        return Err(AdapterError::Invalid(format!(
            "`{what}` needs `{field}` (a non-empty list of strings)"
        )));
    }
    Ok(list)
}

/// An optional list of strings.
pub fn opt_strings(
    what: &str,
    args: &Value,
    field: &str,
) -> Result<Option<Vec<String>>, AdapterError> {
    let bad = || AdapterError::Invalid(format!("`{what}`: `{field}` must be a list of strings"));
    match object(what, args)?.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
                _ => Err(bad()),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(bad()),
    }
}

/// An optional integer field; a string of digits counts as the integer it writes (a 64-bit id
/// is often passed as text, and the platform wants a number).
pub fn opt_int(what: &str, args: &Value, field: &str) -> Result<Option<i64>, AdapterError> {
    let bad = || AdapterError::Invalid(format!("`{what}`: `{field}` must be an integer"));
    match object(what, args)?.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => int_of(value).map(Some).ok_or_else(bad),
    }
}

fn int_of(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// An optional list of integers (digit strings count as their integers).
pub fn opt_ints(what: &str, args: &Value, field: &str) -> Result<Option<Vec<i64>>, AdapterError> {
    let bad = || AdapterError::Invalid(format!("`{what}`: `{field}` must be a list of integers"));
    match object(what, args)?.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| int_of(i).ok_or_else(bad))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(bad()),
    }
}

/// An optional boolean field.
pub fn opt_bool(what: &str, args: &Value, field: &str) -> Result<Option<bool>, AdapterError> {
    match object(what, args)?.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(AdapterError::Invalid(format!(
            "`{what}`: `{field}` must be true or false"
        ))),
    }
}

/// The fields of a `content::other` message kind, parsed.
pub fn kind_fields(kind: &str, fields: &str) -> Result<Value, AdapterError> {
    match serde_json::from_str::<Value>(fields) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ => Err(AdapterError::Invalid(format!(
            "the `{kind}` fields must be a JSON object"
        ))),
    }
}

/// A field's JSON type, for [`checked`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// A string; an integer is taken as its exact text (ids are often numbers).
    Str,
    Int,
    Bool,
    StrList,
    IntList,
    /// Any JSON array (of the platform's structures, passed on as they are).
    List,
    /// Any JSON object (a platform structure passed on as it is).
    Object,
}

/// One field of a pass-through operation: its name, type and whether it is required.
#[derive(Debug, Clone, Copy)]
pub struct Field(pub &'static str, pub Type, pub bool);

/// The arguments checked field by field against `fields` (an unknown field is refused, so a
/// misspelt one is not dropped silently) and returned with strings normalised: the platform's
/// body, in the platform's own field names.
pub fn checked(what: &str, args: &Value, fields: &[Field]) -> Result<Value, AdapterError> {
    let map = object(what, args)?;
    if let Some(unknown) = map
        .keys()
        .find(|k| !fields.iter().any(|f| f.0 == k.as_str()))
    {
        let names: Vec<&str> = fields.iter().map(|f| f.0).collect();
        return Err(AdapterError::Invalid(format!(
            "`{what}` has no field `{unknown}`; its fields: {}",
            names.join(", ")
        )));
    }
    let mut out = Map::new();
    for &Field(name, kind, required) in fields {
        let value = match kind {
            Type::Str => opt_string(what, args, name)?.map(Value::String),
            Type::Int => opt_int(what, args, name)?.map(Value::from),
            Type::Bool => opt_bool(what, args, name)?.map(Value::Bool),
            Type::StrList => opt_strings(what, args, name)?.map(Value::from),
            Type::IntList => opt_ints(what, args, name)?.map(Value::from),
            Type::List => match map.get(name) {
                None | Some(Value::Null) => None,
                Some(v @ Value::Array(_)) => Some(v.clone()),
                Some(_) => {
                    return Err(AdapterError::Invalid(format!(
                        "`{what}`: `{name}` must be a JSON array"
                    )))
                }
            },
            Type::Object => match map.get(name) {
                None | Some(Value::Null) => None,
                Some(v @ Value::Object(_)) => Some(v.clone()),
                Some(_) => {
                    return Err(AdapterError::Invalid(format!(
                        "`{what}`: `{name}` must be a JSON object"
                    )))
                }
            },
        };
        match value {
            Some(v) => {
                out.insert(name.to_owned(), v);
            }
            None if required => {
                return Err(AdapterError::Invalid(format!(
                    "`{what}` needs `{name}` ({})",
                    type_name(kind)
                )))
            }
            None => {}
        }
    }
    Ok(Value::Object(out))
}

fn type_name(kind: Type) -> &'static str {
    match kind {
        Type::Str => "a string",
        Type::Int => "an integer",
        Type::Bool => "true or false",
        Type::StrList => "a list of strings",
        Type::IntList => "a list of integers",
        Type::List => "a JSON array",
        Type::Object => "a JSON object",
    }
}
