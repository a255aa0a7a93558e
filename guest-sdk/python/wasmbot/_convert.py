"""The WIT ``event`` variant to the SDK's typed events, with the kind names handlers register."""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple

from . import _wit
from .events import (
    Callback, Chat, Command, MemberChange, Message, MessageDeleted, Other, Reaction, Timer, User,
)


def _chat(chat: Optional[Any]) -> Optional[Chat]:
    return None if chat is None else Chat._of(chat)


def _member(value: Any) -> MemberChange:
    return MemberChange(Chat._of(value.chat), User._of(value.user))


def _command(value: Any) -> Command:
    return Command(value.name, value.args, Message._of(value.message))


def _callback(value: Any) -> Callback:
    message_id = value.message.id if value.message is not None else None
    return Callback(value.id, Chat._of(value.chat), User._of(value.user), message_id, value.data)


def _reaction(value: Any) -> Reaction:
    return Reaction(
        value.message.id, Chat._of(value.message.chat), User._of(value.user), value.emoji, value.added
    )


def _deleted(value: Any) -> MessageDeleted:
    by = None if value.by is None else User._of(value.by)
    return MessageDeleted(value.message.id, Chat._of(value.message.chat), by)


def _timer(value: Any) -> Timer:
    return Timer(
        value.key, value.payload, value.due_at, value.fired_at, _chat(value.chat), value.scheduled
    )


_KINDS: Dict[str, Tuple[str, Callable[[Any], Any]]] = {
    "Event_Message": ("message", Message._of),
    "Event_Command": ("command", _command),
    "Event_Callback": ("callback", _callback),
    "Event_MemberJoined": ("member_joined", _member),
    "Event_MemberLeft": ("member_left", _member),
    "Event_Reaction": ("reaction", _reaction),
    "Event_MessageEdited": ("message_edited", Message._of),
    "Event_MessageDeleted": ("message_deleted", _deleted),
    "Event_BotFollowed": ("bot_followed", _member),
    "Event_BotUnfollowed": ("bot_unfollowed", _member),
    "Event_Other": ("other", lambda v: Other(_chat(v.chat), v.kind, v.raw)),
    "Event_Timer": ("timer", _timer),
}

KINDS = tuple(kind for kind, _ in _KINDS.values())
"""The event kinds a handler can be registered for (``@plugin.on(KIND)``)."""


def typed(event: Any) -> Tuple[str, Any]:
    """The kind name and the typed event of a WIT ``event``."""
    kind, convert = _KINDS[type(event).__name__]
    return kind, convert(event.value)


def wit_kind(kind: str) -> Any:
    """The WIT ``event-kind`` of a kind name (``member_joined`` → ``EventKind.MEMBER_JOINED``)."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}; one of {', '.join(KINDS)}")
    return _wit.v2.EventKind[kind.upper()]
