/**
 * Declared types at the writer: every physical form a declared type takes
 * (decimals as INT32, INT64 and 16 bytes; dates; 32-bit ints and floats;
 * epoch timestamps) reads back exactly in DuckDB and icebird, through the
 * worker encoder (the default) as through the inline one.
 */
import assert from "node:assert/strict";
import { icebergRead } from "icebird";
import { StreamTable } from "../../../core/lake/stream_table.ts";
import { StreamWriter } from "../../../core/lake/stream_writer.ts";
import { duck } from "../../_duckdb.ts";
import { tableSource, tableUrl } from "../../_iceberg.ts";
import { withStorage } from "../../_lake.ts";

for (const encoder of ["worker", "inline"] as const) {
  Deno.test(`declared types (${encoder}): every physical form reads back exactly`, async () => {
    await withStorage("inlet-types-", async (lake, root) => {
      const log = new StreamTable(lake, "demo/items", {
        runId: "20260101T000000Z-abcd",
      });
      await log.recover();
      const writer = new StreamWriter({
        stream: "demo/items",
        storage: lake,
        log,
        encoder,
        columns: {
          small: "decimal(5,2)",
          mid: "decimal(18,4)",
          wide: "decimal(30,3)",
          n: "int",
          f: "float",
          day: "date",
          ms: "timestamp_ms",
        },
      });
      await writer.write([
        {
          id: 1,
          small: -999.99,
          mid: "12345678901234.5678",
          wide: 123456789012345678901234567n,
          n: -2147483648,
          f: 0.5,
          day: "1969-12-31",
          ms: -1,
        },
        {
          id: 2,
          small: "0.1",
          mid: 1e-4,
          wide: "-0.001",
          n: "42",
          f: "1e3",
          day: "2024-02-29",
          ms: 1.5,
        },
      ], { page: 0, url: "http://127.0.0.1:1/items" });
      await writer.commit({ done: true });
      const dir = `${root}/demo/items`;
      const got = await duck(
        `SELECT small::VARCHAR AS small, mid::VARCHAR AS mid, wide::VARCHAR AS wide, n, f,
           day::VARCHAR AS day, epoch_us(ms) AS ms
         FROM ${await tableSource(dir)} ORDER BY id`,
      );
      assert.deepEqual(got, [
        {
          small: "-999.99",
          mid: "12345678901234.5678",
          wide: "123456789012345678901234567.000",
          n: -2147483648,
          f: 0.5,
          day: "1969-12-31",
          ms: -1000n,
        },
        {
          small: "0.10",
          mid: "0.0001",
          wide: "-0.001",
          n: 42,
          f: 1000,
          day: "2024-02-29",
          ms: 1500n,
        },
      ]);
      const rows = (await icebergRead({ tableUrl: tableUrl(dir) }))
        .sort((a, b) => Number(a.id) - Number(b.id));
      assert.equal(rows.length, 2);
      assert.equal(rows[0]!.n, -2147483648);
      assert.equal(rows[1]!.f, 1000);
    });
  });
}
