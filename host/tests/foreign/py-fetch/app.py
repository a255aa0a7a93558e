"""Test fixture: ``/get URL`` replies ``STATUS BODY``, or ``error CODE`` (wasmbot.http)."""

from wasmbot import Command, CommandGuide, Guest, Plugin, http  # noqa: F401

plugin = Plugin("py-fetch", "0.1.0", "Fetches a URL", http_hosts=["*"])


@plugin.command("get", "Fetches URL")
def get(command: Command) -> None:
    try:
        response = http.get(command.args)
    except http.HttpError as error:
        command.reply(f"error {error.code}")
        return
    command.reply(f"{response.status} {response.text()}")
