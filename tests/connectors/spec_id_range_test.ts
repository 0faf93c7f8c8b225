/**
 * Id ranges from a spec: the Hacker News shape (a max id, then one request
 * per item) declared as data, pulled from the test API, with the paginator
 * owning the incremental range.
 */
import assert from "node:assert/strict";
import { pull } from "../../core/run/pull.ts";
import { connectorFromSpec } from "../../core/spec/connector_from_spec.ts";
import { startApiServer } from "../../core/testing/api_server.ts";
import { viewStats } from "../_duckdb.ts";
import { withTempDir } from "../_lake.ts";

Deno.test("spec: an id_range stream takes the newest ids, then only ids after its bookmark", async () => {
  const server = await startApiServer({ records: 900 });
  try {
    await withTempDir("inlet-idrange-", async (dir) => {
      const c = connectorFromSpec({
        name: "hn",
        baseUrl: `${server.url}/v0`,
        streams: {
          items: {
            path: "/item/{id}.json",
            primaryKey: "id",
            allowSingleRecord: true,
            allowNullRecords: true,
            incremental: { cursorField: "id" },
            paginator: {
              type: "id_range",
              maxIdPath: "/maxitem.json",
              itemPath: "/item/{id}.json",
              count: 250,
            },
          },
        },
      }, "hn.json");
      const lake = `${dir}/lake`;
      const first = await pull(c, { lake, concurrency: 8 });
      assert.equal(first.status, "ok", first.errors.join("\n"));
      assert.equal(first.records, 250);
      const cols = { n: "count(*)", lo: "min(id)", hi: "max(id)" };
      assert.deepEqual(await viewStats(lake, c, "items", cols), {
        n: 250,
        lo: 651,
        hi: 900,
      });
      // Nothing after the bookmark (900): no item is pulled again.
      const second = await pull(c, { lake, concurrency: 8 });
      assert.equal(second.status, "ok", second.errors.join("\n"));
      assert.equal(second.records, 0);
      assert.deepEqual(await viewStats(lake, c, "items", cols), {
        n: 250,
        lo: 651,
        hi: 900,
      });
    });
  } finally {
    await server.close();
  }
});
