"""Write wasmbot plugins in Python.

Make a :class:`Plugin`, register handlers with its decorators, and re-export :class:`Guest`
and :class:`CommandGuide` from your app module (componentize-py looks them up there)::

    from wasmbot import Command, CommandGuide, Guest, Plugin

    plugin = Plugin("echo", "0.1.0", "Repeats what you say")

    @plugin.command("echo", "Repeats your text", args=[("TEXT", "what to repeat")])
    def echo(command: Command) -> None:
        command.reply(command.args or "Usage: /echo TEXT")

Build it with ``wasmbot build`` (componentize-py against ``wit/``'s ``described-plugin``).
Handlers run one event at a time per instance; what they do (replies, kv writes, timers) takes
effect only if they return without raising, all together.
"""

from . import dialogue, http, kv, log, timers
from ._export import CommandGuide, Guest
from .errors import ConfigError, HostError, InputError, UpstreamError, WasmbotError
from .events import (
    Callback, Chat, Command, MemberChange, Message, MessageDeleted, Other, Reaction, Timer, User,
)
from .outgoing import Button, Outgoing
from .dialogue import Dialogue
from .plugin import Arg, Plugin
from .standing import Standing
from .standing import current as standing

__all__ = [
    "Arg", "Button", "Callback", "Chat", "Command", "CommandGuide", "ConfigError", "Dialogue",
    "Guest",
    "HostError", "InputError", "MemberChange", "Message", "MessageDeleted", "Other", "Outgoing",
    "Plugin", "Reaction", "Standing", "Timer", "UpstreamError", "User", "WasmbotError", "kv",
    "dialogue", "http", "log", "standing", "timers",
]
