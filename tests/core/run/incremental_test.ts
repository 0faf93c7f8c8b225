/**
 * Incremental streams: the next run asks only for what changed since the
 * bookmark (minus the lookback), `merge` shows each key once with its newest
 * values, and the id-range paginator continues from the last id pulled.
 */
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import hackernews from "../../../connectors/hackernews.ts";
import { readStates } from "../../../core/lake/lake_reader.ts";
import { LocalStorage } from "../../../core/lake/local_storage.ts";
import { pull } from "../../../core/run/pull.ts";
import { queryLake } from "../../../core/lake/query.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { offsetStream, testConnector } from "../../_connectors.ts";
import {
  duck,
  ID_COLUMNS,
  sqlString,
  streamStats,
  sumTo,
  viewStats,
} from "../../_duckdb.ts";
import { tableFiles, tableSource } from "../../_iceberg.ts";
import { withTempDir } from "../../_lake.ts";

function connectorOf(baseUrl: string) {
  return testConnector(baseUrl, {
    items: offsetStream(50, {
      path: "/updated/items",
      writeDisposition: "merge",
      incremental: {
        cursorField: "updated_at",
        param: "since",
        lookback: 600,
      },
    }),
  }, "inc");
}

for (const format of ["parquet", "ndjson"] as const) {
  Deno.test(`incremental merge (${format}): the next run fetches only what changed (plus lookback); readers see each key once, newest values`, async () => {
    const records = 500;
    await using server = await startApiServer({ records });
    const c = connectorOf(server.url);
    await withTempDir("inlet-inc-", async (lake) => {
      const run = () =>
        pull(c, { lake, concurrency: 4, format, fileRecords: 100 });
      const query = async (sql: string) => await queryLake(lake, c, sql);
      const first = await run();
      assertEquals(first.status, "ok", first.errors.join("\n"));
      assertEquals(first.records, records);
      // The bookmark is the newest updated_at landed: record 500's.
      const [report] = await readStates(new LocalStorage(lake), c);
      assertEquals(
        (report!.state as { bookmark: Record<string, string> }).bookmark[""],
        "2024-01-01T08:20:00.000Z",
      );

      server.updateRecord(7, { name: "seven, renamed" });
      server.updateRecord(300, { score: -1, active: true });
      server.updateRecord(7, { tags: ["edited", "twice"] });
      const served = server.stats.served;
      const second = await run();
      assertEquals(second.status, "ok", second.errors.join("\n"));
      // since = 08:20 - 10 min: records 490..500 come again (the lookback),
      // then the two changed ones; nothing older.
      assertEquals(second.records, 11 + 2);
      assertEquals(server.stats.served - served, 1, "one page");

      assertEquals(
        await viewStats(lake, c, "items", ID_COLUMNS),
        { n: records, ids: records, s: sumTo(records) },
      );
      const [seven] = await query(
        "SELECT name, tags, updated_at FROM items WHERE id = 7",
      );
      assertEquals(seven!.name, "seven, renamed");
      assertEquals(seven!.tags, ["edited", "twice"]);
      const [three] = await query(
        "SELECT score, active, name FROM items WHERE id = 300",
      );
      assertEquals(three, { score: -1, active: true, name: "item-300" });

      if (format === "parquet") {
        // The table's data files hold both versions; its position deletes
        // hide the older ones from every Iceberg reader.
        const files = (await tableFiles(`${lake}/inc/items`))!;
        const [raw] = await duck(
          `SELECT count(*) AS n FROM read_parquet([${
            files.data.map(sqlString).join(", ")
          }], union_by_name = true)`,
        );
        assertEquals(Number(raw!.n), records + 13);
        assertEquals(files.deletes.length, 1);
        const [plain] = await duck(
          `SELECT count(*) AS n, count(DISTINCT id) AS ids, max(CASE WHEN id = 7 THEN name END) AS seven, max(CASE WHEN id = 300 THEN score END) AS three FROM ${await tableSource(
            `${lake}/inc/items`,
          )}`,
        );
        assertEquals(
          {
            n: Number(plain!.n),
            ids: Number(plain!.ids),
            seven: plain!.seven,
            three: plain!.three,
          },
          { n: records, ids: records, seven: "seven, renamed", three: -1 },
        );
      }

      // Nothing changed: only the lookback window comes back. The bookmark
      // is record 7's new updated_at (500 + 3 min); ten minutes below it
      // lie records 493..500 and the two changed ones.
      const third = await run();
      assertEquals(third.status, "ok");
      assertEquals(third.records, 8 + 2);
      const again = await viewStats(lake, c, "items", {
        n: ID_COLUMNS.n,
        ids: ID_COLUMNS.ids,
      });
      assertEquals(again.n, records);
      assertEquals(again.ids, records);
    });
  });
}

Deno.test("incremental: --since sets the first sweep's start; a run stopped mid-sweep resumes with the same filter", async () => {
  const records = 400;
  await using server = await startApiServer({ records });
  const c = connectorOf(server.url);
  await withTempDir("inlet-inc-", async (lake) => {
    // The first sweep starts at record 100's updated_at.
    const first = await pull(c, {
      lake,
      concurrency: 1,
      since: "2024-01-01T01:40:00Z",
    });
    assertEquals(first.records, 301);
    for (let id = 1; id <= 120; id++) {
      server.updateRecord(id, { name: `v2-${id}` });
    }
    // Stop at the first checkpoint of the second sweep.
    const stop = new AbortController();
    const stopped = await pull(c, {
      lake,
      concurrency: 1,
      fileRecords: 50,
      stop: stop.signal,
      onEvent: (e) => {
        if (e.type === "commit") stop.abort();
      },
    });
    assertEquals(stopped.status, "stopped");
    assert(stopped.records < 131, `stopped after ${stopped.records}`);
    const [mid] = await readStates(new LocalStorage(lake), c);
    const since = (mid!.state as { since: Record<string, string> }).since;
    // Bookmark minus lookback, in the shape the source writes (milliseconds).
    assertEquals(since, { "": "2024-01-01T06:30:00.000Z" });
    // The resumed sweep keeps its filter (a --since now changes nothing).
    const resumed = await pull(c, {
      lake,
      concurrency: 1,
      fileRecords: 50,
      since: "2024-01-01T00:00:00Z",
    });
    assertEquals(resumed.status, "ok", resumed.errors.join("\n"));
    // Records 390..400 (the lookback) and the 120 changed ones, once.
    assertEquals(stopped.records + resumed.records, 11 + 120);
    assertEquals(
      await viewStats(lake, c, "items", {
        n: ID_COLUMNS.n,
        ids: ID_COLUMNS.ids,
        v2: "count(*) FILTER (WHERE name LIKE 'v2-%')",
      }),
      { n: 400, ids: 400, v2: 120 },
    );
  });
});

Deno.test("incremental: hackernews continues from the last id pulled", async () => {
  await withTempDir("inlet-hn-inc-", async (lake) => {
    {
      await using server = await startApiServer({ records: 1000 });
      const first = await pull(hackernews, {
        lake,
        baseUrl: `${server.url}/v0`,
        limit: 300,
        concurrency: 8,
      });
      assertEquals(first.status, "ok", first.errors.join("\n"));
      assertEquals(first.records, 300);
      const [report] = await readStates(new LocalStorage(lake), hackernews);
      assertEquals(report!.state, {
        ...(report!.state as object),
        sweep: "complete",
        bookmark: { "": 1000 },
      });
    }
    {
      // 250 new items since; the next run asks for those and nothing else.
      await using server = await startApiServer({ records: 1250 });
      const second = await pull(hackernews, {
        lake,
        baseUrl: `${server.url}/v0`,
        concurrency: 8,
      });
      assertEquals(second.status, "ok", second.errors.join("\n"));
      assertEquals(second.records, 250);
      assertEquals(server.stats.requests, 1 + 250);
    }
    assertEquals(
      await streamStats(`${lake}/hackernews/items`, {
        ...ID_COLUMNS,
        lo: "min(id)",
      }),
      { n: 550, ids: 550, s: sumTo(1250) - sumTo(700), lo: 701 },
    );
  });
});
