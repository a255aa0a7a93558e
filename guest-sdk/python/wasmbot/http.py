"""Outbound HTTP over ``wasi:http/outgoing-handler``: ``http.get(url)``, ``http.request(...)``.

The host lets a plugin reach only the hosts the operator grants it (``[plugins.grants] http``);
a refused or failed request raises :class:`HttpError` with the ``wasi:http`` error code
(``HTTP-request-denied``, ``destination-IP-prohibited``, ``connection-timeout``, …). Redirects
are followed (at most 5), each a new request the host checks; ``authorization`` and ``cookie``
are dropped when the host changes. The call blocks the handler while it waits; that time does
not count against the plugin's time limit.
"""

from __future__ import annotations

import json as _json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urljoin, urlsplit

from . import _wit
from .errors import UpstreamError

MAX_REDIRECTS = 5
_CHUNK = 4096


class HttpError(UpstreamError):
    """A request that got no answer: ``code`` is the ``wasi:http`` error-code case."""

    def __init__(self, code: str, url: str) -> None:
        super().__init__(f"{code}: {url}")
        self.code = code
        self.url = url


@dataclass
class Response:
    """An answer, read whole: ``status``, ``headers`` (lower-case names) and ``body``."""

    status: int
    headers: List[Tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> Optional[str]:
        """The first value of header ``name`` (any case), or None."""
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return _json.loads(self.body)


def get(url: str, headers: Optional[Dict[str, str]] = None) -> Response:
    """GETs ``url``."""
    return request("GET", url, headers=headers)


def request(
    method: str,
    url: str,
    headers: Optional[Dict[str, str]] = None,
    body: Optional[bytes] = None,
    json: Any = None,
) -> Response:
    """Makes one request (following redirects) and reads the answer whole."""
    headers = dict(headers or {})
    if json is not None:
        body = _json.dumps(json).encode()
        headers.setdefault("content-type", "application/json")
    for _ in range(MAX_REDIRECTS + 1):
        response = _send(method, url, headers, body)
        location = response.header("location")
        if response.status not in (301, 302, 303, 307, 308) or location is None:
            return response
        target = urljoin(url, location)
        if urlsplit(target).netloc != urlsplit(url).netloc:
            headers = {k: v for k, v in headers.items() if k.lower() not in ("authorization", "cookie")}
        if response.status == 303 or (response.status in (301, 302) and method == "POST"):
            method, body = "GET", None
        url = target
    raise HttpError("too-many-redirects", url)


def _method(name: str) -> Any:
    known = {
        "GET": _wit.http_types.Method_Get, "HEAD": _wit.http_types.Method_Head,
        "POST": _wit.http_types.Method_Post, "PUT": _wit.http_types.Method_Put,
        "DELETE": _wit.http_types.Method_Delete, "PATCH": _wit.http_types.Method_Patch,
        "OPTIONS": _wit.http_types.Method_Options,
    }
    kind = known.get(name.upper())
    return kind() if kind is not None else _wit.http_types.Method_Other(name)


def _code(error: Any) -> str:
    """``ErrorCode_HttpRequestDenied`` → ``HTTP-request-denied`` (the WIT's spelling)."""
    name = type(error).__name__.split("_", 1)[-1]
    words = "".join("-" + c if c.isupper() else c for c in name).lstrip("-").split("-")
    return "-".join(w.upper() if w in ("Http", "Dns", "Tls", "Ip") else w.lower() for w in words)


def _request(method: str, url: str, headers: Dict[str, str]) -> Any:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    fields = _wit.http_types.Fields.from_list([(k.lower(), v.encode()) for k, v in headers.items()])
    request = _wit.http_types.OutgoingRequest(fields)
    request.set_method(_method(method))
    scheme = _wit.http_types.Scheme_Https() if parts.scheme == "https" else _wit.http_types.Scheme_Http()
    request.set_scheme(scheme)
    request.set_authority(parts.netloc)
    request.set_path_with_query((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
    return request


def _send(method: str, url: str, headers: Dict[str, str], body: Optional[bytes]) -> Response:
    request = _request(method, url, headers)
    outgoing = request.body()
    try:
        future = _wit.outgoing_handler.handle(request, None)
    except _wit.Err as err:
        raise HttpError(_code(err.value), url) from None
    if body:
        with outgoing.write() as stream:
            for start in range(0, len(body), _CHUNK):
                stream.blocking_write_and_flush(body[start:start + _CHUNK])
    _wit.http_types.OutgoingBody.finish(outgoing, None)
    with future.subscribe() as pollable:
        pollable.block()
    answer = future.get()
    if answer is None or isinstance(answer, _wit.Err) or isinstance(answer.value, _wit.Err):
        error = answer.value.value if answer is not None and not isinstance(answer, _wit.Err) else None
        raise HttpError(_code(error) if error is not None else "no-answer", url)
    return _read(answer.value.value)


def _read(incoming: Any) -> Response:
    status = incoming.status()
    with incoming.headers() as fields:
        headers = [(k.lower(), v.decode("latin-1")) for k, v in fields.entries()]
    body = incoming.consume()
    chunks = []
    with body.stream() as stream:
        while True:
            try:
                chunks.append(stream.blocking_read(65536))
            except _wit.Err as err:
                if isinstance(err.value, _wit.streams.StreamError_Closed):
                    break
                raise UpstreamError(f"reading the answer failed: {err.value}") from None
    _wit.http_types.IncomingBody.finish(body)
    return Response(status, headers, b"".join(chunks))
