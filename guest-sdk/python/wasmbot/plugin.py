"""The :class:`Plugin`: what a plugin declares (its manifest) and the handlers it registers.

A plugin module makes one ``Plugin``, registers handlers with its decorators and re-exports
:class:`wasmbot.Guest` and :class:`wasmbot.CommandGuide`, the classes componentize-py looks up
in the app module::

    from wasmbot import Plugin, Command, Guest, CommandGuide

    plugin = Plugin("hello", "0.1.0", "Says hello")

    @plugin.command("hello", "Says hello to you")
    def hello(command: Command) -> None:
        command.reply(f"Hello, {command.sender.display_name}!")
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar, Union

from ._convert import KINDS

F = TypeVar("F", bound=Callable[..., Any])

ArgSpec = Union["Arg", Tuple[str, str]]
"""A command argument: an :class:`Arg` or a ``(NAME, description)`` pair."""

AUDIENCES = ("anyone", "members", "admins", "owners", "bot_admins")
"""Who may use a command; the host enforces it before the plugin is called."""


@dataclass
class Arg:
    """An argument of a command, as ``/help`` shows it."""

    name: str
    description: str
    optional: bool = False


@dataclass
class CommandSpec:
    """A registered command: its help and its handler."""

    name: str
    description: str
    args: List[Arg]
    audience: str
    handler: Callable[[Any], None]


@dataclass
class Schedule:
    """A cron schedule (with seconds) read in an IANA time zone: a ``timer`` event each time."""

    name: str
    cron: str
    timezone: str = ""
    payload: str = ""


@dataclass
class Plugin:
    """A plugin's manifest and handlers. ``permissions`` are WIT operation names (``"reply"``,
    ``"send"``, ``"react"``, ``"kv"``, ``"mute"``, …): what the plugin intends to use; the
    operator's grants decide what it may. ``http_hosts`` are the hosts it means to reach."""

    name: str
    version: str = "0.1.0"
    description: str = ""
    permissions: Sequence[str] = ("reply",)
    http_hosts: Sequence[str] = ()
    platforms: Sequence[str] = ()
    commands: Dict[str, CommandSpec] = field(default_factory=dict)
    handlers: Dict[str, List[Callable[[Any], None]]] = field(default_factory=dict)
    schedules: List[Schedule] = field(default_factory=list)
    config: Dict[str, Any] = field(default_factory=dict)
    dialogue_steps: Dict[str, Callable[[Any, Any], None]] = field(default_factory=dict)
    _init: Optional[Callable[[Dict[str, Any]], None]] = None
    _dialogue_timeout: Optional[Callable[[Any], None]] = None

    def __post_init__(self) -> None:
        global _current
        _current = self

    def command(
        self,
        name: str,
        description: str = "",
        args: Sequence[ArgSpec] = (),
        audience: str = "anyone",
    ) -> Callable[[F], F]:
        """Registers the decorated function for ``/name`` (a :class:`wasmbot.Command`)."""
        if audience not in AUDIENCES:
            raise ValueError(f"audience {audience!r} of /{name}: one of {', '.join(AUDIENCES)}")
        arguments = [a if isinstance(a, Arg) else Arg(a[0], a[1]) for a in args]

        def register(handler: F) -> F:
            self.commands[name] = CommandSpec(name, description, arguments, audience, handler)
            return handler

        return register

    def on(self, kind: str) -> Callable[[F], F]:
        """Registers the decorated function for every event of ``kind``: ``message``,
        ``callback``, ``member_joined``, ``member_left``, ``reaction``, ``message_edited``,
        ``message_deleted``, ``bot_followed``, ``bot_unfollowed``, ``other`` or ``timer``."""
        if kind not in KINDS or kind == "command":
            raise ValueError(f"cannot subscribe to {kind!r}: use @plugin.command for commands")

        def register(handler: F) -> F:
            self.handlers.setdefault(kind, []).append(handler)
            return handler

        return register

    def dialogue(self, step: str) -> Callable[[F], F]:
        """Registers the decorated function ``(dialogue, message)`` for the next message of a
        user whose :mod:`wasmbot.dialogue` is at ``step``. With any step registered, the plugin
        gets every message (commands too go to a running dialogue first)."""

        def register(handler: F) -> F:
            self.dialogue_steps[step] = handler
            return handler

        return register

    def on_dialogue_timeout(self, handler: F) -> F:
        """Registers the decorated function ``(dialogue)`` for a dialogue whose user said
        nothing for its timeout (it has already ended)."""
        self._dialogue_timeout = handler
        return handler

    def on_init(self, handler: F) -> F:
        """Registers the decorated function to get the operator's config (a dict) at start.
        It may raise :class:`wasmbot.ConfigError` naming a bad key. (The config is also kept
        in ``plugin.config``.)"""
        self._init = handler
        return handler

    def schedule(self, name: str, cron: str, timezone: str = "", payload: str = "") -> None:
        """Declares a schedule: a ``timer`` event (``scheduled=True``, key ``name``) at each
        instant of ``cron`` (``sec min hour day month weekday``) in ``timezone`` (UTC if empty)."""
        self.schedules.append(Schedule(name, cron, timezone, payload))

    def init(self, config_json: str) -> None:
        """Called by the host once per instance with the operator's config."""
        self.config = json.loads(config_json) if config_json.strip() else {}
        if self._init is not None:
            self._init(self.config)

    def dispatch(self, kind: str, event: Any) -> None:
        """Runs the handlers of one typed event (a dialogue's turn first, when it is one)."""
        if self.dialogue_steps and _dialogue_turn(self, kind, event):
            return
        if kind == "command":
            spec = self.commands.get(event.name)
            if spec is not None:
                spec.handler(event)
            return
        for handler in self.handlers.get(kind, []):
            handler(event)


def _dialogue_turn(plugin: Plugin, kind: str, event: Any) -> bool:
    """Gives a dialogue its turn: the next message of a user in one (a command's message too),
    or its timeout. False when the event is not a dialogue's."""
    from . import dialogue

    if kind == "timer" and dialogue.is_dialogue_timer(event):
        ended = dialogue.timed_out(event)
        if ended is not None and plugin._dialogue_timeout is not None:
            plugin._dialogue_timeout(ended)
        return True
    message = event.message if kind == "command" else event if kind == "message" else None
    if message is None:
        return False
    running = dialogue.find(message.chat, message.sender.id)
    if running is None:
        return False
    handler = plugin.dialogue_steps.get(running.step)
    if handler is None:
        raise RuntimeError(f"dialogue step {running.step!r} has no @plugin.dialogue handler")
    handler(running, message)
    return True


_current: Optional[Plugin] = None


def current() -> Plugin:
    """The plugin the app module made; an error naming the fix when there is none."""
    if _current is None:
        raise RuntimeError("no wasmbot.Plugin was made: create one in your app module")
    return _current
