/**
 * A total that says more than the source holds: the fan-out it planned ends
 * at the first empty (or short) page, with a warning in the run summary,
 * and the source sees a bounded number of requests.
 */
import assert, {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import {
  offsetPaginator,
  pageNumberPaginator,
  singlePaginator,
} from "../../../core/paging/paginators.ts";
import { pull } from "../../../core/run/pull.ts";
import { json, serveLocal } from "../../../core/testing/_serve.ts";
import type { StreamDef } from "../../../core/connector/types.ts";
import { testConnector } from "../../_connectors.ts";
import { streamStats, sumTo } from "../../_duckdb.ts";
import { withTempDir } from "../../_lake.ts";

const CONCURRENCY = 4;
// Past this many requests the server fails the run, so the code before the
// fix (which asked for every page the total promised) ends too.
const CAP = 500;

/**
 * `held` records with ids 1..held, served `per` to a page by offset or by
 * page number, each page claiming `total` records (`pages` pages).
 */
function lyingServer(held: number, total: number, shortAt = -1) {
  const server = serveLocal((_req, url) => {
    if (server.requests.length > CAP) return json(404, { error: "too many" });
    const detail = url.pathname.match(/^\/detail\/(\d+)$/);
    if (detail) return json(200, { id: Number(detail[1]), detail: true });
    const q = url.searchParams;
    const asked = Number(q.get("limit") ?? q.get("size"));
    const from = q.has("offset")
      ? Number(q.get("offset"))
      : (Number(q.get("page")) - 1) * asked;
    // One page mid-way gives half of what was asked (rows moved under it).
    const per = from === shortAt ? asked / 2 : asked;
    const items = [];
    for (let id = from + 1; id <= Math.min(held, from + per); id++) {
      items.push({ id, v: id * 2 });
    }
    return json(200, { items, total, pages: Math.ceil(total / asked) });
  });
  return server;
}

async function run(
  stream: StreamDef,
  held: number,
  total: number,
  others: Record<string, StreamDef> = {},
  shortAt?: number,
) {
  await using server = lyingServer(held, total, shortAt);
  return await withTempDir("inlet-total-", async (lake) => {
    const c = testConnector(server.url, { items: stream, ...others });
    const summary = await pull(c, { lake, concurrency: CONCURRENCY });
    const landed = await streamStats(`${lake}/t/items`, {
      n: "count(*)",
      ids: "count(DISTINCT id)",
      s: "sum(id)",
      hi: "max(id)",
    });
    return { summary, landed, requests: server.requests.length };
  });
}

// Past the data, what the source can still be asked for: finished pages
// waiting behind the short one (the pool buffers up to its width, twice the
// concurrency), the requests the limiter lets fly (the concurrency) and the
// bodies still read on permits freed at their status line (as many again).
const window = 2 * CONCURRENCY + CONCURRENCY + CONCURRENCY;

Deno.test("lying total: offset pages with total 1e15 and empty pages after 4 records end at the first empty page, with a warning", async () => {
  const stream: StreamDef = {
    path: "/items",
    recordsPath: "items",
    primaryKey: "id",
    paginator: offsetPaginator({ limit: 4, totalPath: "total" }),
  };
  const { summary, landed, requests } = await run(stream, 4, 1e15);
  assertEquals(summary.status, "ok", summary.errors.join("\n"));
  assertEquals(landed, { n: 4, ids: 4, s: sumTo(4), hi: 4 });
  assert(requests <= 2 + window, `${requests} requests for 2 pages of data`);
  assertEquals(summary.warnings.length, 1, summary.warnings.join("\n"));
  assertMatch(
    summary.warnings[0]!,
    /^page 2 of "t\/items" held no record, so the data ends there although the reported total said more followed.* \(http:\/\/127\.0\.0\.1:\d+\/items\?offset=4&limit=4\)$/,
  );
  assertEquals(summary.streams[0]!.warnings, summary.warnings);
  assertEquals(summary.streams[0]!.complete, true);
});

Deno.test("lying total: numbered pages whose page count lies end at the first short page, with a warning", async () => {
  const stream: StreamDef = {
    path: "/items",
    recordsPath: "items",
    primaryKey: "id",
    paginator: pageNumberPaginator({
      sizeParam: "size",
      size: 10,
      totalPagesPath: "pages",
    }),
  };
  // 35 records: pages 1-3 full, page 4 short, pages 5.. empty.
  const { summary, landed, requests } = await run(stream, 35, 1e9);
  assertEquals(summary.status, "ok", summary.errors.join("\n"));
  assertEquals(landed, { n: 35, ids: 35, s: sumTo(35), hi: 35 });
  assert(requests <= 4 + window, `${requests} requests for 4 pages of data`);
  assertEquals(summary.warnings.length, 1, summary.warnings.join("\n"));
  assertMatch(
    summary.warnings[0]!,
    /^page 4 of "t\/items" held only 5 records/,
  );
});

Deno.test("lying total: an honest total ends on its last (short) page without a warning", async () => {
  const stream: StreamDef = {
    path: "/items",
    recordsPath: "items",
    primaryKey: "id",
    paginator: offsetPaginator({ limit: 10, totalPath: "total" }),
  };
  const { summary, landed, requests } = await run(stream, 95, 95);
  assertEquals(summary.status, "ok", summary.errors.join("\n"));
  assertEquals(landed, { n: 95, ids: 95, s: sumTo(95), hi: 95 });
  assertEquals(requests, 10);
  assertEquals(summary.warnings, []);
  assertEquals(summary.streams[0]!.warnings, undefined);
});

Deno.test("lying total: a dependent stream reports its parent's lying total too", async () => {
  const items: StreamDef = {
    path: "/items",
    recordsPath: "items",
    primaryKey: "id",
    paginator: offsetPaginator({ limit: 4, totalPath: "total" }),
  };
  const details: StreamDef = {
    path: "/detail/{id}",
    parent: { stream: "items", field: "id" },
    primaryKey: "id",
    allowSingleRecord: true,
    paginator: singlePaginator(),
  };
  const { summary } = await run(items, 6, 1e15, { details });
  assertEquals(summary.status, "ok", summary.errors.join("\n"));
  const of = (name: string) => summary.streams.find((s) => s.stream === name)!;
  assertEquals(of("details").records, 6);
  assertEquals(of("details").warnings?.length, 1);
  assertMatch(
    of("details").warnings![0]!,
    /^page 2 of "t\/items" held only 2 records/,
  );
  assertEquals(of("items").warnings?.length, 1);
  assertEquals(summary.warnings.length, 2);
});

Deno.test("lying total: a short page mid-way followed by records fails the run naming that page, it does not skip records", async () => {
  const stream: StreamDef = {
    path: "/items",
    recordsPath: "items",
    primaryKey: "id",
    paginator: offsetPaginator({ limit: 10, totalPath: "total" }),
  };
  // An honest total of 100, but the page at offset 20 holds 5 records: ending
  // there would skip ids 26-100 with only a warning.
  const { summary, landed } = await run(stream, 100, 100, {}, 20);
  assertEquals(summary.status, "failed");
  assertMatch(
    summary.errors.join("\n"),
    /page 3 of "t\/items" held 5 records, fewer than asked, yet page 4 holds 10: .*offset=20&limit=10/,
  );
  // What landed is the contiguous prefix up to the short page, nothing after.
  assertEquals(landed, { n: 25, ids: 25, s: sumTo(25), hi: 25 });
});
