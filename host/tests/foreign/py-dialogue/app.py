"""Test fixture: ``/signup`` asks a name, then an age (a dialogue); the Cancel button ends it;
a member who joins is welcomed. Its scenario is ``tests/dialogue.yaml``."""

from wasmbot import (  # noqa: F401
    Button, Callback, Command, CommandGuide, Dialogue, Guest, MemberChange, Message, Outgoing,
    Plugin, dialogue,
)

plugin = Plugin("py-dialogue", "0.1.0", "Signs you up", permissions=["reply", "send", "kv"])


@plugin.command("signup", "Asks your name and age")
def signup(command: Command) -> None:
    dialogue.start(command.chat, command.sender.id, "name", data={}, timeout=2)
    command.reply(Outgoing.text("Your name?").row(Button.callback("Cancel", "cancel")))


@plugin.dialogue("name")
def name(d: Dialogue, message: Message) -> None:
    d.next("age", {"name": message.text})
    message.reply(f"Hello {message.text}, your age?")


@plugin.dialogue("age")
def age(d: Dialogue, message: Message) -> None:
    if not (message.text or "").isdigit():
        message.reply("A number, please")
        return
    d.end()
    message.reply(f"Signed up: {d.data['name']}, {message.text}")


@plugin.on("callback")
def cancel(click: Callback) -> None:
    running = dialogue.find(click.chat, click.user.id)
    if click.data == "cancel" and running is not None:
        running.end()
        click.answer("cancelled")
        click.send("Sign-up cancelled")


@plugin.on_dialogue_timeout
def timed_out(d: Dialogue) -> None:
    d.chat.send(f"{d.user}: sign-up timed out at {d.step}")


@plugin.on("member_joined")
def welcome(change: MemberChange) -> None:
    change.send(f"Welcome, {change.user.display_name}!")
