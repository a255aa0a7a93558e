/**
 * Errors a plugin throws or gets back from the host. Throw {@link InputError} when an event
 * cannot be handled as it is, {@link UpstreamError} when a service the plugin relies on failed;
 * anything else thrown is an internal failure. Either way none of the handler's effects apply.
 */

/** The event cannot be handled as it is (bad arguments); retrying would not help. */
export class InputError extends Error {}

/** A service the plugin relies on failed (an HTTP API, say). */
export class UpstreamError extends Error {}

/** The operator's config is wrong (from `init`): say which key and why. */
export class ConfigError extends Error {}

/**
 * A host call failed: `kind` is the WIT `error` case (`unsupported`, `denied`, `not-found`,
 * `rate-limited`, `invalid`, `platform`).
 */
export class HostError extends Error {
  constructor(
    readonly kind: string,
    readonly detail: string,
  ) {
    super(`${kind}: ${detail}`);
  }
}

/** Calls a host function, turning the WIT `error` it throws into a {@link HostError}. */
export function call<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    const payload = (e as { payload?: { tag: string; val: unknown } }).payload;
    if (payload && typeof payload.tag === "string") {
      const val = payload.val as { code?: string; message?: string } | string | number;
      const text = typeof val === "object" && val ? `${val.code}: ${val.message}` : String(val);
      throw new HostError(payload.tag, text);
    }
    throw e;
  }
}

/** The WIT `failure` (what `init` and `handle` fail with) for something a handler threw. */
export function failure(error: unknown): { tag: string; val: string } {
  const text = error instanceof Error ? error.message : String(error);
  if (error instanceof InputError) return { tag: "input", val: text };
  if (error instanceof UpstreamError) return { tag: "upstream", val: text };
  if (error instanceof ConfigError) return { tag: "config", val: text };
  const stack = error instanceof Error && error.stack ? `\n${error.stack}` : "";
  return { tag: "internal", val: `${text}${stack}`.slice(0, 2000) };
}
