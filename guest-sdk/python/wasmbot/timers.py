"""Timers: a ``timer`` event for this plugin later (``@plugin.on("timer")``). Setting and
cancelling are effects of the event being handled: they commit with it, or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

from . import _context, _wit
from .errors import HostError
from .events import Chat


@dataclass
class Pending:
    """A pending timer; ``due_at`` is Unix milliseconds."""

    key: str
    due_at: int
    payload: str


def set(  # noqa: A001 (the WIT's name)
    key: str,
    *,
    after: Optional[float] = None,
    at_ms: Optional[int] = None,
    payload: str = "",
    chat: Optional[Chat] = None,
) -> None:
    """Sets the timer ``key`` (replacing one of the same key) to fire ``after`` seconds from
    now, or at Unix time ``at_ms``; in ``chat`` when given (replies go there)."""
    if (after is None) == (at_ms is None):
        raise ValueError("timers.set: give exactly one of after= (seconds) and at_ms=")
    due = _wit.timers.Due_AfterMs(int(after * 1000)) if after is not None else _wit.timers.Due_AtMs(at_ms)
    where = None if chat is None else _context.chat_ref(chat._lean)
    try:
        _wit.timers.set(key, due, payload, where)
    except _wit.Err as err:
        value = err.value
        if isinstance(value, _wit.timers.TimerError_Quota):
            raise HostError("quota", f"{value.value} timers pending: cancel some first") from None
        raise HostError("invalid", str(value.value)) from None


def cancel(key: str) -> bool:
    """Cancels the timer ``key``; False when there was none."""
    return _wit.timers.cancel(key)


def pending(limit: int = 100) -> List[Pending]:
    """The plugin's pending timers, soonest first, at most ``limit``."""
    return [Pending(t.key, t.due_at, t.payload) for t in _wit.timers.list_pending(limit)]
