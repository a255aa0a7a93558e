"""What a plugin sends: text or Markdown, optionally with a keyboard of buttons."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Optional, Union

from . import _wit


@dataclass
class Button:
    """One button: ``Button.callback("Yes", "vote:yes")``, ``Button.url(...)`` or ``Button.copy(...)``."""

    label: str
    kind: str
    value: str

    @staticmethod
    def callback(label: str, data: str) -> "Button":
        """A button whose click reaches the plugin as a ``callback`` event carrying ``data``."""
        return Button(label, "callback", data)

    @staticmethod
    def url(label: str, url: str) -> "Button":
        """A button that opens ``url``."""
        return Button(label, "url", url)

    @staticmethod
    def copy(label: str, text: str) -> "Button":
        """A button that copies ``text`` to the clipboard (where the platform has it)."""
        return Button(label, "copy", text)

    def _wit(self) -> Any:
        action = {
            "callback": _wit.v1.ButtonAction_Callback,
            "url": _wit.v1.ButtonAction_Url,
            "copy": _wit.v1.ButtonAction_Copy,
        }[self.kind](self.value)
        return _wit.v1.Button(label=self.label, action=action)


@dataclass
class Outgoing:
    """A message to send: ``Outgoing.text("hi")``, ``Outgoing.markdown("*hi*")``, with an
    optional keyboard (rows of buttons) and user ids to mention."""

    content: Any
    keyboard: List[List[Button]] = field(default_factory=list)
    mentions: List[str] = field(default_factory=list)

    @staticmethod
    def text(text: str) -> "Outgoing":
        """Plain text."""
        return Outgoing(_wit.v1.Content_Text(text))

    @staticmethod
    def markdown(text: str) -> "Outgoing":
        """Markdown (the platform renders what it supports)."""
        return Outgoing(_wit.v1.Content_Markdown(text))

    def row(self, *buttons: Button) -> "Outgoing":
        """Adds a row of buttons below the message; returns the message."""
        self.keyboard.append(list(buttons))
        return self

    def _wit(self) -> Any:
        keyboard: Optional[Any] = None
        if self.keyboard:
            keyboard = _wit.v1.Keyboard(rows=[[b._wit() for b in row] for row in self.keyboard])
        return _wit.v1.Outgoing(content=self.content, keyboard=keyboard, mentions=list(self.mentions))


Sendable = Union[str, Outgoing]
"""Anything a plugin can send: a string is plain text."""


def to_wit(message: Sendable) -> Any:
    """The WIT ``outgoing`` for a string or an :class:`Outgoing`."""
    if isinstance(message, str):
        message = Outgoing.text(message)
    return message._wit()
