//! [`Error`]: why a host call (or the SDK around it) failed.

use std::fmt;

use crate::bindings::wasmbot::bot::types::{Error as WitError, PlatformError};

/// Why a host call failed, or why the SDK could not do what was asked.
///
/// The first six variants mirror the WIT `error` variant one to one; the last two are raised
/// inside the plugin (a kv value that does not (de)serialize, a bad command argument, or any
/// failure of the plugin's own). Handlers return `Result<(), Error>`, so `?` works on every
/// SDK call; the host logs the [`Display`](fmt::Display) text of an error a handler returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The platform has no such operation; the text names platform and operation.
    Unsupported(String),
    /// The operator did not grant the operation; the text names the missing grant.
    Denied(String),
    /// The chat, user, message or role does not exist (any more).
    NotFound(String),
    /// Too many calls: try again after this many milliseconds.
    RateLimited {
        /// How long to wait, in milliseconds.
        retry_after_ms: u32,
    },
    /// The arguments were wrong; the text says which and why.
    Invalid(String),
    /// The platform refused.
    Platform {
        /// The platform's error code, as text.
        code: String,
        /// The platform's message.
        message: String,
    },
    /// A value could not be encoded or decoded (kv values, saved state, config).
    Codec(String),
    /// Any other failure, raised by the plugin itself (see [`Error::msg`]).
    Other(String),
}

impl Error {
    /// An [`Error::Other`] with this message: for failures of the plugin's own.
    pub fn msg(message: impl fmt::Display) -> Self {
        Error::Other(message.to_string())
    }

    /// True when the platform lacks the operation: the cue to degrade gracefully.
    pub fn is_unsupported(&self) -> bool {
        matches!(self, Error::Unsupported(_))
    }

    /// True when the operator did not grant the operation.
    pub fn is_denied(&self) -> bool {
        matches!(self, Error::Denied(_))
    }

    /// True when the target does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound(_))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unsupported(what) => write!(f, "unsupported: {what}"),
            Error::Denied(what) => write!(f, "denied: {what}"),
            Error::NotFound(what) => write!(f, "not found: {what}"),
            Error::RateLimited { retry_after_ms } => {
                write!(f, "rate limited: retry after {retry_after_ms} ms")
            }
            Error::Invalid(what) => write!(f, "invalid: {what}"),
            Error::Platform { code, message } => write!(f, "platform error {code}: {message}"),
            Error::Codec(what) => write!(f, "encoding error: {what}"),
            Error::Other(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for Error {}

impl From<WitError> for Error {
    fn from(error: WitError) -> Self {
        match error {
            WitError::Unsupported(what) => Error::Unsupported(what),
            WitError::Denied(what) => Error::Denied(what),
            WitError::NotFound(what) => Error::NotFound(what),
            WitError::RateLimited(retry_after_ms) => Error::RateLimited { retry_after_ms },
            WitError::Invalid(what) => Error::Invalid(what),
            WitError::Platform(PlatformError { code, message }) => {
                Error::Platform { code, message }
            }
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(error: serde_json::Error) -> Self {
        Error::Codec(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_every_wit_variant() {
        let cases = [
            (
                WitError::Unsupported("sim: pin".into()),
                "unsupported: sim: pin",
            ),
            (WitError::Denied("moderation".into()), "denied: moderation"),
            (
                WitError::NotFound("message 7".into()),
                "not found: message 7",
            ),
            (
                WitError::RateLimited(1500),
                "rate limited: retry after 1500 ms",
            ),
            (
                WitError::Invalid("no-such-message".into()),
                "invalid: no-such-message",
            ),
            (
                WitError::Platform(PlatformError {
                    code: "403".into(),
                    message: "nope".into(),
                }),
                "platform error 403: nope",
            ),
        ];
        for (wit, text) in cases {
            assert_eq!(Error::from(wit).to_string(), text);
        }
    }

    #[test]
    fn predicates() {
        assert!(Error::Unsupported(String::new()).is_unsupported());
        assert!(Error::Denied(String::new()).is_denied());
        assert!(Error::NotFound(String::new()).is_not_found());
        assert!(!Error::msg("x").is_unsupported());
        assert_eq!(Error::msg("boom").to_string(), "boom");
    }
}
