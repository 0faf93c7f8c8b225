/**
 * How a commit log is opened.
 *
 * @module
 */

/**
 * Options of {@linkcode CommitLog}.
 *
 * @example
 * ```ts
 * import type { CommitLogOptions } from "./commit_log.ts";
 * const options: CommitLogOptions = { runId: "20261124T041300.000Z-a1b2", now: () => 0 };
 * ```
 */
export interface CommitLogOptions {
  /** This run's id: one path segment, e.g. from {@linkcode newRunId}. */
  runId: string;
  /** Clock for `committedAt`, in epoch milliseconds. @default {Date.now} */
  now?: () => number;
  /**
   * A separate log and staging area within the stream (`shard-1-of-2`): runs
   * of different scopes commit side by side, each owning its own state, and
   * their files land in the same stream folder.
   */
  scope?: string;
}
