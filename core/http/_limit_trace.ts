/**
 * `LimitTrace`: the changes of an adaptive limit, bounded, and the range it
 * moved in over the whole run.
 *
 * @module
 */

import type { LimitChange } from "./limit_change.ts";
import { TRACE_LENGTH } from "./_limiter_tuning.ts";

/** The last changes of a limit, and its lowest and highest ever. */
export class LimitTrace {
  /** Lowest and highest limit so far (not only within the kept changes). */
  readonly range: { min: number; max: number };
  #changes: LimitChange[];

  /** A trace that starts at `limit`. */
  constructor(limit: number) {
    this.range = { min: limit, max: limit };
    this.#changes = [{ atMs: 0, limit }];
  }

  /** The limit became `limit`, `atMs` after the limiter was created. */
  push(atMs: number, limit: number): void {
    if (limit < this.range.min) this.range.min = limit;
    if (limit > this.range.max) this.range.max = limit;
    this.#changes.push({ atMs, limit });
    if (this.#changes.length > 2 * TRACE_LENGTH) {
      this.#changes = this.#changes.slice(-TRACE_LENGTH);
    }
  }

  /** The last changes (at most `TRACE_LENGTH`), oldest first. */
  entries(): LimitChange[] {
    return this.#changes.slice(-TRACE_LENGTH);
  }
}
