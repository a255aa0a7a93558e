"""Dialogues: a conversation with one user in one chat, step by step, without blocking (the
Rust SDK's ``dialogue`` module, in Python).

:func:`start` puts a user in a dialogue at a step. That user's next message in that chat goes
to the handler registered for the step with ``@plugin.dialogue(STEP)`` before any other
handling (commands included, so ``/cancel`` can end it), with the :class:`Dialogue`: its step
and the data gathered so far. The handler answers, then moves on (:meth:`Dialogue.next`) or
ends it (:meth:`Dialogue.end`). A dialogue nobody answers ends by itself after its timeout,
and ``@plugin.on_dialogue_timeout`` hears of it.

The state lives in :mod:`wasmbot.kv` and the timeout is a :mod:`wasmbot.timers` timer, both
committed with the event that changed them: dialogues survive reloads and restarts. A plugin
with dialogue steps gets every message (its manifest subscribes to them)::

    @plugin.command("ask", "Asks your name")
    def ask(command: Command) -> None:
        dialogue.start(command.chat, command.sender.id, "name", timeout=120)
        command.reply("What's your name?")

    @plugin.dialogue("name")
    def name(d: Dialogue, message: Message) -> None:
        d.end()
        message.reply(f"Thanks, {message.text}!")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from . import kv, timers
from .events import Chat, Timer

PREFIX = "dialogue:"
"""The prefix of every dialogue's kv key and timer key."""


@dataclass
class Dialogue:
    """A running dialogue: who, where, at which step, with what gathered so far."""

    chat: Chat
    user: str
    step: str
    data: Any
    timeout_ms: int

    def next(self, step: str, data: Any = None) -> None:
        """Moves on to ``step`` with ``data`` (JSON-encodable); the timeout starts again."""
        self.step = step
        self.data = data
        self._save()

    def end(self) -> None:
        """Ends the dialogue: the user's next message is handled as usual again."""
        key = _key(self.chat, self.user)
        kv.delete(key)
        timers.cancel(key)

    def _save(self) -> None:
        key = _key(self.chat, self.user)
        kv.set(key, {"step": self.step, "data": self.data, "timeout_ms": self.timeout_ms})
        timers.set(key, after=self.timeout_ms / 1000, payload=self.user, chat=self.chat)


def start(chat: Chat, user: str, step: str, data: Any = None, timeout: float = 300) -> Dialogue:
    """Starts a dialogue with ``user`` (an id) in ``chat`` at ``step``, with ``data``, replacing
    one already running there. It ends by itself when ``user`` says nothing there for
    ``timeout`` seconds; each :meth:`Dialogue.next` starts the wait again."""
    dialogue = Dialogue(chat, user, step, data, int(timeout * 1000))
    dialogue._save()
    return dialogue


def find(chat: Chat, user: str) -> Optional[Dialogue]:
    """The dialogue ``user`` is in, in ``chat``; None when there is none."""
    saved = kv.get(_key(chat, user))
    if not isinstance(saved, dict):
        return None
    return Dialogue(
        chat, user, str(saved.get("step", "")), saved.get("data"), int(saved.get("timeout_ms", 0))
    )


def is_dialogue_timer(timer: Timer) -> bool:
    """Whether ``timer`` is a dialogue's timeout, not one the plugin set itself."""
    return timer.key.startswith(PREFIX)


def timed_out(timer: Timer) -> Optional[Dialogue]:
    """The dialogue ``timer`` timed out, ended; None for another timer or one already ended."""
    if timer.chat is None or not is_dialogue_timer(timer):
        return None
    dialogue = find(timer.chat, timer.payload)
    if dialogue is not None:
        kv.delete(_key(timer.chat, timer.payload))
    return dialogue


def _key(chat: Chat, user: str) -> str:
    """One key per user per chat, for the kv state and the timeout timer alike."""
    return f"{PREFIX}{chat.key}:{user}"
