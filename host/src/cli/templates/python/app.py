"""{{name}}: answers `/{{name}} TEXT` with TEXT. Start here: add commands with
`@plugin.command`, event handlers with `@plugin.on("message")`, state with `wasmbot.kv`."""

from wasmbot import Command, CommandGuide, Guest, Plugin  # noqa: F401 (Guest, CommandGuide: the exports)

plugin = Plugin("{{name}}", "0.1.0", "A new plugin", permissions=["reply"])


@plugin.command("{{name}}", "Repeats your text back to you", args=[("TEXT", "what to repeat")])
def repeat(command: Command) -> None:
    command.reply(f"{{name}}: {command.args}" if command.args else "Usage: /{{name}} TEXT")
