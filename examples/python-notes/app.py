"""python-notes: a stateful Python plugin. ``/note TEXT`` keeps a note per chat in kv,
``/notes`` lists them, ``/later SECONDS TEXT`` says TEXT in the chat after SECONDS (a timer,
durable across restarts). Everything a handler does commits together, or not at all."""

from wasmbot import Command, CommandGuide, Guest, InputError, Plugin, Timer, kv, timers  # noqa: F401

plugin = Plugin(
    "python-notes", "0.1.0", "Notes and reminders (Python)", permissions=["reply", "send", "kv"]
)


def _key(command: Command) -> str:
    return f"notes/{command.chat.key}"


@plugin.command("note", "Keeps a note for this chat", args=[("TEXT", "the note")])
def note(command: Command) -> None:
    if not command.args:
        raise InputError("usage: /note TEXT")
    notes = kv.get(_key(command), [])
    notes.append(command.args)
    kv.set(_key(command), notes)
    kv.set("total", kv.get("total", 0) + 1)
    command.reply(f"noted ({len(notes)})")


@plugin.command("notes", "Lists this chat's notes")
def list_notes(command: Command) -> None:
    notes = kv.get(_key(command), [])
    command.reply("\n".join(f"{i}. {n}" for i, n in enumerate(notes, 1)) or "no notes yet")


@plugin.command("later", "Says TEXT here after SECONDS", args=[("SECONDS", "how long"), ("TEXT", "what")])
def later(command: Command) -> None:
    seconds, _, text = command.args.partition(" ")
    if not seconds.isdigit() or not text:
        command.reply("usage: /later SECONDS TEXT")
        return
    timers.set(f"later/{text}", after=int(seconds), payload=text, chat=command.chat)
    command.reply(f"in {seconds} s")


@plugin.on("timer")
def remind(timer: Timer) -> None:
    timer.send(f"reminder: {timer.payload}")
