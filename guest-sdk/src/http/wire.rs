//! One request over the host's `wasi:http/outgoing-handler`, blocking: this plugin's handler is
//! synchronous, and the host does not count the wait against its deadline.

use crate::bindings::wasi::http::outgoing_handler;
use crate::bindings::wasi::http::types::{
    Fields, IncomingBody, IncomingResponse, Method, OutgoingBody, OutgoingRequest, Scheme,
};
use crate::bindings::wasi::io::streams::StreamError;

use super::url::Url;
use super::HttpError;

/// The most `blocking-write-and-flush` takes at once.
const WRITE_CHUNK: usize = 4096;
/// How much to ask for per read of the answer.
const READ_CHUNK: u64 = 64 * 1024;

/// What came back: status, headers, the body read whole.
pub(crate) type Answer = (u16, Vec<(String, String)>, Vec<u8>);

/// Sends one request and reads its whole answer.
pub(crate) fn send(
    method: &str,
    url: &Url,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Answer, HttpError> {
    let request = outgoing(method, url, headers)?;
    let outgoing_body = request
        .body()
        .map_err(|()| HttpError::Invalid("the request body was taken".into()))?;
    let future = outgoing_handler::handle(request, None).map_err(HttpError::from_code)?;
    // A request refused at once drops its body: the write fails, and `get` says why.
    let written = write_body(outgoing_body, body);
    let response = loop {
        match future.get() {
            Some(answer) => break answer,
            None => future.subscribe().block(),
        }
    };
    let response = response
        .map_err(|()| HttpError::Connection("the answer was taken twice".into()))?
        .map_err(HttpError::from_code)?;
    written?;
    read(response)
}

fn outgoing(
    method: &str,
    url: &Url,
    headers: &[(String, String)],
) -> Result<OutgoingRequest, HttpError> {
    let fields = Fields::new();
    for (name, value) in headers {
        fields
            .append(name, value.as_bytes())
            .map_err(|e| HttpError::Invalid(format!("header `{name}`: {e:?}")))?;
    }
    let request = OutgoingRequest::new(fields);
    let method = wasi_method(method);
    let scheme = if url.https {
        Scheme::Https
    } else {
        Scheme::Http
    };
    let invalid = |what: &str| HttpError::Invalid(format!("bad {what}"));
    request
        .set_method(&method)
        .map_err(|()| invalid("method"))?;
    request
        .set_scheme(Some(&scheme))
        .map_err(|()| invalid("scheme"))?;
    request
        .set_authority(Some(&url.authority))
        .map_err(|()| invalid("host"))?;
    request
        .set_path_with_query(Some(&url.path_and_query))
        .map_err(|()| invalid("path"))?;
    Ok(request)
}

fn wasi_method(method: &str) -> Method {
    match method.to_ascii_uppercase().as_str() {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "PATCH" => Method::Patch,
        "OPTIONS" => Method::Options,
        other => Method::Other(other.to_string()),
    }
}

fn write_body(outgoing: OutgoingBody, body: &[u8]) -> Result<(), HttpError> {
    let cut = |why: String| HttpError::Connection(format!("sending the body: {why}"));
    {
        let stream = outgoing.write().map_err(|()| cut("no stream".into()))?;
        for chunk in body.chunks(WRITE_CHUNK) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| cut(stream_error(e)))?;
        }
    }
    OutgoingBody::finish(outgoing, None).map_err(HttpError::from_code)
}

fn read(response: IncomingResponse) -> Result<Answer, HttpError> {
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
        .collect();
    let incoming = response
        .consume()
        .map_err(|()| HttpError::Connection("the body was taken".into()))?;
    let mut body = Vec::new();
    {
        let stream = incoming
            .stream()
            .map_err(|()| HttpError::Connection("the body was taken".into()))?;
        loop {
            match stream.blocking_read(READ_CHUNK) {
                Ok(bytes) => body.extend_from_slice(&bytes),
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(
                        match crate::bindings::wasi::http::types::http_error_code(&e) {
                            Some(code) => HttpError::from_code(code),
                            None => HttpError::Connection(e.to_debug_string()),
                        },
                    )
                }
            }
        }
    }
    drop(IncomingBody::finish(incoming));
    Ok((status, headers, body))
}

fn stream_error(e: StreamError) -> String {
    match e {
        StreamError::Closed => "closed".into(),
        StreamError::LastOperationFailed(e) => e.to_debug_string(),
    }
}
