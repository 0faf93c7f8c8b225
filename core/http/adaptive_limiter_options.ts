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
   * The clock, in milliseconds; only differences matter.
   * @default {() => performance.now()}
   */
  now?: () => number;
}
