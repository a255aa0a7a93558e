"""Typed events, made from the WIT's lean 0.2 envelope.

Every event a handler gets is one of these dataclasses. The ones that happen in a chat have a
``chat`` and answer there: ``message.reply("hi")``, ``command.reply(...)``, ``change.send(...)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from . import _context, _wit
from .outgoing import Sendable, to_wit


@dataclass
class User:
    """Someone on the platform."""

    id: str
    name: Optional[str]
    is_bot: bool

    @property
    def display_name(self) -> str:
        """The name when the platform gave one, else the id."""
        return self.name or self.id

    @staticmethod
    def _of(user: Any) -> "User":
        return User(user.id, user.name, user.is_bot)


@dataclass
class Chat:
    """A chat of the event's bot: ``kind`` is ``"private"`` or ``"group"``."""

    kind: str
    id: str
    guild: Optional[str]
    _lean: Any

    @property
    def key(self) -> str:
        """A string naming this chat, unique within the bot (for kv keys and dicts)."""
        return f"{self.kind}:{self.guild or ''}:{self.id}"

    def send(self, message: Sendable) -> str:
        """Sends ``message`` to this chat; returns the new message's id."""
        return _context.call(_wit.messaging.send, _context.chat_ref(self._lean), to_wit(message))

    @staticmethod
    def _of(chat: Any) -> "Chat":
        kind = "private" if chat.kind == _wit.v1.ChatKind.PRIVATE else "group"
        return Chat(kind, chat.id, chat.guild, chat)


def _message_ref(lean: Any) -> Any:
    """The whole 0.1 ``message-ref`` of a lean one."""
    return _wit.v1.MessageRef(chat=_context.chat_ref(lean.chat), id=lean.id)


@dataclass
class Message:
    """A received message. ``text`` is its text, or None when it is not text (an image, …)."""

    id: str
    chat: Chat
    sender: User
    text: Optional[str]
    mentions: list[str]
    reply_to: Optional[str]
    sent_at: int
    _lean: Any

    def reply(self, message: Sendable) -> str:
        """Replies to this message in its chat; returns the reply's message id."""
        return _context.call(_wit.messaging.reply, _message_ref(self._lean.id), to_wit(message))

    def react(self, emoji: str) -> None:
        """Reacts to this message with ``emoji``."""
        _context.call(_wit.messaging.react, _message_ref(self._lean.id), emoji)

    @staticmethod
    def _of(message: Any) -> "Message":
        content = message.content
        text = content.value if isinstance(content, (_wit.v1.Content_Text, _wit.v1.Content_Markdown)) else None
        return Message(
            message.id.id, Chat._of(message.id.chat), User._of(message.sender), text,
            list(message.mentions), message.reply_to, message.sent_at, message,
        )


@dataclass
class Command:
    """A slash command: ``/name args``. ``args`` is everything after the name, trimmed."""

    name: str
    args: str
    message: Message

    @property
    def chat(self) -> Chat:
        return self.message.chat

    @property
    def sender(self) -> User:
        return self.message.sender

    def reply(self, message: Sendable) -> str:
        """Replies to the command's message; returns the reply's message id."""
        return self.message.reply(message)


@dataclass
class Callback:
    """A click on a ``Button.callback``: ``data`` is the button's data."""

    id: str
    chat: Chat
    user: User
    message_id: Optional[str]
    data: str

    def answer(self, text: Optional[str] = None, alert: bool = False) -> None:
        """Answers the click with a notice to the clicking user (or silently)."""
        answer = _wit.messaging.CallbackAnswer(text=text, alert=alert, url=None)
        _context.call(_wit.messaging.answer_callback, self.id, answer)

    def send(self, message: Sendable) -> str:
        """Sends ``message`` to the chat of the click."""
        return self.chat.send(message)


@dataclass
class MemberChange:
    """Someone joined or left a chat, or followed or unfollowed the bot."""

    chat: Chat
    user: User

    def send(self, message: Sendable) -> str:
        """Sends ``message`` to the chat."""
        return self.chat.send(message)


@dataclass
class Reaction:
    """A reaction added (``added``) or taken back on a message."""

    message_id: str
    chat: Chat
    user: User
    emoji: str
    added: bool


@dataclass
class MessageDeleted:
    message_id: str
    chat: Chat
    by: Optional[User]


@dataclass
class Other:
    """An event the model does not cover: the platform's own kind and raw JSON."""

    chat: Optional[Chat]
    kind: str
    raw: str


@dataclass
class Timer:
    """A timer the plugin set (see :mod:`wasmbot.timers`) or one of its schedules, come due.
    Times are Unix milliseconds; ``chat`` is where it was set for (None for a schedule)."""

    key: str
    payload: str
    due_at: int
    fired_at: int
    chat: Optional[Chat]
    scheduled: bool

    def send(self, message: Sendable) -> str:
        """Sends ``message`` to the timer's chat (an error for a chat-less timer)."""
        if self.chat is None:
            raise ValueError(f"timer {self.key!r} has no chat to send to")
        return self.chat.send(message)
