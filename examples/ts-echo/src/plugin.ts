// ts-echo: `/echo TEXT` replies TEXT. The TypeScript twin of `plugins/echo`.
import { definePlugin } from "wasmbot";

export const { guest, commandGuide } = definePlugin({
  name: "ts-echo",
  version: "0.1.0",
  description: "Repeats your text back to you (TypeScript)",
  permissions: ["reply"],
  commands: {
    echo: {
      description: "Repeats your text back to you",
      args: [{ name: "TEXT", description: "what to repeat" }],
      run: (command) => {
        command.reply(command.args || "Usage: /echo TEXT");
      },
    },
  },
});
