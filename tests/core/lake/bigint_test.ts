/**
 * Integers beyond 2^53 arrive in records as bigints and land with every
 * digit: INT64 while they fit, DECIMAL(38,0) beyond, exact digits in JSON
 * columns and NDJSON; never rounded through a double.
 */
import assert from "node:assert/strict";
import { zstdDecompressSync } from "node:zlib";
import { compareCursor, sinceFrom } from "../../../core/run/_incremental.ts";
import { StreamTable } from "../../../core/lake/stream_table.ts";
import { SchemaError } from "../../../core/connector/errors.ts";
import { NdjsonWriter } from "../../../core/lake/ndjson_writer.ts";
import { ParquetWriter } from "../../../core/lake/parquet_writer.ts";
import {
  inferSchema,
  valueType,
  widenType,
} from "../../../core/lake/schema.ts";
import { parseState } from "../../../core/lake/stream_state.ts";
import { StreamWriter } from "../../../core/lake/stream_writer.ts";
import type { Row } from "../../../core/connector/types.ts";
import { WriteError } from "../../../core/lake/write_error.ts";
import { columnTypes, duck, sqlString } from "../../_duckdb.ts";
import { withStorage } from "../../_lake.ts";

const STREAM = "demo/items";
const SAFE_PLUS_2 = 9007199254740993n; // 2^53 + 1: a double makes it ...992
const INT64_MAX = 2n ** 63n - 1n;
const WIDE = 2n ** 64n + 1n;
const WIDEST = -(10n ** 38n - 1n);

const rows = (): Row[] => [
  // `big` mixes numbers and bigints; `wide` leaves INT64; lists and JSON too.
  { id: 1, big: SAFE_PLUS_2, wide: WIDE, l: [1n, WIDE], j: { x: SAFE_PLUS_2 } },
  { id: 2, big: 7, wide: 5, l: [2], j: [WIDEST] },
  { id: 3, big: INT64_MAX, wide: WIDEST, l: null, j: null },
  { id: 4, big: -INT64_MAX - 1n, wide: null, l: [], j: { y: 1 } },
];

/** Every column of `glob` as text, by id: the exact digits DuckDB read. */
async function asText(glob: string): Promise<Record<string, unknown>[]> {
  return await duck(
    `SELECT id::VARCHAR AS id, big::VARCHAR AS big, wide::VARCHAR AS wide,
       l::VARCHAR AS l, j::VARCHAR AS j
     FROM read_parquet(${sqlString(glob)}, union_by_name = true) ORDER BY id`,
  );
}

const EXPECTED = [
  {
    id: "1",
    big: String(SAFE_PLUS_2),
    wide: String(WIDE),
    l: `[1, ${WIDE}]`,
    j: `{"x":${SAFE_PLUS_2}}`,
  },
  { id: "2", big: "7", wide: "5", l: "[2]", j: `[${WIDEST}]` },
  { id: "3", big: String(INT64_MAX), wide: String(WIDEST), l: null, j: null },
  { id: "4", big: String(-INT64_MAX - 1n), wide: null, l: "[]", j: '{"y":1}' },
];

for (const encoder of ["worker", "inline"] as const) {
  Deno.test(`Parquet (${encoder}): bigints land with every digit, INT64 or DECIMAL(38,0)`, async () => {
    await withStorage("inlet_bigint_", async (lake, dir) => {
      const w = await ParquetWriter.create(await lake.create("a.parquet"), {
        stream: STREAM,
        encoder,
      });
      await w.write(rows());
      assert.equal((await w.close()).records, 4);
      const file = `${dir}/a.parquet`;
      const types = await columnTypes(file);
      assert.equal(types.big, "BIGINT");
      assert.equal(types.wide, "DECIMAL(38,0)");
      assert.equal(types.l, "DECIMAL(38,0)[]");
      assert.deepEqual(await asText(file), EXPECTED);
    });
  });
}

Deno.test("StreamWriter: a DECIMAL column takes later INT64 values exactly; an INT64 column of the table refuses a DECIMAL, naming the field", async () => {
  await withStorage("inlet_bigint_", async (lake, dir) => {
    const log = new StreamTable(lake, STREAM, {
      runId: "20260101T000000Z-abcd",
    });
    const w = new StreamWriter({
      stream: STREAM,
      storage: lake,
      log,
      rowGroupSize: 1,
    });
    await w.write([{ id: 1, wide: WIDE }]);
    await w.write([{ id: 2, wide: SAFE_PLUS_2 }]); // fits the DECIMAL column
    const entry = await w.commit({ done: true });
    assert.equal(entry?.add.length, 1);
    const back = await duck(
      `SELECT id, wide::VARCHAR AS wide FROM read_parquet(${
        sqlString(`${dir}/${STREAM}/data/*.parquet`)
      }, union_by_name = true) ORDER BY id`,
    );
    assert.deepEqual(back, [
      { id: 1n, wide: String(WIDE) },
      { id: 2n, wide: String(SAFE_PLUS_2) },
    ]);
    // The table's `id` is a long: Iceberg cannot promote it to a decimal,
    // so a value beyond INT64 is an error naming the field and the page.
    const next = new StreamWriter({
      stream: STREAM,
      storage: lake,
      log: new StreamTable(lake, STREAM, { runId: "20260101T000001Z-abcd" }),
      rowGroupSize: 1,
    });
    await assert.rejects(
      next.write([{ id: WIDE, wide: 1n }], { page: 4 }),
      (err) =>
        err instanceof SchemaError &&
        // `page` is 0-based; messages count from 1, as every other does.
        /"demo\/items".*field "id" was long, now decimal\(38,0\).*\(page 5\)/
          .test(err.message),
    );
    await next.abort();
  });
});

Deno.test("Parquet: a bigint is never rounded; a column that would round it is an error", async () => {
  await withStorage("inlet_bigint_", async (lake) => {
    const open = async (name: string) =>
      await ParquetWriter.create(await lake.create(name), { stream: STREAM });
    // A fraction and a bigint beyond DECIMAL's reach of a double: no type holds both.
    const a = await open("a.parquet");
    await assert.rejects(a.write([{ x: 1.5 }, { x: WIDE }]), SchemaError);
    await a.abort();
    // 39 digits: more than DECIMAL(38,0) holds.
    const b = await open("b.parquet");
    await assert.rejects(
      b.write([{ x: 10n ** 38n }]),
      (e: Error) => e instanceof SchemaError && /"x"/.test(e.message),
    );
    await b.abort();
    // A bigint of 64 bits in a DOUBLE column (it met a fraction): exact or an error.
    const c = await open("c.parquet");
    await c.write([{ x: 1.5 }, { x: 2n ** 60n }], {
      page: 0,
      url: "http://x/1",
    });
    await c.write([{ x: SAFE_PLUS_2 }], { page: 1, url: "http://x/2" });
    const err = await c.close().then(() => assert.fail("must fail"), (e) => e);
    assert.ok(err instanceof WriteError, String(err));
    assert.match(
      err.message,
      /^Cannot write record 1 of page 2 of "demo\/items": .*9007199254740993.* at http:\/\/x\/2$/,
    );
    await c.abort();
  });
});

Deno.test("NDJSON: bigints are written as their exact digits", async () => {
  await withStorage("inlet_bigint_", async (lake) => {
    const path = "a.ndjson.zst";
    const w = await NdjsonWriter.create(await lake.create(path), {
      stream: STREAM,
    });
    await w.write(rows());
    assert.equal((await w.close()).records, 4);
    const text = new TextDecoder().decode(
      zstdDecompressSync((await lake.get(path))!),
    );
    const lines = text.trimEnd().split("\n");
    assert.equal(lines.length, 4);
    assert.equal(
      lines[0],
      `{"id":1,"big":${SAFE_PLUS_2},"wide":${WIDE},"l":[1,${WIDE}],"j":{"x":${SAFE_PLUS_2}}}`,
    );
    assert.equal(
      lines[2],
      `{"id":3,"big":${INT64_MAX},"wide":${WIDEST},"l":null,"j":null}`,
    );
  });
});

Deno.test("state: a bigint cursor round-trips exactly through the table's snapshot summary and orders exactly", async () => {
  await withStorage("inlet_bigint_", async (lake) => {
    const runId = "20260101T000000Z-abcd";
    const state = {
      version: 1,
      sweep: "complete",
      records: 2,
      bookmark: { "": SAFE_PLUS_2 },
      cursor: { "": WIDE },
    };
    await new StreamTable(lake, STREAM, { runId }).commit({ add: [], state });
    const back = (await new StreamTable(lake, STREAM, { runId }).latest())
      ?.state;
    assert.deepEqual(back, state);
    const parsed = parseState(back, "x.json");
    assert.equal(parsed.bookmark?.[""], SAFE_PLUS_2);
    // Ordered exactly: a double would call these two equal.
    assert.ok(compareCursor(SAFE_PLUS_2, 9007199254740992) > 0);
    assert.ok(compareCursor(9007199254740992, SAFE_PLUS_2) < 0);
    assert.ok(compareCursor(SAFE_PLUS_2, 9007199254740992.5) > 0);
    assert.equal(compareCursor(SAFE_PLUS_2, SAFE_PLUS_2), 0);
    assert.equal(sinceFrom(SAFE_PLUS_2, 2, "auto"), SAFE_PLUS_2 - 2n);
  });
});

Deno.test("schema: bigints type as INT64 while they fit, DECIMAL beyond; DECIMAL never meets DOUBLE", () => {
  assert.equal(valueType(INT64_MAX), "INT64");
  assert.equal(valueType(-INT64_MAX - 1n), "INT64");
  assert.equal(valueType(INT64_MAX + 1n), "DECIMAL");
  assert.equal(valueType([1, WIDE]), "LIST<DECIMAL>");
  assert.equal(valueType([1.5, WIDE]), "JSON");
  assert.equal(widenType("INT64", "DECIMAL"), "DECIMAL");
  assert.equal(widenType("DECIMAL", "DOUBLE"), undefined);
  assert.deepEqual(
    inferSchema([{ n: 1 }, { n: SAFE_PLUS_2 }], { stream: STREAM }),
    [{ name: "n", type: "INT64" }],
  );
});
