import { deepStrictEqual as assertEquals } from "node:assert/strict";
import hackernews from "../../connectors/hackernews.ts";
import { pull } from "../../core/run/pull.ts";
import { startApiServer } from "../../core/testing/api_server.ts";
import { columnTypes, ID_COLUMNS, streamStats } from "../_duckdb.ts";
import { withTempDir } from "../_lake.ts";

Deno.test("hackernews: pulls the newest N items concurrently from a server speaking the HN API", async () => {
  await using server = await startApiServer({ records: 5000 });
  await withTempDir("inlet-hn-", async (lake) => {
    const summary = await pull(hackernews, {
      lake,
      baseUrl: `${server.url}/v0`,
      limit: 700,
      concurrency: 16,
    });
    assertEquals(summary.status, "ok", summary.errors.join("\n"));
    assertEquals(summary.records, 700);
    // One request for the max id, one per item.
    assertEquals(summary.requests, 701);
    const expectedSum = (4301 + 5000) * 700 / 2;
    assertEquals(
      await streamStats(`${lake}/hackernews/items`, {
        ...ID_COLUMNS,
        lo: "min(id)",
        hi: "max(id)",
      }),
      { n: 700, ids: 700, s: expectedSum, lo: 4301, hi: 5000 },
    );
    const types = await columnTypes(`${lake}/hackernews/items/data/*.parquet`);
    assertEquals(types.id, "BIGINT");
    assertEquals(types.type, "VARCHAR");
    assertEquals(types.time, "BIGINT");
  });
});
