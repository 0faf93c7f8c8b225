/**
 * What a commit asks for, and what it reports.
 *
 * @module
 */

/**
 * What {@linkcode StreamTable.commit} takes.
 *
 * @example
 * ```ts
 * import type { CommitRequest } from "./stream_table.ts";
 * const req: CommitRequest = {
 *   add: [{ staged: "demo/items/data/run-1-00000.parquet", records: 10, bytes: 900 }],
 *   state: { offset: 10 },
 * };
 * ```
 */
export interface CommitRequest {
  /** Files of this run (from {@linkcode StreamTable.stagingPath}), now complete. */
  add: ReadonlyArray<{ staged: string; records: number; bytes: number }>;
  /** Live files to remove (a full refresh replaces them). @default {[]} */
  remove?: readonly string[];
  /** Keep this commit's files out of the table until a later commit publishes them. @default {false} */
  hold?: boolean;
  /** Held files (of any run of the scope) to add to the table with this commit. @default {[]} */
  publish?: readonly string[];
  /** The stream's new state (any JSON value). */
  state: unknown;
  /**
   * The primary key (column paths) of a `merge`: rows of the added files
   * delete the older live rows of the same keys (position deletes).
   * @default {no merge: rows are appended}
   */
  merge?: readonly string[];
}

/**
 * A file a commit added.
 *
 * @example
 * ```ts
 * import type { CommitFile } from "./stream_table.ts";
 * const f: CommitFile = {
 *   path: "demo/items/data/20261124T041300.000Z-a1b2-00000.parquet",
 *   staged: "demo/items/data/20261124T041300.000Z-a1b2-00000.parquet",
 *   records: 100,
 *   bytes: 2048,
 * };
 * ```
 */
export interface CommitFile {
  /** Where readers find it (files are written where they stay). */
  path: string;
  /** Where it was written: the same path. */
  staged: string;
  /** Records in the file. */
  records: number;
  /** File size in bytes. */
  bytes: number;
  /** Committed but held out of the table until a later commit publishes it. */
  held?: true;
}

/**
 * One commit of a stream's scope: a snapshot of its Iceberg table.
 *
 * @example
 * ```ts
 * import type { CommitEntry } from "./stream_table.ts";
 * const e: CommitEntry = {
 *   version: 1,
 *   runId: "20261124T041300.000Z-a1b2",
 *   committedAt: "2026-11-24T04:13:05.000Z",
 *   add: [],
 *   remove: [],
 *   state: { cursor: "abc" },
 * };
 * ```
 */
export interface CommitEntry {
  /** The snapshot's sequence number (1, 2, 3, ... across every scope). */
  version: number;
  /** The run that committed it. */
  runId: string;
  /** ISO-8601 UTC time of the commit. */
  committedAt: string;
  /** Files this commit added (the run's own reports only; a read back lists none). */
  add: CommitFile[];
  /** Files this commit removed. */
  remove: string[];
  /** The stream's state after this commit (any JSON value). */
  state: unknown;
}
