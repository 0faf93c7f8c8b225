/**
 * A source that caps its page size below the paginator's limit, with no
 * total to give it away (this test's own server: the behaviour of many APIs
 * that clamp `limit`/`per_page` silently). The first page comes back short;
 * it must not be taken for the end, or every record after it is lost with
 * the run reporting "ok".
 */
import assert, {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import {
  offsetPaginator,
  pageNumberPaginator,
} from "../../../core/paging/paginators.ts";
import { pull } from "../../../core/run/pull.ts";
import { json, serveLocal } from "../../../core/testing/_serve.ts";
import type { StreamDef } from "../../../core/connector/types.ts";
import { testConnector } from "../../_connectors.ts";
import { streamStats, sumTo } from "../../_duckdb.ts";
import { withTempDir } from "../../_lake.ts";

const HELD = 230;
const CAP = 30;

/** Records 1..HELD, at most CAP a page, by offset or by page number. */
function cappingServer() {
  const server = serveLocal((_req, url) => {
    if (server.requests.length > 100) return json(404, { error: "runaway" });
    const q = url.searchParams;
    const per = Math.min(CAP, Number(q.get("limit") ?? q.get("size")));
    const from = q.has("offset")
      ? Number(q.get("offset"))
      : (Number(q.get("page")) - 1) * per;
    const items = [];
    for (let id = from + 1; id <= Math.min(HELD, from + per); id++) {
      items.push({ id, v: id * 2 });
    }
    return json(200, { items });
  });
  return server;
}

async function run(stream: StreamDef, limit?: number) {
  await using server = cappingServer();
  return await withTempDir("inlet-capped-", async (lake) => {
    const c = testConnector(server.url, { items: stream });
    const summary = await pull(c, {
      lake,
      concurrency: 4,
      ...(limit ? { limit } : {}),
    });
    const landed = await streamStats(`${lake}/t/items`, {
      n: "count(*)",
      ids: "count(DISTINCT id)",
      s: "sum(id)",
    });
    return { summary, landed, requests: server.requests.length };
  });
}

const cases: [string, StreamDef["paginator"]][] = [
  ["offset pages", offsetPaginator({ limit: 100 })],
  [
    "numbered pages of a known size",
    pageNumberPaginator({ sizeParam: "size", size: 100 }),
  ],
];

for (const [name, paginator] of cases) {
  Deno.test(`capped page size: ${name} with no total land every record, and say why they went one by one`, async () => {
    const stream: StreamDef = {
      path: "/items",
      recordsPath: "items",
      primaryKey: "id",
      paginator,
    };
    const { summary, landed, requests } = await run(stream);
    assertEquals(summary.status, "ok", summary.errors.join("\n"));
    assertEquals(landed, { n: HELD, ids: HELD, s: sumTo(HELD) });
    // Eight pages of 30 (the last short), then one empty page that ends it.
    assertEquals(requests, 9);
    assertEquals(summary.warnings.length, 1, summary.warnings.join("\n"));
    assertMatch(
      summary.warnings[0]!,
      /^page 1 of "t\/items" held 30 records, fewer than asked, yet page 2 held 30: the source caps its page size at 30/,
    );
  });

  Deno.test(`capped page size: ${name} stop exactly at --limit`, async () => {
    const stream: StreamDef = {
      path: "/items",
      recordsPath: "items",
      primaryKey: "id",
      paginator,
    };
    const { summary, landed, requests } = await run(stream, 75);
    assertEquals(summary.status, "ok", summary.errors.join("\n"));
    assertEquals(landed, { n: 75, ids: 75, s: sumTo(75) });
    assert(requests <= 3, `${requests} requests for 75 records`);
  });
}

Deno.test("capped page size: a stream that fits in one short page costs one more (empty) request, and no warning", async () => {
  const stream: StreamDef = {
    path: "/items",
    recordsPath: "items",
    primaryKey: "id",
    paginator: offsetPaginator({ limit: 100 }),
  };
  let calls = 0;
  await using small = serveLocal((_req, url) => {
    calls++;
    const from = Number(url.searchParams.get("offset"));
    return json(200, { items: from === 0 ? [{ id: 1 }, { id: 2 }] : [] });
  });
  await withTempDir("inlet-capped-", async (lake) => {
    const summary = await pull(testConnector(small.url, { items: stream }), {
      lake,
    });
    assertEquals(summary.status, "ok", summary.errors.join("\n"));
    assertEquals(summary.warnings, []);
    assertEquals(
      await streamStats(`${lake}/t/items`, { n: "count(*)" }),
      { n: 2 },
    );
  });
  assertEquals(calls, 2);
});
