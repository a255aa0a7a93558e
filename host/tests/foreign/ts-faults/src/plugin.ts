// Test fixture: `/throw` throws, `/hang` returns a promise that never resolves, `/ok` answers.
import { definePlugin } from "wasmbot";

export const { guest, commandGuide } = definePlugin({
  name: "ts-faults",
  commands: {
    throw: {
      description: "Throws",
      run() {
        throw new Error("boom from js");
      },
    },
    hang: {
      description: "Never resolves",
      run: () => new Promise<void>(() => {}),
    },
    ok: { description: "Answers ok", run: (c) => void c.reply("ok") },
  },
});
