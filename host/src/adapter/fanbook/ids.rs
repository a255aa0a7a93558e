//! Naming the id that got a Fanbook payload refused.
//!
//! Fanbook ids are 64-bit integers, sent as JSON numbers or decimal strings (fact sheet §2), and
//! [`super::wire::Id`] reads them exactly as a `u64`: its decimal text is the id's text. A number
//! with a fraction or an exponent (`1e3`, `1000.0`), a negative one or one beyond 2^64 − 1 is
//! no Fanbook id, cannot be answered (every call takes a `u64`), and is never rounded into some
//! other id: the update or frame holding it is skipped with a warning that quotes it (long poll
//! and gateway have nobody to answer a 4xx to). serde's error names no field; this finds it.

use serde_json::Value;

/// Keys that hold a Fanbook id besides `…_id`.
const ID_KEYS: &[&str] = &["id", "quote_l1", "quote_l2"];

/// `error`, prefixed with the field of `payload` that holds no 64-bit id, when one does.
pub(super) fn name_bad_id(error: String, payload: &Value) -> String {
    match describe_bad_id(payload) {
        Some(culprit) => format!("{culprit}: {error}"),
        None => error,
    }
}

/// Which field of `payload` holds no 64-bit id, and what it holds; `None` when every id is one.
pub(super) fn describe_bad_id(payload: &Value) -> Option<String> {
    let (path, value) = bad_id(payload, "")?;
    Some(format!(
        "`{path}` is {value}, not a Fanbook id (an integer from 0 to 2^64 - 1)"
    ))
}

/// The path and value of the first id field under `value` that holds no 64-bit id: a number
/// that is not a `u64`, or (under a `…_id` or quote key) a string that is not one's decimal.
fn bad_id(value: &Value, path: &str) -> Option<(String, String)> {
    match value {
        Value::Object(map) => map.iter().find_map(|(key, value)| {
            let here = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            if is_id_key(key) && !holds_id(key, value) {
                return Some((here, value.to_string()));
            }
            bad_id(value, &here)
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| bad_id(item, &format!("{path}[{i}]"))),
        _ => None,
    }
}

fn is_id_key(key: &str) -> bool {
    key.ends_with("_id") || ID_KEYS.contains(&key)
}

/// Whether `value` may stand in an id field. Strings under a bare `id` are left alone: a
/// callback query's `id` is text (`cbq-…`).
fn holds_id(key: &str, value: &Value) -> bool {
    match value {
        Value::Number(n) => n.is_u64(),
        Value::String(s) if key != "id" => s.trim().is_empty() || s.trim().parse::<u64>().is_ok(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn culprit(payload: &Value) -> String {
        name_bad_id("error".into(), payload)
    }

    #[test]
    fn the_field_holding_no_id_is_named() {
        let update: Value = serde_json::from_str(
            r#"{"update_id": 1, "channel_post": {"message_id": 18446744073709551617,
                "chat": {"id": 412870154013753345}}}"#,
        )
        .unwrap_or_default();
        assert!(
            culprit(&update).starts_with("`channel_post.message_id` is 1.8446744073709552e+19,"),
            "{}",
            culprit(&update)
        );
        let frame = json!({ "content": "{}", "user_id": "1", "mentions": [{ "user_id": 1e3 }] });
        assert!(culprit(&frame).starts_with("`mentions[0].user_id` is 1000.0,"));
        let negative = json!({ "chat": { "id": -5 } });
        assert!(culprit(&negative).starts_with("`chat.id` is -5,"));
        let text = json!({ "guild_id": "1e3" });
        assert!(culprit(&text).starts_with("`guild_id` is \"1e3\","));
    }

    #[test]
    fn good_ids_and_text_ids_are_not_blamed() {
        let fine = json!({ "callback_query": { "id": "cbq-1", "from": { "id": 18446744073709551615u64 } },
                           "comment_id": "", "quote_l1": null, "message_id": "469231470855471104" });
        assert_eq!(culprit(&fine), "error");
    }
}
