/**
 * `--limit` fetches what it needs: pages ahead are bounded by the records
 * still wanted, and a dependent stream walks no more parent records than
 * its limit in a run, leaving the rest to the next run, exactly.
 */
import assert from "node:assert/strict";
import pokeapi from "../../../connectors/pokeapi.ts";
import { offsetPaginator } from "../../../core/paging/paginators.ts";
import { singlePaginator } from "../../../core/paging/paginators.ts";
import { pull } from "../../../core/run/pull.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { startPokeApiServer } from "../../../core/testing/pokeapi_server.ts";
import { duck, ID_COLUMNS, sqlString, streamStats } from "../../_duckdb.ts";
import { testConnector } from "../../_connectors.ts";
import { withTempDir } from "../../_lake.ts";

// The offset route without a total: the engine plans a window of pages
// whose end it cannot know, which it used to fetch hundreds of pages ahead.
function windowStream(limit: number, total: boolean) {
  return {
    path: "/offset/items",
    params: { total: String(total) },
    recordsPath: "items",
    primaryKey: "id",
    paginator: offsetPaginator(
      total ? { limit, totalPath: "total" } : { limit },
    ),
  };
}

for (const total of [false, true]) {
  Deno.test(
    `limit: --limit 10 and 250 on an offset stream of pages of 100 (${
      total ? "with" : "without"
    } a total) fetch 1 and 3 pages`,
    async () => {
      await using server = await startApiServer({ records: 100_000 });
      for (const [limit, pages] of [[10, 1], [250, 3]] as const) {
        await withTempDir("inlet-limit-", async (lake) => {
          const c = testConnector(server.url, {
            items: windowStream(100, total),
          });
          const before = server.stats.requests;
          const s = await pull(c, { lake, limit });
          assert.equal(s.status, "ok", s.errors.join("\n"));
          assert.equal(s.records, limit);
          // Counted at the server: every request it answered for this run.
          assert.equal(server.stats.requests - before, pages);
          assert.deepEqual(await streamStats(`${lake}/t/items`), {
            n: limit,
            ids: limit,
            s: limit * (limit + 1) / 2,
          });
        });
      }
    },
  );
}

const isList = (path: string) => path === "/api/v2/pokemon";
const isDetail = (path: string) => /^\/api\/v2\/pokemon\/[^/]+\/$/.test(path);

Deno.test("limit: a dependent stream walks at most --limit parent records per run, and the runs after it continue exactly", async () => {
  const count = 730;
  await using poke = startPokeApiServer({ count });
  await withTempDir("inlet-limit-dependent-", async (lake) => {
    const run = async (limit?: number) => {
      const seen = poke.requests.length;
      const s = await pull(pokeapi, {
        lake,
        baseUrl: poke.baseUrl,
        streams: ["pokemon_details"],
        ...(limit !== undefined ? { limit } : {}),
      });
      assert.equal(s.status, "ok", s.errors.join("\n"));
      const log = poke.requests.slice(seen).map((r) => r.path);
      return {
        s,
        lists: log.filter(isList).length,
        details: log.filter(isDetail).length,
      };
    };
    for (let i = 0; i < 2; i++) {
      const r = await run(10);
      assert.equal(r.s.records, 10);
      assert.equal(r.s.streams[0]!.complete, false);
      // One list page of 100 and the ten details it needs: not the list's
      // every page, nor a pool's worth of details.
      assert.equal(r.lists, 1);
      assert.equal(r.details, 10);
    }
    assert.deepEqual(await streamStats(`${lake}/pokeapi/pokemon_details`), {
      n: 20,
      ids: 20,
      s: 20 * 21 / 2,
    });
    const rest = await run();
    assert.equal(rest.s.records, count - 20);
    assert.equal(rest.s.streams[0]!.complete, true);
    assert.equal(rest.details, count - 20);
    assert.deepEqual(
      await streamStats(`${lake}/pokeapi/pokemon_details`, ID_COLUMNS),
      { n: count, ids: count, s: count * (count + 1) / 2 },
    );
  });
});

Deno.test("limit: a dependent stream whose details are mostly empty stops walking its parent at --limit records; the next run goes on", async () => {
  // A server of our own: the detail of every parent but each tenth is
  // `null`, which no server on npm serves on demand.
  let details = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      const u = new URL(req.url);
      if (u.pathname === "/items") {
        const offset = Number(u.searchParams.get("offset"));
        const limit = Number(u.searchParams.get("limit"));
        const items = [];
        for (let i = offset; i < Math.min(offset + limit, 1000); i++) {
          items.push({ id: i });
        }
        return Response.json({ items, total: 1000 });
      }
      details++;
      const id = Number(u.pathname.split("/")[2]);
      return Response.json(id % 10 === 0 ? { id } : null);
    },
  );
  try {
    await withTempDir("inlet-limit-empty-", async (lake) => {
      const c = testConnector(`http://127.0.0.1:${server.addr.port}`, {
        items: {
          path: "/items",
          recordsPath: "items",
          primaryKey: "id",
          paginator: offsetPaginator({ limit: 100, totalPath: "total" }),
        },
        details: {
          path: "/detail/{id}",
          primaryKey: "id",
          allowSingleRecord: true,
          allowNullRecords: true,
          paginator: singlePaginator(),
          parent: { stream: "items", field: "id" },
        },
      });
      const first = await pull(c, { lake, streams: ["details"], limit: 50 });
      assert.equal(first.status, "ok", first.errors.join("\n"));
      assert.equal(details, 50);
      assert.equal(first.records, 5);
      assert.equal(first.streams[0]!.complete, false);
      const rest = await pull(c, { lake, streams: ["details"] });
      assert.equal(rest.records, 95);
      assert.equal(rest.streams[0]!.complete, true);
      assert.equal(details, 1000);
      const [row] = await duck(
        `SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS ids FROM read_parquet(${
          sqlString(`${lake}/t/details/**/*.parquet`)
        })`,
      );
      assert.deepEqual(row, { n: 100, ids: 100 });
    });
  } finally {
    await server.shutdown();
  }
});
