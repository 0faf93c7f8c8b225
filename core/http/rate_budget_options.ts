/**
 * `RateBudgetOptions` and `RateBudgetStats`: how a `RateBudget` is set up,
 * and what it did.
 *
 * @module
 */

import type { RateLimit } from "../connector/types.ts";

/**
 * Options of {@linkcode RateBudget}.
 *
 * @example
 * ```ts
 * import type { RateBudgetOptions } from "./rate_budget_options.ts";
 * const options: RateBudgetOptions = { limit: { requests: 5000, perSeconds: 3600 } };
 * ```
 */
export interface RateBudgetOptions {
  /** A limit the connector knows in advance; paced at `safety` of it. @default none */
  limit?: RateLimit;
  /** Share of a declared `limit` actually used, leaving room for clock skew. @default 0.95 */
  safety?: number;
  /**
   * Requests of an announced quota left unspent until its window renews: the
   * margin against answers still on their way. @default 1
   */
  reserve?: number;
  /**
   * Share of a window's announced budget that may go at once, before pacing
   * starts: a long window (GitHub's 5,000 an hour) paced evenly from its
   * first request makes a short pull slow. Never more than the window allows.
   * @default 0 (pace from the first request)
   */
  burst?: number;
  /**
   * When an announced quota is paced. `"as-needed"`: requests go at full
   * speed while the quota left, less `reserveShare` of it, covers what the
   * pull is expected to spend before the window renews: no more than it
   * spent in the window so far (a pull is assumed to need about as much
   * again), and no more than its observed rate would spend by the reset.
   * Past that, the rest is spread evenly. `"even"`: spread from the first
   * request. @default "as-needed"
   */
  pacing?: "as-needed" | "even";
  /**
   * Share of a window's quota (as first seen) that pacing `"as-needed"`
   * keeps in reserve before it starts to pace. @default 0.1
   */
  reserveShare?: number;
  /** Cap on a pause asked by `Retry-After`, in ms. @default 120_000 */
  maxPauseMs?: number;
  /**
   * A wait asked for (`retry-after-ms`, `Retry-After`, ...) shorter than this
   * does not pause the host (the request that got it still waits it out
   * before its retry): a sub-second wait means a source shedding a momentary
   * overload request by request, which the concurrency limiter handles
   * without stopping every worker. @default 1_000 (a second, the shortest
   * wait `Retry-After` in seconds asks for, pauses)
   */
  minPauseMs?: number;
  /** Clock, epoch ms. @default Date.now */
  now?: () => number;
  /**
   * Waits `ms` (rejecting with `signal.reason` on abort); must let `now` pass.
   * @default a timer
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * What a budget did so far.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RateBudget } from "./rate_budget.ts";
 * import type { RateBudgetStats } from "./rate_budget_options.ts";
 * const stats: RateBudgetStats = new RateBudget().stats;
 * assert(stats.granted === 0);
 * ```
 */
export interface RateBudgetStats {
  /** Requests let through. */
  granted: number;
  /** Of those, the ones that had to wait. */
  waited: number;
  /** Time spent waiting, summed over requests, in ms. */
  waitedMs: number;
  /** Pauses started by a `Retry-After` on a 429 or 503. */
  pauses: number;
}
