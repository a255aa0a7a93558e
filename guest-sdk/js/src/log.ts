/** Log lines that carry the plugin's name in the daemon's log. */
import { log } from "wasmbot:bot/log@0.1.0";

export const debug = (message: string): void => log("debug", message);
export const info = (message: string): void => log("info", message);
export const warn = (message: string): void => log("warn", message);
export const error = (message: string): void => log("error", message);
