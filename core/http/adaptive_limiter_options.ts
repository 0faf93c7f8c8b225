/**
 * `AdaptiveLimiterOptions`: the bounds and clock of an `AdaptiveLimiter`.
 *
 * @module
 */

/**
 * Options of {@linkcode AdaptiveLimiter}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { AdaptiveLimiterOptions } from "./adaptive_limiter_options.ts";
 * const options: AdaptiveLimiterOptions = { initial: 8, max: 64 };
 * assert(options.max === 64);
 * ```
 */
export interface AdaptiveLimiterOptions {
  /**
   * The limit to start from; clamped into `[min, max]`.
   * @default {8}
   */
  initial?: number;
  /**
   * The limit never goes below this; an integer >= 1.
   * @default {1}
   */
  min?: number;
  /**
   * The limit never goes above this (`--max-concurrency`); an integer >= `min`.
   * @default {256}
   */
  max?: number;
  /**
   * Whether latency moves the limit. `false` for a concurrency the user
   * pinned (`--concurrency n`, as `initial` and `max`): queueing at the
   * source is accepted, and only drops (429, 503, timeouts) lower the
   * limit, which climbs back to `max` once they stop.
   * @default {true}
   */
  followLatency?: boolean;
  /**
   * The clock, in milliseconds; only differences matter.
   * @default {() => performance.now()}
   */
  now?: () => number;
}

/**
 * The bounds of `options` with their defaults, checked.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkedBounds } from "./adaptive_limiter_options.ts";
 * assert.deepEqual(checkedBounds({ max: 4 }), { min: 1, max: 4, initial: 8 });
 * assert.throws(() => checkedBounds({ min: 0 }), RangeError);
 * ```
 */
export function checkedBounds(
  options: AdaptiveLimiterOptions,
): { min: number; max: number; initial: number } {
  const min = options.min ?? 1;
  const max = options.max ?? 256;
  if (!Number.isInteger(min) || min < 1) {
    throw new RangeError(
      `Cannot create adaptive limiter: min must be an integer >= 1, got ${min}`,
    );
  }
  if (!Number.isInteger(max) || max < min) {
    throw new RangeError(
      `Cannot create adaptive limiter: max must be an integer >= min (${min}), got ${max}`,
    );
  }
  const initial = options.initial ?? 8;
  if (!Number.isFinite(initial)) {
    throw new RangeError(
      `Cannot create adaptive limiter: initial must be a number, got ${initial}`,
    );
  }
  return { min, max, initial };
}
