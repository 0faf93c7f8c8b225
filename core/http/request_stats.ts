/**
 * `RequestStats`: the counters of an HTTP client's requests, read live by
 * the progress line.
 *
 * @module
 */

/**
 * Counters a caller owns and the client increments as requests go, so a
 * progress line can read them live.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newRequestStats, type RequestStats } from "./request_stats.ts";
 * const stats: RequestStats = newRequestStats();
 * assert(stats.requests === 0 && stats.inFlight === 0);
 * ```
 */
export interface RequestStats {
  /** Attempts sent (a retried request counts once per attempt). */
  requests: number;
  /** Retries scheduled. */
  retries: number;
  /** Response body bytes received. */
  bytes: number;
  /** Attempts waiting for an answer right now (what the limiter caps). */
  inFlight: number;
  /** Most attempts waiting for an answer at once so far. */
  maxInFlight: number;
  /** Answers that said slow down: 429, and 403 with an exhausted rate limit (GitHub). */
  throttled: number;
  /** Requests that failed for good (the error surfaced); aborts are not errors. */
  errors: number;
}

/**
 * Fresh zeroed {@linkcode RequestStats}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newRequestStats } from "./request_stats.ts";
 * assert(newRequestStats().retries === 0);
 * ```
 */
export function newRequestStats(): RequestStats {
  return {
    requests: 0,
    retries: 0,
    bytes: 0,
    inFlight: 0,
    maxInFlight: 0,
    throttled: 0,
    errors: 0,
  };
}
