/**
 * Expiring a stream table's old snapshots, keeping what its pulls resume
 * from.
 *
 * @module
 */
import { CommitConflictError } from "../iceberg/commit_conflict_error.ts";
import { expireSnapshots } from "../iceberg/expire_snapshots.ts";
import { loadTable } from "../iceberg/table.ts";
import type { TableMetadata } from "../iceberg/types.ts";
import {
  ancestry,
  archiveFiles,
  KEYS,
  ofScope,
  scopeHead,
  scopesOf,
} from "./_table_summary.ts";
import type { Storage } from "./storage.ts";

/**
 * Options for {@linkcode expireTable}.
 *
 * @example
 * ```ts
 * import type { ExpireTableOptions } from "./expire_table.ts";
 * const o: ExpireTableOptions = { olderThanMs: 7 * 86_400_000 };
 * ```
 */
export interface ExpireTableOptions {
  /** Snapshots older than this (ms before now) expire. */
  readonly olderThanMs: number;
  /** The clock, in epoch milliseconds. @default {Date.now} */
  readonly now?: () => number;
  /** Tries when other writers commit meanwhile. @default {5} */
  readonly attempts?: number;
}

/**
 * What {@linkcode expireTable} did.
 *
 * @example
 * ```ts
 * import type { ExpireTableReport } from "./expire_table.ts";
 * const r: ExpireTableReport = { stream: "demo/items", expired: 0, kept: 1, deletedFiles: 0 };
 * ```
 */
export interface ExpireTableReport {
  readonly stream: string;
  /** Snapshots expired. */
  readonly expired: number;
  /** Snapshots left. */
  readonly kept: number;
  /** Files deleted: data, delete files, manifests, manifest lists. */
  readonly deletedFiles: number;
}

/**
 * The snapshots a pull needs: each scope's last commit (its state and held
 * files), and each commit that added an NDJSON archive file still live
 * (the archive is listed in summaries, not manifests).
 */
function pinned(metadata: TableMetadata | undefined, path: string) {
  const keep = new Set<number>();
  const table = { path, metadata };
  for (const scope of scopesOf(metadata)) {
    const head = scopeHead(table, scope, path);
    if (head) keep.add(head.snapshot["snapshot-id"]);
    const live = new Set(archiveFiles(table, scope, path).map((f) => f.path));
    if (live.size === 0) continue;
    for (const s of ancestry(metadata)) {
      const added = s.summary[KEYS.archiveAdded];
      if (!ofScope(s, scope) || added === undefined) continue;
      const paths = (JSON.parse(added) as { path: string }[]).map((f) =>
        `${path}/${f.path}`
      );
      if (paths.some((p) => live.has(p))) keep.add(s["snapshot-id"]);
    }
  }
  return keep;
}

/**
 * Expire the snapshots of the stream table at `prefix` older than
 * `olderThanMs`, and delete the files only they held. Never expired: the
 * current snapshot, each scope's (shard's) last pull, which holds the
 * state the next pull resumes from, the commits listing live NDJSON
 * archive files, and every snapshot between those and the current one.
 * Only files an expired snapshot listed are deleted, after the commit:
 * never a file a running pull has written and may still commit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expireTable } from "./expire_table.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const r = await expireTable(new LocalStorage(dir), "demo/items", { olderThanMs: 0 });
 *   assert.equal(r.expired, 0);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function expireTable(
  storage: Storage,
  prefix: string,
  options: ExpireTableOptions,
): Promise<ExpireTableReport> {
  if (!(options.olderThanMs >= 0)) {
    throw new RangeError(
      `Cannot expire ${prefix}: the age must be 0 or more, got ${options.olderThanMs}`,
    );
  }
  const now = options.now ?? Date.now;
  const attempts = options.attempts ?? 5;
  for (let attempt = 1;; attempt++) {
    const table = await loadTable(storage, prefix);
    try {
      const r = await expireSnapshots(table, {
        olderThan: now() - options.olderThanMs,
        keep: pinned(table.metadata, table.path),
        now,
      });
      return {
        stream: prefix,
        expired: r.expired.length,
        kept: r.table.metadata?.snapshots.length ?? 0,
        deletedFiles: r.deleted.length,
      };
    } catch (err) {
      if (!(err instanceof CommitConflictError) || attempt >= attempts) {
        throw err;
      }
    }
  }
}
