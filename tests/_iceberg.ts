/**
 * What an Iceberg reader sees of a stream's table, as the tests' oracle:
 * icebird (an independent Iceberg reader on npm) lists the current
 * snapshot's data and position delete files from the table's metadata and
 * manifests, and DuckDB reads the data files with those deletes applied.
 * Nothing here uses inlet's own reading code.
 *
 * @module
 */
import { icebergManifests, icebergMetadata } from "icebird";
import { fileURLToPath, pathToFileURL } from "node:url";
import { resolve } from "node:path";

/** The live files of a table's current snapshot, as local paths. */
export interface TableFiles {
  /** Data files, in manifest order. */
  data: string[];
  /** Each data file's URI, as the metadata (and delete files) name it. */
  uris: string[];
  /** Position delete files. */
  deletes: string[];
}

/** The table URL of a local stream folder. */
export function tableUrl(dir: string): string {
  return pathToFileURL(resolve(dir)).href;
}

/**
 * The current snapshot's files of the table in `dir`, as icebird reads the
 * metadata; `undefined` when `dir` holds no table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tableFiles } from "./_iceberg.ts";
 * assert.equal(await tableFiles("/nonexistent/stream"), undefined);
 * ```
 */
export async function tableFiles(dir: string): Promise<TableFiles | undefined> {
  try {
    await Deno.stat(`${dir}/metadata/version-hint.text`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  const metadata = await icebergMetadata({ tableUrl: tableUrl(dir) });
  const out: TableFiles = { data: [], uris: [], deletes: [] };
  const current = metadata["current-snapshot-id"];
  if (current === undefined || current < 0) return out;
  for (const { entries } of await icebergManifests(metadata)) {
    for (const e of entries) {
      if (e.status === 2) continue; // Deleted by this snapshot.
      const uri = e.data_file.file_path;
      if (e.data_file.content) out.deletes.push(fileURLToPath(uri));
      else {
        out.data.push(fileURLToPath(uri));
        out.uris.push(uri);
      }
    }
  }
  return out;
}

const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * A DuckDB `FROM` item: the rows of the table in `dir` as an Iceberg reader
 * sees them (data files, position deletes applied, columns matched by
 * name); `undefined` when the table has no data file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tableSource } from "./_iceberg.ts";
 * assert.equal(await tableSource("/nonexistent/stream"), undefined);
 * ```
 */
export async function tableSource(dir: string): Promise<string | undefined> {
  const files = await tableFiles(dir);
  if (files === undefined || files.data.length === 0) return undefined;
  const data = `read_parquet([${
    files.data.map(lit).join(", ")
  }], union_by_name = true, filename = true, file_row_number = true)`;
  if (files.deletes.length === 0) {
    return `(SELECT * EXCLUDE (filename, file_row_number) FROM ${data})`;
  }
  const uris = `(VALUES ${
    files.data.map((f, i) => `(${lit(f)}, ${lit(files.uris[i]!)})`).join(", ")
  }) AS _u(_file, _uri)`;
  const dels = `read_parquet([${files.deletes.map(lit).join(", ")}]) AS _x`;
  return `(SELECT _d.* EXCLUDE (filename, file_row_number) FROM ${data} AS _d JOIN ${uris} ON _d.filename = _u._file ANTI JOIN ${dels} ON _x.file_path = _u._uri AND _x.pos = _d.file_row_number)`;
}
