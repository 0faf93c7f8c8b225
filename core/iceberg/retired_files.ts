/**
 * The files a table's current snapshot no longer holds but an older
 * snapshot still does: what a compaction or a merge removed, kept for
 * time travel until their snapshots expire.
 *
 * @module
 */
import { readManifest, readManifestList } from "./_manifests.ts";
import { DELETED, relativePath } from "./_manifests.ts";
import type { IcebergTable } from "./table.ts";

/**
 * Every data and delete file (table-relative) that a snapshot of `table`
 * removed: files older snapshots list and the current one does not. A
 * cleaner of files no snapshot lists keeps these, or time travel to those
 * snapshots breaks. Only the snapshots that removed files are read (their
 * summary says so), and only the manifests they rewrote.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { retiredFiles } from "./retired_files.ts";
 * import type { IcebergTable } from "./table.ts";
 * const empty = { metadata: undefined } as unknown as IcebergTable;
 * assert.equal((await retiredFiles(empty)).size, 0);
 * ```
 */
export async function retiredFiles(table: IcebergTable): Promise<Set<string>> {
  const out = new Set<string>();
  for (const s of table.metadata?.snapshots ?? []) {
    const removed = Number(s.summary["deleted-data-files"] ?? 0) +
      Number(s.summary["removed-delete-files"] ?? 0);
    if (!(removed > 0)) continue;
    const id = s["snapshot-id"];
    for (const m of await readManifestList(table, s["manifest-list"])) {
      if (m.added_snapshot_id !== id || m.deleted_files_count === 0) continue;
      for (const e of await readManifest(table, m)) {
        if (e.status === DELETED) {
          out.add(relativePath(table, e.data_file.file_path));
        }
      }
    }
  }
  return out;
}
