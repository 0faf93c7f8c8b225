/**
 * Row groups built as columns while pages land (`_column_builder.ts`): the
 * file holds exactly the rows handed in, byte for byte what the
 * `columnData` path writes, whatever the pages, nulls, text and widenings.
 */
import assert from "node:assert/strict";
import { zstdDecompressSync } from "node:zlib";
import fc from "fast-check";
import { parquetReadObjects } from "hyparquet";
import { exactJson } from "../../../core/connector/exact_json.ts";
import type { Row } from "../../../core/connector/types.ts";
import { ColumnBuilder } from "../../../core/lake/_column_builder.ts";
import {
  type BuiltGroup,
  columnValues,
} from "../../../core/lake/_column_group.ts";
import {
  columnData,
  fileColumns,
} from "../../../core/lake/_parquet_columns.ts";
import { GroupEncoder } from "../../../core/lake/_inline_encoder.ts";
import {
  ParquetWriter,
  SchemaChange,
} from "../../../core/lake/parquet_writer.ts";
import {
  type ColumnType,
  inferSchema,
  parseTimestamp,
  type Schema,
} from "../../../core/lake/schema.ts";
import { duck, sqlString } from "../../_duckdb.ts";
import { MemorySink, withStorage } from "../../_lake.ts";

const STREAM = "demo/items";
const SEED = 1414;

const decoder = new TextDecoder();

/** Every row of a Parquet file; timestamps as microseconds, JSON as text. */
async function readRows(bytes: Uint8Array): Promise<Record<string, unknown>[]> {
  return await parquetReadObjects({
    file: bytes.buffer.slice(
      bytes.byteOffset,
      bytes.byteOffset + bytes.length,
    ) as ArrayBuffer,
    compressors: {
      ZSTD: (input: Uint8Array) => new Uint8Array(zstdDecompressSync(input)),
    },
    parsers: {
      timestampFromMicroseconds: (micros: bigint) => micros,
      jsonFromBytes: (b: Uint8Array) => decoder.decode(b),
    },
  });
}

/** What a column of `type` holds for `v`, as `readRows` reads it. */
function expected(type: ColumnType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case "INT64":
      return BigInt(v as number | bigint);
    case "DOUBLE":
      return Number(v);
    case "BOOLEAN":
      return v;
    case "STRING":
      return v instanceof Date ? v.toISOString() : (v as string).toWellFormed();
    case "TIMESTAMP":
      return v instanceof Date
        ? BigInt(v.getTime()) * 1000n
        : parseTimestamp(v as string);
    case "JSON":
      return exactJson(v);
  }
  if (type.startsWith("LIST<")) {
    const element = type.slice(5, -1) as ColumnType;
    return (v as unknown[]).map((x) => expected(element, x));
  }
  throw new Error(`no expectation for ${type}`);
}

/** `rows` as a file with `schema` holds them. */
function expectedRows(schema: Schema, rows: readonly Row[]): unknown[] {
  const typed = schema.filter((c) => c.type !== "NULL");
  return rows.map((row) =>
    Object.fromEntries(
      typed.map((c) => [c.name, expected(c.type, row[c.name])]),
    )
  );
}

/** Rows read back, a null list (read as undefined) as null. */
function normalized(rows: Record<string, unknown>[], schema: Schema) {
  const typed = schema.filter((c) => c.type !== "NULL");
  return rows.map((row) =>
    Object.fromEntries(typed.map((c) => [c.name, row[c.name] ?? null]))
  );
}

// ISO date-times with microseconds, as sources send them.
const isoMicros = fc.tuple(
  fc.date({
    min: new Date("0001-01-01T00:00:00Z"),
    max: new Date("9999-12-31T23:59:59Z"),
    noInvalidDate: true,
  }),
  fc.integer({ min: 0, max: 999 }),
).map(([d, us]) =>
  `${d.toISOString().slice(0, 23)}${String(us).padStart(3, "0")}Z`
);

const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom("", "é", "日本語", "😀", "a\u0000b", "\ud800", "\udc00x"),
);

const nullish = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof(
    { weight: 5, arbitrary: arb },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );

/**
 * Fields that widen but never conflict: ints to doubles, timestamps to
 * text. `nested`: objects and DECIMALs too (columns left to `columnData`).
 */
function rowArb(nested: boolean): fc.Arbitrary<Row> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {
    id: fc.oneof(
      fc.integer(),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    ),
    n: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.double()),
    s: text,
    t: fc.oneof(
      { weight: 6, arbitrary: isoMicros },
      { weight: 1, arbitrary: fc.constant("not a time") },
      {
        weight: 1,
        arbitrary: fc.date({
          min: new Date("1900-01-01T00:00:00Z"),
          max: new Date("2200-01-01T00:00:00Z"),
          noInvalidDate: true,
        }),
      },
    ),
    b: fc.boolean(),
    tags: fc.array(fc.option(text, { nil: null }), { maxLength: 3 }),
    nums: fc.array(fc.oneof(fc.integer(), fc.double({ noNaN: true })), {
      maxLength: 3,
    }),
  };
  if (nested) {
    fields.j = fc.dictionary(
      fc.string({ maxLength: 3 }),
      fc.jsonValue({ maxDepth: 2 }),
      { maxKeys: 3 },
    );
    // A struct of a stable shape (fields may be missing or null), one
    // nested: built as typed columns, not converted.
    fields.o = fc.record({
      rank: nullish(fc.integer()),
      source: nullish(text),
      at: isoMicros,
      tags: fc.array(text, { maxLength: 2 }),
      inner: fc.record({ x: fc.integer(), y: fc.boolean() }),
    }, { requiredKeys: [] });
    fields.m = fc.record({
      rank: nullish(fc.integer()),
      source: nullish(text),
      score: fc.double({ noNaN: true }),
      on: fc.boolean(),
      at: isoMicros,
    }, { requiredKeys: [] });
    fields.dec = fc.oneof(
      fc.integer(),
      fc.bigInt({ min: 2n ** 63n, max: 10n ** 37n }),
    );
  }
  const nullable = Object.fromEntries(
    Object.entries(fields).map(([k, a]) => [k, nullish(a)]),
  );
  // An id in every row (maybe null): a file always has a column.
  return fc.record(nullable, { requiredKeys: ["id"] }) as fc.Arbitrary<Row>;
}

const pagesArb = (nested: boolean) =>
  fc.array(fc.array(rowArb(nested), { maxLength: 12 }), {
    minLength: 1,
    maxLength: 6,
  });

/**
 * One row group of `pages` as file bytes: built by a `ColumnBuilder` page by
 * page, the schema widening as pages come, or (`builder` undefined) the
 * reference: every row through `columnData` at once, with the final schema.
 */
async function encodeGroup(
  pages: readonly Row[][],
  builder?: ColumnBuilder,
): Promise<Uint8Array | string> {
  let schema: Schema = [];
  for (const page of pages) {
    schema = inferSchema(page, { stream: STREAM, base: schema });
    builder?.add(page, schema, true);
  }
  const sink = new MemorySink();
  const encoder = new GroupEncoder(sink, "ZSTD");
  try {
    const rows = pages.flat();
    const group: BuiltGroup = builder?.take(schema) ?? {
      rows: rows.length,
      columns: fileColumns(schema).map((c) => ({
        kind: "values",
        values: columnData([c], rows)[0]!.data as unknown[],
      })),
    };
    await encoder.encode(schema, group, () => Promise.resolve());
    await encoder.finish(schema);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return sink.bytes();
}

Deno.test("ColumnBuilder: any pages, widening as they come, encode to the very bytes of the columnData path", async () => {
  await fc.assert(
    fc.asyncProperty(pagesArb(true), async (pages) => {
      if (pages.every((p) => p.length === 0)) return;
      const reference = await encodeGroup(pages);
      assert.deepEqual(
        await encodeGroup(pages, new ColumnBuilder()),
        reference,
      );
      // The columns it leaves to columnData (a page at a time) too.
      const slow = new ColumnBuilder({ fast: () => false });
      assert.deepEqual(await encodeGroup(pages, slow), reference);
    }),
    { seed: SEED, numRuns: 150 },
  );
});

/** `pages` through ParquetWriter, a new file at each SchemaChange. */
async function writeFiles(
  pages: readonly Row[][],
  options: { rowGroupSize: number; encoder: "inline" | "worker" },
): Promise<Array<{ bytes: Uint8Array; schema: Schema; rows: Row[] }>> {
  const files: Array<{ bytes: Uint8Array; schema: Schema; rows: Row[] }> = [];
  let sink = new MemorySink();
  let rows: Row[] = [];
  let w = await ParquetWriter.create(sink, { stream: STREAM, ...options });
  const close = async () => {
    if (rows.length === 0) return await w.abort();
    const { schema } = await w.close();
    files.push({ bytes: sink.bytes(), schema, rows });
  };
  for (const page of pages) {
    try {
      await w.write(page);
    } catch (err) {
      if (!(err instanceof SchemaChange)) throw err;
      await close();
      sink = new MemorySink();
      rows = [];
      w = await ParquetWriter.create(sink, {
        stream: STREAM,
        ...options,
        schema: err.schema,
      });
      await w.write(page);
    }
    rows.push(...page);
  }
  await close();
  return files;
}

Deno.test("ParquetWriter: random pages round-trip exactly through builder and encoder, any row group size, either encoder", async () => {
  await fc.assert(
    fc.asyncProperty(
      pagesArb(false),
      fc.integer({ min: 1, max: 25 }),
      fc.constantFrom("inline" as const, "worker" as const),
      async (pages, rowGroupSize, encoder) => {
        const files = await writeFiles(pages, { rowGroupSize, encoder });
        const handed = files.reduce((n, f) => n + f.rows.length, 0);
        assert.equal(handed, pages.reduce((n, p) => n + p.length, 0));
        for (const f of files) {
          assert.deepEqual(
            normalized(await readRows(f.bytes), f.schema),
            expectedRows(f.schema, f.rows),
          );
        }
      },
    ),
    { seed: SEED, numRuns: 40 },
  );
});

Deno.test("ParquetWriter: a column that widens mid-group keeps every value exact", async () => {
  for (const encoder of ["inline", "worker"] as const) {
    const pages: Row[][] = [
      [{ id: 1, n: 1, t: "2024-01-02T03:04:05.123456Z", l: [1] }],
      [{ id: 2, n: 2n ** 53n, t: null, l: null, late: "x" }],
      [{ id: 3, n: 0.5, t: "later", l: [2.5, null], dec: 1 }],
      [{ id: 4, n: null, t: new Date(0), dec: 2n ** 70n }],
    ];
    const sink = new MemorySink();
    const w = await ParquetWriter.create(sink, { stream: STREAM, encoder });
    for (const p of pages) await w.write(p);
    const { schema } = await w.close();
    assert.deepEqual(schema.map((c) => `${c.name}:${c.type}`), [
      "id:INT64",
      "n:DOUBLE",
      "t:STRING",
      "l:LIST<DOUBLE>",
      "late:STRING",
      "dec:DECIMAL",
    ]);
    const got = await readRows(sink.bytes());
    assert.deepEqual(got.map((r) => [r.id, r.n, r.t, r.l ?? null, r.late]), [
      [1n, 1, "2024-01-02T03:04:05.123456Z", [1], null],
      [2n, 2 ** 53, null, null, "x"],
      [3n, 0.5, "later", [2.5, null], null],
      [4n, null, "1970-01-01T00:00:00.000Z", null, null],
    ]);
  }
});

Deno.test("ColumnBuilder: a text column past its byte limit is an error, never a wrapped offset", () => {
  const builder = new ColumnBuilder({ maxBytes: 64 });
  const schema: Schema = [{ name: "s", type: "STRING" }];
  builder.add([{ s: "x".repeat(40) }], schema, false);
  builder.add([{ s: "é".repeat(20) }], schema, false);
  assert.throws(() => builder.take(schema), /Cannot hold more than 64 bytes/);
  // The next group starts afresh.
  builder.add([{ s: "ok" }], schema, false);
  assert.equal(builder.take(schema).rows, 1);
});

Deno.test("ParquetWriter: DuckDB reads multi-byte text, nulls, timestamps and sums exactly, either encoder", async () => {
  await withStorage("inlet_builder_", async (lake, dir) => {
    const rows: Row[] = Array.from({ length: 2500 }, (_, i) => ({
      id: i,
      name: i % 7 === 0 ? null : `名前-${i}-é😀`,
      ts: i % 5 === 0
        ? undefined
        : `2024-01-01T00:00:${String(i % 60).padStart(2, "0")}.000001Z`,
      score: i % 3 === 0 ? null : i / 4,
    }));
    for (const encoder of ["inline", "worker"] as const) {
      const w = await ParquetWriter.create(
        await lake.create(`${encoder}.parquet`),
        { stream: STREAM, encoder, rowGroupSize: 1000 },
      );
      for (let p = 0; p < rows.length; p += 50) {
        await w.write(rows.slice(p, p + 50));
      }
      await w.close();
      const [got] = await duck(
        `SELECT count(*) AS n, sum(id) AS ids, count(name) AS names,
          sum(length(name)) AS chars, count(ts) AS ats,
          sum(epoch_us(ts)) AS us, sum(score) AS score,
          max(name) FILTER (WHERE id = 2498) AS last
        FROM read_parquet(${sqlString(`${dir}/${encoder}.parquet`)})`,
      );
      const named = rows.filter((r) => r.name !== null);
      const timed = rows.filter((r) => r.ts !== undefined);
      assert.deepEqual(got, {
        n: 2500n,
        ids: BigInt(2499 * 2500 / 2),
        names: BigInt(named.length),
        chars: BigInt(
          named.reduce((n, r) => n + [...(r.name as string)].length, 0),
        ),
        ats: BigInt(timed.length),
        us: timed.reduce(
          (n, r) => n + (parseTimestamp(r.ts as string) as bigint),
          0n,
        ),
        score: rows.reduce((n, r) => n + ((r.score as number | null) ?? 0), 0),
        last: "名前-2498-é😀",
      });
    }
  });
});

Deno.test("ColumnBuilder: a type settled when the schema is fixed rebuilds the column from the group's rows; once fixed, a change is an error", () => {
  const builder = new ColumnBuilder();
  const pages: Row[][] = [[{ n: 1 }, { n: null }], [{ n: 2n ** 53n }]];
  for (const p of pages) builder.add(p, [{ name: "n", type: "INT64" }], true);
  const group = builder.take([{ name: "n", type: "DOUBLE" }]);
  assert.deepEqual(columnValues(group.columns[0]!, group.rows), [
    1,
    null,
    2 ** 53,
  ]);
  builder.add([{ n: 1 }], [{ name: "n", type: "INT64" }], false);
  assert.throws(
    () => builder.take([{ name: "n", type: "DOUBLE" }]),
    /Cannot change column "n" from INT64 to DOUBLE/,
  );
});
