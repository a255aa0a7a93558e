/**
 * Write wasmbot plugins in JavaScript or TypeScript.
 *
 * The entry module exports what {@link definePlugin} returns; `wasmbot build` bundles it with
 * this SDK (esbuild) and makes a component with componentize-js against `wit/`'s
 * `described-plugin` world. Handlers run one event at a time per instance; what they do
 * (replies, kv writes, timers) takes effect only if they finish without throwing, all together.
 * `fetch` works for outbound HTTP (wasi:http), to the hosts the operator grants.
 */
import { currentStanding } from "./context.js";

export { definePlugin } from "./plugin.js";
export type { CommandSpec, PluginSpec, ScheduleSpec } from "./plugin.js";
export type { Callback, Chat, Command, EventMap, MemberChange, Message, Other, Reaction, Timer, User } from "./events.js";
export { button } from "./outgoing.js";
export type { Outgoing, Sendable } from "./outgoing.js";
export { ConfigError, HostError, InputError, UpstreamError } from "./errors.js";
export * as kv from "./kv.js";
export * as timers from "./timers.js";
export * as log from "./log.js";
export * as dialogue from "./dialogue.js";
export type { Dialogue } from "./dialogue.js";

/** Who sent the current event: `rank` (`unknown`, `member`, `admin`, `owner`), bot admin or not. */
export function standing(): { rank: string; botAdmin: boolean; isAdmin: boolean } {
  const s = currentStanding();
  const rank = s?.rank ?? "unknown";
  const botAdmin = s?.botAdmin ?? false;
  return { rank, botAdmin, isAdmin: botAdmin || rank === "admin" || rank === "owner" };
}
