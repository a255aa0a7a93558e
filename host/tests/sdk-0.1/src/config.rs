//! Reading the operator's config (the JSON object handed to [`Plugin::init`](crate::Plugin::init)).

use serde::de::DeserializeOwned;
use serde_json::Value;

/// Decodes the config into `T`; a missing config (`null`) reads as `{}`.
///
/// Give `T` `#[serde(default)]` so every key is optional. The error text names the bad key and
/// is what the operator sees when `init` fails.
pub fn parse<T: DeserializeOwned>(config: Value) -> Result<T, String> {
    let config = match config {
        Value::Null => Value::Object(serde_json::Map::new()),
        other => other,
    };
    serde_json::from_value(config).map_err(|e| format!("invalid config: {e}"))
}

/// Parses the config text the host passes to `init` (empty text reads as `{}`).
pub(crate) fn from_text(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    serde_json::from_str(text).map_err(|e| format!("config is not valid JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default)]
    struct Config {
        max: u32,
        name: String,
    }

    #[test]
    fn null_and_empty_read_as_defaults() {
        assert_eq!(parse::<Config>(Value::Null), Ok(Config::default()));
        assert_eq!(from_text("  "), Ok(Value::Object(serde_json::Map::new())));
    }

    #[test]
    fn reads_keys_and_reports_bad_ones() {
        let value = from_text(r#"{"max": 3}"#).unwrap_or_default();
        assert_eq!(
            parse::<Config>(value),
            Ok(Config {
                max: 3,
                name: String::new()
            })
        );
        let bad = parse::<Config>(serde_json::json!({"max": "three"}))
            .err()
            .unwrap_or_default();
        assert!(bad.starts_with("invalid config:"), "{bad}");
        assert!(from_text("{").is_err());
    }
}
