/**
 * What a commit asks for.
 *
 * @module
 */

/**
 * What {@linkcode CommitLog.commit} takes.
 *
 * @example
 * ```ts
 * import type { CommitRequest } from "./commit_log.ts";
 * const req: CommitRequest = {
 *   add: [{ staged: "demo/items/_staging/run-1/part-1.parquet", records: 10, bytes: 900 }],
 *   state: { offset: 10 },
 * };
 * ```
 */
export interface CommitRequest {
  /** Staged files of this run (from {@linkcode CommitLog.stagingPath}), now complete. */
  add: ReadonlyArray<{ staged: string; records: number; bytes: number }>;
  /** Final paths of live files to remove (for a full refresh). @default {[]} */
  remove?: readonly string[];
  /** Keep this commit's files staged and invisible until a later commit publishes them. @default {false} */
  hold?: boolean;
  /** Staged paths of held files (of any run) to make visible with this commit. @default {[]} */
  publish?: readonly string[];
  /** The stream's new state (any JSON value). */
  state: unknown;
  /** Anything else to keep with the commit. */
  meta?: Record<string, unknown>;
}
