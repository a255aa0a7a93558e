//! `wasi:http/outgoing-handler` for plugins: wasmtime-wasi-http implements the interface, and
//! its `send_request` hook is ours. Deny by default: a request goes out only to a host the
//! operator granted (`[plugins.grants] http`), within the plugin's limits (`[plugins.http]`),
//! to an address vetted after resolution, with an `Idempotency-Key`, and leaves one audit line.
//!
//! The answer is read whole before the guest sees it, so a timeout or an oversized body is a
//! typed `error-code` from `future-incoming-response.get` (never a stream broken halfway), and
//! a request's place in the in-flight count is given back as soon as it is done.

mod audit;
mod limits;
mod send;
mod vet;

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

pub use limits::{Activity, HttpGates};

use crate::config::{best_match, normalize_host, HostMatch, HostPattern, HttpLimits};
use audit::{Audit, Ending};
use limits::Refusal;
use send::{Failure, Target};

/// The header every request carries: the same for the same request on a replayed event.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The header that carries a request's absolute URL to the scenario harness's stub server.
pub const STUB_URL_HEADER: &str = "x-wasmbot-stub-url";

/// One plugin instance's side of `wasi:http`: its grants and limits, and which event and which
/// request of it is current (for the `Idempotency-Key`).
#[derive(Debug)]
pub struct HttpHooks {
    plugin: Arc<str>,
    patterns: Arc<[HostPattern]>,
    limits: HttpLimits,
    gates: Arc<HttpGates>,
    activity: Arc<Activity>,
    /// The journal sequence number of the event being handled; `None` outside `handle`.
    seq: Option<u64>,
    /// Requests made so far in the current call.
    ordinal: u32,
    /// Tells this instance's calls outside `handle` apart (they are never replayed).
    nonce: u64,
}

impl HttpHooks {
    pub fn new(
        plugin: Arc<str>,
        patterns: Vec<HostPattern>,
        limits: HttpLimits,
        gates: Arc<HttpGates>,
    ) -> Self {
        Self {
            plugin,
            patterns: patterns.into(),
            limits,
            gates,
            activity: Arc::default(),
            seq: None,
            ordinal: 0,
            nonce: rand::random(),
        }
    }

    /// A new call begins: of event `seq` (`handle`), or of none (`init`, …).
    pub fn begin_call(&mut self, seq: Option<u64>) {
        self.seq = seq;
        self.ordinal = 0;
    }

    /// This instance's HTTP activity, which the deadline reads.
    pub fn activity(&self) -> Arc<Activity> {
        self.activity.clone()
    }

    /// The longest one request may wait.
    pub fn timeout(&self) -> std::time::Duration {
        self.limits.timeout
    }

    /// `wb-<plugin>-<seq>-<n>` for the n-th request while handling event `seq`: the same when
    /// the event is replayed after a crash.
    fn next_key(&mut self) -> String {
        let n = self.ordinal;
        self.ordinal = self.ordinal.saturating_add(1);
        match self.seq {
            Some(seq) => format!("wb-{}-{seq}-{n}", self.plugin),
            None => format!("wb-{}-x{:016x}-{n}", self.plugin, self.nonce),
        }
    }

    /// The grant and the limits, checked before anything leaves.
    fn admit(&self, target: Option<Target>) -> Result<(Target, limits::Permit), Failure> {
        let Some(mut target) = target else {
            let error = Error::HttpRequestUriInvalid;
            return Err(Failure::new(error, "denied", "the request names no host"));
        };
        if let Some(stub) = self.gates.stub {
            target = Target {
                host: stub.ip().to_string(),
                port: stub.port(),
                tls: false,
                exact: true,
            };
            return Ok((target, self.permit()?));
        }
        match best_match(&self.patterns, &target.host, target.port) {
            HostMatch::None => {
                let why = format!(
                    "`{}:{}` is not granted: add it to [plugins.grants] http",
                    target.host, target.port
                );
                return Err(Failure::new(Error::HttpRequestDenied, "denied", why));
            }
            HostMatch::Exact => target.exact = true,
            HostMatch::Public => target.exact = false,
        }
        Ok((target, self.permit()?))
    }

    /// A place within the plugin's in-flight and per-minute limits, or why not.
    fn permit(&self) -> Result<limits::Permit, Failure> {
        let limits = &self.limits;
        let permit = self
            .gates
            .admit(
                &self.plugin,
                &self.activity,
                limits.max_in_flight,
                limits.requests_per_minute,
            )
            .map_err(|refusal| {
                let why = match refusal {
                    Refusal::InFlight(n) => format!("{n} requests are already in flight"),
                    Refusal::Rate(n) => format!("more than {n} requests a minute"),
                };
                Failure::new(Error::ConnectionLimitReached, "limited", why)
            })?;
        Ok(permit)
    }
}

/// The host, port and scheme of an absolute request URI.
fn target_of(uri: &http::Uri) -> Option<Target> {
    let tls = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
    let host = normalize_host(uri.host()?);
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    (!host.is_empty()).then_some(Target {
        host,
        port,
        tls,
        exact: false,
    })
}

type Answer = wasmtime_wasi_http::Result<(
    http::Response<WasiBody>,
    Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
)>;

impl WasiHttpHooks for HttpHooks {
    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Box<dyn Future<Output = Answer> + Send> {
        let target = target_of(request.uri());
        let host = target.as_ref().map_or("", |t| t.host.as_str());
        let audit = Audit::new(
            self.plugin.clone(),
            self.gates.metrics.clone(),
            request.method().as_str(),
            host,
            request.uri().path(),
        );
        if let Ok(key) = http::HeaderValue::from_str(&self.next_key()) {
            request.headers_mut().insert(IDEMPOTENCY_KEY, key);
        }
        if self.gates.stub.is_some() {
            if let Ok(url) = http::HeaderValue::from_str(&request.uri().to_string()) {
                request.headers_mut().insert(STUB_URL_HEADER, url);
            }
        }
        let admitted = self.admit(target);
        let limits = self.limits;
        Box::new(async move {
            let outcome = match admitted {
                Ok((target, permit)) => {
                    let outcome = send::send(&target, request, &limits).await;
                    drop(permit);
                    outcome
                }
                Err(failure) => Err(failure),
            };
            match outcome {
                Ok(response) => {
                    let ending = Ending::Answered {
                        status: response.status().as_u16(),
                        bytes: response.body().len(),
                    };
                    audit.finish(ending);
                    Ok((response.map(whole), done()))
                }
                Err(failure) => {
                    audit.finish(Ending::Stopped {
                        kind: failure.kind,
                        why: &failure.why,
                    });
                    Err(failure.error)
                }
            }
        })
    }
}

/// A body read whole, as wasi-http's body type.
fn whole(bytes: Bytes) -> WasiBody {
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// The connection's worker, which has nothing left to do once the body is read.
fn done() -> Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send> {
    Box::new(async { Ok(()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hooks(seq: Option<u64>) -> HttpHooks {
        let mut hooks = HttpHooks::new(
            "weather".into(),
            vec![],
            HttpLimits::default(),
            Arc::default(),
        );
        hooks.begin_call(seq);
        hooks
    }

    #[test]
    fn keys_follow_the_event_and_the_request_order() {
        let mut first = hooks(Some(42));
        assert_eq!(first.next_key(), "wb-weather-42-0");
        assert_eq!(first.next_key(), "wb-weather-42-1");
        // The same event replayed by another instance (after a crash): the same keys.
        let mut replay = hooks(Some(42));
        assert_eq!(replay.next_key(), "wb-weather-42-0");
        first.begin_call(Some(43));
        assert_eq!(first.next_key(), "wb-weather-43-0");
        let mut init = hooks(None);
        assert!(init.next_key().starts_with("wb-weather-x"));
    }

    #[test]
    fn targets_default_their_port_by_scheme() {
        let uri: http::Uri = "https://API.Example.com/x?q=1".parse().unwrap_or_default();
        let t = target_of(&uri);
        assert_eq!(
            t.as_ref().map(|t| (t.host.as_str(), t.port, t.tls)),
            Some(("api.example.com", 443, true))
        );
        let uri: http::Uri = "http://[::1]:8080/".parse().unwrap_or_default();
        assert_eq!(
            target_of(&uri).map(|t| (t.host, t.port)),
            Some(("::1".into(), 8080))
        );
    }

    #[test]
    fn ungranted_hosts_are_denied_before_anything_leaves() {
        let hooks = hooks(Some(1));
        let target = target_of(&"http://example.com/".parse().unwrap_or_default());
        let failure = hooks.admit(target).err();
        assert!(matches!(
            failure.map(|f| f.error),
            Some(Error::HttpRequestDenied)
        ));
    }
}
