/**
 * Typed events, made from the WIT's lean 0.2 envelope. The ones that happen in a chat answer
 * there: `message.reply("hi")`, `command.reply(...)`, `change.send(...)`.
 */
import { answerCallback, react, reply, send } from "wasmbot:bot/messaging@0.1.0";
import type * as W from "wasmbot:bot/types@0.2.0";
import type { UserRef } from "wasmbot:bot/types@0.1.0";
import { chatRef } from "./context.js";
import { call } from "./errors.js";
import { type Sendable, toWit } from "./outgoing.js";

/** Someone on the platform. */
export interface User {
  id: string;
  name?: string;
  isBot: boolean;
  /** The name when the platform gave one, else the id. */
  displayName: string;
}

/** A chat of the event's bot. */
export interface Chat {
  kind: "private" | "group";
  id: string;
  guild?: string;
  /** Names this chat uniquely within the bot (for kv keys and maps). */
  key: string;
  /** Sends `message` here; returns the new message's id. */
  send(message: Sendable): string;
  /** The WIT chat, for the SDK. */
  readonly wit: W.Chat;
}

export function user(u: UserRef): User {
  return { id: u.id, name: u.name, isBot: u.isBot, displayName: u.name ?? u.id };
}

export function chat(c: W.Chat): Chat {
  return {
    kind: c.kind,
    id: c.id,
    guild: c.guild,
    key: `${c.kind}:${c.guild ?? ""}:${c.id}`,
    send: (message) => call(() => send(chatRef(c), toWit(message))),
    wit: c,
  };
}

function messageRef(m: W.MessageRef) {
  return { chat: chatRef(m.chat), id: m.id };
}

/** A received message: `text` is undefined when it is not text (an image, …). */
export interface Message {
  id: string;
  chat: Chat;
  sender: User;
  text?: string;
  mentions: string[];
  replyTo?: string;
  /** Unix milliseconds. */
  sentAt: number;
  /** Replies to this message in its chat; returns the reply's id. */
  reply(message: Sendable): string;
  /** Reacts to this message with `emoji`. */
  react(emoji: string): void;
}

export function message(m: W.Message): Message {
  const c = m.content;
  return {
    id: m.id.id,
    chat: chat(m.id.chat),
    sender: user(m.sender),
    text: c.tag === "text" || c.tag === "markdown" ? c.val : undefined,
    mentions: m.mentions,
    replyTo: m.replyTo,
    sentAt: Number(m.sentAt),
    reply: (out) => call(() => reply(messageRef(m.id), toWit(out))),
    react: (emoji) => call(() => react(messageRef(m.id), emoji)),
  };
}

/** A slash command: `/name args`; `args` is everything after the name, trimmed. */
export interface Command {
  name: string;
  args: string;
  message: Message;
  chat: Chat;
  sender: User;
  /** Replies to the command's message. */
  reply(message: Sendable): string;
}

export function command(c: W.Command): Command {
  const m = message(c.message);
  return { name: c.name, args: c.args, message: m, chat: m.chat, sender: m.sender, reply: m.reply };
}

/** A click on a callback button: `data` is the button's data. */
export interface Callback {
  id: string;
  chat: Chat;
  user: User;
  messageId?: string;
  data: string;
  /** Answers the click with a notice to the clicking user. */
  answer(text?: string, alert?: boolean): void;
}

export function callback(c: W.Callback): Callback {
  return {
    id: c.id,
    chat: chat(c.chat),
    user: user(c.user),
    messageId: c.message?.id,
    data: c.data,
    answer: (text, alert = false) => call(() => answerCallback(c.id, { text, alert, url: undefined })),
  };
}

/** Someone joined or left a chat, or followed or unfollowed the bot. */
export interface MemberChange {
  chat: Chat;
  user: User;
  send(message: Sendable): string;
}

export function memberChange(c: W.MemberChange): MemberChange {
  const where = chat(c.chat);
  return { chat: where, user: user(c.user), send: where.send };
}

/** A reaction added (`added`) or taken back. */
export interface Reaction {
  messageId: string;
  chat: Chat;
  user: User;
  emoji: string;
  added: boolean;
}

/** A timer the plugin set, or one of its schedules, come due; times in Unix milliseconds. */
export interface Timer {
  key: string;
  payload: string;
  dueAt: number;
  firedAt: number;
  /** Where it was set for (undefined for a schedule or a chat-less timer). */
  chat?: Chat;
  scheduled: boolean;
}

export function timer(t: W.Timer): Timer {
  return {
    key: t.key,
    payload: t.payload,
    dueAt: Number(t.dueAt),
    firedAt: Number(t.firedAt),
    chat: t.chat ? chat(t.chat) : undefined,
    scheduled: t.scheduled,
  };
}

/** An event the model does not cover: the platform's kind and raw JSON. */
export interface Other {
  chat?: Chat;
  kind: string;
  raw: string;
}

/** Each event kind's typed event. */
export interface EventMap {
  message: Message;
  callback: Callback;
  "member-joined": MemberChange;
  "member-left": MemberChange;
  reaction: Reaction;
  "message-edited": Message;
  "message-deleted": { messageId: string; chat: Chat; by?: User };
  "bot-followed": MemberChange;
  "bot-unfollowed": MemberChange;
  other: Other;
  timer: Timer;
}

/** The typed event of a WIT event, with its kind. */
export function typed(e: W.Event): { kind: string; value: unknown } {
  switch (e.tag) {
    case "message":
    case "message-edited":
      return { kind: e.tag, value: message(e.val) };
    case "command":
      return { kind: e.tag, value: command(e.val) };
    case "callback":
      return { kind: e.tag, value: callback(e.val) };
    case "member-joined":
    case "member-left":
    case "bot-followed":
    case "bot-unfollowed":
      return { kind: e.tag, value: memberChange(e.val) };
    case "reaction": {
      const r = e.val;
      const value: Reaction = { messageId: r.message.id, chat: chat(r.message.chat), user: user(r.user), emoji: r.emoji, added: r.added };
      return { kind: e.tag, value };
    }
    case "message-deleted":
      return { kind: e.tag, value: { messageId: e.val.message.id, chat: chat(e.val.message.chat), by: e.val.by && user(e.val.by) } };
    case "other":
      return { kind: e.tag, value: { chat: e.val.chat && chat(e.val.chat), kind: e.val.kind, raw: e.val.raw } };
    case "timer":
      return { kind: e.tag, value: timer(e.val) };
  }
}
