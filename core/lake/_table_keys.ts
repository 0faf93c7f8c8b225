/**
 * The primary keys a merge stream's data files hold, read back from the
 * files themselves (hyparquet), and the key index of a table rebuilt from
 * them. Keys of new files are read the same way, so a key written in one
 * run and met again in the next is the same string whatever its type.
 *
 * @module
 */
import { parquetReadObjects } from "hyparquet";
import { zstdDecompressSync } from "node:zlib";
import { exactJson } from "../connector/exact_json.ts";
import { getPath } from "../connector/json_path.ts";
import { liveFiles } from "../iceberg/current_snapshot.ts";
import { KeyIndex } from "../iceberg/key_index.ts";
import type { IcebergTable } from "../iceberg/table.ts";
import type { Storage } from "./storage.ts";

const compressors = {
  ZSTD: (input: Uint8Array) => new Uint8Array(zstdDecompressSync(input)),
};

/** A key path's value in a row read back (JSON text columns are parsed). */
function keyValue(row: Record<string, unknown>, path: string): unknown {
  const [head, ...rest] = path.split(".");
  let value = row[head!];
  if (rest.length === 0) return value;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return getPath(value, rest.join("."));
}

/**
 * The key of every row of the Parquet file at `path`, in row order: the
 * exact JSON of the primary key's values, as a merge compares them.
 */
export async function fileKeys(
  storage: Storage,
  path: string,
  primaryKey: readonly string[],
): Promise<string[]> {
  const bytes = await storage.get(path);
  if (bytes === undefined) {
    throw new Error(
      `Cannot read the keys of ${storage.root}/${path}: the file is missing`,
    );
  }
  const file = bytes.buffer.slice(
    bytes.byteOffset,
    bytes.byteOffset + bytes.byteLength,
  ) as ArrayBuffer;
  const columns = [...new Set(primaryKey.map((k) => k.split(".")[0]!))];
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file, columns, compressors });
  } catch (err) {
    throw new Error(
      `Cannot read the key columns ${
        columns.join(", ")
      } of ${storage.root}/${path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return rows.map((r) => exactJson(primaryKey.map((k) => keyValue(r, k))));
}

/**
 * The key index of `table` as it stands, without the files `exclude`
 * (table-relative; a commit removes them): every live data file's keys, in
 * commit order (sequence number, then manifest order). The newest row of
 * a key is always live (a merge deletes only older rows), so the delete
 * files need not be read.
 */
export async function tableIndex(
  storage: Storage,
  table: IcebergTable,
  primaryKey: readonly string[],
  exclude: ReadonlySet<string> = new Set(),
): Promise<KeyIndex> {
  const index = new KeyIndex();
  const { data } = await liveFiles(table);
  const ordered = data.filter((f) => !exclude.has(f.path)).map((f, i) => ({
    f,
    i,
  })).sort((a, b) => a.f.sequenceNumber - b.f.sequenceNumber || a.i - b.i);
  for (const { f } of ordered) {
    index.add(
      f.path,
      await fileKeys(storage, `${table.path}/${f.path}`, primaryKey),
    );
  }
  return index;
}
