// {{name}}: answers `/{{name}} TEXT` with TEXT. Start here: add commands, `on` handlers
// (message, callback, timer, …), state with `kv`.
import { definePlugin } from "wasmbot";

export const { guest, commandGuide } = definePlugin({
  name: "{{name}}",
  version: "0.1.0",
  description: "A new plugin",
  permissions: ["reply"],
  commands: {
    "{{name}}": {
      description: "Repeats your text back to you",
      args: [{ name: "TEXT", description: "what to repeat" }],
      run: (command) => {
        command.reply(command.args ? `{{name}}: ${command.args}` : "Usage: /{{name}} TEXT");
      },
    },
  },
});
