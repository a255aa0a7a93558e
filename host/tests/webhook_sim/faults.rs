//! Fault injection for the platform simulators: a programmable share of the requests to one
//! path is answered with a 5xx, a 429 with `Retry-After` (delay-seconds or an HTTP date), the
//! platform's own rate-limit reply inside a 200, a stall past the client's timeout, a dropped
//! connection, a 200 whose body is not the platform's (a page of something in between), a slow
//! (but successful) answer, or a lost answer (processed, then the connection drops). Every
//! request to that path is logged with what was done to it, so a test can tell which requests
//! the platform processed.
//!
//! A plain, slow or lost answer counts as processed: a 5xx, a 429, a rate-limit reply, a stall
//! (the request waits in front of the platform until the client gives up), a reset and a
//! malformed answer (it came from in front of the platform) are never processed.
//!
//! The layer is axum middleware ([`layer`]) over any simulator's router, served by [`serve`] so
//! that a connection can be cut: the webhook simulators and the Fanbook one mount the same.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::serve::IncomingStream;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use super::Recorded;

/// What the simulator does to a request instead of (or before) answering it normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// `503` with a `{code: 503}` body.
    ServerError,
    /// `429` with `Retry-After` (whole seconds) and a `{code: 429}` body.
    RateLimited,
    /// `429` with `Retry-After` as an HTTP date, the plan's wait from now rounded up to the
    /// next whole second.
    RateLimitedUntil,
    /// `200` with the platform's own rate-limit reply ([`Plan::throttled`]) and `Retry-After`
    /// in whole seconds.
    Throttled,
    /// `200` with an HTML page, as a proxy in front of the platform might answer: the body is
    /// not the platform's JSON.
    Malformed,
    /// No answer until well past the client's timeout (then a `503` nobody reads).
    Stall,
    /// The connection is closed without an answer.
    Reset,
    /// The normal answer, after a delay shorter than the client's timeout.
    Slow,
    /// Processed, but the connection is closed before the answer goes out: the client cannot
    /// tell it from a reset, so a retry sends it again.
    Lost,
}

impl Fault {
    /// Whether the platform carried out a request that got this fault.
    pub fn processed(self) -> bool {
        matches!(self, Fault::Slow | Fault::Lost)
    }

    /// Whether the client sees this request fail.
    pub fn fails(self) -> bool {
        self != Fault::Slow
    }
}

/// Which requests get which fault.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The path whose requests are faulted (others are answered normally and not logged).
    pub path: String,
    /// Each fault with the share of requests (0..1) that gets it; the rest are answered.
    pub shares: Vec<(Fault, f64)>,
    /// The wait every rate-limit answer asks for.
    pub retry_after: Duration,
    /// The platform's rate-limit reply in a 200, for [`Fault::Throttled`] (`None` where the
    /// platform documents none; the plan then has no share of it).
    pub throttled: Option<Value>,
    /// How long a stalled request waits (longer than the client's timeout).
    pub stall: Duration,
    /// How long a slow answer takes (shorter than the client's timeout).
    pub slow: Duration,
    /// At most this many failing faults in a row for one request body (a slow answer does not
    /// fail), so an action is not failed more often than the client is willing to retry. Per
    /// body, not over the path: concurrent chats interleave, so a run over the path would let
    /// one action collect the failures of several runs.
    pub max_run: usize,
    /// Seeds the choice, so a run can be repeated.
    pub seed: u64,
}

/// One request to the faulted path and what was done to it.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub request: Recorded,
    /// `None`: answered normally.
    pub fault: Option<Fault>,
    /// When the simulator decided.
    pub decided: Instant,
    /// For a rate-limit answer: its `Retry-After` value, and the earliest the request may come
    /// back by it.
    pub retry_after: Option<(String, Instant)>,
}

impl Attempt {
    /// Whether the platform carried this request out.
    pub fn processed(&self) -> bool {
        self.fault.is_none_or(Fault::processed)
    }
}

/// The `Retry-After` of a rate-limit answer decided at `decided` (with the wall clock read just
/// after it), and the earliest instant a retry honouring it may come.
fn retry_after(fault: Fault, wait: Duration, decided: Instant) -> Option<(String, Instant)> {
    match fault {
        Fault::RateLimited | Fault::Throttled => Some((wait.as_secs().to_string(), decided + wait)),
        Fault::RateLimitedUntil => {
            let now = SystemTime::now();
            let since_epoch = (now + wait).duration_since(SystemTime::UNIX_EPOCH).unwrap();
            let whole = since_epoch.as_secs() + u64::from(since_epoch.subsec_nanos() > 0);
            let date = SystemTime::UNIX_EPOCH + Duration::from_secs(whole);
            // `now` was read after `decided`, so this errs early, never late.
            let not_before = decided + date.duration_since(now).unwrap();
            Some((httpdate::fmt_http_date(date), not_before))
        }
        _ => None,
    }
}

/// A plan in force, with its random state and the log of attempts.
#[derive(Debug)]
struct Injector {
    plan: Plan,
    rng: u64,
    /// For each request body, the failing faults it got in a row.
    runs: HashMap<Vec<u8>, usize>,
    attempts: Vec<Attempt>,
}

/// The fault layer of one simulator: no faults until a plan is injected. Clones share it.
#[derive(Debug, Clone, Default)]
pub struct Faults(Arc<Mutex<Option<Injector>>>);

impl Faults {
    /// Injects faults from now on as `plan` says (replacing any plan and its log).
    pub fn inject(&self, plan: Plan) {
        *self.0.lock().unwrap() = Some(Injector::new(plan));
    }

    /// Every request to the faulted path so far, with what was done to it.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.0
            .lock()
            .unwrap()
            .as_ref()
            .map(|i| i.attempts.clone())
            .unwrap_or_default()
    }

    /// Whether a plan covers requests to `path`.
    fn covers(&self, path: &str) -> bool {
        self.0
            .lock()
            .unwrap()
            .as_ref()
            .is_some_and(|i| i.plan.path == path)
    }

    /// Decides what to do to `request` and logs it: `None` when no plan covers it.
    fn decide(&self, request: &Recorded) -> Option<(Attempt, Plan)> {
        let mut guard = self.0.lock().unwrap();
        let injector = guard.as_mut()?;
        if injector.plan.path != request.path {
            return None;
        }
        let fault = injector.pick(&request.body);
        let decided = Instant::now();
        let attempt = Attempt {
            request: request.clone(),
            fault,
            decided,
            retry_after: fault.and_then(|f| retry_after(f, injector.plan.retry_after, decided)),
        };
        injector.attempts.push(attempt.clone());
        Some((attempt, injector.plan.clone()))
    }
}

impl Injector {
    fn new(plan: Plan) -> Self {
        let rng = plan.seed;
        Self {
            plan,
            rng,
            runs: HashMap::new(),
            attempts: Vec::new(),
        }
    }

    /// The next number in 0..1 (splitmix64).
    fn next_unit(&mut self) -> f64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Picks a fault for a request to the plan's path, honouring `max_run`.
    fn pick(&mut self, body: &[u8]) -> Option<Fault> {
        let roll = self.next_unit();
        let mut acc = 0.0;
        let chosen = self.plan.shares.iter().find_map(|&(fault, share)| {
            acc += share;
            (roll < acc).then_some(fault)
        });
        let run = self.runs.entry(body.to_vec()).or_default();
        let chosen = match chosen {
            Some(f) if f.fails() && *run >= self.plan.max_run => None,
            other => other,
        };
        *run = match chosen {
            Some(f) if f.fails() => *run + 1,
            _ => 0,
        };
        chosen
    }
}

/// How many attempts got each fault (`None`: answered normally).
pub fn tally(attempts: &[Attempt]) -> BTreeMap<Option<Fault>, usize> {
    let mut out = BTreeMap::new();
    for a in attempts {
        *out.entry(a.fault).or_insert(0) += 1;
    }
    out
}

/// The fault layer as axum middleware (`from_fn_with_state(faults, layer)`): requests to the
/// plan's path are logged and faulted; the others, and those answered normally, go on to the
/// simulator.
pub async fn layer(State(faults): State<Faults>, request: Request, next: Next) -> Response {
    if !faults.covers(request.uri().path()) {
        return next.run(request).await;
    }
    let at = Instant::now();
    let kill = request
        .extensions()
        .get::<ConnectInfo<KillSwitch>>()
        .cloned();
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let recorded = Recorded::read(&parts, body.to_vec(), at);
    if let Some((attempt, plan)) = faults.decide(&recorded) {
        if let Some(fault) = attempt.fault {
            if let Some(response) = apply(fault, &plan, &attempt, kill.as_ref()).await {
                return response;
            }
        }
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
}

/// Serves `app` on 127.0.0.1:0 with `faults` mounted, on a listener whose connections can be
/// cut; returns the address and the server task.
pub async fn serve(
    app: axum::Router,
    faults: &Faults,
) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let app = app
        .layer(axum::middleware::from_fn_with_state(faults.clone(), layer))
        .into_make_service_with_connect_info::<KillSwitch>();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(KillableListener(tcp), app).await.unwrap();
    });
    (addr, server)
}

/// Carries out a fault; `None` when the caller should still answer normally (a slow answer once
/// its delay is over, a lost answer whose connection is already doomed).
async fn apply(
    fault: Fault,
    plan: &Plan,
    attempt: &Attempt,
    kill: Option<&ConnectInfo<KillSwitch>>,
) -> Option<Response> {
    let retry_after = |mut response: Response| {
        if let Some((value, _)) = &attempt.retry_after {
            response
                .headers_mut()
                .insert("retry-after", value.parse().unwrap());
        }
        response
    };
    match fault {
        Fault::ServerError => Some(error(503, "injected: service unavailable")),
        Fault::RateLimited | Fault::RateLimitedUntil => {
            Some(retry_after(error(429, "injected: too many requests")))
        }
        Fault::Throttled => {
            let body = plan
                .throttled
                .as_ref()
                .expect("a plan with throttled answers says what they look like");
            let answer = (
                StatusCode::OK,
                [("content-type", "application/json")],
                body.to_string(),
            );
            Some(retry_after(answer.into_response()))
        }
        Fault::Malformed => Some(
            (
                StatusCode::OK,
                [("content-type", "text/html")],
                "<html><body><h1>200 OK</h1><p>injected: a page in front of the platform</p></body></html>",
            )
                .into_response(),
        ),
        Fault::Stall => {
            tokio::time::sleep(plan.stall).await;
            Some(error(503, "injected: stalled"))
        }
        Fault::Reset => {
            trip(kill);
            Some(error(503, "injected: reset (never sent)"))
        }
        Fault::Lost => {
            trip(kill);
            None
        }
        Fault::Slow => {
            tokio::time::sleep(plan.slow).await;
            None
        }
    }
}

fn trip(kill: Option<&ConnectInfo<KillSwitch>>) {
    kill.expect("the simulator serves on a KillableListener")
        .0
        .trip();
}

fn error(status: u16, msg: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        json!({ "code": status, "msg": msg }).to_string(),
    )
        .into_response()
}

/// Closes a connection without an answer: once tripped, its socket fails every read and write,
/// so the server drops it.
#[derive(Debug, Clone, Default)]
pub struct KillSwitch(Arc<AtomicBool>);

impl KillSwitch {
    fn trip(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn tripped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A loopback listener whose connections carry a [`KillSwitch`] (as connect info).
pub struct KillableListener(pub TcpListener);

impl axum::serve::Listener for KillableListener {
    type Io = Killable;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((stream, addr)) => {
                    let io = Killable {
                        stream,
                        kill: KillSwitch::default(),
                    };
                    return (io, addr);
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

impl Connected<IncomingStream<'_, KillableListener>> for KillSwitch {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        stream.io().kill.clone()
    }
}

/// A TCP stream that fails once its kill switch is tripped.
pub struct Killable {
    stream: TcpStream,
    kill: KillSwitch,
}

fn reset() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "injected reset")
}

impl AsyncRead for Killable {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.kill.tripped() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Killable {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.kill.tripped() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.kill.tripped() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
