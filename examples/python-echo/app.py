"""python-echo: ``/echo TEXT`` replies TEXT. The Python twin of ``plugins/echo``."""

from wasmbot import Command, CommandGuide, Guest, Plugin  # noqa: F401 (Guest, CommandGuide: the exports)

plugin = Plugin("python-echo", "0.1.0", "Repeats your text back to you (Python)", permissions=["reply"])


@plugin.command("echo", "Repeats your text back to you", args=[("TEXT", "what to repeat")])
def echo(command: Command) -> None:
    command.reply(command.args or "Usage: /echo TEXT")
