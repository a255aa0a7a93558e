//! A credential that never prints.

use serde::Deserialize;

/// A token or webhook secret. `Debug` and `Display` show `***`, so a secret cannot reach a log
/// line or an error message by accident; `expose` is the one way to read it.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself: call only where it goes on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Replaces a plugin's secret config values with `***` in text the plugin wrote (its log
/// lines, its error messages), so a secret handed to a plugin cannot reach a log line, `check`,
/// `status` or the admin API through the plugin either.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<Secret>,
}

impl Redactor {
    /// Redacts `secrets` (empty ones are ignored: they would match everywhere).
    pub fn new(secrets: impl IntoIterator<Item = Secret>) -> Self {
        let mut secrets: Vec<Secret> = secrets
            .into_iter()
            .filter(|s| !s.expose().is_empty())
            .collect();
        // Longest first, so a secret that contains another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.expose().len()));
        Self { secrets }
    }

    /// `text` with every secret replaced by `***`.
    pub fn scrub<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        let mut text = std::borrow::Cow::Borrowed(text);
        for secret in &self.secrets {
            if text.contains(secret.expose()) {
                text = std::borrow::Cow::Owned(text.replace(secret.expose(), "***"));
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_scrubbed_longest_first() {
        let redactor = Redactor::new([Secret::new("abc"), Secret::new("abcdef"), Secret::new("")]);
        assert_eq!(redactor.scrub("key=abcdef and abc"), "key=*** and ***");
        assert_eq!(redactor.scrub("nothing here"), "nothing here");
        assert_eq!(format!("{redactor:?}").matches("***").count(), 2);
    }
}
