/**
 * How long a failed attempt waits before the next one.
 *
 * @module
 */

import { backoffDelay, type BackoffOptions } from "../async/backoff.ts";
import type { Failure } from "./_failure.ts";

/** The first cap after a 5xx amid progress is at least this share of `baseMs`. */
const FAULT_FLOOR = 1 / 16;

/** What a retry's wait depends on besides its failure. */
export interface RetryDelayOptions {
  backoff: BackoffOptions;
  random: () => number;
  /** When a request of the client last succeeded, epoch ms. */
  progressAt: number;
}

/**
 * The wait before retry number `attempt` (1 for the first retry) after
 * `failure`: the wait the source asked for, if it did. After a 5xx that
 * asked for none while other requests succeeded (one did since this
 * attempt went out), full jitter under twice the time the source took to
 * answer (at least `baseMs / 16`, at most `baseMs`). Otherwise the usual
 * backoff, `baseMs` doubling.
 *
 * A 5xx amid successes is this request's bad luck (a random fault; the
 * limiter judges whether their share means overload): it costs one more
 * round trip, not a quarter of a second, which behind an ordered fan-out
 * every page after it would wait too. A source that fails everything
 * makes no progress, so it gets the usual backoff; and the run-wide retry
 * budget bounds the retries of one that fails a large share.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { retryDelay } from "./_retry_delay.ts";
 * const o = { backoff: {}, random: () => 0.5, progressAt: 1_000 };
 * // A 503 answered in 20 ms, while others succeeded: within 40 ms.
 * const fault = { status: 503, sentAt: 990, latencyMs: 20 };
 * assert.equal(retryDelay(fault, 1, o), 20);
 * assert.equal(retryDelay(fault, 3, o), 20);
 * // Nothing succeeded since it went out: the usual 250 ms doubling.
 * assert.equal(retryDelay({ ...fault, sentAt: 1_001 }, 3, o), 500);
 * // The wait the source asked for wins; a timeout gets the usual backoff.
 * assert.equal(retryDelay({ status: 503, retryAfterMs: 700 }, 1, o), 700);
 * assert.equal(retryDelay({ timeout: true }, 2, o), 250);
 * ```
 */
export function retryDelay(
  failure: Failure,
  attempt: number,
  options: RetryDelayOptions,
): number {
  if (failure.retryAfterMs !== undefined) return failure.retryAfterMs;
  const { backoff, random } = options;
  const { status, sentAt, latencyMs } = failure;
  const baseMs = backoff.baseMs ?? 250;
  const amidProgress = status !== undefined && status >= 500 &&
    sentAt !== undefined && latencyMs !== undefined &&
    options.progressAt >= sentAt;
  if (!amidProgress || !(baseMs >= 0 && (backoff.maxMs ?? 0) >= 0)) {
    return backoffDelay(attempt - 1, backoff, random);
  }
  const cap = Math.min(
    baseMs,
    backoff.maxMs ?? Infinity,
    Math.max(2 * latencyMs, baseMs * FAULT_FLOOR),
  );
  return random() * cap;
}
