/**
 * The live view of a run, for progress lines.
 *
 * @module
 */

import type { StreamStats } from "../paging/paginate.ts";

/**
 * Live view of a run, for progress lines.
 *
 * @example
 * ```ts
 * import type { RunMonitor } from "./run_monitor.ts";
 * function inFlight(run: RunMonitor): number {
 *   return [...run.streams.values()].reduce((n, s) => n + s.inFlight, 0);
 * }
 * ```
 */
export interface RunMonitor {
  /** The run id. */
  runId: string;
  /** Counters per stream name. */
  streams: Map<string, StreamStats>;
  /** The concurrency limit in force per host. */
  limits(): Record<string, number>;
  /** Limit changes over time per host (adaptive only). */
  traces(): Record<string, Array<{ atMs: number; limit: number }>>;
}

/** What one stream did in a run. */
