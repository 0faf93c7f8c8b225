/**
 * The signal to roll to a new file when rows outgrow a file's fixed schema.
 *
 * @module
 */
import type { Schema } from "./schema.ts";

/**
 * Thrown by {@linkcode ParquetWriter.write} when rows need columns or types
 * the file, whose schema is already fixed, cannot hold. None of those rows
 * were taken: close this file, start a new one with `{ schema: err.schema }`
 * and write the same rows there. It is a signal, not a failure; a real
 * conflict is a `SchemaError`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ParquetWriter, SchemaChange } from "./parquet_writer.ts";
 * import { LocalStorage } from "./local_storage.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const lake = new LocalStorage(dir);
 *   const opts = { stream: "demo/items", rowGroupSize: 2 };
 *   let w = await ParquetWriter.create(await lake.create("a.parquet"), opts);
 *   await w.write([{ id: 1 }, { id: 2 }]); // fills a row group: schema fixed
 *   const rows = [{ id: 3, note: "new column" }];
 *   try {
 *     await w.write(rows);
 *   } catch (err) {
 *     if (!(err instanceof SchemaChange)) throw err;
 *     await w.close();
 *     w = await ParquetWriter.create(await lake.create("b.parquet"), { ...opts, schema: err.schema });
 *     await w.write(rows);
 *   }
 *   assert((await w.close()).schema.length === 2);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class SchemaChange extends Error {
  /** The schema a new file needs: the old columns widened, then the new ones. */
  readonly schema: Schema;
  /** What changed, one phrase per column (`new column "x" (INT64)`). */
  readonly changes: readonly string[];

  /** Build the signal for `stream` from the file's schema and the one needed. */
  constructor(stream: string, from: Schema, to: Schema) {
    const before = new Map(from.map((c) => [c.name, c.type]));
    const changes = to.flatMap((c) => {
      const was = before.get(c.name);
      if (was === undefined) {
        return [`new column ${JSON.stringify(c.name)} (${c.type})`];
      }
      return was === c.type
        ? []
        : [`${JSON.stringify(c.name)} ${was} -> ${c.type}`];
    });
    super(
      `"${stream}": the file's schema cannot hold ${
        changes.join(", ")
      }; start a new file`,
    );
    this.name = "SchemaChange";
    this.schema = to;
    this.changes = changes;
  }
}
