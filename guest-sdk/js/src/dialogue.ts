/**
 * Dialogues: a conversation with one user in one chat, step by step, without blocking (the
 * Rust SDK's `dialogue` module, in JavaScript).
 *
 * {@link start} puts a user in a dialogue at a step. That user's next message in that chat goes
 * to the spec's `dialogues[step]` handler before any other handling (commands included, so
 * `/cancel` can end it), with the {@link Dialogue}: its step and the data gathered so far. The
 * handler answers, then moves on (`dialogue.next`) or ends it (`dialogue.end`). A dialogue
 * nobody answers ends by itself after its timeout, and the spec's `onDialogueTimeout` hears of it.
 *
 * The state lives in `kv` and the timeout is a `timers` timer, both committed with the event
 * that changed them: dialogues survive reloads and restarts.
 *
 * ```ts
 * commands: { ask: { run(c) { dialogue.start(c.chat, c.sender.id, "name", {}, 120); c.reply("Your name?"); } } },
 * dialogues: { name(d, message) { d.end(); message.reply(`Thanks, ${message.text}!`); } },
 * ```
 */
import type { Chat, Timer } from "./events.js";
import * as kv from "./kv.js";
import * as timers from "./timers.js";

/** The prefix of every dialogue's kv key and timer key. */
const PREFIX = "dialogue:";

/** What kv keeps of a dialogue. */
interface Saved {
  step: string;
  data: unknown;
  timeout_ms: number;
}

/** A running dialogue: who, where, at which step, with what gathered so far. */
export class Dialogue {
  constructor(
    readonly chat: Chat,
    readonly user: string,
    public step: string,
    public data: unknown,
    readonly timeoutMs: number,
  ) {}

  /** Moves on to `step` with `data` (JSON); the timeout starts again. */
  next(step: string, data?: unknown): void {
    this.step = step;
    this.data = data ?? null;
    this.save();
  }

  /** Ends the dialogue: the user's next message is handled as usual again. */
  end(): void {
    const k = key(this.chat, this.user);
    kv.remove(k);
    timers.cancel(k);
  }

  /** @internal */
  save(): void {
    const k = key(this.chat, this.user);
    const saved: Saved = { step: this.step, data: this.data, timeout_ms: this.timeoutMs };
    kv.set(k, saved);
    timers.set(k, { after: this.timeoutMs / 1000, payload: this.user, chat: this.chat });
  }
}

/**
 * Starts a dialogue with `user` (an id) in `chat` at `step`, with `data`, replacing one already
 * running there. It ends by itself when `user` says nothing there for `timeoutSeconds`.
 */
export function start(chat: Chat, user: string, step: string, data: unknown = null, timeoutSeconds = 300): Dialogue {
  const dialogue = new Dialogue(chat, user, step, data, Math.round(timeoutSeconds * 1000));
  dialogue.save();
  return dialogue;
}

/** The dialogue `user` is in, in `chat`; undefined when there is none. */
export function find(chat: Chat, user: string): Dialogue | undefined {
  const saved = kv.get<Saved>(key(chat, user));
  if (!saved || typeof saved !== "object") return undefined;
  return new Dialogue(chat, user, String(saved.step ?? ""), saved.data ?? null, Number(saved.timeout_ms ?? 0));
}

/** Whether `timer` is a dialogue's timeout, not one the plugin set itself. */
export function isDialogueTimer(timer: Timer): boolean {
  return timer.key.startsWith(PREFIX);
}

/** The dialogue `timer` timed out, ended; undefined for another timer or one already ended. */
export function timedOut(timer: Timer): Dialogue | undefined {
  if (!timer.chat || !isDialogueTimer(timer)) return undefined;
  const dialogue = find(timer.chat, timer.payload);
  if (dialogue) kv.remove(key(timer.chat, timer.payload));
  return dialogue;
}

/** One key per user per chat, for the kv state and the timeout timer alike. */
function key(chat: Chat, user: string): string {
  return `${PREFIX}${chat.key}:${user}`;
}
