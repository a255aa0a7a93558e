//! What the three webhook platforms (Yunhu, Biliao, minapp) share: the HTTP ingress that turns
//! a POST into an accepted event, a small JSON HTTP client with the common error mapping, a
//! per-path rate limiter, lenient serde helpers and option parsing.

pub mod client;
mod ingress;
pub mod lenient;
pub mod options;

pub use ingress::{routes, HookError, Parsed, WebhookPlatform, WebhookSettings};

/// Compares two secrets in constant time (for the lengths given), so a caller cannot learn a
/// secret byte by byte from response times.
pub fn secret_matches(given: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    let (given, expected) = (given.as_bytes(), expected.as_bytes());
    // `ct_eq` on slices of different lengths is false without looking at the content; the length
    // of a secret is not what needs hiding.
    bool::from(given.ct_eq(expected))
}

/// Milliseconds since the Unix epoch, for events that carry no time.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

/// A dedupe key made of `parts`, such that two different lists of parts never give the same
/// key: a part's `\` and `:` are escaped, so ids holding a `:` cannot shift into each other.
pub fn dedupe_key(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|part| part.replace('\\', "\\\\").replace(':', "\\:"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A chat of `bot` on `platform`; the webhook platforms have no guilds.
pub fn chat_ref(
    platform: &str,
    bot: &str,
    kind: crate::model::ChatKind,
    id: &str,
) -> crate::model::ChatRef {
    crate::model::ChatRef {
        platform: platform.into(),
        bot: bot.into(),
        kind,
        id: id.into(),
        guild: None,
    }
}

#[cfg(test)]
mod tests {
    use super::{dedupe_key, secret_matches};

    #[test]
    fn secrets_compare() {
        assert!(secret_matches("abc", "abc"));
        assert!(!secret_matches("abd", "abc"));
        assert!(!secret_matches("ab", "abc"));
        assert!(!secret_matches("", "abc"));
    }

    #[test]
    fn dedupe_keys_of_different_parts_differ() {
        assert_eq!(
            dedupe_key(&["group_message", "g1", "m1"]),
            "group_message:g1:m1"
        );
        assert_ne!(dedupe_key(&["a:b", "c"]), dedupe_key(&["a", "b:c"]));
        assert_ne!(dedupe_key(&["a\\", ":b"]), dedupe_key(&["a\\:", "b"]));
    }
}
