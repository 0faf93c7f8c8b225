/**
 * Position delete files: Parquet files of `(file_path, pos)` rows, each
 * deleting one row (by its 0-based position) of one data file.
 *
 * @module
 */
import { parquetWriteBuffer } from "hyparquet-writer";
import { uriOf } from "./_manifests.ts";
import type { IcebergTable } from "./table.ts";
import type { TableFile } from "./types.ts";

/**
 * One deleted row: a data file (table-relative) and the row's position.
 *
 * @example
 * ```ts
 * import type { PositionDelete } from "./position_deletes.ts";
 * const d: PositionDelete = { path: "data/a.parquet", pos: 3 };
 * ```
 */
export interface PositionDelete {
  readonly path: string;
  readonly pos: number;
}

// The reserved field ids the spec gives these two columns.
const FILE_PATH_ID = 2147483546, POS_ID = 2147483545;

/**
 * Write the position delete file `path` (table-relative) for `deletes`,
 * sorted by file and position as the spec requires; what to commit as one
 * of a merge's `deleteFiles`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LocalStorage } from "../lake/local_storage.ts";
 * import { loadTable, positionDeleteFile } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const table = await loadTable(new LocalStorage(dir), "demo/items");
 *   const file = await positionDeleteFile(table, "data/d1.parquet", [
 *     { path: "data/a.parquet", pos: 2 },
 *     { path: "data/a.parquet", pos: 0 },
 *   ]);
 *   assert.equal(file.recordCount, 2);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function positionDeleteFile(
  table: IcebergTable,
  path: string,
  deletes: readonly PositionDelete[],
): Promise<TableFile> {
  const sorted = [...deletes].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : a.pos - b.pos
  );
  const bytes = new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: "file_path", data: sorted.map((d) => uriOf(table, d.path)) },
      { name: "pos", data: sorted.map((d) => BigInt(d.pos)) },
    ],
    schema: [
      { name: "table", num_children: 2 },
      {
        name: "file_path",
        type: "BYTE_ARRAY",
        converted_type: "UTF8",
        repetition_type: "REQUIRED",
        field_id: FILE_PATH_ID,
      },
      {
        name: "pos",
        type: "INT64",
        repetition_type: "REQUIRED",
        field_id: POS_ID,
      },
    ],
  }));
  await table.storage.put(`${table.path}/${path}`, bytes);
  return { path, recordCount: sorted.length, sizeBytes: bytes.length };
}
