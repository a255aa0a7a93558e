//! Who may use `/admin`, `/console` and `/metrics`: the checks every such request passes
//! before its handler runs, each refusal a 4xx with `{"error": …}`.
//!
//! - `Host` must be a loopback name (`127.0.0.1`, `[::1]`, `localhost`, any port) or one the
//!   operator lists in `[admin] hosts`: a DNS-rebinding page reaches the daemon under its own
//!   name and is refused.
//! - `Origin`, when a browser sends one, must be the daemon's own (the `Host` it asked): a page
//!   elsewhere cannot act through the operator's browser (CSRF).
//! - The token (`Authorization: Bearer …`) is required for every state change, and for reads
//!   too when the listener is not loopback, the peer is not loopback, or `require_token` is set.
//! - A state change is a `POST` whose body is JSON (`Content-Type: application/json`), which
//!   an HTML form cannot send.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::error;
use crate::config::Secret;

/// The admin surface's security settings, fixed at start.
pub struct Guard {
    token: Secret,
    hosts: Vec<String>,
    listener_loopback: bool,
    require_token: bool,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("hosts", &self.hosts)
            .field("listener_loopback", &self.listener_loopback)
            .field("require_token", &self.require_token)
            .finish_non_exhaustive()
    }
}

/// Why a request is refused: the status and the message of its `{"error"}` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl Guard {
    /// `hosts` are the extra names allowed; `listen` is the daemon's listener.
    pub fn new(token: Secret, hosts: &[String], listen: SocketAddr, require_token: bool) -> Self {
        Self {
            token,
            hosts: hosts.iter().map(|h| h.to_ascii_lowercase()).collect(),
            listener_loopback: listen.ip().is_loopback(),
            require_token,
        }
    }

    /// Checks one request's head; `peer` is the socket it came from.
    pub fn check(&self, method: &Method, headers: &HeaderMap, peer: IpAddr) -> Result<(), Refusal> {
        let host = self.check_host(headers)?;
        check_origin(headers, host)?;
        let changes_state = !matches!(*method, Method::GET | Method::HEAD);
        if changes_state {
            check_json_post(method, headers)?;
        }
        let need_token =
            changes_state || self.require_token || !self.listener_loopback || !peer.is_loopback();
        if need_token {
            self.check_token(headers)?;
        }
        Ok(())
    }

    /// The request's `Host`, if it is one this daemon answers to.
    fn check_host<'h>(&self, headers: &'h HeaderMap) -> Result<&'h str, Refusal> {
        let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "the request has no Host header",
            ));
        };
        let lower = host.to_ascii_lowercase();
        let name = host_name(&lower);
        let allowed =
            is_loopback_name(name) || self.hosts.iter().any(|h| *h == lower || *h == name);
        if allowed {
            Ok(host)
        } else {
            Err(Refusal::new(
                StatusCode::FORBIDDEN,
                format!(
                    "Host `{host}` is not a name of this daemon; loopback names are, and those in \
                     `[admin] hosts`"
                ),
            ))
        }
    }

    fn check_token(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(presented_token);
        let Some(given) = given else {
            return Err(Refusal::new(
                StatusCode::UNAUTHORIZED,
                "this request needs the admin token (`Authorization: Bearer …`; it is in the \
                 data dir's admin-token file, or `[admin] token`)",
            ));
        };
        let given = given.as_str();
        let expected = self.token.expose().as_bytes();
        if bool::from(given.trim().as_bytes().ct_eq(expected)) {
            Ok(())
        } else {
            Err(Refusal::new(
                StatusCode::UNAUTHORIZED,
                "the admin token is wrong",
            ))
        }
    }
}

/// The token in an `Authorization` value: `Bearer TOKEN` (the CLI, the console's script), or
/// `Basic` with the token as the password (a browser's own login prompt, for the console page
/// on a listener that is not loopback).
fn presented_token(value: &str) -> Option<String> {
    if let Some(token) = value.strip_prefix("Bearer ") {
        return Some(token.to_string());
    }
    use base64::Engine as _;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    text.split_once(':')
        .map(|(_, password)| password.to_string())
}

/// A browser's `Origin` must be `http(s)://` plus the `Host` it sent: the daemon's own page.
fn check_origin(headers: &HeaderMap, host: &str) -> Result<(), Refusal> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("");
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    if authority.is_some_and(|a| a.eq_ignore_ascii_case(host)) {
        return Ok(());
    }
    Err(Refusal::new(
        StatusCode::FORBIDDEN,
        format!("Origin `{origin}` is not this daemon's ({host}): cross-site requests are refused"),
    ))
}

/// A state change must be a POST with a JSON body.
fn check_json_post(method: &Method, headers: &HeaderMap) -> Result<(), Refusal> {
    if *method != Method::POST {
        return Err(Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} is not allowed here; changes are POST with a JSON body"),
        ));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "a change must be a POST with a JSON body (`Content-Type: application/json`)",
        ))
    }
}

/// The name part of a `Host` value: without its port, and an IPv6 address without brackets.
fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

fn is_loopback_name(name: &str) -> bool {
    name == "localhost" || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The middleware: refuses what [`Guard::check`] refuses, with a log line (no secret in it).
pub async fn enforce(
    State(guard): State<Arc<Guard>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    // HTTP/2 names the host in the URI's authority rather than a `Host` header.
    if !request.headers().contains_key(header::HOST) {
        let authority = request.uri().authority().map(|a| a.as_str().to_owned());
        if let Some(value) = authority.and_then(|a| axum::http::HeaderValue::from_str(&a).ok()) {
            request.headers_mut().insert(header::HOST, value);
        }
    }
    match guard.check(request.method(), request.headers(), peer.ip()) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            tracing::warn!(
                %peer,
                method = %request.method(),
                path = %request.uri().path(),
                status = refusal.status.as_u16(),
                why = %refusal.message,
                "admin request refused"
            );
            let mut response = error(refusal.status, refusal.message).into_response();
            // Opening the console page itself: let the browser ask for the token.
            if refusal.status == StatusCode::UNAUTHORIZED && request.uri().path() == "/console" {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    axum::http::HeaderValue::from_static(
                        "Basic realm=\"wasmbot console (any user name, the admin token as password)\"",
                    ),
                );
            }
            response
        }
    }
}

#[cfg(test)]
mod tests;
