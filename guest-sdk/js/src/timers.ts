/**
 * Timers: a `timer` event for this plugin later (`on: { timer(t) {...} }`). Setting and
 * cancelling are effects of the event being handled: they commit with it, or not at all.
 */
import * as wit from "wasmbot:bot/timers@0.2.0";
import { chatRef } from "./context.js";
import type { Chat } from "./events.js";
import { HostError } from "./errors.js";

/** When and where a timer fires: `after` seconds from now or `atMs` (Unix ms); in `chat` if given. */
export interface TimerOptions {
  after?: number;
  atMs?: number;
  payload?: string;
  chat?: Chat;
}

/** Sets the timer `key`, replacing one of the same key. */
export function set(key: string, options: TimerOptions): void {
  if ((options.after === undefined) === (options.atMs === undefined)) {
    throw new Error("timers.set: give exactly one of `after` (seconds) and `atMs`");
  }
  const due: wit.Due =
    options.after !== undefined
      ? { tag: "after-ms", val: BigInt(Math.round(options.after * 1000)) }
      : { tag: "at-ms", val: BigInt(options.atMs ?? 0) };
  const where = options.chat ? chatRef(options.chat.wit) : undefined;
  try {
    wit.set(key, due, options.payload ?? "", where);
  } catch (e) {
    const payload = (e as { payload?: wit.TimerError }).payload;
    if (payload?.tag === "quota") throw new HostError("quota", `${payload.val} timers pending`);
    if (payload?.tag === "invalid") throw new HostError("invalid", payload.val);
    throw e;
  }
}

/** Cancels the timer `key`; false when there was none. */
export function cancel(key: string): boolean {
  return wit.cancel(key);
}

/** The pending timers, soonest first, at most `limit`. */
export function pending(limit = 100): { key: string; dueAt: number; payload: string }[] {
  return wit.listPending(limit).map((t) => ({ key: t.key, dueAt: Number(t.dueAt), payload: t.payload }));
}
