// Test fixture: `/get URL` replies `STATUS BODY`, or `error MESSAGE` (fetch over wasi:http).
import { definePlugin } from "wasmbot";

export const { guest, commandGuide } = definePlugin({
  name: "ts-fetch",
  httpHosts: ["*"],
  commands: {
    get: {
      description: "Fetches URL",
      async run(command) {
        try {
          const response = await fetch(command.args);
          command.reply(`${response.status} ${await response.text()}`);
        } catch (e) {
          command.reply(`error ${e}`);
        }
      },
    },
  },
});
