/**
 * `definePlugin({...})`: a plugin's manifest and handlers in one object, turned into the two
 * component exports (`guest`, `commandGuide`) the entry module re-exports:
 *
 * ```ts
 * export const { guest, commandGuide } = definePlugin({
 *   name: "hello",
 *   commands: { hello: { description: "Says hello", run: (c) => c.reply(`Hello, ${c.sender.displayName}!`) } },
 * });
 * ```
 */
import type { Audience, CommandAudience, Manifest } from "wasmbot:bot/guest@0.2.0";
import type { CommandHelp } from "wasmbot:bot/help@0.1.0";
import type { Envelope, EventKind } from "wasmbot:bot/types@0.2.0";
import type { Operation } from "wasmbot:bot/types@0.1.0";
import { enter, leave } from "./context.js";
import { failure } from "./errors.js";
import { type Command, type EventMap, typed } from "./events.js";

/** A handler may return a promise (to `await fetch(...)`, say); the event waits for it. */
type Handler<E> = (event: E) => void | Promise<void>;

/** A command: its help, who may use it, and its handler. */
export interface CommandSpec {
  description?: string;
  /** Arguments as `/help` shows them. */
  args?: { name: string; description: string; optional?: boolean }[];
  /** Who may use it (the host enforces it); default anyone. */
  audience?: Audience;
  run: Handler<Command>;
}

/** A cron schedule (with seconds) in an IANA time zone: a `timer` event each time. */
export interface ScheduleSpec {
  name: string;
  cron: string;
  timezone?: string;
  payload?: string;
}

/** Everything a plugin declares. */
export interface PluginSpec {
  name: string;
  version?: string;
  description?: string;
  /** Operations it intends to use (the operator's grants decide); default `["reply"]`. */
  permissions?: Operation[];
  /** Hosts it means to reach over HTTP (only the operator's grant lets it). */
  httpHosts?: string[];
  /** Platforms it runs on; empty: all. */
  platforms?: string[];
  schedules?: ScheduleSpec[];
  commands?: Record<string, CommandSpec>;
  /** Handlers per event kind. */
  on?: { [K in keyof EventMap]?: Handler<EventMap[K]> };
  /** Gets the operator's config; throw a `ConfigError` naming a bad key. */
  init?: (config: Record<string, unknown>) => void;
}

function manifest(spec: PluginSpec): Manifest {
  const commands = Object.keys(spec.commands ?? {});
  const kinds = Object.keys(spec.on ?? {}) as EventKind[];
  if (commands.length > 0) kinds.push("command");
  const audiences: CommandAudience[] = Object.entries(spec.commands ?? {})
    .filter(([, c]) => c.audience && c.audience !== "anyone")
    .map(([command, c]) => ({ command, audience: c.audience as Audience }));
  return {
    name: spec.name,
    version: spec.version ?? "0.1.0",
    description: spec.description ?? "",
    subscriptions: { kinds, commands, platforms: spec.platforms ?? [] },
    permissions: spec.permissions ?? ["reply"],
    httpHosts: spec.httpHosts ?? [],
    schedules: (spec.schedules ?? []).map((s) => ({
      name: s.name,
      cron: s.cron,
      timezone: s.timezone ?? "",
      payload: s.payload ?? "",
    })),
    audiences,
  };
}

function commandHelp(spec: PluginSpec): CommandHelp[] {
  return Object.entries(spec.commands ?? {}).map(([name, c]) => ({
    name,
    description: c.description ?? "",
    arguments: (c.args ?? []).map((a) => ({ ...a, optional: a.optional ?? false })),
  }));
}

async function dispatch(spec: PluginSpec, envelope: Envelope): Promise<void> {
  const { kind, value } = typed(envelope.event);
  if (kind === "command") {
    const command = value as Command;
    await spec.commands?.[command.name]?.run(command);
    return;
  }
  const handler = (spec.on as Record<string, Handler<unknown> | undefined> | undefined)?.[kind];
  await handler?.(value);
}

/** The component's exports for `spec`. */
export function definePlugin(spec: PluginSpec) {
  const guest = {
    describe: () => manifest(spec),
    init(config: string): void {
      try {
        spec.init?.(config.trim() ? JSON.parse(config) : {});
      } catch (e) {
        const f = failure(e);
        throw f.tag === "internal" ? { tag: "config", val: f.val } : f;
      }
    },
    async handle(envelope: Envelope): Promise<void> {
      enter(envelope);
      try {
        await dispatch(spec, envelope);
      } catch (e) {
        throw failure(e);
      } finally {
        leave();
      }
    },
    saveState: (): Uint8Array | undefined => undefined,
    restoreState: (_state: Uint8Array): void => {},
  };
  const commandGuide = { commands: () => commandHelp(spec) };
  return { guest, commandGuide };
}
