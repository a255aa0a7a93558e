//! [`HttpError`]: why a request got no usable answer, from the host's `wasi:http` error codes.

use std::fmt;

use crate::bindings::wasi::http::types::ErrorCode;

/// Why a request got no (usable) answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpError {
    /// The operator did not grant this host (`[plugins.grants] http`), or it resolves to an
    /// address the plugin may not reach.
    Denied(String),
    /// No whole answer within the plugin's HTTP timeout.
    Timeout,
    /// The answer's body is larger than the plugin's limit.
    TooLarge,
    /// Too many requests of this plugin in flight, or per minute: try again later.
    Limited,
    /// The connection failed (refused, reset, TLS, DNS, a protocol error, …).
    Connection(String),
    /// The server answered with this error status ([`Response::error_for_status`]).
    ///
    /// [`Response::error_for_status`]: super::Response::error_for_status
    Status(u16),
    /// More than [`MAX_REDIRECTS`](super::MAX_REDIRECTS) redirects in a row.
    TooManyRedirects,
    /// The URL (or a header) cannot be sent: the text says what is wrong.
    Invalid(String),
    /// The body is not what was expected (not UTF-8, not this JSON).
    Body(String),
}

impl HttpError {
    /// The error a host's `error-code` stands for.
    pub(crate) fn from_code(code: ErrorCode) -> Self {
        match code {
            ErrorCode::HttpRequestDenied => {
                HttpError::Denied("the host is not granted to this plugin".into())
            }
            ErrorCode::DestinationIpProhibited => HttpError::Denied(
                "the host resolves to an address this plugin may not reach".into(),
            ),
            ErrorCode::DnsTimeout
            | ErrorCode::ConnectionTimeout
            | ErrorCode::ConnectionReadTimeout
            | ErrorCode::ConnectionWriteTimeout
            | ErrorCode::HttpResponseTimeout => HttpError::Timeout,
            ErrorCode::HttpResponseBodySize(_) => HttpError::TooLarge,
            ErrorCode::ConnectionLimitReached => HttpError::Limited,
            ErrorCode::HttpRequestUriInvalid | ErrorCode::HttpRequestMethodInvalid => {
                HttpError::Invalid(format!("{code:?}"))
            }
            other => HttpError::Connection(format!("{other:?}")),
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Denied(why) => write!(f, "request denied: {why}"),
            HttpError::Timeout => f.write_str("request timed out"),
            HttpError::TooLarge => f.write_str("the answer is too large"),
            HttpError::Limited => f.write_str("too many requests at once or per minute"),
            HttpError::Connection(why) => write!(f, "connection failed: {why}"),
            HttpError::Status(status) => write!(f, "the server answered {status}"),
            HttpError::TooManyRedirects => f.write_str("too many redirects"),
            HttpError::Invalid(why) => write!(f, "invalid request: {why}"),
            HttpError::Body(why) => write!(f, "unexpected answer: {why}"),
        }
    }
}

impl std::error::Error for HttpError {}

/// So `?` works in handlers: a denial stays a denial, anything else is an upstream failure.
impl From<HttpError> for crate::Error {
    fn from(e: HttpError) -> Self {
        match e {
            HttpError::Denied(why) => crate::Error::Denied(why),
            other => crate::Error::Upstream(other.to_string()),
        }
    }
}
