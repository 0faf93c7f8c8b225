/**
 * One row group written a column at a time, with a pause between columns.
 *
 * hyparquet-writer encodes a whole row group in one synchronous call: with
 * 10,000 rows that blocks the event loop for tens of milliseconds, during
 * which no answer is read and no request goes out, so a pull loses that
 * much of its source's capacity every row group. Writing the same bytes
 * column by column, and yielding to the event loop between columns, keeps
 * each block to a few milliseconds.
 *
 * This follows `ParquetWriter.write` of hyparquet-writer 0.17.0 (pinned in
 * deno.json) for the options inlet uses: no variant columns, no bloom
 * filters, offset indexes on, column indexes off.
 *
 * @module
 */
import type { ParquetWriter as HyParquetWriter } from "hyparquet-writer";
import { writeColumn } from "hyparquet-writer/src/column.js";
import { encodeNestedValues } from "hyparquet-writer/src/dremel.js";
import { schemaPathResolver } from "hyparquet-writer/src/schema.js";
import type { TypedLeaf } from "./_leaf_pages.ts";
import { writeLeafChunk, writesLeaf } from "./_leaf_chunk.ts";

// hyparquet (the reader) is not a direct dependency: take its types from here.
type SchemaTree = Parameters<typeof encodeNestedValues>[0][number];
type ColumnChunk = ReturnType<typeof writeColumn>["chunk"];
type Encoder = Parameters<typeof writeColumn>[0]["column"];

/** hyparquet-writer's default data page size. */
const PAGE_SIZE = 1024 * 1024;

/**
 * JSON columns arrive as UTF-8 bytes already (see `columnData`): encode
 * them as the JSON logical type without its converted type, which makes
 * hyparquet-writer take the bytes as they are instead of stringifying
 * again, and keeps their statistics untruncated as for JSON. The file's
 * schema, written from `pq.schema`, still says JSON.
 */
function asBytes(element: Encoder["element"]): Encoder["element"] {
  if (element.converted_type !== "JSON") return element;
  const { converted_type: _, ...rest } = element;
  return { ...rest, logical_type: { type: "JSON" } };
}

/** Leaf paths under a column (one for scalars, the element for lists). */
function leafPaths(path: SchemaTree[]): SchemaTree[][] {
  const node = path[path.length - 1]!;
  if (node.children.length === 0) return [path];
  return node.children.flatMap((child: SchemaTree) =>
    leafPaths([...path, child])
  );
}

/** How `pq` encodes the leaf column at `leaf`. */
function encoderOf(pq: HyParquetWriter, leaf: SchemaTree[]): Encoder {
  const schemaPath = leaf.map((node) => node.element);
  const element = schemaPath[schemaPath.length - 1]!;
  return {
    columnName: schemaPath.slice(1).map((s) => s.name).join("."),
    element: asBytes(element),
    schemaPath,
    codec: pq.codec,
    compressors: pq.compressors as Encoder["compressors"],
    stats: pq.statistics,
    ...(pq.statisticsTruncateLength !== undefined
      ? { statisticsTruncateLength: pq.statisticsTruncateLength }
      : {}),
    pageSize: PAGE_SIZE,
    columnIndex: false,
    offsetIndex: true,
  };
}

/**
 * Append one row group of `rows` rows to `pq`: column `i` is built by
 * `column(i)` just before it is encoded, and `pause()` is awaited after each
 * column. Flushes the writer at the end, as `ParquetWriter.write` does.
 * String and JSON values must be UTF-8 bytes (`columnData` makes them so).
 */
export async function writeGroupByColumn(
  pq: HyParquetWriter,
  names: readonly string[],
  rows: number,
  column: (i: number) => unknown[],
  pause: () => Promise<void>,
  leaves?: (i: number) => TypedLeaf[] | undefined,
): Promise<void> {
  const resolve = schemaPathResolver(pq.schema);
  const start = pq.writer.offset;
  const chunks: ColumnChunk[] = [];
  for (let i = 0; i < names.length; i++) {
    const paths = leafPaths(resolve([names[i]!]));
    const encoders = paths.map((leaf) => encoderOf(pq, leaf));
    // Leaves built already (see `_leaf_pages.ts`), else walked from values.
    const built = leaves?.(i);
    if (built !== undefined && built.length !== paths.length) {
      throw new Error(`parquet column ${names[i]} has ${paths.length} leaves`);
    }
    const typed = built?.every((leaf, k) => writesLeaf(encoders[k]!, leaf))
      ? built
      : undefined;
    const data = typed === undefined ? column(i) : [];
    if (typed === undefined && data.length !== rows) {
      throw new Error("parquet columns must have the same length");
    }
    for (const [k, leaf] of paths.entries()) {
      const encoder = encoders[k]!;
      const result = typed
        ? writeLeafChunk(pq.writer, encoder, typed[k]!)
        : writeColumn({
          writer: pq.writer,
          column: encoder,
          pageData: encodeNestedValues(
            leaf,
            data as Parameters<typeof encodeNestedValues>[1],
          ),
        });
      // Byte bounds are views into the whole column's bytes: copy them, or
      // the footer-to-be would keep every row group's strings alive.
      const stats = result.chunk.meta_data?.statistics;
      if (stats) {
        for (const k of ["min_value", "max_value"] as const) {
          const v = stats[k];
          if (v instanceof Uint8Array) stats[k] = v.slice();
        }
      }
      chunks.push(result.chunk);
      pq.pendingIndexes.push(result);
    }
    await pause();
  }
  let total = 0n;
  for (const c of chunks) total += c.meta_data?.total_uncompressed_size ?? 0n;
  pq.num_rows += BigInt(rows);
  pq.row_groups.push({
    columns: chunks,
    total_byte_size: total,
    num_rows: BigInt(rows),
    total_compressed_size: BigInt(pq.writer.offset - start),
  });
  await pq.writer.flush?.();
}
