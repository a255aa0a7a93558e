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
import { type Command, type EventMap, type Message, type Timer, typed } from "./events.js";
import * as dialogue from "./dialogue.js";

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
  /**
   * Handlers per dialogue step (`dialogue.start(...)`): a user's next message in a running
   * dialogue goes to its step's handler first. With any, the plugin gets every message.
   */
  dialogues?: Record<string, (dialogue: dialogue.Dialogue, message: Message) => void | Promise<void>>;
  /** A dialogue whose user said nothing for its timeout (it has already ended). */
  onDialogueTimeout?: (dialogue: dialogue.Dialogue) => void | Promise<void>;
}

function manifest(spec: PluginSpec): Manifest {
  const commands = Object.keys(spec.commands ?? {});
  const kinds = Object.keys(spec.on ?? {}) as EventKind[];
  if (spec.dialogues && Object.keys(spec.dialogues).length > 0) {
    // A dialogue's answers are plain messages and its timeouts timers: it must get both.
    for (const k of ["message", "timer"] as EventKind[]) if (!kinds.includes(k)) kinds.push(k);
  }
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

/**
 * Gives a dialogue its turn: the next message of a user in one (a command's message too), or
 * its timeout. False when the event is not a dialogue's.
 */
async function dialogueTurn(spec: PluginSpec, kind: string, value: unknown): Promise<boolean> {
  if (kind === "timer" && dialogue.isDialogueTimer(value as Timer)) {
    const ended = dialogue.timedOut(value as Timer);
    if (ended) await spec.onDialogueTimeout?.(ended);
    return true;
  }
  const message = kind === "command" ? (value as Command).message : kind === "message" ? (value as Message) : undefined;
  if (!message) return false;
  const running = dialogue.find(message.chat, message.sender.id);
  if (!running) return false;
  const handler = spec.dialogues?.[running.step];
  if (!handler) throw new Error(`dialogue step "${running.step}" has no handler in \`dialogues\``);
  await handler(running, message);
  return true;
}

async function dispatch(spec: PluginSpec, envelope: Envelope): Promise<void> {
  const { kind, value } = typed(envelope.event);
  if (spec.dialogues && (await dialogueTurn(spec, kind, value))) return;
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
