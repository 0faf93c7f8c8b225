/**
 * How long to wait before trying again: exponential backoff with full
 * jitter, the server's `Retry-After`, and an abortable sleep.
 *
 * @module
 */

/**
 * Bounds of the exponential backoff.
 *
 * @example
 * ```ts
 * import type { BackoffOptions } from "./backoff.ts";
 * const options: BackoffOptions = { baseMs: 100, maxMs: 10_000 };
 * ```
 */
export interface BackoffOptions {
  /** The cap of the first retry's delay, in ms. @default 250 */
  baseMs?: number;
  /** The cap of any delay, in ms. @default 30_000 */
  maxMs?: number;
}

/**
 * The delay before retry number `attempt` (0 for the first retry):
 * `random() * min(maxMs, baseMs * 2 ** attempt)`. Full jitter spreads
 * clients that failed together, so they do not come back together.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backoffDelay } from "./backoff.ts";
 * assert(backoffDelay(0, { baseMs: 100 }, () => 0.5) === 50);
 * assert(backoffDelay(3, { baseMs: 100 }, () => 0.5) === 400);
 * assert(backoffDelay(20, { baseMs: 100, maxMs: 1000 }, () => 0.5) === 500);
 * ```
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new RangeError(
      `Cannot compute backoff: attempt must be an integer >= 0, got ${attempt}`,
    );
  }
  const baseMs = options.baseMs ?? 250;
  const maxMs = options.maxMs ?? 30_000;
  if (!(baseMs >= 0) || !(maxMs >= 0)) {
    throw new RangeError(
      `Cannot compute backoff: baseMs and maxMs must be >= 0, got ${baseMs} and ${maxMs}`,
    );
  }
  const cap = Math.min(maxMs, baseMs * 2 ** attempt);
  return random() * cap;
}

/**
 * Parse a `Retry-After` value into ms from `now`: delta-seconds (`"120"`,
 * also decimals) or an HTTP date (`"Wed, 21 Oct 2015 07:28:00 GMT"`; a date
 * in the past gives 0). `undefined` when absent or unreadable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRetryAfter } from "./backoff.ts";
 * const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
 * assert(parseRetryAfter("2", now) === 2000);
 * assert(parseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now) === 30_000);
 * assert(parseRetryAfter("soon", now) === undefined);
 * assert(parseRetryAfter(null, now) === undefined);
 * ```
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  // An HTTP date always names a day or month; this keeps Date.parse's
  // leniency from reading "-1" or "1e3" as a date.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * Wait `ms` milliseconds. Rejects with `signal.reason` as soon as `signal`
 * aborts, and clears its timer, so nothing is left running.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sleep } from "./backoff.ts";
 * await sleep(1);
 * const ac = new AbortController();
 * const waiting = sleep(60_000, ac.signal);
 * ac.abort(new Error("stop"));
 * await assert.rejects(waiting, /stop/);
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
