"""The classes componentize-py instantiates for the component's exports (``guest`` and
``command-guide``); they hand every call to the app's :class:`wasmbot.Plugin`."""

from __future__ import annotations

import traceback
from typing import Any, List, Optional

from . import _context, _wit
from ._convert import typed
from ._manifest import command_help, manifest
from .errors import ConfigError, InputError, UpstreamError
from .plugin import current


def _failure(error: BaseException) -> Any:
    """The WIT ``failure`` for an exception a handler raised."""
    if isinstance(error, InputError):
        return _wit.v2.Failure_Input(str(error))
    if isinstance(error, UpstreamError):
        return _wit.v2.Failure_Upstream(str(error))
    if isinstance(error, ConfigError):
        return _wit.v2.Failure_Config(str(error))
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    return _wit.v2.Failure_Internal("".join(lines[-3:]).strip())


class Guest(_wit.exports.Guest):
    """The ``wasmbot:bot/guest@0.2.0`` export."""

    def describe(self) -> Any:
        return manifest(current())

    def init(self, config: str) -> None:
        try:
            current().init(config)
        except Exception as error:  # every failure goes back to the host, typed
            failure = _failure(error)
            if isinstance(failure, _wit.v2.Failure_Internal):
                failure = _wit.v2.Failure_Config(str(error))
            raise _wit.Err(failure) from None

    def handle(self, event: Any) -> None:
        _context.enter(event)
        try:
            kind, value = typed(event.event)
            current().dispatch(kind, value)
        except Exception as error:  # the handler's failure fails the event, typed
            raise _wit.Err(_failure(error)) from None
        finally:
            _context.leave()

    def save_state(self) -> Optional[bytes]:
        return None

    def restore_state(self, state: bytes) -> None:
        return None


class CommandGuide(_wit.exports.CommandGuide):
    """The ``wasmbot:bot/command-guide@0.1.0`` export: what ``/help`` lists."""

    def commands(self) -> List[Any]:
        return command_help(current())
