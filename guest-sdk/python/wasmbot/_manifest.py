"""A :class:`wasmbot.Plugin` to the WIT ``manifest`` and ``command-help`` records."""

from __future__ import annotations

from typing import Any, List

from . import _wit
from ._convert import wit_kind
from .plugin import Plugin


def _operation(name: str) -> Any:
    try:
        return _wit.v1.Operation[name.replace("-", "_").upper()]
    except KeyError:
        names = ", ".join(o.name.lower() for o in _wit.v1.Operation)
        raise ValueError(f"unknown permission {name!r}; one of {names}") from None


def manifest(plugin: Plugin) -> Any:
    """The WIT manifest: commands subscribe as ``command`` events, handlers' kinds as theirs."""
    kinds = [wit_kind(kind) for kind in plugin.handlers]
    if plugin.dialogue_steps:
        # A dialogue's answers are plain messages and its timeouts timers: it must get both.
        kinds += [wit_kind(k) for k in ("message", "timer") if k not in plugin.handlers]
    if plugin.commands:
        kinds.append(wit_kind("command"))
    subscriptions = _wit.guest.Subscriptions(
        kinds=kinds, commands=list(plugin.commands), platforms=list(plugin.platforms)
    )
    audiences = [
        _wit.guest.CommandAudience(command=c.name, audience=_wit.guest.Audience[c.audience.upper()])
        for c in plugin.commands.values()
        if c.audience != "anyone"
    ]
    schedules = [
        _wit.guest.Schedule(name=s.name, cron=s.cron, timezone=s.timezone, payload=s.payload)
        for s in plugin.schedules
    ]
    return _wit.guest.Manifest(
        name=plugin.name,
        version=plugin.version,
        description=plugin.description,
        subscriptions=subscriptions,
        permissions=[_operation(p) for p in plugin.permissions],
        http_hosts=list(plugin.http_hosts),
        schedules=schedules,
        audiences=audiences,
    )


def command_help(plugin: Plugin) -> List[Any]:
    """What ``/help`` shows of each command."""
    return [
        _wit.help.CommandHelp(
            name=c.name,
            description=c.description,
            arguments=[
                _wit.help.ArgumentHelp(name=a.name, description=a.description, optional=a.optional)
                for a in c.args
            ],
        )
        for c in plugin.commands.values()
    ]
