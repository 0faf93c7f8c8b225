import assert from "node:assert/strict";
import pokeapi from "../../../connectors/pokeapi.ts";
import { pull } from "../../../core/run/pull.ts";
import { startPokeApiServer } from "../../../core/testing/pokeapi_server.ts";
import { ID_COLUMNS, streamStats } from "../../_duckdb.ts";
import { withTempDir } from "../../_lake.ts";

const isList = (path: string) => path === "/api/v2/pokemon";
const isDetail = (path: string) => /^\/api\/v2\/pokemon\/[^/]+\/$/.test(path);

Deno.test("dependent stream: one detail per list record, exact counts in the lake", async () => {
  const count = 730; // 8 list pages of 100, the last one short
  await using poke = startPokeApiServer({ count });
  await withTempDir("inlet-dependent-", async (lake) => {
    const summary = await pull(pokeapi, {
      lake,
      baseUrl: poke.baseUrl,
      streams: ["pokemon_details"],
      concurrency: 6,
    });
    assert.equal(summary.status, "ok", summary.errors.join("\n"));
    assert.equal(summary.records, count);
    assert.deepEqual(
      await streamStats(`${lake}/pokeapi/pokemon_details`, {
        ...ID_COLUMNS,
        names: "count(DISTINCT name)",
      }),
      { n: count, ids: count, s: count * (count + 1) / 2, names: count },
    );
    // Each detail asked for once; the list walked once, page by page.
    const details = poke.requests.filter((r) => isDetail(r.path));
    assert.equal(details.length, count);
    assert.equal(new Set(details.map((r) => r.path)).size, count);
    const offsets = poke.requests.filter((r) => isList(r.path)).map((r) =>
      Number(r.query.offset)
    );
    assert.deepEqual(
      offsets.toSorted((a, b) => a - b),
      [0, 100, 200, 300, 400, 500, 600, 700],
    );
  });
});

Deno.test("dependent stream: detail requests start while the list is still paging", async () => {
  const count = 500;
  await using poke = startPokeApiServer({ count });
  await withTempDir("inlet-dependent-", async (lake) => {
    const summary = await pull(pokeapi, {
      lake,
      baseUrl: poke.baseUrl,
      streams: ["pokemon_details"],
      concurrency: 4,
    });
    assert.equal(summary.status, "ok", summary.errors.join("\n"));
    // The server's log is in arrival order.
    const log = poke.requests.map((r) => r.path);
    const firstDetail = log.findIndex(isDetail);
    const lastList = log.findLastIndex(isList);
    assert.ok(firstDetail >= 0 && lastList >= 0);
    assert.ok(
      firstDetail < lastList,
      `the first detail request (#${firstDetail}) came after the last list page (#${lastList})`,
    );
    // Details interleave with the list: some list pages come after hundreds of details.
    const detailsBeforeLastList =
      log.slice(0, lastList).filter(isDetail).length;
    assert.ok(detailsBeforeLastList >= 100, `${detailsBeforeLastList}`);
  });
});

Deno.test("dependent stream: the list and its details under one limiter never exceed it", async () => {
  const count = 300;
  await using poke = startPokeApiServer({ count });
  await withTempDir("inlet-dependent-", async (lake) => {
    let peak = 0;
    let inFlight = 0;
    const counting: typeof fetch = async (input, init) => {
      peak = Math.max(peak, ++inFlight);
      try {
        const res = await fetch(input, init);
        // The body is read before the permit goes back: count until then.
        const body = await res.arrayBuffer();
        return new Response(body, {
          status: res.status,
          headers: res.headers,
        });
      } finally {
        inFlight--;
      }
    };
    const summary = await pull(pokeapi, {
      lake,
      baseUrl: poke.baseUrl,
      concurrency: 3,
      fetch: counting,
    });
    assert.equal(summary.status, "ok", summary.errors.join("\n"));
    assert.deepEqual(
      summary.streams.map((s) => [s.stream, s.records]),
      [["pokemon", count], ["pokemon_details", count]],
    );
    assert.ok(peak <= 3, `peak ${peak} requests in flight with a limit of 3`);
    assert.ok(peak >= 2, `peak ${peak}: nothing ran concurrently`);
  });
});
