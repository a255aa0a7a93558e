/**
 * The plugin's key-value store: JSON values (the Rust SDK's format, so plugins of any language
 * read each other's data) or raw bytes. Writes commit with the event's other effects, or not at all.
 */
import * as wit from "wasmbot:bot/kv@0.1.0";
import { call } from "./errors.js";

/** The JSON value at `key`, or `fallback` when there is none. */
export function get<T>(key: string, fallback?: T): T | undefined {
  const raw = getBytes(key);
  return raw === undefined ? fallback : (JSON.parse(new TextDecoder().decode(raw)) as T);
}

/** Stores `value` as JSON at `key`. */
export function set(key: string, value: unknown): void {
  setBytes(key, new TextEncoder().encode(JSON.stringify(value)));
}

/** The bytes at `key`, or undefined. */
export function getBytes(key: string): Uint8Array | undefined {
  return call(() => wit.get(key));
}

/** Stores `value` at `key` as it is. */
export function setBytes(key: string, value: Uint8Array): void {
  call(() => wit.set(key, value));
}

/** Deletes `key`. */
export function remove(key: string): void {
  call(() => wit.delete(key));
}

/** The keys starting with `prefix`. */
export function keys(prefix = ""): string[] {
  return call(() => wit.listKeys(prefix));
}
