import { deepStrictEqual as assertEquals } from "node:assert/strict";
import hackernews from "../../connectors/hackernews.ts";
import { pull } from "../../core/pull.ts";
import { startApiServer } from "../../core/testing/api_server.ts";
import { duck, sqlString } from "../_duckdb.ts";

Deno.test("hackernews: pulls the newest N items concurrently from a server speaking the HN API", async () => {
  const server = await startApiServer({ records: 5000 });
  const lake = await Deno.makeTempDir({ prefix: "inlet-hn-" });
  try {
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
    const glob = sqlString(`${lake}/hackernews/items/*.parquet`);
    const [row] = await duck(
      `SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(id) AS s, min(id) AS lo, max(id) AS hi FROM read_parquet(${glob})`,
    );
    const expectedSum = (4301 + 5000) * 700 / 2;
    assertEquals(
      {
        n: Number(row!.n),
        ids: Number(row!.ids),
        s: Number(row!.s),
        lo: Number(row!.lo),
        hi: Number(row!.hi),
      },
      { n: 700, ids: 700, s: expectedSum, lo: 4301, hi: 5000 },
    );
    const cols = await duck(`DESCRIBE SELECT * FROM read_parquet(${glob})`);
    const types = Object.fromEntries(
      cols.map((c) => [c.column_name, c.column_type]),
    );
    assertEquals(types.id, "BIGINT");
    assertEquals(types.type, "VARCHAR");
    assertEquals(types.time, "BIGINT");
  } finally {
    await server.close();
    await Deno.remove(lake, { recursive: true });
  }
});
