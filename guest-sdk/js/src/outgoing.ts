/** What a plugin sends: text or Markdown, optionally with rows of buttons. */
import type { Button as WitButton, Outgoing as WitOutgoing } from "wasmbot:bot/types@0.1.0";

/** One button: `button.callback("Yes", "vote:yes")`, `button.url(...)`, `button.copy(...)`. */
export const button = {
  /** Its click reaches the plugin as a `callback` event carrying `data`. */
  callback: (label: string, data: string): WitButton => ({ label, action: { tag: "callback", val: data } }),
  /** Opens `url`. */
  url: (label: string, url: string): WitButton => ({ label, action: { tag: "url", val: url } }),
  /** Copies `text` (where the platform has it). */
  copy: (label: string, text: string): WitButton => ({ label, action: { tag: "copy", val: text } }),
};

/** A message to send. A plain string is text. */
export interface Outgoing {
  text?: string;
  markdown?: string;
  /** Rows of buttons below the message. */
  keyboard?: WitButton[][];
  /** User ids to mention. */
  mentions?: string[];
}

/** Anything a plugin can send. */
export type Sendable = string | Outgoing;

/** The WIT `outgoing` of a string or an {@link Outgoing}. */
export function toWit(message: Sendable): WitOutgoing {
  const m: Outgoing = typeof message === "string" ? { text: message } : message;
  const content =
    m.markdown !== undefined
      ? { tag: "markdown" as const, val: m.markdown }
      : { tag: "text" as const, val: m.text ?? "" };
  return {
    content,
    keyboard: m.keyboard && m.keyboard.length > 0 ? { rows: m.keyboard } : undefined,
    mentions: m.mentions ?? [],
  };
}
