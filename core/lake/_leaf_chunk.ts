/**
 * One leaf column chunk written from typed values (see `_leaf_pages.ts`):
 * the bytes and metadata hyparquet-writer 0.17.0's `writeColumn` (pinned in
 * deno.json) writes for the same values, for the options inlet uses (data
 * page v2, 1 MiB pages, offset index, no column index, no bloom filter),
 * without a JavaScript value, bigint or view per value. A property test
 * holds the two paths to the same file bytes.
 *
 * @module
 */
import { writePageHeader } from "hyparquet-writer/src/datapage.js";
import { writeDictionaryPage } from "hyparquet-writer/src/dictionary.js";
import { writeRleBitPackedHybrid } from "hyparquet-writer/src/encoding.js";
import { ByteWriter } from "hyparquet-writer/src/bytewriter.js";
import type { writeColumn } from "hyparquet-writer/src/column.js";
import { type LeafDictionary, leafDictionary } from "./_leaf_dictionary.ts";
import type { TypedLeaf } from "./_leaf_pages.ts";
import { plainValues } from "./_leaf_plain.ts";
import { leafStatistics } from "./_leaf_stats.ts";
import { bigsOf, intAt, startOf } from "./_leaf_values.ts";

type Written = ReturnType<typeof writeColumn>;
type Options = Parameters<typeof writeColumn>[0];
type Writer = Options["writer"];
type Encoder = Options["column"];
type Encoding = "PLAIN" | "RLE" | "RLE_DICTIONARY";

/** The Parquet type a leaf of each kind is written as. */
const PHYSICAL = {
  int: "INT64",
  micros: "INT64",
  double: "DOUBLE",
  bool: "BOOLEAN",
  bytes: "BYTE_ARRAY",
} as const;

/**
 * Whether {@linkcode writeLeafChunk} writes `leaf` as `column`: a physical
 * type its values are, and no column index asked for.
 */
export function writesLeaf(column: Encoder, leaf: TypedLeaf): boolean {
  return column.element.type === PHYSICAL[leaf.values.kind] &&
    !column.columnIndex && !column.bloomFilter && !column.encoding &&
    !column.dictionarySize;
}

/** Append `leaf`'s column chunk to `writer`, as `writeColumn` would. */
export function writeLeafChunk(
  writer: Writer,
  column: Encoder,
  leaf: TypedLeaf,
): Written {
  const { element, schemaPath, stats } = column;
  const type = element.type!;
  const offsetStart = writer.offset;
  const dense = denseOf(leaf);
  const statistics = stats ? leafStatistics(leaf, dense) : undefined;
  const dictionary = leafDictionary(leaf, dense);
  let uncompressed = 0;
  let dictionary_page_offset: bigint | undefined;
  const encodings: Encoding[] = [];
  let encoding: Encoding;
  if (dictionary) {
    dictionary_page_offset = BigInt(writer.offset);
    uncompressed += writeDictionaryPage(
      writer,
      column,
      dictionaryValues(leaf, dictionary),
    );
    encodings.push("PLAIN");
    encoding = "RLE_DICTIONARY";
  } else {
    encoding = type === "BOOLEAN" && leaf.pos.length > 16 ? "RLE" : "PLAIN";
  }
  encodings.push(encoding);
  const pages = pageBounds(leaf, dictionary, column.pageSize);
  const data_page_offset = BigInt(writer.offset);
  const data = writePages(
    writer,
    column,
    leaf,
    pages,
    encoding,
    (k, values) => pageValues(leaf, dense, dictionary, encoding, k, values),
  );
  uncompressed += data.uncompressed;
  const written: Written = {
    chunk: {
      meta_data: {
        type,
        encodings,
        path_in_schema: schemaPath.slice(1).map((s) => s.name),
        codec: column.codec ?? "UNCOMPRESSED",
        num_values: BigInt(leaf.pos.length),
        total_compressed_size: BigInt(writer.offset - offsetStart),
        total_uncompressed_size: BigInt(uncompressed),
        data_page_offset,
        ...(dictionary_page_offset === undefined
          ? {}
          : { dictionary_page_offset }),
        ...(statistics ? { statistics } : {}),
        ...(stats
          ? {
            encoding_stats: [
              ...(dictionary
                ? [{
                  page_type: "DICTIONARY_PAGE" as const,
                  encoding: "PLAIN" as const,
                  count: 1,
                }]
                : []),
              { page_type: "DATA_PAGE_V2", encoding, count: pages.length },
            ],
          }
          : {}),
      },
      file_offset: BigInt(offsetStart),
    },
  };
  if (column.offsetIndex && pages.length > 1) {
    written.offsetIndex = { page_locations: data.locations };
  }
  return written;
}

/** Where a data page is, for the offset index. */
interface PageLocation {
  offset: bigint;
  compressed_page_size: number;
  first_row_index: bigint;
}

/**
 * The data pages of slot ranges `pages`, in order; `encode(k, values)`
 * gives a page's `values` values from the `k`-th on. Returns their
 * uncompressed size and where each is.
 */
function writePages(
  writer: Writer,
  column: Encoder,
  leaf: TypedLeaf,
  pages: Array<[number, number]>,
  encoding: Encoding,
  encode: (k: number, values: number) => Uint8Array,
): { uncompressed: number; locations: PageLocation[] } {
  const locations: PageLocation[] = [];
  let uncompressed = 0;
  let k = 0;
  let prevStart = 0;
  let firstRow = 0n;
  for (const [start, end] of pages) {
    const pageOffset = writer.offset;
    const values = valuesIn(leaf, start, end);
    const page = encode(k, values);
    k += values;
    uncompressed += writePage(writer, column, leaf, [start, end], {
      encoding,
      page,
    });
    if (leaf.rep) {
      // The row the page starts with, counted as `writeColumn` counts it.
      for (let i = prevStart + 1; i <= start; i++) {
        if (leaf.rep[i] === 0) firstRow++;
      }
    } else firstRow = BigInt(start);
    locations.push({
      offset: BigInt(pageOffset),
      compressed_page_size: writer.offset - pageOffset,
      first_row_index: firstRow,
    });
    prevStart = start;
  }
  return { uncompressed, locations };
}

/** The positions of the leaf's values, in slot order. */
function denseOf(leaf: TypedLeaf): Int32Array {
  let n = 0;
  for (let s = 0; s < leaf.pos.length; s++) if (leaf.pos[s]! >= 0) n++;
  const dense = new Int32Array(n);
  n = 0;
  for (let s = 0; s < leaf.pos.length; s++) {
    const p = leaf.pos[s]!;
    if (p >= 0) dense[n++] = p;
  }
  return dense;
}

function valuesIn(leaf: TypedLeaf, start: number, end: number): number {
  let n = 0;
  for (let s = start; s < end; s++) if (leaf.pos[s]! >= 0) n++;
  return n;
}

/** The dictionary's values as `writeDictionaryPage` takes them. */
function dictionaryValues(leaf: TypedLeaf, dict: LeafDictionary): unknown[] {
  const column = leaf.values;
  switch (column.kind) {
    case "int":
    case "micros": {
      const bigs = bigsOf(column);
      return dict.entries.map((p) => BigInt(intAt(column.nums, bigs, p)));
    }
    case "double":
      return dict.entries.map((p) => column.nums[p]);
    case "bytes":
      return dict.entries.map((p) =>
        column.bytes.subarray(startOf(column.ends, p), column.ends[p])
      );
    case "bool":
      throw new Error("booleans have no dictionary");
  }
}

/**
 * Slot ranges of the data pages: a page ends once its values' estimated
 * bytes reach `pageSize`, at a row's first slot.
 */
function pageBounds(
  leaf: TypedLeaf,
  dictionary: LeafDictionary | undefined,
  pageSize: number,
): Array<[number, number]> {
  const { pos, rep } = leaf;
  const column = leaf.values;
  const slots = pos.length;
  if (!pageSize) return [[0, slots]];
  // Text weighs its own bytes (unless indexed by a dictionary); the rest a
  // fixed size per value.
  const ends = !dictionary && column.kind === "bytes" ? column.ends : undefined;
  const fixed = dictionary ? 4 : column.kind === "bool" ? 0.125 : 8;
  const out: Array<[number, number]> = [];
  let start = 0;
  let bytes = 0;
  for (let s = 0; s < slots; s++) {
    const p = pos[s]!;
    const size = p < 0 ? 0 : ends ? ends[p]! - startOf(ends, p) : fixed;
    bytes += size;
    if (bytes >= pageSize && s > start && (!rep || rep[s] === 0)) {
      out.push([start, s]);
      start = s;
      bytes = size;
    }
  }
  if (start < slots) out.push([start, slots]);
  return out;
}

/** The encoded values of one page: `values` values from `dense[k]` on. */
function pageValues(
  leaf: TypedLeaf,
  dense: Int32Array,
  dictionary: LeafDictionary | undefined,
  encoding: Encoding,
  k: number,
  values: number,
): Uint8Array {
  const out = new ByteWriter();
  if (dictionary) {
    const indexes = dictionary.indexes.subarray(k, k + values);
    let max = 0;
    for (let i = 0; i < indexes.length; i++) {
      if (indexes[i]! > max) max = indexes[i]!;
    }
    const bitWidth = Math.ceil(Math.log2(max + 1));
    out.appendUint8(bitWidth);
    writeRleBitPackedHybrid(out, indexes, bitWidth);
    return out.getBytes();
  }
  if (encoding === "RLE") {
    const column = leaf.values as Extract<
      TypedLeaf["values"],
      { kind: "bool" }
    >;
    const bits = new Uint8Array(values);
    for (let i = 0; i < values; i++) bits[i] = column.bits[dense[k + i]!]!;
    const rle = new ByteWriter();
    writeRleBitPackedHybrid(rle, bits, 1);
    out.appendUint32(rle.offset);
    out.appendBytes(rle.getBytes());
    return out.getBytes();
  }
  return plainValues(leaf.values, dense, k, k + values);
}

/**
 * One data page v2 of slots `start` to `end`: levels, then `page` (its
 * values, encoded as `encoding`), compressed. Returns its uncompressed
 * size with header.
 */
function writePage(
  writer: Writer,
  column: Encoder,
  leaf: TypedLeaf,
  [start, end]: [number, number],
  { encoding, page }: { encoding: Encoding; page: Uint8Array },
): number {
  const levels = new ByteWriter();
  let repBytes = 0;
  let rows = end - start;
  if (leaf.rep) {
    const rep = leaf.rep.subarray(start, end);
    repBytes = writeRleBitPackedHybrid(levels, rep, 1);
    rows = 0;
    for (let i = 0; i < rep.length; i++) if (rep[i] === 0) rows++;
  }
  const def = leaf.def.subarray(start, end);
  let nulls = 0;
  for (let i = 0; i < def.length; i++) if (def[i]! < leaf.maxDef) nulls++;
  const defBytes = writeRleBitPackedHybrid(
    levels,
    def,
    Math.ceil(Math.log2(leaf.maxDef + 1)),
  );
  const compressed = column.compressors[column.codec]?.(page) ?? page;
  const headerStart = writer.offset;
  writePageHeader(writer, {
    type: "DATA_PAGE_V2",
    uncompressed_page_size: levels.offset + page.length,
    compressed_page_size: levels.offset + compressed.length,
    data_page_header_v2: {
      num_values: end - start,
      num_nulls: nulls,
      num_rows: rows,
      encoding,
      definition_levels_byte_length: defBytes,
      repetition_levels_byte_length: repBytes,
      is_compressed: !!column.codec,
    },
  });
  const headerSize = writer.offset - headerStart;
  writer.appendBytes(levels.getBytes());
  writer.appendBytes(compressed);
  return headerSize + levels.offset + page.length;
}
