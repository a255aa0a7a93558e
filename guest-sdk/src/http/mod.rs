//! Outbound HTTP: a small blocking client over the host's `wasi:http/outgoing-handler`.
//!
//! The operator grants the hosts a plugin may reach (`[plugins.grants] http`); declare the ones
//! yours needs with [`Manifest::http_host`](crate::Manifest::http_host) so `wasmbot inspect`
//! shows them. Every request is checked by the host (grant, limits, address) and leaves an audit
//! line there; a refusal or a limit arrives as a typed [`HttpError`], never a trap.
//!
//! Requests block the handler until the answer is in, and that wait does not count against the
//! plugin's CPU deadline (the HTTP timeout bounds it). Redirects are followed, up to
//! [`MAX_REDIRECTS`], each as a new request the host checks like any other. A request made
//! while handling an event carries an `Idempotency-Key` that is the same if the event is
//! handled again after a crash: the request is made again, with the same key.
//!
//! ```no_run
//! # fn demo() -> Result<(), wasmbot_sdk::http::HttpError> {
//! use wasmbot_sdk::http::{self, Request};
//!
//! let page = http::get("https://api.example.com/status")?.error_for_status()?.text()?;
//!
//! #[derive(serde::Deserialize)]
//! struct Created { id: u64 }
//! let created: Created = Request::post("https://api.example.com/items")
//!     .header("authorization", "Bearer …")
//!     .json(&serde_json::json!({ "name": "x" }))?
//!     .send()?
//!     .error_for_status()?
//!     .json()?;
//! # let _ = (page, created.id); Ok(()) }
//! ```
//!
//! The client is the SDK's own rather than a crate's: `wstd` (Bytecode Alliance) turns a body
//! stream's `error-code` into text and brings its own copy of the WASI bindings and an async
//! runtime into every plugin; `waki` is built on an old `wit-bindgen`. This one is a few
//! hundred lines over the bindings the SDK already has.

mod error;
mod url;
mod wire;

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use error::HttpError;
pub use url::encode;
use url::Url;

/// Redirects followed at most, per request.
pub const MAX_REDIRECTS: usize = 5;

/// `GET url`: the answer whatever its status (see [`Response::error_for_status`]).
pub fn get(url: &str) -> Result<Response, HttpError> {
    Request::get(url).send()
}

/// A request to build up and [`send`](Request::send).
#[derive(Debug, Clone)]
pub struct Request {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    max_redirects: usize,
}

impl Request {
    /// A request with any method (`"GET"`, `"POST"`, …).
    pub fn new(method: &str, url: &str) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            url: url.to_string(),
            headers: Vec::new(),
            body: Vec::new(),
            max_redirects: MAX_REDIRECTS,
        }
    }

    /// `GET url`.
    pub fn get(url: &str) -> Self {
        Self::new("GET", url)
    }

    /// `POST url`.
    pub fn post(url: &str) -> Self {
        Self::new("POST", url)
    }

    /// Adds a header (more than one of a name is allowed).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The body, as bytes.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The body as JSON, with `content-type: application/json`.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Result<Self, HttpError> {
        let body = serde_json::to_vec(value).map_err(|e| HttpError::Invalid(e.to_string()))?;
        Ok(self.header("content-type", "application/json").body(body))
    }

    /// Follows at most `max` redirects (0: none; a redirect is then the answer).
    pub fn max_redirects(mut self, max: usize) -> Self {
        self.max_redirects = max.min(MAX_REDIRECTS);
        self
    }

    /// Sends the request, following redirects; the final answer whatever its status.
    pub fn send(self) -> Result<Response, HttpError> {
        let mut url = Url::parse(&self.url).map_err(HttpError::Invalid)?;
        let (mut method, mut headers, mut body) = (self.method, self.headers, self.body);
        let mut redirects = 0;
        loop {
            let (status, response_headers, response_body) =
                wire::send(&method, &url, &headers, &body)?;
            let response = Response {
                status,
                headers: response_headers,
                body: response_body,
            };
            let Some(location) = response.redirect() else {
                return Ok(response);
            };
            if self.max_redirects == 0 {
                return Ok(response);
            }
            if redirects == self.max_redirects {
                return Err(HttpError::TooManyRedirects);
            }
            redirects += 1;
            let next = url.join(location).map_err(HttpError::Invalid)?;
            if next.host() != url.host() {
                // Credentials were meant for the first host only.
                headers.retain(|(name, _)| !is_credential(name));
            }
            if status == 303 || (matches!(status, 301 | 302) && method == "POST") {
                method = "GET".into();
                body.clear();
                headers.retain(|(name, _)| !name.eq_ignore_ascii_case("content-type"));
            }
            url = next;
        }
    }
}

fn is_credential(header: &str) -> bool {
    header.eq_ignore_ascii_case("authorization") || header.eq_ignore_ascii_case("cookie")
}

/// An answer, read whole (the host caps its size).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The headers, names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// This answer if its status is below 400, else [`HttpError::Status`].
    pub fn error_for_status(self) -> Result<Self, HttpError> {
        if self.status >= 400 {
            Err(HttpError::Status(self.status))
        } else {
            Ok(self)
        }
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> Result<String, HttpError> {
        String::from_utf8(self.body.clone())
            .map_err(|_| HttpError::Body("the body is not UTF-8 text".into()))
    }

    /// The body decoded from JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        serde_json::from_slice(&self.body).map_err(|e| HttpError::Body(e.to_string()))
    }

    /// Where a redirect points, if this is one.
    fn redirect(&self) -> Option<&str> {
        matches!(self.status, 301 | 302 | 303 | 307 | 308)
            .then(|| self.header("location"))
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn answers_decode_and_statuses_check() {
        let ok = response(200, &[("content-type", "application/json")], r#"{"a": 1}"#);
        assert_eq!(ok.header("Content-Type"), Some("application/json"));
        assert_eq!(
            ok.json::<serde_json::Value>().ok(),
            Some(serde_json::json!({"a": 1}))
        );
        assert!(ok.clone().error_for_status().is_ok());
        assert_eq!(
            response(503, &[], "").error_for_status().err(),
            Some(HttpError::Status(503))
        );
        assert!(matches!(ok.json::<Vec<u8>>(), Err(HttpError::Body(_))));
    }

    #[test]
    fn only_redirect_statuses_with_a_location_redirect() {
        assert_eq!(
            response(302, &[("location", "/x")], "").redirect(),
            Some("/x")
        );
        assert_eq!(response(302, &[], "").redirect(), None);
        assert_eq!(response(200, &[("location", "/x")], "").redirect(), None);
    }

    #[test]
    fn errors_become_sdk_errors() {
        let denied: crate::Error = HttpError::Denied("no".into()).into();
        assert!(denied.is_denied());
        let timeout: crate::Error = HttpError::Timeout.into();
        assert!(matches!(timeout, crate::Error::Upstream(_)));
    }
}
