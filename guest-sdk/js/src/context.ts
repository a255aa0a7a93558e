/**
 * What the SDK remembers of the event being handled: its bot and the sender's standing. The 0.2
 * envelope names the bot once; the effect interfaces (0.1) want each chat whole, so
 * {@link chatRef} puts the bot back in.
 */
import type { Bot, Chat, Envelope, Standing } from "wasmbot:bot/types@0.2.0";
import type { ChatRef } from "wasmbot:bot/types@0.1.0";

let bot: Bot | undefined;
let standing: Standing | undefined;

/** Remembers the envelope's bot and standing while its handler runs. */
export function enter(envelope: Envelope): void {
  bot = envelope.bot;
  standing = envelope.standing;
}

/** Forgets them once the handler has finished. */
export function leave(): void {
  bot = undefined;
  standing = undefined;
}

/** The current event's standing, if a handler is running. */
export function currentStanding(): Standing | undefined {
  return standing;
}

/** The whole 0.1 `chat-ref` of a lean 0.2 `chat` of the current event. */
export function chatRef(chat: Chat): ChatRef {
  if (!bot) {
    throw new Error("this event has no bot (a schedule or a chat-less timer): no chat to answer in");
  }
  return { platform: bot.platform, bot: bot.name, kind: chat.kind, id: chat.id, guild: chat.guild };
}
