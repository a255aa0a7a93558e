"""Test fixture: ``/raise`` raises an exception no handler catches; ``/ok`` answers ``ok``."""

from wasmbot import Command, CommandGuide, Guest, Plugin  # noqa: F401

plugin = Plugin("py-faults", "0.1.0", "Raises on demand")


@plugin.command("raise", "Raises")
def boom(command: Command) -> None:
    raise RuntimeError("boom from python")


@plugin.command("ok", "Answers ok")
def ok(command: Command) -> None:
    command.reply("ok")
