/**
 * The lake never holds fewer or altered rows than it was handed: a record
 * that cannot be encoded is an error naming its page and URL, and no file
 * that disagrees with what was handed in is committed.
 */
import assert from "node:assert/strict";
import { footerRows } from "../../../core/lake/_parquet_footer.ts";
import { StreamTable } from "../../../core/lake/stream_table.ts";
import type { LocalStorage } from "../../../core/lake/local_storage.ts";
import { ParquetWriter } from "../../../core/lake/parquet_writer.ts";
import { StreamWriter } from "../../../core/lake/stream_writer.ts";
import { WriteError } from "../../../core/lake/write_error.ts";
import { duck, sqlString } from "../../_duckdb.ts";
import { hasParquet, withStorage } from "../../_lake.ts";

const STREAM = "demo/items";
const URL_3 = "http://127.0.0.1:1/items?page=3";

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

function streamWriter(lake: LocalStorage, encoder?: "inline" | "worker") {
  const log = new StreamTable(lake, STREAM, { runId: "20260101T000000Z-abcd" });
  return new StreamWriter({
    stream: STREAM,
    storage: lake,
    log,
    ...(encoder ? { encoder } : {}),
  });
}

const unencodable = {
  toJSON() {
    throw new RangeError("no JSON for this one");
  },
};

// Rows reach the encoder as columns, values converted on the writer's
// thread (JSON as text), so either encoder knows the record: a value too
// deep to stringify, one whose JSON throws, a bigint a DOUBLE would round.
const cases = [
  { encoder: "worker", depth: "20,000 deep", x: nested(20_000) },
  { encoder: "inline", depth: "20,000 deep", x: nested(20_000) },
  { encoder: "worker", depth: "with no JSON", x: unencodable },
  { encoder: "inline", depth: "with no JSON", x: unencodable },
  { encoder: "worker", depth: "rounded as a DOUBLE", x: 2n ** 53n + 1n },
  { encoder: "inline", depth: "rounded as a DOUBLE", x: 2n ** 53n + 1n },
] as const;

for (const { encoder, depth, x } of cases) {
  Deno.test(`StreamWriter (${encoder}): a record ${depth} fails naming stream, page, record and URL; nothing is committed`, async () => {
    await withStorage("inlet_rows_", async (lake, dir) => {
      const w = streamWriter(lake, encoder);
      await w.write([{ id: 0, x: null }], { page: 1, url: "http://x/2" });
      const first = typeof x === "bigint" ? 0.5 : { a: 1 };
      await w.write([{ id: 1, x: first }, { id: 2, x }], {
        page: 2,
        url: URL_3,
      });
      await w.write([{ id: 3, x: null }], { page: 3, url: "http://x/4" });
      const err = await w.commit({ done: true }).then(
        () => assert.fail("the commit must fail"),
        (e: Error) => e,
      );
      assert.ok(err instanceof WriteError, String(err));
      assert.match(
        err.message,
        /^Cannot write record 2 of page 3 of "demo\/items": field "x" /,
      );
      assert.ok(err.message.endsWith(` at ${URL_3}`), err.message);
      await w.abort();
      assert.equal(await hasParquet(`${dir}/${STREAM}`), false);
    });
  });
}

for (const encoder of ["worker", "inline"] as const) {
  Deno.test(`StreamWriter (${encoder}): a record 3,000 deep lands whole, as JSON text`, async () => {
    await withStorage("inlet_rows_", async (lake, dir) => {
      const deep = [nested(3000), nested(2)];
      const w = streamWriter(lake, encoder);
      await w.write(deep.map((x, id) => ({ id, x })), { page: 0, url: URL_3 });
      await w.commit({ done: true });
      // As JSON text, or a struct over JSON where nested objects are
      // structs: every level is there either way.
      const rows = await duck(
        `SELECT id, length(x::VARCHAR) >= 3000 * 5 AS whole FROM read_parquet(${
          sqlString(`${dir}/${STREAM}/**/*.parquet`)
        }) ORDER BY id`,
      );
      assert.deepEqual(rows, [{ id: 0n, whole: true }, {
        id: 1n,
        whole: false,
      }]);
    });
  });
}

Deno.test("footerRows: reads num_rows of DuckDB's files and ours, row groups summed", async () => {
  await withStorage("inlet_footer_", async (lake, dir) => {
    await duck(
      `COPY (SELECT range AS id, 'x' || range AS s, [range, 1] AS l, {'a': range} AS st FROM range(250000)) TO ${
        sqlString(`${dir}/duck.parquet`)
      } (ROW_GROUP_SIZE 100000)`,
    );
    const duckBytes = await Deno.readFile(`${dir}/duck.parquet`);
    assert.deepEqual(footerRows(duckBytes), {
      rows: 250000n,
      groupRows: 250000n,
    });
    const w = await ParquetWriter.create(await lake.create("ours.parquet"), {
      stream: STREAM,
      rowGroupSize: 7,
    });
    await w.write(Array.from({ length: 30 }, (_, id) => ({ id, tags: ["a"] })));
    await w.close();
    const ours = (await lake.get("ours.parquet"))!;
    assert.deepEqual(footerRows(ours), { rows: 30n, groupRows: 30n });
    // Only the end of the file is needed; a cut footer is an error, not 0.
    const footer = 8 +
      new DataView(ours.buffer).getUint32(ours.length - 8, true);
    assert.equal(footerRows(ours.subarray(ours.length - footer)).rows, 30n);
    assert.throws(
      () => footerRows(ours.subarray(ours.length - footer + 1)),
      /footer/,
    );
    assert.throws(() => footerRows(new Uint8Array(64)), /footer/);
  });
});
