/**
 * `DropCost`: what a dropped request cost, as the HTTP layer tells a limiter.
 *
 * @module
 */

/**
 * What the HTTP layer may add to a request's outcome: the wait the source
 * asked for (`Retry-After`) and the status. A drop that asks for a wait makes
 * every failed probe cost that much, so the limiter probes more rarely.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AdaptiveLimiter } from "./adaptive_limiter.ts";
 * import type { DropCost } from "./drop_cost.ts";
 * import type { PermitOutcome } from "./limiter.ts";
 * const limiter = new AdaptiveLimiter({ initial: 4 });
 * const permit = await limiter.acquire();
 * const outcome: PermitOutcome & DropCost = { latencyMs: 1, dropped: true, retryAfterMs: 1000 };
 * permit.release(outcome);
 * assert(limiter.limit < 4);
 * ```
 */
export interface DropCost {
  /** The wait the source asked for before a retry, in ms. */
  retryAfterMs?: number;
  /**
   * The answer's status; absent for a timeout. A 5xx that asks for no wait
   * (a 500, or a 503 without `Retry-After`) may be a fault of the source
   * rather than load shedding: a limiter weighs it by how often it comes.
   */
  status?: number;
}
