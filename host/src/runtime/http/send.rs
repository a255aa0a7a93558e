//! Sending one vetted request: resolve once, connect to a permitted address, TLS (rustls with
//! the webpki roots, as wasmtime-wasi-http's default sender), HTTP/1.1, and read the whole
//! answer within the deadline and the body cap, so every limit is a typed error at the guest's
//! `future-incoming-response.get`, never a broken stream halfway.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error, WasiBody};

use super::vet;
use crate::config::HttpLimits;

/// Where a request goes, as the grant check left it.
#[derive(Debug, Clone)]
pub struct Target {
    /// Normalized (lower case, no brackets).
    pub host: String,
    pub port: u16,
    pub tls: bool,
    /// The operator granted this exact host and port: special addresses are allowed too.
    pub exact: bool,
}

/// Why a request did not get its answer: the error the guest sees and the audit line's words.
#[derive(Debug)]
pub struct Failure {
    pub error: Error,
    pub kind: &'static str,
    pub why: String,
}

impl Failure {
    pub fn new(error: Error, kind: &'static str, why: impl Into<String>) -> Self {
        Self {
            error,
            kind,
            why: why.into(),
        }
    }
}

/// Sends `request` (its URI still absolute) to `target`; the whole answer, or why not.
pub async fn send(
    target: &Target,
    request: http::Request<WasiBody>,
    limits: &HttpLimits,
) -> Result<http::Response<Bytes>, Failure> {
    let deadline = Instant::now() + limits.timeout;
    let stream = connect(target, deadline).await?;
    let (mut sender, connection) = timeout_at(
        deadline,
        hyper::client::conn::http1::handshake(TokioIo::new(stream)),
    )
    .await
    .map_err(|_| timed_out(Error::ConnectionTimeout, limits.timeout))?
    .map_err(|e| Failure::new(Error::HttpProtocolError, "failed", e.to_string()))?;
    let connection = AbortOnDrop(tokio::spawn(connection));
    let request = origin_form(request)?;
    let response = timeout_at(deadline, sender.send_request(request))
        .await
        .map_err(|_| timed_out(Error::HttpResponseTimeout, limits.timeout))?
        .map_err(|e| {
            let code = wasmtime_wasi_http::p2::hyper_request_error(e);
            Failure::new(Error::from(code), "failed", "the request failed")
        })?;
    let response = read_whole(response, deadline, limits).await;
    drop(connection);
    response
}

/// Resolves the host once and connects to the first permitted address that answers.
async fn connect(target: &Target, deadline: Instant) -> Result<Box<dyn Stream>, Failure> {
    let resolved = timeout_at(
        deadline,
        tokio::net::lookup_host((target.host.as_str(), target.port)),
    )
    .await
    .map_err(|_| Failure::new(Error::DnsTimeout, "timeout", "resolving the host"))?
    .map_err(|e| {
        let error = Error::DnsError {
            rcode: Some("not found".into()),
            info_code: None,
        };
        Failure::new(error, "failed", format!("cannot resolve the host: {e}"))
    })?;
    let addresses = vet::allowed(resolved, target.exact);
    if addresses.is_empty() {
        return Err(Failure::new(
            Error::DestinationIpProhibited,
            "denied",
            "the host resolves to loopback, private or other special addresses only; \
             grant its exact host and port to allow that",
        ));
    }
    let tcp = connect_any(&addresses, deadline).await?;
    if !target.tls {
        return Ok(Box::new(tcp));
    }
    let name = server_name(&target.host)?;
    let tls = timeout_at(deadline, tls_connector()?.connect(name, tcp))
        .await
        .map_err(|_| Failure::new(Error::ConnectionTimeout, "timeout", "TLS handshake"))?
        .map_err(tls_failure)?;
    Ok(Box::new(tls))
}

async fn connect_any(addresses: &[SocketAddr], deadline: Instant) -> Result<TcpStream, Failure> {
    let mut last = String::new();
    for address in addresses {
        match timeout_at(deadline, TcpStream::connect(address)).await {
            Err(_) => {
                return Err(Failure::new(
                    Error::ConnectionTimeout,
                    "timeout",
                    "connecting",
                ))
            }
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(e)) => last = e.to_string(),
        }
    }
    Err(Failure::new(
        Error::ConnectionRefused,
        "failed",
        format!("cannot connect: {last}"),
    ))
}

/// What the request line needs: the path and query only (the authority is in `Host`).
fn origin_form(request: http::Request<WasiBody>) -> Result<http::Request<WasiBody>, Failure> {
    let (mut parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    parts.uri = http::Uri::builder()
        .path_and_query(path)
        .build()
        .map_err(|_| Failure::new(Error::HttpRequestUriInvalid, "failed", "bad path"))?;
    Ok(http::Request::from_parts(parts, body))
}

/// Reads the body whole, within the deadline and the cap.
async fn read_whole(
    response: http::Response<hyper::body::Incoming>,
    deadline: Instant,
    limits: &HttpLimits,
) -> Result<http::Response<Bytes>, Failure> {
    let cap = limits.max_response_bytes;
    let too_large = || {
        Failure::new(
            Error::HttpResponseBodySize(Some(cap)),
            "too-large",
            format!("the answer is larger than {cap} bytes"),
        )
    };
    let (parts, mut body) = response.into_parts();
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > cap) {
        return Err(too_large());
    }
    let mut bytes = BytesMut::new();
    loop {
        let frame = timeout_at(deadline, body.frame())
            .await
            .map_err(|_| timed_out(Error::HttpResponseTimeout, limits.timeout))?;
        let Some(frame) = frame else { break };
        let frame = frame
            .map_err(|e| Failure::new(Error::HttpResponseIncomplete, "failed", e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            if (bytes.len() + data.len()) as u64 > cap {
                return Err(too_large());
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(http::Response::from_parts(parts, bytes.freeze()))
}

fn timed_out(error: Error, limit: Duration) -> Failure {
    Failure::new(
        error,
        "timeout",
        format!("no whole answer within {limit:?}"),
    )
}

/// The name the server's certificate must carry.
fn server_name(host: &str) -> Result<rustls::pki_types::ServerName<'static>, Failure> {
    use rustls::pki_types::ServerName;
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(ServerName::from(ip));
    }
    ServerName::try_from(host.to_string())
        .map_err(|e| Failure::new(Error::HttpRequestUriInvalid, "failed", e.to_string()))
}

fn tls_failure(e: std::io::Error) -> Failure {
    let certificate = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|r| matches!(r, rustls::Error::InvalidCertificate(_)));
    let error = if certificate {
        Error::TlsCertificateError
    } else {
        Error::TlsProtocolError
    };
    Failure::new(error, "failed", format!("TLS: {e}"))
}

/// One TLS client for every request: the webpki roots, ring's crypto.
fn tls_connector() -> Result<tokio_rustls::TlsConnector, Failure> {
    static CONFIG: OnceLock<Option<Arc<rustls::ClientConfig>>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.into(),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .ok()?;
        Some(Arc::new(
            builder.with_root_certificates(roots).with_no_client_auth(),
        ))
    });
    match config {
        Some(config) => Ok(tokio_rustls::TlsConnector::from(config.clone())),
        None => Err(Failure::new(
            Error::ConfigurationError,
            "failed",
            "no TLS configuration",
        )),
    }
}

/// A byte stream plain or TLS.
pub trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static {}
impl<T> Stream for T where T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static {}

/// Stops the connection's task when the request is done with it.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
