/**
 * Reading a table's current state: its snapshot (with the summary a run
 * resumes from), and the data and delete files that make it up.
 *
 * @module
 */
import { parentManifests } from "./_carry_manifests.ts";
import { DELETED, readManifest, relativePath } from "./_manifests.ts";
import type { IcebergTable } from "./table.ts";
import type { IcebergSchema, LiveFile, Snapshot } from "./types.ts";

/**
 * The current snapshot of `table` (as loaded), or `undefined` before the
 * first commit. Its `summary` holds `operation` and the free-form
 * properties the commit set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { currentSnapshot } from "./current_snapshot.ts";
 * import type { IcebergTable } from "./table.ts";
 * const empty = { metadata: undefined } as unknown as IcebergTable;
 * assert.equal(currentSnapshot(empty), undefined);
 * ```
 */
export function currentSnapshot(table: IcebergTable): Snapshot | undefined {
  const m = table.metadata;
  if (m === undefined || m["current-snapshot-id"] < 0) return undefined;
  const snapshot = m.snapshots.find((s) =>
    s["snapshot-id"] === m["current-snapshot-id"]
  );
  if (snapshot === undefined) {
    throw new Error(
      `Cannot read the Iceberg table ${table.path}: its current snapshot ${
        m["current-snapshot-id"]
      } is not among its snapshots`,
    );
  }
  return snapshot;
}

/**
 * The current schema of `table`, or `undefined` before the first commit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { currentSchema } from "./current_snapshot.ts";
 * import type { IcebergTable } from "./table.ts";
 * assert.equal(currentSchema({ metadata: undefined } as unknown as IcebergTable), undefined);
 * ```
 */
export function currentSchema(table: IcebergTable): IcebergSchema | undefined {
  const m = table.metadata;
  return m?.schemas.find((s) => s["schema-id"] === m["current-schema-id"]);
}

/**
 * The live files of a snapshot.
 *
 * @example
 * ```ts
 * import type { LiveFiles } from "./current_snapshot.ts";
 * const rows = (f: LiveFiles) => f.data.reduce((n, d) => n + d.recordCount, 0);
 * ```
 */
export interface LiveFiles {
  /** Data files, in manifest order. */
  readonly data: LiveFile[];
  /** Position delete files. */
  readonly deletes: LiveFile[];
}

/**
 * The data and delete files of the current snapshot (none before the first
 * commit), paths relative to the table's folder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { liveFiles } from "./current_snapshot.ts";
 * import type { IcebergTable } from "./table.ts";
 * const files = await liveFiles({ metadata: undefined } as unknown as IcebergTable);
 * assert.deepEqual(files, { data: [], deletes: [] });
 * ```
 */
export async function liveFiles(table: IcebergTable): Promise<LiveFiles> {
  const out: LiveFiles = { data: [], deletes: [] };
  for (const manifest of await parentManifests(table)) {
    for (const e of await readManifest(table, manifest)) {
      if (e.status === DELETED) continue;
      const f = e.data_file;
      const file: LiveFile = {
        path: relativePath(table, f.file_path),
        recordCount: f.record_count,
        sizeBytes: f.file_size_in_bytes,
        content: f.content === 0 ? "data" : "position-deletes",
        sequenceNumber: e.sequence_number!,
        snapshotId: e.snapshot_id!,
      };
      if (f.content === 0) out.data.push(file);
      else if (f.content === 1) out.deletes.push(file);
      else {
        throw new Error(
          `Cannot read the Iceberg table ${table.path}: ${file.path} holds equality deletes, which this writer never writes`,
        );
      }
    }
  }
  return out;
}
