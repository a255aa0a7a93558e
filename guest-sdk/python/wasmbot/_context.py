"""What the SDK remembers about the event being handled: which bot it came through and the
sender's standing. The 0.2 envelope names the bot once; the effect interfaces (0.1) want every
chat whole, so :func:`chat_ref` puts the bot back in."""

from __future__ import annotations

from typing import Any, Callable, Optional, TypeVar

from . import _wit
from .errors import HostError, WasmbotError, host_error

T = TypeVar("T")

_bot: Optional[Any] = None
_standing: Optional[Any] = None


def enter(envelope: Any) -> None:
    """Remembers ``envelope``'s bot and standing while its handler runs."""
    global _bot, _standing
    _bot = envelope.bot
    _standing = envelope.standing


def leave() -> None:
    """Forgets the event once its handler has returned."""
    global _bot, _standing
    _bot = None
    _standing = None


def standing() -> Optional[Any]:
    """The current event's WIT ``standing``, or None outside a handler."""
    return _standing


def chat_ref(chat: Any) -> Any:
    """The whole 0.1 ``chat-ref`` of a lean 0.2 ``chat`` of the current event."""
    if _bot is None:
        raise WasmbotError(
            "this event has no bot (a schedule or a chat-less timer): there is no chat to answer in"
        )
    return _wit.v1.ChatRef(
        platform=_bot.platform, bot=_bot.name, kind=chat.kind, id=chat.id, guild=chat.guild
    )


def call(function: Callable[..., T], *args: Any) -> T:
    """Calls a host function, turning the WIT ``error`` it may raise into :class:`HostError`."""
    try:
        return function(*args)
    except _wit.Err as err:
        raise host_error(err.value) from None


__all__ = ["HostError", "call", "chat_ref", "enter", "leave", "standing"]
