/**
 * One format per stream: a folder mixing Parquet and NDJSON cannot be read as
 * one table (DuckDB reads a `.parquet` as malformed JSON, or the other way).
 *
 * @module
 */

import { ConfigError } from "../connector/errors.ts";
import { committedFiles } from "./lake_reader.ts";
import type { Storage } from "./storage.ts";
import type { Format } from "./stream_writer.ts";

/**
 * The format of a data file, from its name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatOf } from "./stream_format.ts";
 * assert.equal(formatOf("demo/items/a.parquet"), "parquet");
 * assert.equal(formatOf("demo/items/a.ndjson.zst"), "ndjson");
 * assert.equal(formatOf("demo/items/a.csv"), undefined);
 * ```
 */
export function formatOf(path: string): Format | undefined {
  if (path.endsWith(".parquet")) return "parquet";
  if (/\.ndjson(\.[a-z0-9]+)?$/.test(path)) return "ndjson";
  return undefined;
}

/**
 * The formats of a stream's committed files, sorted (one, or none, in a
 * healthy lake).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatsOf } from "./stream_format.ts";
 * assert.deepEqual(formatsOf(["a.parquet", "b.ndjson.gz", "c.parquet"]), ["ndjson", "parquet"]);
 * ```
 */
export function formatsOf(files: readonly string[]): string[] {
  return [...new Set(files.map((f) => formatOf(f) ?? "unknown"))].sort();
}

/**
 * Refuse to write `format` into a stream whose committed data is in another
 * one, unless the run replaces all of it (`--full-refresh`): checked before
 * any request, with a {@linkcode ConfigError} naming the stream, the format it
 * holds and how to proceed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertStreamFormat } from "./stream_format.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * const dir = await Deno.makeTempDir();
 * await assertStreamFormat(new LocalStorage(dir), "demo", "items", "ndjson", false);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function assertStreamFormat(
  storage: Storage,
  connector: string,
  stream: string,
  format: Format,
  fullRefresh: boolean,
): Promise<void> {
  if (fullRefresh) return;
  let files;
  try {
    files = await committedFiles(storage, `${connector}/${stream}`);
  } catch {
    // A log that cannot be read fails that stream's own run, which names
    // the stream and the entry; it is not this check's to report.
    return;
  }
  const held = formatsOf(files).filter((f) => f !== format);
  if (held.length === 0) return;
  throw new ConfigError(
    `Cannot pull ${format} into stream "${connector}/${stream}": it already holds committed ${
      held.join(" and ")
    } data in ${storage.root}, and a stream keeps one format (a mix cannot be queried). Pull with --format ${
      held[0]
    }, or switch with --full-refresh --format ${format} (replaces the stream's data), or delete ${connector}/${stream} from the lake to start afresh`,
  );
}
