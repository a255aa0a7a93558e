// Generates the `.d.ts` of the WIT (jco's type generator, guest mode) into `types/`: the one
// place the JS/TS SDK's WIT types come from. Run by `npm run types` (and `npm ci`, as `prepare`).
//
// Why not the `jco types` command (jco 1.35.0):
// - its CLI runs the generator with no filesystem preopens (preview2-shim 0.26 starts with
//   none), so it cannot read any WIT path: this preopens `/` first;
// - it names an interface's file by package and interface without the version, so
//   `wasmbot:bot/types@0.1.0` and `@0.2.0` would share one file and 0.2.0's would be lost:
//   this generates from a scratch copy of `wit/` in which 0.2.0's `types` is called
//   `types-lean`, then names the module `wasmbot:bot/types@0.2.0` again in every file.
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const wit = resolve(process.argv[2] ?? join(root, "..", "..", "wit"));
const out = resolve(process.argv[3] ?? join(root, "types"));

const transpile = join(root, "node_modules", "@bytecodealliance", "jco-transpile");
// The preview2-shim jco-transpile itself imports (nested when npm could not hoist it).
const shim = [
  join(transpile, "node_modules", "@bytecodealliance", "preview2-shim"),
  join(root, "node_modules", "@bytecodealliance", "preview2-shim"),
].find((dir) => existsSync(join(dir, "dist", "nodejs", "filesystem.js")));
if (!existsSync(transpile) || !shim) {
  console.error("@bytecodealliance/jco is not installed: run `npm ci` in guest-sdk/js");
  process.exit(1);
}
const fs = await import(pathToFileURL(join(shim, "dist", "nodejs", "filesystem.js")));
fs._setPreopens({ "/": "/" });
const bindgen = await import(pathToFileURL(join(transpile, "vendor", "js-component-bindgen-component.js")));
await bindgen.$init;
const scratch = await mkdtemp(join(tmpdir(), "wasmbot-wit-"));
await cp(wit, scratch, { recursive: true });
for (const file of ["types.wit", "guest.wit", "timers.wit", "world.wit"]) {
  const path = join(scratch, file);
  const text = await readFile(path, "utf8");
  await writeFile(path, text.replace("interface types {", "interface types-lean {").replace("use types.{", "use types-lean.{"));
}
const generated = bindgen.generateTypes("described-plugin", {
  wit: { tag: "path", val: scratch },
  world: "described-plugin",
  guest: true,
  tlaCompat: false,
  features: { tag: "list", val: [] },
});
await rm(scratch, { recursive: true, force: true });

const decoder = new TextDecoder();
await rm(out, { recursive: true, force: true });
for (const [path, bytes] of generated) {
  const text = decoder.decode(bytes).replaceAll("wasmbot:bot/types-lean@0.2.0", "wasmbot:bot/types@0.2.0");
  const target = join(out, path);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, text);
}
console.error(`wrote ${generated.length} type files to ${out}`);
