//! What a log line may quote of an inbound payload: its text as it came (a refused number keeps
//! the literal that got it refused), with credentials masked and the length bounded.
//!
//! Payloads carry credentials: minapp echoes its secret in every body, a Fanbook user object
//! can carry a `user_token`. Every string under a key that names a credential is masked wherever
//! it occurs in the text, and so is every secret the caller knows of (which also covers a body
//! that is not JSON at all).

use serde_json::Value;

/// What a masked credential reads as.
pub const MASK: &str = "***";

/// Keys whose string values are credentials (matched case-insensitively, anywhere in the key:
/// `user_token`, `accessToken`, `Authorization`).
const SENSITIVE: &[&str] = &["secret", "token", "password", "authorization", "cookie"];

/// `text` with every credential masked, cut to at most `max_chars` characters.
pub fn payload(text: &str, secrets: &[&str], max_chars: usize) -> String {
    let mut found: Vec<String> = secrets.iter().map(|s| s.to_string()).collect();
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        credentials(&value, &mut found);
    }
    let mut out = text.to_string();
    for secret in found.iter().filter(|s| !s.is_empty()) {
        out = out.replace(secret.as_str(), MASK);
        // As it is written inside a JSON string, when that differs (quotes, backslashes, …).
        let escaped = serde_json::to_string(secret).unwrap_or_default();
        let escaped = escaped.trim_matches('"');
        if !escaped.is_empty() && escaped != secret {
            out = out.replace(escaped, MASK);
        }
    }
    truncate(&out, max_chars)
}

/// Values under sensitive keys shorter than this are no credential worth masking everywhere
/// (masking `"1"` would garble every id holding a 1); the caller's own secrets always are.
const MIN_CREDENTIAL_CHARS: usize = 4;

/// Collects the strings under sensitive keys, at any depth.
fn credentials(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let key = key.to_ascii_lowercase();
                match value {
                    Value::String(s) if SENSITIVE.iter().any(|k| key.contains(k)) => {
                        if s.chars().count() >= MIN_CREDENTIAL_CHARS {
                            found.push(s.clone());
                        }
                    }
                    other => credentials(other, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| credentials(v, found)),
        _ => {}
    }
}

/// At most `max` characters of `text`, with `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_masked_wherever_they_occur() {
        let body = r#"{"secret":"s3cr\"et","from":{"id":18446744073709551617,"user_token":"ut-1"},"text":"ut-1 again"}"#;
        let out = payload(body, &["path-secret"], 1000);
        assert_eq!(
            out,
            r#"{"secret":"***","from":{"id":18446744073709551617,"user_token":"***"},"text":"*** again"}"#
        );
        assert_eq!(
            payload("{\"secret\": \"path-secret", &["path-secret"], 1000),
            "{\"secret\": \"***"
        );
        assert_eq!(
            payload(r#"{"token":"1","id":"12"}"#, &[], 1000),
            r#"{"token":"1","id":"12"}"#,
            "too short to be a credential"
        );
    }

    #[test]
    fn long_payloads_are_cut() {
        assert_eq!(payload("абвгд", &[], 3), "абв…");
        assert_eq!(payload("abc", &[], 3), "abc");
    }
}
