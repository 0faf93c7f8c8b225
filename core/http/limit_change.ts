/**
 * `LimitChange`: one change of an adaptive limit, as its trace records it.
 *
 * @module
 */

/**
 * One change of the limit, for the progress line, the run summary and the bench.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { LimitChange } from "./limit_change.ts";
 * const change: LimitChange = { atMs: 1250, limit: 34 };
 * assert(change.limit === 34);
 * ```
 */
export interface LimitChange {
  /** Milliseconds since the limiter was created. */
  atMs: number;
  /** The limit from then on. */
  limit: number;
}
