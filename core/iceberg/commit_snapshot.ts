/**
 * The Iceberg commit: write the new snapshot's manifests and manifest list,
 * then create the next metadata version only if no one else has. That one
 * conditional create is the whole commit: until it succeeds nothing is
 * visible, after it everything is.
 *
 * @module
 */
import type { ManifestEntryRow, ManifestFileRow } from "./_avro_schemas.ts";
import { carryManifests, type Removed } from "./_carry_manifests.ts";
import {
  ADDED,
  DATA,
  POSITION_DELETES,
  uriOf,
  writeManifest,
  writeManifestList,
} from "./_manifests.ts";
import { nextMetadata } from "./_next_metadata.ts";
import { publish, surelyNotCreated } from "./_publish.ts";
import { CommitConflictError } from "./commit_conflict_error.ts";
import type { EvolvedSchema } from "./schema.ts";
import type { IcebergTable } from "./table.ts";
import type { Snapshot, TableFile, TableMetadata } from "./types.ts";

/**
 * One commit's change.
 *
 * - `append`: add data files.
 * - `overwrite`: the new data files replace the whole table (every live
 *   data and delete file is dropped).
 * - `merge`: add data files and position delete files that delete the
 *   older rows of the same keys (see {@linkcode positionDeleteFile}).
 * - `replace`: a compaction: add data files and remove live data and
 *   delete files holding the same rows; the table's rows do not change
 *   (Iceberg's `replace` operation, which readers may skip in incremental
 *   reads).
 *
 * Why position deletes and not equality deletes: every Iceberg v2 reader
 * applies position deletes (Spark, Trino, Flink, Athena, Snowflake,
 * DuckDB's `iceberg_scan`, PyIceberg, Polars, icebird), while equality
 * deletes are refused by several (PyIceberg and Polars among them) and
 * make every reader compare every row against every delete. Position
 * deletes need a key index (which row of which file holds a key), which
 * the writer has anyway: it wrote those files.
 *
 * @example
 * ```ts
 * import type { SnapshotCommit } from "./commit_snapshot.ts";
 * const c: SnapshotCommit = {
 *   operation: "append",
 *   dataFiles: [{ path: "data/a.parquet", recordCount: 10, sizeBytes: 900 }],
 *   summary: { "inlet.state": JSON.stringify({ cursor: "abc" }) },
 * };
 * ```
 */
export interface SnapshotCommit {
  readonly operation: "append" | "overwrite" | "merge" | "replace";
  /** New data files, table-relative. @default {[]} */
  readonly dataFiles?: readonly TableFile[];
  /** New position delete files (`merge` and `replace`), table-relative. @default {[]} */
  readonly deleteFiles?: readonly TableFile[];
  /** Live files to drop (`merge` and `replace`), table-relative. @default {[]} */
  readonly removeFiles?: readonly string[];
  /** Free-form snapshot summary properties (a run's state). @default {{}} */
  readonly summary?: Readonly<Record<string, string>>;
  /**
   * The schema the files were written with ({@linkcode evolveSchema}'s
   * result on the table's current schema). Required on the first commit.
   * @default {the table's current schema}
   */
  readonly schema?: EvolvedSchema;
  /** Table properties to set. @default {{}} */
  readonly properties?: Readonly<Record<string, string>>;
  /** The clock, in epoch milliseconds. @default {Date.now} */
  readonly now?: () => number;
}

function currentSchema(
  table: IcebergTable,
  commit: SnapshotCommit,
): EvolvedSchema {
  if (commit.schema !== undefined) return commit.schema;
  const m = table.metadata;
  const schema = m?.schemas.find((s) =>
    s["schema-id"] === m["current-schema-id"]
  );
  if (m === undefined || schema === undefined) {
    throw new TypeError(
      `Cannot commit to the Iceberg table ${table.path}: a new table needs a schema`,
    );
  }
  return { schema, lastColumnId: m["last-column-id"], changed: false };
}

function check(table: IcebergTable, commit: SnapshotCommit): void {
  const { operation } = commit;
  if (!["append", "overwrite", "merge", "replace"].includes(operation)) {
    throw new TypeError(
      `Cannot commit an Iceberg snapshot: unknown operation ${operation}`,
    );
  }
  const only = (what: string, list: readonly unknown[] | undefined) => {
    if (
      operation !== "merge" && operation !== "replace" &&
      (list?.length ?? 0) > 0
    ) {
      throw new TypeError(
        `Cannot commit to the Iceberg table ${table.path}: ${what} belong in a merge or a replace, not an ${operation}`,
      );
    }
  };
  only("delete files", commit.deleteFiles);
  only("removed files", commit.removeFiles);
  for (const f of [...commit.dataFiles ?? [], ...commit.deleteFiles ?? []]) {
    if (
      !Number.isSafeInteger(f.recordCount) || !Number.isSafeInteger(f.sizeBytes)
    ) {
      throw new TypeError(
        `Cannot commit ${f.path} to ${table.path}: record count and size must be integers`,
      );
    }
  }
}

function entry(
  table: IcebergTable,
  file: TableFile,
  content: number,
  snapshotId: number,
  seq: number,
): ManifestEntryRow {
  return {
    status: ADDED,
    snapshot_id: snapshotId,
    sequence_number: seq,
    file_sequence_number: seq,
    data_file: {
      content,
      file_path: uriOf(table, file.path),
      file_format: "PARQUET",
      partition: {},
      record_count: file.recordCount,
      file_size_in_bytes: file.sizeBytes,
      key_metadata: null,
      split_offsets: null,
      equality_ids: null,
      sort_order_id: content === DATA ? 0 : null,
    },
  };
}

/**
 * Commit a new snapshot on top of `table` (as loaded) and return the table
 * at the new version. When another writer created that version first, the
 * files written here are removed and a {@linkcode CommitConflictError} is
 * thrown: re-load the table, redo what depends on it (deletes, schema) and
 * commit again.
 *
 * `version-hint.text` is written after the metadata file, so a crash or a
 * race can leave it behind or even step it back one; that is safe: it only
 * ever names a committed version (a reader using it sees an older, whole
 * snapshot), and writers ({@linkcode loadTable}) probe past it for the
 * newest version, while the conditional create decides every race.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LocalStorage } from "../lake/local_storage.ts";
 * import { commitSnapshot, currentSnapshot, evolveSchema, loadTable } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const table = await loadTable(new LocalStorage(dir), "demo/items");
 *   const schema = evolveSchema(undefined, [{ name: "id", type: "long" }]);
 *   const next = await commitSnapshot(table, {
 *     operation: "append",
 *     dataFiles: [{ path: "data/a.parquet", recordCount: 3, sizeBytes: 400 }],
 *     schema,
 *     summary: { "inlet.state": "{}" },
 *   });
 *   assert.equal(next.version, 1);
 *   assert.equal(currentSnapshot(next)?.summary["inlet.state"], "{}");
 *   await assert.rejects(() => commitSnapshot(table, { operation: "append", schema }), /another writer/);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function commitSnapshot(
  table: IcebergTable,
  commit: SnapshotCommit,
): Promise<IcebergTable> {
  check(table, commit);
  const schema = currentSchema(table, commit);
  const base = table.metadata;
  const seq = (base?.["last-sequence-number"] ?? 0) + 1;
  const snapshotId = newSnapshotId(base);
  const prefix = `metadata/${crypto.randomUUID()}`;
  const ctx = {
    snapshotId,
    sequenceNumber: seq,
    schema: schema.schema,
    prefix,
  };
  const written: string[] = [];
  let publishing = false;
  try {
    const carried = commit.operation === "overwrite"
      ? { manifests: [], removed: everything(base), written: [] }
      : await carryManifests(table, commit.removeFiles ?? [], ctx);
    written.push(...carried.written);
    const manifests: ManifestFileRow[] = [...carried.manifests];
    const added = [
      [DATA, commit.dataFiles ?? []],
      [POSITION_DELETES, commit.deleteFiles ?? []],
    ] as const;
    for (const [content, files] of added) {
      if (files.length === 0) continue;
      const path = `${prefix}-m${content}.avro`;
      written.push(path);
      const entries = files.map((f) =>
        entry(table, f, content, snapshotId, seq)
      );
      manifests.push(
        await writeManifest(table, { ...ctx, content, entries, path }),
      );
    }
    const listPath = `metadata/snap-${snapshotId}-1-${prefix.slice(9)}.avro`;
    written.push(listPath);
    const parentId = base?.["current-snapshot-id"];
    const snapshot: Snapshot = {
      "snapshot-id": snapshotId,
      ...(parentId !== undefined && parentId >= 0
        ? { "parent-snapshot-id": parentId }
        : {}),
      "sequence-number": seq,
      "timestamp-ms": (commit.now ?? Date.now)(),
      "manifest-list": await writeManifestList(table, listPath, manifests, {
        id: snapshotId,
        ...(parentId !== undefined && parentId >= 0 ? { parentId } : {}),
        sequenceNumber: seq,
      }),
      summary: summarize(base, commit, carried.removed),
      "schema-id": schema.schema["schema-id"],
    };
    const metadata = nextMetadata(
      table,
      snapshot,
      schema,
      commit.properties ?? {},
    );
    publishing = true;
    return await publish(table, metadata);
  } catch (err) {
    await cleanUp(table, written, publishing, err);
    throw err;
  }
}

/**
 * Remove a failed commit's files. Once the create was tried, its outcome
 * may be unknown (a failed answer to a write that happened): the files
 * stay, unless it surely did not happen. Orphans cost space; a committed
 * snapshot without its manifests would cost the table.
 */
async function cleanUp(
  table: IcebergTable,
  written: readonly string[],
  publishing: boolean,
  err: unknown,
): Promise<void> {
  if (
    !publishing || err instanceof CommitConflictError || surelyNotCreated(err)
  ) {
    await Promise.allSettled(
      written.map((p) => table.storage.delete(`${table.path}/${p}`)),
    );
  }
}

function newSnapshotId(base: TableMetadata | undefined): number {
  const taken = new Set(base?.snapshots.map((s) => s["snapshot-id"]));
  for (;;) {
    const [hi, lo] = crypto.getRandomValues(new Uint32Array(2));
    // Positive and below 2^53: exact in JSON numbers and JavaScript alike.
    const id = (hi! & 0x1fffff) * 2 ** 32 + lo!;
    if (id > 0 && !taken.has(id)) return id;
  }
}

function total(base: TableMetadata | undefined, key: string): number {
  const s = base?.snapshots.find((s) =>
    s["snapshot-id"] === base["current-snapshot-id"]
  );
  const n = Number(s?.summary[key] ?? 0);
  return Number.isFinite(n) ? n : 0;
}

function everything(base: TableMetadata | undefined): Removed {
  return {
    dataFiles: total(base, "total-data-files"),
    dataRows: total(base, "total-records"),
    deleteFiles: total(base, "total-delete-files"),
    deleteRows: total(base, "total-position-deletes"),
  };
}

function summarize(
  base: TableMetadata | undefined,
  commit: SnapshotCommit,
  removed: Removed,
): Snapshot["summary"] {
  const sum = (files: readonly TableFile[] | undefined) =>
    (files ?? []).reduce((n, f) => n + f.recordCount, 0);
  const data = commit.dataFiles?.length ?? 0, rows = sum(commit.dataFiles);
  const deletes = commit.deleteFiles?.length ?? 0;
  const positions = sum(commit.deleteFiles);
  const operation = commit.operation === "merge"
    ? (deletes === 0 && removed.dataFiles + removed.deleteFiles === 0
      ? "append"
      : data === 0
      ? "delete"
      : "overwrite")
    : commit.operation;
  const n = (x: number) => String(x);
  return {
    ...commit.summary,
    operation,
    "added-data-files": n(data),
    "added-records": n(rows),
    "added-delete-files": n(deletes),
    "added-position-deletes": n(positions),
    "deleted-data-files": n(removed.dataFiles),
    "deleted-records": n(removed.dataRows),
    "removed-delete-files": n(removed.deleteFiles),
    "removed-position-deletes": n(removed.deleteRows),
    "total-data-files": n(
      total(base, "total-data-files") + data - removed.dataFiles,
    ),
    "total-records": n(total(base, "total-records") + rows - removed.dataRows),
    "total-delete-files": n(
      total(base, "total-delete-files") + deletes - removed.deleteFiles,
    ),
    "total-position-deletes": n(
      total(base, "total-position-deletes") + positions - removed.deleteRows,
    ),
    "total-equality-deletes": "0",
  };
}
