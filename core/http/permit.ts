/**
 * A permit to have one request in flight, and what its request observed:
 * the vocabulary every limiter and the semaphore under them share.
 *
 * @module
 */

/**
 * What a request observed, given back with its permit.
 *
 * - `{ latencyMs, dropped }`: the request reached the source. `dropped` is true
 *   when the source shed it (429, 503) or it timed out: the signs of overload.
 * - `"ignore"`: nothing to learn from it (aborted by us, a bad URL, a 404);
 *   the slot is freed and no sample is taken.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { PermitOutcome } from "./permit.ts";
 * const ok: PermitOutcome = { latencyMs: 21, dropped: false };
 * const shed: PermitOutcome = { latencyMs: 2, dropped: true };
 * const nothing: PermitOutcome = "ignore";
 * assert(ok !== shed && nothing === "ignore");
 * ```
 */
export type PermitOutcome = { latencyMs: number; dropped: boolean } | "ignore";

/**
 * The right to have one request in flight. Give it back exactly once, with
 * what the request observed; a second `release` is a no-op.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FixedLimiter } from "./limiter.ts";
 * const limiter = new FixedLimiter(1);
 * const permit = await limiter.acquire();
 * permit.release({ latencyMs: 20, dropped: false });
 * permit.release("ignore"); // no-op: already released
 * assert(limiter.inFlight === 0);
 * ```
 */
export interface Permit {
  /** Free the slot and report what the request observed. */
  release(outcome: PermitOutcome): void;
}
