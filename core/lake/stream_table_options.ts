/**
 * How a stream's table is opened.
 *
 * @module
 */

/**
 * Options of {@linkcode StreamTable}.
 *
 * @example
 * ```ts
 * import type { StreamTableOptions } from "./stream_table.ts";
 * const options: StreamTableOptions = { runId: "20261124T041300.000Z-a1b2", now: () => 0 };
 * ```
 */
export interface StreamTableOptions {
  /** This run's id: one path segment, e.g. from {@linkcode newRunId}. */
  runId: string;
  /** Clock for the snapshots' timestamps, in epoch milliseconds. @default {Date.now} */
  now?: () => number;
  /**
   * A scope within the stream (`shard-1-of-2`): runs of different scopes
   * commit to the same table side by side, each owning its own state (in
   * its snapshots' summaries) and writing its files in its own folder
   * (`data/<scope>/`).
   */
  scope?: string;
}
