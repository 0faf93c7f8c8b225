/**
 * The lake is Iceberg: what pulls write is read back by icebird (an
 * independent Iceberg reader on npm) and must match DuckDB over the data
 * files with the position deletes applied (`_iceberg.ts`, which lists the
 * files through icebird too) and `deno task query`: the demo, a merge
 * stream after three runs with updates between them, a replace stream, a
 * schema widened between runs, and a lake from before Iceberg.
 */
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { icebergRead } from "icebird";
import { runDemo } from "../../../core/cli/demo.ts";
import { pull } from "../../../core/run/pull.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { offsetStream, testConnector } from "../../_connectors.ts";
import { ID_COLUMNS, streamStats, sumTo, viewStats } from "../../_duckdb.ts";
import { tableFiles, tableUrl } from "../../_iceberg.ts";
import { latestEntry, withTempDir } from "../../_lake.ts";

type Row = Record<string, unknown>;

/** Every row of the table in `dir`, as icebird reads it. */
function icebird(dir: string): Promise<Row[]> {
  return icebergRead({ tableUrl: tableUrl(dir) });
}

/** Rows, distinct ids and the sum of ids of `rows`. */
function idStats(rows: Row[]): { n: number; ids: number; s: number } {
  const ids = rows.map((r) => Number(r.id));
  return {
    n: rows.length,
    ids: new Set(ids).size,
    s: ids.reduce((a, b) => a + b, 0),
  };
}

/** The newest table metadata of a stream. */
async function metadata(lake: string, stream: string) {
  return JSON.parse(await Deno.readTextFile(await latestEntry(lake, stream)));
}

Deno.test("iceberg: icebird reads the demo table, 100,000 rows, as DuckDB and deno task query do", async () => {
  await withTempDir("inlet-ice-demo-", async (lake) => {
    const records = 100_000;
    const result = await runDemo({
      lake,
      records,
      latencyMs: 1,
      capacity: 64,
      write: () => {},
      progress: false,
    });
    assertEquals(result.records, records);
    const want = { n: records, ids: records, s: sumTo(records) };
    assertEquals(idStats(await icebird(result.path)), want);
    assertEquals(await streamStats(result.path), want);
    const { default: demo } = await import("../../../connectors/demo.ts");
    assertEquals(await viewStats(lake, demo, "items", ID_COLUMNS), want);
    // Every data file carries the field ids and the schema readers match by.
    const m = await metadata(lake, "demo/items");
    assertEquals(m["format-version"], 2);
    const schema = m.schemas.find((s: { "schema-id": number }) =>
      s["schema-id"] === m["current-schema-id"]
    );
    assert(schema.fields.some((f: { name: string }) => f.name === "id"));
  });
});

Deno.test("iceberg: a merge stream after three runs with updates between them: one row per key, the newest, for every reader", async () => {
  const records = 300;
  await using server = await startApiServer({ records });
  const c = testConnector(server.url, {
    items: offsetStream(50, { writeDisposition: "merge" }),
  }, "m");
  await withTempDir("inlet-ice-merge-", async (lake) => {
    const dir = `${lake}/m/items`;
    for (let run = 1; run <= 3; run++) {
      const r = await pull(c, { lake, concurrency: 4, fileRecords: 70 });
      assertEquals(r.status, "ok", r.errors.join("\n"));
      // Every run lands every record again, some of them changed.
      for (let id = run; id <= records; id += 7) {
        server.updateRecord(id, { name: `run-${run + 1}-${id}` });
      }
    }
    // The last updates are not pulled: undo them in the expectation.
    const expected = new Map<number, string>();
    for (let id = 1; id <= records; id++) expected.set(id, `item-${id}`);
    for (const run of [1, 2]) {
      for (let id = run; id <= records; id += 7) {
        expected.set(id, `run-${run + 1}-${id}`);
      }
    }
    const rows = await icebird(dir);
    assertEquals(idStats(rows), {
      n: records,
      ids: records,
      s: sumTo(records),
    });
    for (const row of rows) {
      assertEquals(row.name, expected.get(Number(row.id)), `id ${row.id}`);
    }
    // DuckDB over the data files with the deletes applied, and the query.
    const renamed = {
      ...ID_COLUMNS,
      renamed: "count(*) FILTER (WHERE name LIKE 'run-%')",
    };
    const want = {
      n: records,
      ids: records,
      s: sumTo(records),
      renamed: [...expected.values()].filter((n) => n.startsWith("run-"))
        .length,
    };
    assertEquals(await streamStats(dir, renamed), want);
    assertEquals(await viewStats(lake, c, "items", renamed), want);
    // Three runs of every record: the older two copies are deleted rows.
    const files = (await tableFiles(dir))!;
    assert(files.deletes.length >= 2, `${files.deletes.length} delete files`);
    const m = await metadata(lake, "m/items");
    const current = m.snapshots.find((s: { "snapshot-id": number }) =>
      s["snapshot-id"] === m["current-snapshot-id"]
    );
    assertEquals(current.summary["total-records"], String(3 * records));
    assertEquals(
      current.summary["total-position-deletes"],
      String(2 * records),
    );
  });
});

Deno.test("iceberg: a replace stream is swapped whole by an overwrite snapshot", async () => {
  const records = 240;
  await using server = await startApiServer({ records });
  const c = testConnector(server.url, {
    items: offsetStream(40, { writeDisposition: "replace" }),
  }, "r");
  await withTempDir("inlet-ice-replace-", async (lake) => {
    const dir = `${lake}/r/items`;
    const first = await pull(c, { lake, concurrency: 3, fileRecords: 50 });
    assertEquals(first.status, "ok", first.errors.join("\n"));
    for (let id = 1; id <= records; id++) {
      server.updateRecord(id, { name: `new-${id}` });
    }
    const second = await pull(c, { lake, concurrency: 3, fileRecords: 50 });
    assertEquals(second.status, "ok", second.errors.join("\n"));
    const rows = await icebird(dir);
    assertEquals(idStats(rows), {
      n: records,
      ids: records,
      s: sumTo(records),
    });
    assert(rows.every((r) => r.name === `new-${r.id}`));
    const fresh = {
      n: "count(*)",
      fresh: "count(*) FILTER (WHERE name LIKE 'new-%')",
    };
    assertEquals(await streamStats(dir, fresh), { n: records, fresh: records });
    assertEquals(await viewStats(lake, c, "items", fresh), {
      n: records,
      fresh: records,
    });
    const m = await metadata(lake, "r/items");
    const current = m.snapshots.find((s: { "snapshot-id": number }) =>
      s["snapshot-id"] === m["current-snapshot-id"]
    );
    assertEquals(current.summary.operation, "overwrite");
    assertEquals(current.summary["total-records"], String(records));
  });
});

Deno.test("iceberg: a schema widened between runs keeps its field ids; an incompatible type is an error naming field, stream, page and URL", async () => {
  const records = 120;
  await using server = await startApiServer({ records });
  const c = testConnector(server.url, { items: offsetStream(30) }, "w");
  await withTempDir("inlet-ice-widen-", async (lake) => {
    const dir = `${lake}/w/items`;
    const first = await pull(c, { lake, concurrency: 2 });
    assertEquals(first.status, "ok", first.errors.join("\n"));
    const before = await metadata(lake, "w/items");
    // New columns arrive with new records.
    for (let id = 1; id <= records; id++) {
      server.updateRecord(id, { extra: id + 0.5, note: `n-${id}`, count: id });
    }
    const second = await pull(c, { lake, concurrency: 2 });
    assertEquals(second.status, "ok", second.errors.join("\n"));
    const after = await metadata(lake, "w/items");
    const fields = (m: typeof before) =>
      new Map<string, number>(
        m.schemas.find((s: { "schema-id": number }) =>
          s["schema-id"] === m["current-schema-id"]
        ).fields.map((f: { name: string; id: number }) => [f.name, f.id]),
      );
    const old = fields(before), now = fields(after);
    for (const [name, id] of old) assertEquals(now.get(name), id, name);
    assert(now.has("extra") && now.has("note") && now.has("count"));
    assert(now.get("extra")! > Math.max(...old.values()));
    assert(after.schemas.length > before.schemas.length);
    const rows = await icebird(dir);
    assertEquals(rows.length, 2 * records);
    assertEquals(
      rows.filter((r) => r.extra !== null && r.extra !== undefined).length,
      records,
    );
    assertEquals(
      await streamStats(dir, { n: "count(*)", extra: "count(extra)" }),
      {
        n: 2 * records,
        extra: records,
      },
    );

    // A fraction where the table holds a long: Iceberg cannot promote a
    // long to a double, so the run stops, loudly, before committing it.
    server.updateRecord(31, { count: 2.5 });
    const third = await pull(c, { lake, concurrency: 2 });
    assertEquals(third.status, "failed");
    const message = third.errors.join("\n");
    assert.match(message, /"w\/items"/);
    assert.match(message, /field "count" was long, now double/);
    assert.match(message, /\(page \d+\)/);
    assert.match(message, /at http:\/\/127\.0\.0\.1:\d+\/offset\/items/);
    assertEquals((await icebird(dir)).length, 2 * records);
  });
});

Deno.test("iceberg: a stream folder with a commit log from before Iceberg is refused, naming it", async () => {
  await using server = await startApiServer({ records: 10 });
  const c = testConnector(server.url, { items: offsetStream(10) }, "old");
  await withTempDir("inlet-ice-legacy-", async (lake) => {
    await Deno.mkdir(`${lake}/old/items/_log`, { recursive: true });
    await Deno.writeTextFile(
      `${lake}/old/items/_log/00000000000000000001.json`,
      "{}",
    );
    const r = await pull(c, { lake });
    assertEquals(r.status, "failed");
    assert.match(
      r.errors.join("\n"),
      /Cannot open stream "old\/items": its folder holds a commit log written by inlet before Iceberg \(.*\/old\/items\/_log\); pull into a new lake or remove the folder/,
    );
    assertEquals(server.stats.requests, 0);
  });
});
