/**
 * Leaf columns written from typed values (`_leaf_chunk.ts`) are the very
 * bytes hyparquet-writer's `writeColumn` writes for the same rows: whatever
 * the cardinality (dictionary or plain), page splits past 1 MiB, booleans
 * past 16 values (RLE), signed zeros and NaN, bigints aside, nulls, empty
 * and null lists, and structs. Groups are large here, where the builder's
 * own property test keeps them small.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { parquetMetadata } from "hyparquet";
import type { Row } from "../../../core/connector/types.ts";
import { ColumnBuilder } from "../../../core/lake/_column_builder.ts";
import type { BuiltGroup } from "../../../core/lake/_column_group.ts";
import {
  columnData,
  fileColumns,
} from "../../../core/lake/_parquet_columns.ts";
import { GroupEncoder } from "../../../core/lake/_inline_encoder.ts";
import { inferSchema, type Schema } from "../../../core/lake/schema.ts";
import { duck, sqlString } from "../../_duckdb.ts";
import { MemorySink, withTempDir } from "../../_lake.ts";

const SEED = 2718;

/**
 * A small deterministic generator (mulberry32), for big groups fast. Not
 * the simulations' `seededRandom`: its multiply outgrows a double's 53
 * bits, and with it these runs no longer reached several pages a column.
 */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Shape {
  seed: number;
  rows: number;
  /** Distinct values drawn from: small gives a dictionary. */
  cardinality: number;
  /** Longest text: long text splits pages. */
  textLength: number;
  nulls: number;
  bigints: boolean;
}

const shapeArb: fc.Arbitrary<Shape> = fc.record({
  seed: fc.integer(),
  rows: fc.oneof(
    fc.integer({ min: 1, max: 40 }),
    fc.integer({ min: 0, max: 2500 }),
  ),
  cardinality: fc.oneof(
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: 1, max: 5000 }),
  ),
  textLength: fc.oneof(
    fc.integer({ min: 0, max: 8 }),
    fc.integer({ min: 0, max: 1200 }),
  ),
  nulls: fc.constantFrom(0, 0.05, 0.5, 1),
  bigints: fc.boolean(),
});

const SPECIAL = [0, -0, NaN, 1.5, -1e300, Infinity, -Infinity];

/** Rows of one shape: every column the typed leaves write. */
function rowsOf(s: Shape): Row[] {
  const r = random(s.seed);
  const pick = () => Math.floor(r() * s.cardinality);
  const maybe = <T>(v: () => T): T | null => (r() < s.nulls ? null : v());
  const text = () => {
    const k = pick();
    return `${"é".repeat(k % 3)}${
      "x".repeat((k * 7919) % (s.textLength + 1))
    }${k}`;
  };
  const int = () => {
    const k = pick() - (s.cardinality >> 1);
    if (s.bigints && k % 5 === 0) return BigInt(k) * 2n ** 40n;
    return s.bigints && k % 7 === 0 ? BigInt(k) : k * 1_000_003;
  };
  return Array.from({ length: s.rows }, (_, i) => ({
    id: i,
    n: maybe(int),
    d: maybe(() => s.cardinality < 8 ? SPECIAL[pick() % 7]! : pick() / 4),
    b: maybe(() => pick() % 2 === 0),
    s: maybe(text),
    t: maybe(() =>
      new Date(Date.UTC(2024, 0, 1) + pick() * 60_000).toISOString()
    ),
    tags: maybe(() => Array.from({ length: pick() % 4 }, () => maybe(text))),
    nums: maybe(() => Array.from({ length: pick() % 3 }, () => maybe(int))),
    o: maybe(() => ({
      rank: maybe(int),
      on: maybe(() => r() < 0.5),
      name: maybe(text),
    })),
  }));
}

/** One row group of `rows` as file bytes, typed or through `columnData`. */
async function encode(
  schema: Schema,
  rows: Row[],
  typed: boolean,
): Promise<Uint8Array> {
  let group: BuiltGroup;
  if (typed) {
    const builder = new ColumnBuilder();
    for (let i = 0; i < rows.length; i += 50) {
      builder.add(rows.slice(i, i + 50), schema, false);
    }
    group = builder.take(schema);
  } else {
    group = {
      rows: rows.length,
      columns: fileColumns(schema).map((c) => ({
        kind: "values",
        values: columnData([c], rows)[0]!.data as unknown[],
      })),
    };
  }
  const sink = new MemorySink();
  const encoder = new GroupEncoder(sink, "ZSTD");
  await encoder.encode(schema, group, () => Promise.resolve());
  await encoder.finish(schema);
  return sink.bytes();
}

Deno.test("typed leaves: any cardinality, size, nulls and nesting write the bytes writeColumn writes", async () => {
  let dictionaries = 0, multiPage = 0;
  await fc.assert(
    fc.asyncProperty(shapeArb, async (shape) => {
      const rows = rowsOf(shape);
      const schema = inferSchema(rows, { stream: "t/leaves" });
      const typed = await encode(schema, rows, true);
      const reference = await encode(schema, rows, false);
      // Not deepEqual: over megabytes it takes seconds.
      assert.equal(typed.length, reference.length);
      assert(Buffer.from(typed).equals(reference), "the bytes differ");
      const meta = parquetMetadata(
        typed.buffer.slice(typed.byteOffset) as ArrayBuffer,
      );
      for (const c of meta.row_groups[0]!.columns) {
        if (c.meta_data?.dictionary_page_offset !== undefined) dictionaries++;
        if ((c.meta_data?.encoding_stats?.at(-1)?.count ?? 0) > 1) multiPage++;
      }
    }),
    {
      seed: SEED,
      numRuns: 100,
      // Text past 1 MiB a column (lists too): pages split, at row starts.
      examples: [[{
        seed: 7,
        rows: 2500,
        cardinality: 5000,
        textLength: 1200,
        nulls: 0.05,
        bigints: true,
      }]],
    },
  );
  // The runs did reach the paths they are for.
  assert(dictionaries > 20, `${dictionaries} dictionary chunks`);
  assert(multiPage > 0, `${multiPage} multi-page chunks`);
});

Deno.test("typed leaves: the edges random shapes rarely reach write the same bytes too", async () => {
  const cases: Record<string, Row[]> = {
    // 131,072 INT64 values are exactly 1 MiB: the page ends there.
    "a page of exactly 1 MiB": Array.from(
      { length: 131_073 },
      (_, i) => ({ n: i * 3, d: i / 2 }),
    ),
    // A dictionary's indexes weigh 4 bytes each: 262,144 fill a page.
    "dictionary pages of exactly 1 MiB": Array.from(
      { length: 262_145 },
      (_, i) => ({ k: i % 3 }),
    ),
    // Empty text weighs its 4-byte length prefix in the sample: a
    // dictionary, where counting text bytes alone would have said plain.
    "empty text in the sample": Array.from(
      { length: 1000 },
      (_, i) => ({ s: i === 500 ? "abc" : "" }),
    ),
  };
  for (const [name, rows] of Object.entries(cases)) {
    const schema = inferSchema(rows, { stream: "t/leaves" });
    const typed = await encode(schema, rows, true);
    const reference = await encode(schema, rows, false);
    assert(Buffer.from(typed).equals(reference), name);
  }
});

Deno.test("typed leaves: DuckDB reads back dictionaries, pages past 1 MiB, lists and structs exactly", async () => {
  // 3,000 rows: text of ~600 bytes a value (several pages a column), a
  // list of it (pages split between rows), low-cardinality columns
  // (dictionaries), a struct; nulls and empty lists among them.
  const long = (i: number) =>
    `${"é".repeat(i % 5)}${"x".repeat(500 + i % 200)}-${i}`;
  const rows: Row[] = Array.from({ length: 3000 }, (_, i) => ({
    id: i,
    text: i % 11 === 0 ? null : long(i),
    kind: ["a", "b", "c"][i % 3]!,
    big: i % 13 === 0 ? 2n ** 60n + BigInt(i) : i * 7,
    tags: i % 17 === 0
      ? null
      : Array.from({ length: i % 4 }, (_, j) => long(i + j)),
    meta: i % 19 === 0 ? null : { rank: i % 10, on: i % 2 === 0 },
  }));
  const schema = inferSchema(rows, { stream: "t/leaves" });
  const bytes = await encode(schema, rows, true);
  const meta = parquetMetadata(
    bytes.buffer.slice(bytes.byteOffset) as ArrayBuffer,
  );
  const pages = (path: string) =>
    meta.row_groups[0]!.columns.find((c) =>
      c.meta_data?.path_in_schema.join(".") === path
    )?.meta_data?.encoding_stats?.at(-1)?.count ?? 0;
  assert(pages("text") > 1 && pages("tags.list.element") > 1, "several pages");
  await withTempDir("inlet_leaves_", async (dir) => {
    await Deno.writeFile(`${dir}/t.parquet`, bytes);
    const [got] = await duck(
      `SELECT count(*) AS n, sum(id) AS ids, count(text) AS texts,
        sum(length(text)) AS chars, count(DISTINCT kind) AS kinds,
        sum(big) AS big, count(tags) AS lists,
        sum(len(tags)) AS elements, sum(list_sum([length(t) for t in tags])) AS tagChars,
        count(meta) AS metas, sum(meta.rank) AS ranks,
        count(*) FILTER (WHERE meta.on) AS ons
      FROM read_parquet(${sqlString(`${dir}/t.parquet`)})`,
    );
    const texts = rows.filter((r) => r.text !== null);
    const lists = rows.filter((r) => r.tags !== null);
    const metas = rows.filter((r) => r.meta !== null);
    const chars = (s: string) => [...s].length;
    assert.deepEqual(got, {
      n: 3000n,
      ids: BigInt(2999 * 3000 / 2),
      texts: BigInt(texts.length),
      chars: BigInt(texts.reduce((n, r) => n + chars(r.text as string), 0)),
      kinds: 3n,
      big: rows.reduce((n, r) => n + BigInt(r.big as number | bigint), 0n),
      lists: BigInt(lists.length),
      elements: BigInt(
        lists.reduce((n, r) => n + (r.tags as string[]).length, 0),
      ),
      tagChars: BigInt(
        lists.reduce(
          (n, r) => n + (r.tags as string[]).reduce((m, t) => m + chars(t), 0),
          0,
        ),
      ),
      metas: BigInt(metas.length),
      ranks: BigInt(
        metas.reduce((n, r) => n + (r.meta as { rank: number }).rank, 0),
      ),
      ons: BigInt(metas.filter((r) => (r.meta as { on: boolean }).on).length),
    });
  });
});
