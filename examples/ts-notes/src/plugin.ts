// ts-notes: a stateful TypeScript plugin. `/note TEXT` keeps a note per chat in kv, `/notes`
// lists them, `/later SECONDS TEXT` says TEXT in the chat after SECONDS (a durable timer).
// Everything a handler does commits together, or not at all.
import { type Command, definePlugin, InputError, kv, timers } from "wasmbot";

const key = (command: Command) => `notes/${command.chat.key}`;

export const { guest, commandGuide } = definePlugin({
  name: "ts-notes",
  version: "0.1.0",
  description: "Notes and reminders (TypeScript)",
  permissions: ["reply", "send", "kv"],
  commands: {
    note: {
      description: "Keeps a note for this chat",
      args: [{ name: "TEXT", description: "the note" }],
      run(command) {
        if (!command.args) throw new InputError("usage: /note TEXT");
        const notes = kv.get<string[]>(key(command), []) ?? [];
        notes.push(command.args);
        kv.set(key(command), notes);
        kv.set("total", (kv.get<number>("total", 0) ?? 0) + 1);
        command.reply(`noted (${notes.length})`);
      },
    },
    notes: {
      description: "Lists this chat's notes",
      run(command) {
        const notes = kv.get<string[]>(key(command), []) ?? [];
        command.reply(notes.map((n, i) => `${i + 1}. ${n}`).join("\n") || "no notes yet");
      },
    },
    later: {
      description: "Says TEXT here after SECONDS",
      args: [
        { name: "SECONDS", description: "how long" },
        { name: "TEXT", description: "what" },
      ],
      run(command) {
        const [seconds, ...words] = command.args.split(" ");
        const text = words.join(" ");
        if (!/^\d+$/.test(seconds) || !text) {
          command.reply("usage: /later SECONDS TEXT");
          return;
        }
        timers.set(`later/${text}`, { after: Number(seconds), payload: text, chat: command.chat });
        command.reply(`in ${seconds} s`);
      },
    },
  },
  on: {
    timer(timer) {
      timer.chat?.send(`reminder: ${timer.payload}`);
    },
  },
});
