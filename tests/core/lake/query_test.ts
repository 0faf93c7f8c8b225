/**
 * `deno task query <connector> "<sql>"`: DuckDB over committed data only,
 * one view per stream, `merge` applied.
 */
import assert, {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import stripe from "../../../connectors/stripe.ts";
import { StreamTable } from "../../../core/lake/stream_table.ts";
import { defineConnector } from "../../../core/connector/connector.ts";
import { LocalStorage } from "../../../core/lake/local_storage.ts";
import { singlePaginator } from "../../../core/paging/paginators.ts";
import { pull } from "../../../core/run/pull.ts";
import { queryLake } from "../../../core/lake/query.ts";
import type { Storage } from "../../../core/lake/storage.ts";
import { StreamWriter } from "../../../core/lake/stream_writer.ts";
import { startStripeServer } from "../../../core/testing/stripe_server.ts";
import { runTask } from "../../_cli.ts";
import { duck, sqlString, streamStats } from "../../_duckdb.ts";
import { tableFiles } from "../../_iceberg.ts";
import { withTempDir } from "../../_lake.ts";

const KEY = "sk_test_51QueryTest0123456789";

Deno.test("query: deno task query prints rows with merge applied", async () => {
  await using server = startStripeServer({
    charges: 180,
    customers: 40,
    apiKey: KEY,
  });
  await withTempDir("inlet-query-", async (lake) => {
    // Two full pulls of a merge stream: every charge lands twice.
    for (let i = 0; i < 2; i++) {
      const s = await pull(stripe, {
        lake,
        baseUrl: server.baseUrl,
        env: (n) => n === "STRIPE_API_KEY" ? KEY : undefined,
        concurrency: 4,
      });
      assertEquals(s.status, "ok", s.errors.join("\n"));
    }
    // The data files hold both copies; the table's position deletes hide
    // the older one from every Iceberg reader.
    const files = (await tableFiles(`${lake}/stripe/charges`))!;
    const [raw] = await duck(
      `SELECT count(*) AS n FROM read_parquet([${
        files.data.map(sqlString).join(", ")
      }], union_by_name = true)`,
    );
    assertEquals(Number(raw!.n), 360);
    const seen = await streamStats(`${lake}/stripe/charges`, {
      n: "count(*)",
      ids: "count(DISTINCT id)",
    });
    assertEquals(seen, { n: 180, ids: 180 });

    const table = await runTask([
      "query",
      "stripe",
      "SELECT count(*) AS charges, count(DISTINCT id) AS ids FROM charges",
      "--lake",
      lake,
    ]);
    assertEquals(table.code, 0, table.stderr);
    assertMatch(table.stdout, /^charges\s+ids\n-+\s+-+\n180\s+180\n$/);

    const json = await runTask([
      "query",
      "stripe",
      "SELECT (SELECT count(*) FROM charges) AS charges, (SELECT count(*) FROM customers) AS customers",
      "--lake",
      lake,
      "--format",
      "json",
    ]);
    assertEquals(json.code, 0, json.stderr);
    assertEquals(JSON.parse(json.stdout), { charges: 180, customers: 40 });

    const bad = await runTask([
      "query",
      "stripe",
      "SELECT nope FROM charges",
      "--lake",
      lake,
    ]);
    assert(bad.code !== 0);
    assertMatch(bad.stderr, /nope/);
  });
});

const q = defineConnector({
  name: "q",
  baseUrl: "http://127.0.0.1:9",
  hosts: ["127.0.0.1"],
  streams: {
    items: {
      path: "/x",
      primaryKey: "id",
      writeDisposition: "merge",
      paginator: singlePaginator(),
    },
  },
});

Deno.test("query: a merge stream in NDJSON keeps the newest version, even of a key seen twice in one commit", async () => {
  await withTempDir("inlet-query-", async (lake) => {
    const storage = new LocalStorage(lake);
    const log = new StreamTable(storage, "q/items", {
      runId: "20260101T000000.000Z-0001",
    });
    const writer = new StreamWriter({
      stream: "q/items",
      storage,
      log,
      format: "ndjson",
      uniqueKey: (r) => JSON.stringify([r.id]),
    });
    await writer.write([{ id: 1, v: "a" }, { id: 2, v: "a" }]);
    await writer.write([{ id: 1, v: "b" }, { id: 3, v: "a" }, {
      id: 1,
      v: "c",
    }]);
    const entry = await writer.commit({ done: true });
    // Each repeat of a key started a new file.
    assertEquals(entry?.add.length, 3);
    const rows = await queryLake(
      lake,
      q,
      "SELECT id::INTEGER AS id, v FROM items ORDER BY id",
    );
    assertEquals(rows, [{ id: 1, v: "c" }, { id: 2, v: "a" }, {
      id: 3,
      v: "a",
    }]);
  });
});

Deno.test("query: a commit whose run died before the version hint moved is read (the metadata files are the truth)", async () => {
  await withTempDir("inlet-query-", async (lake) => {
    const storage = new LocalStorage(lake);
    const run = async (
      runId: string,
      rows: Array<Record<string, unknown>>,
      lakeStorage: Storage = storage,
    ) => {
      const log = new StreamTable(lakeStorage, "q/items", { runId });
      await log.recover();
      // A merge stream's run merges by its primary key.
      const writer = new StreamWriter({
        stream: "q/items",
        storage: lakeStorage,
        log,
        merge: ["id"],
      });
      await writer.write(rows);
      return await writer.commit({ done: true });
    };
    await run("20260101T000000.000Z-0001", [{ id: 1, v: "a" }]);
    // The second run dies right after its commit, before the hint moves.
    const dies: Storage = {
      root: storage.root,
      create: (p) => storage.create(p),
      put: (p, d) =>
        p.endsWith("version-hint.text")
          ? Promise.reject(new Error("killed"))
          : storage.put(p, d),
      putIfAbsent: (p, d) => storage.putIfAbsent(p, d),
      get: (p) => storage.get(p),
      list: (p) => storage.list(p),
      move: (a, b) => storage.move(a, b),
      delete: (p) => storage.delete(p),
    };
    // The commit stands: the hint is only a pointer.
    await run(
      "20260101T000001.000Z-0002",
      [{ id: 1, v: "b" }, { id: 2, v: "b" }],
      dies,
    );
    assertEquals(
      new TextDecoder().decode(
        await storage.get("q/items/metadata/version-hint.text"),
      ),
      "1",
    );
    assert(await storage.get("q/items/metadata/v2.metadata.json"));
    const rows = await queryLake(
      lake,
      q,
      "SELECT id::INTEGER AS id, v FROM items ORDER BY id",
    );
    assertEquals(rows, [{ id: 1, v: "b" }, { id: 2, v: "b" }]);
  });
});
