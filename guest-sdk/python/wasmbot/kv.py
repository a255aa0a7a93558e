"""The plugin's key-value store: JSON values (the Rust SDK's format, so plugins of either
language read each other's data), or raw bytes. Writes are effects: they commit with the
event's other effects, or not at all."""

from __future__ import annotations

import json
from typing import Any, List, Optional

from . import _context, _wit


def get(key: str, default: Any = None) -> Any:
    """The JSON value at ``key``, or ``default`` when there is none."""
    raw = get_bytes(key)
    return default if raw is None else json.loads(raw)


def set(key: str, value: Any) -> None:  # noqa: A001 (the WIT's name)
    """Stores ``value`` (anything ``json.dumps`` takes) at ``key``."""
    set_bytes(key, json.dumps(value, separators=(",", ":")).encode())


def get_bytes(key: str) -> Optional[bytes]:
    """The bytes at ``key``, or None."""
    return _context.call(_wit.kv.get, key)


def set_bytes(key: str, value: bytes) -> None:
    """Stores ``value`` at ``key`` as it is."""
    _context.call(_wit.kv.set, key, value)


def delete(key: str) -> None:
    """Deletes ``key`` (nothing happens if there is none)."""
    _context.call(_wit.kv.delete, key)


def keys(prefix: str = "") -> List[str]:
    """The keys that start with ``prefix``."""
    return _context.call(_wit.kv.list_keys, prefix)
