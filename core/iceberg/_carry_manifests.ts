/**
 * The parent snapshot's manifests a new snapshot keeps: all of them, or,
 * when files are removed, each manifest that held one rewritten with that
 * entry marked deleted.
 *
 * @module
 */
import type { ManifestEntryRow, ManifestFileRow } from "./_avro_schemas.ts";
import {
  DELETED,
  EXISTING,
  readManifest,
  readManifestList,
  relativePath,
  writeManifest,
} from "./_manifests.ts";
import type { IcebergTable } from "./table.ts";
import type { IcebergSchema } from "./types.ts";

/** Files and rows dropped, by content. */
export interface Removed {
  dataFiles: number;
  dataRows: number;
  deleteFiles: number;
  deleteRows: number;
}

/** What the new snapshot keeps of its parent. */
export interface Carried {
  readonly manifests: ManifestFileRow[];
  readonly removed: Removed;
  /** Manifests written here (table-relative), to clean up on a lost race. */
  readonly written: string[];
}

/** Where the new snapshot's manifests go and what they record. */
export interface CarryContext {
  readonly snapshotId: number;
  readonly sequenceNumber: number;
  readonly schema: IcebergSchema;
  readonly prefix: string;
}

/** The parent's manifest rows (none for a new table). */
export async function parentManifests(
  table: IcebergTable,
): Promise<ManifestFileRow[]> {
  const m = table.metadata;
  const parent = m?.snapshots.find((s) =>
    s["snapshot-id"] === m["current-snapshot-id"]
  );
  return parent ? await readManifestList(table, parent["manifest-list"]) : [];
}

/** Keep every parent manifest, dropping the entries of `remove` (table-relative paths). */
export async function carryManifests(
  table: IcebergTable,
  remove: readonly string[],
  ctx: CarryContext,
): Promise<Carried> {
  const removed = { dataFiles: 0, dataRows: 0, deleteFiles: 0, deleteRows: 0 };
  const parents = await parentManifests(table);
  if (remove.length === 0) {
    return { manifests: parents, removed, written: [] };
  }
  const wanted = new Set(remove);
  const manifests: ManifestFileRow[] = [], written: string[] = [];
  for (const manifest of parents) {
    const entries = await readManifest(table, manifest);
    const live = entries.filter((e) => e.status !== DELETED);
    if (
      !live.some((e) => wanted.has(relativePath(table, e.data_file.file_path)))
    ) {
      manifests.push(manifest);
      continue;
    }
    const kept: ManifestEntryRow[] = live.map((e) => {
      const path = relativePath(table, e.data_file.file_path);
      if (!wanted.delete(path)) return { ...e, status: EXISTING };
      const rows = e.data_file.record_count;
      if (e.data_file.content === 0) {
        removed.dataFiles++;
        removed.dataRows += rows;
      } else {
        removed.deleteFiles++;
        removed.deleteRows += rows;
      }
      return { ...e, status: DELETED, snapshot_id: ctx.snapshotId };
    });
    const path = `${ctx.prefix}-m${written.length + 100}.avro`;
    written.push(path);
    manifests.push(
      await writeManifest(table, {
        content: manifest.content as 0 | 1,
        entries: kept,
        schema: ctx.schema,
        snapshotId: ctx.snapshotId,
        sequenceNumber: ctx.sequenceNumber,
        path,
      }),
    );
  }
  if (wanted.size > 0) {
    throw new Error(
      `Cannot commit to the Iceberg table ${table.path}: cannot remove ${
        [...wanted].join(", ")
      }, not a live file of its current snapshot`,
    );
  }
  return { manifests, removed, written };
}
