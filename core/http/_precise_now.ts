/**
 * The HTTP client's default clock.
 *
 * @module
 */

/**
 * Epoch milliseconds, to the microsecond and never going back: latencies
 * are judged by it. `Date.now`'s whole milliseconds made every latency of a
 * fast source 0 or 1, so its limit thrashed between 1 and a few.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { preciseNow } from "./_precise_now.ts";
 * const a = preciseNow();
 * assert(Math.abs(a - Date.now()) < 1000);
 * assert(preciseNow() >= a);
 * ```
 */
export const preciseNow = (): number =>
  performance.timeOrigin + performance.now();
