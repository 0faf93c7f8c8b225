/**
 * Integers past 2^53 from the wire to `deno task query`: parsed exactly,
 * landed exactly (INT64, or DECIMAL(38,0) past 64 bits) and shown exactly.
 * DuckDB's JS rows turn DECIMAL into a double, which printed
 * 123456789012345678901234567890 as 1.2345678901234568e+29.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import assert from "node:assert/strict";
import { singlePaginator } from "../../../core/paging/paginators.ts";
import { pull } from "../../../core/run/pull.ts";
import { formatRows, queryLake } from "../../../core/lake/query.ts";
import { serveLocal } from "../../../core/testing/_serve.ts";
import { testConnector } from "../../_connectors.ts";
import { withTempDir } from "../../_lake.ts";

const BODY = `{"items":[
  {"id":9007199254740993,"huge":123456789012345678901234567890,"tags":[9007199254740995]},
  {"id":2,"huge":1,"tags":[1]}
]}`;

Deno.test("query: integers past 2^53 come back with every digit, nested ones too", async () => {
  await using server = serveLocal(() =>
    new Response(BODY, { headers: { "content-type": "application/json" } })
  );
  await withTempDir("inlet-bigq-", async (lake) => {
    const c = testConnector(server.url, {
      items: {
        path: "/items",
        recordsPath: "items",
        primaryKey: "id",
        paginator: singlePaginator(),
      },
    });
    const summary = await pull(c, { lake });
    assertEquals(summary.status, "ok", summary.errors.join("\n"));
    const rows = await queryLake(
      lake,
      c,
      "SELECT id, huge, tags, {'h': huge} AS nested FROM items ORDER BY id",
    );
    assertEquals(rows.map((r) => r.id), [2n, 9007199254740993n]);
    assertEquals(rows.map((r) => r.huge), [
      1n,
      123456789012345678901234567890n,
    ]);
    assertEquals(rows[1]!.tags, [9007199254740995n]);
    assertEquals(rows[1]!.nested, { h: "123456789012345678901234567890" });
    const shown = formatRows(rows);
    assert(shown.includes("123456789012345678901234567890"), shown);
    assert(shown.includes("[9007199254740995]"), shown);
  });
});
