"""Log lines that carry the plugin's name in the daemon's log."""

from __future__ import annotations

from . import _wit


def _log(level: str, message: str) -> None:
    _wit.log.log(_wit.log.Level[level], message)


def debug(message: str) -> None:
    _log("DEBUG", message)


def info(message: str) -> None:
    _log("INFO", message)


def warn(message: str) -> None:
    _log("WARN", message)


def error(message: str) -> None:
    _log("ERROR", message)
