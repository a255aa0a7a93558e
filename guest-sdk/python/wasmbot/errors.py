"""Errors a plugin raises or gets back from the host.

Raise :class:`InputError` when an event cannot be handled as it is (bad arguments),
:class:`UpstreamError` when a service the plugin relies on failed; any other exception is an
internal failure. Either way nothing the handler did takes effect (its replies, kv writes and
timers are dropped together).
"""

from __future__ import annotations

from typing import Any


class WasmbotError(Exception):
    """Base class of the SDK's errors."""


class InputError(WasmbotError):
    """The event cannot be handled as it is; retrying would not help (WIT ``failure::input``)."""


class UpstreamError(WasmbotError):
    """A service the plugin relies on failed, an HTTP API say (WIT ``failure::upstream``)."""


class ConfigError(WasmbotError):
    """The operator's config is wrong (from ``init``): say which key and why."""


class HostError(WasmbotError):
    """A host call failed.

    ``kind`` is the WIT ``error`` case: ``unsupported`` (the platform lacks it), ``denied`` (the
    operator did not grant it), ``not-found``, ``rate-limited``, ``invalid`` or ``platform``.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


def host_error(err: Any) -> HostError:
    """Turns the WIT ``error`` variant carried by a binding's ``Err`` into a :class:`HostError`."""
    value = getattr(err, "value", err)
    kind = type(value).__name__.split("_", 1)[-1]
    kind = "".join("-" + c.lower() if c.isupper() else c for c in kind).lstrip("-")
    inner = getattr(value, "value", value)
    if hasattr(inner, "code") and hasattr(inner, "message"):
        return HostError(kind, f"{inner.code}: {inner.message}")
    return HostError(kind, str(inner))
