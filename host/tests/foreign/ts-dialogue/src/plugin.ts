// Test fixture: `/signup` asks a name, then an age (a dialogue); the Cancel button ends it; a
// member who joins is welcomed. Its scenario is `tests/dialogue.toml`.
import { button, definePlugin, dialogue } from "wasmbot";

export const { guest, commandGuide } = definePlugin({
  name: "ts-dialogue",
  permissions: ["reply", "send", "kv"],
  commands: {
    signup: {
      description: "Asks your name and age",
      run(command) {
        dialogue.start(command.chat, command.sender.id, "name", {}, 2);
        command.reply({ text: "Your name?", keyboard: [[button.callback("Cancel", "cancel")]] });
      },
    },
  },
  dialogues: {
    name(d, message) {
      d.next("age", { name: message.text });
      message.reply(`Hello ${message.text}, your age?`);
    },
    age(d, message) {
      if (!/^\d+$/.test(message.text ?? "")) {
        message.reply("A number, please");
        return;
      }
      d.end();
      message.reply(`Signed up: ${(d.data as { name: string }).name}, ${message.text}`);
    },
  },
  onDialogueTimeout(d) {
    d.chat.send(`${d.user}: sign-up timed out at ${d.step}`);
  },
  on: {
    callback(click) {
      const running = dialogue.find(click.chat, click.user.id);
      if (click.data === "cancel" && running) {
        running.end();
        click.answer("cancelled");
        click.chat.send("Sign-up cancelled");
      }
    },
    "member-joined"(change) {
      change.send(`Welcome, ${change.user.displayName}!`);
    },
  },
});
