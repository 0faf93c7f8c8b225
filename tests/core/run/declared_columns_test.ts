/**
 * A schema that holds (issue 13, item 3): declared column types are
 * written as declared from the first run, with every value converted
 * exactly or the stream failing, naming connector, stream, field, page and
 * URL; an incompatible change of an inferred column fails the same way
 * (across pages and across runs) unless the stream declares the column;
 * widenings evolve the table. Read back by icebird and DuckDB.
 */
import assert from "node:assert/strict";
import { icebergRead } from "icebird";
import { pull } from "../../../core/run/pull.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import type { StreamDef } from "../../../core/connector/types.ts";
import { offsetStream, testConnector } from "../../_connectors.ts";
import { duck } from "../../_duckdb.ts";
import { tableSource, tableUrl } from "../../_iceberg.ts";
import { latestEntry, withTempDir } from "../../_lake.ts";

type Row = Record<string, unknown>;
const RECORDS = 60;
const PAGE = 20;

/** The current schema's fields (name → Iceberg type) of a stream's table. */
async function icebergTypes(lake: string, stream: string) {
  const m = JSON.parse(
    await Deno.readTextFile(await latestEntry(lake, stream)),
  );
  const s = m.schemas.find((x: { "schema-id": number }) =>
    x["schema-id"] === m["current-schema-id"]
  );
  return Object.fromEntries(
    s.fields.map((f: { name: string; type: unknown }) => [f.name, f.type]),
  ) as Record<string, unknown>;
}

async function icebird(dir: string): Promise<Row[]> {
  return (await icebergRead({ tableUrl: tableUrl(dir) }))
    .sort((a, b) => Number(a.id) - Number(b.id));
}

const stream = (columns?: StreamDef["columns"]) =>
  offsetStream(PAGE, columns ? { columns } : {});

Deno.test("declared columns: written with their types from the first run; icebird and DuckDB read the values", async () => {
  await using server = await startApiServer({ records: RECORDS });
  for (let id = 1; id <= RECORDS; id++) {
    server.updateRecord(id, {
      stamp: 1_700_000_000 + id,
      ms: `${1_700_000_000_000 + id}`,
      day: `2024-02-${String(1 + (id % 28)).padStart(2, "0")}`,
      amount: id === 7 ? "12345678.91" : id / 4,
    });
  }
  const c = testConnector(server.url, {
    items: stream({
      id: "int",
      amount: "decimal(10,2)",
      stamp: "timestamp_s",
      ms: "timestamp_ms",
      day: "date",
      created_at: "timestamp",
      score: "float",
      meta: "json",
      name: "string",
      never: "long",
    }),
  });
  await withTempDir("inlet-declared-", async (lake) => {
    const run = await pull(c, { lake, concurrency: 2 });
    assert.equal(run.status, "ok", run.errors.join("\n"));
    const types = await icebergTypes(lake, "t/items");
    assert.deepEqual(
      [
        types.id,
        types.amount,
        types.stamp,
        types.ms,
        types.day,
        types.created_at,
        types.score,
        types.meta,
        types.name,
        types.never,
      ],
      [
        "int",
        "decimal(10,2)",
        "timestamptz",
        "timestamptz",
        "date",
        "timestamptz",
        "float",
        "string",
        "string",
        "long",
      ],
    );
    const dir = `${lake}/t/items`;
    const [r7] = await duck(
      `SELECT id, amount::VARCHAR AS amount, epoch_ms(stamp) AS stamp, epoch_ms(ms) AS ms,
         day::VARCHAR AS day, meta::VARCHAR AS meta, never
       FROM ${await tableSource(dir)} WHERE id = 7`,
    );
    const { meta, ...rest } = r7!;
    assert.deepEqual(rest, {
      id: 7,
      amount: "12345678.91",
      stamp: 1_700_000_007_000n,
      ms: 1_700_000_000_007n,
      day: "2024-02-08",
      never: null,
    });
    // Declared json: the object as its JSON text, not a struct.
    assert.deepEqual(JSON.parse(String(meta)), await metaOf(server.url));
    const [sums] = await duck(
      `SELECT count(*) AS n, sum(amount)::VARCHAR AS total FROM ${await tableSource(
        dir,
      )} WHERE id <> 7`,
    );
    // id / 4 for every id but 7, to the cent: no rounding anywhere.
    const cents = Array.from({ length: RECORDS }, (_, i) => i + 1)
      .filter((id) => id !== 7).reduce((s, id) => s + id * 25, 0);
    assert.deepEqual(sums, {
      n: BigInt(RECORDS - 1),
      total: `${Math.floor(cents / 100)}.${
        String(cents % 100).padStart(2, "0")
      }`,
    });
    const rows = await icebird(dir);
    assert.equal(rows.length, RECORDS);
    assert.equal(rows[6]!.id, 7);
    assert.equal(rows[9]!.score, 15);
    assert.equal(typeof rows[0]!.name, "string");
  });
});

/** Record 7's `meta` as the API serves it. */
async function metaOf(url: string): Promise<unknown> {
  const res = await fetch(`${url}/offset/items?limit=1&offset=6`);
  const body = await res.json();
  return body.items[0].meta;
}

Deno.test("declared columns: a value its type cannot hold fails the stream naming connector, stream, field, page and URL; nothing of it lands", async () => {
  await using server = await startApiServer({ records: RECORDS });
  server.updateRecord(45, { score: 1.005 });
  const c = testConnector(server.url, {
    items: stream({ score: "decimal(10,2)" }),
  });
  await withTempDir("inlet-declared-", async (lake) => {
    // A file per page: the pages before the bad one are committed.
    const run = await pull(c, { lake, concurrency: 1, fileRecords: PAGE });
    assert.equal(run.status, "failed");
    const message = run.errors.join("\n");
    assert.match(
      message,
      /Cannot convert field "score" of "t\/items" to decimal\(10,2\): 1\.005 has more digits after the point than decimal\(10,2\) keeps/,
    );
    assert.match(
      message,
      /\(page 3\) at http:\/\/127\.0\.0\.1:\d+\/offset\/items\?.*offset=40/,
    );
    const [got] = await duck(
      `SELECT count(*) AS n, max(id) AS hi FROM ${await tableSource(
        `${lake}/t/items`,
      )}`,
    );
    assert.deepEqual(got, { n: 40n, hi: 40n });
  });
});

Deno.test("schema drift: a string where a long was fails naming field, stream, page and URL, across pages and across runs; declared, it holds", async () => {
  await using server = await startApiServer({ records: RECORDS });
  for (let id = 1; id <= RECORDS; id++) server.updateRecord(id, { count: id });
  server.updateRecord(30, { count: "many" });
  const c = testConnector(server.url, { items: stream() });
  await withTempDir("inlet-drift-", async (lake) => {
    // Across pages of one run.
    const run = await pull(c, { lake, concurrency: 1 });
    assert.equal(run.status, "failed");
    assert.match(
      run.errors.join("\n"),
      /field "count" was INT64, now STRING in "t\/items" \(page 2\) at http:\/\/127\.0\.0\.1:\d+\/offset\/items\?.*offset=20/,
    );
  });
  await withTempDir("inlet-drift-", async (lake) => {
    // Across runs: the table holds a long.
    server.updateRecord(30, { count: 30 });
    assert.equal((await pull(c, { lake, concurrency: 1 })).status, "ok");
    server.updateRecord(50, {
      count: "many",
      updated_at: "2030-01-01T00:00:00Z",
    });
    const run = await pull(c, { lake, concurrency: 1, fullRefresh: true });
    assert.equal(run.status, "failed");
    assert.match(
      run.errors.join("\n"),
      /field "count" was INT64, now STRING in "t\/items" \(page 3\) at http:\/\/127\.0\.0\.1:\d+\/offset\/items/,
    );
  });
  await withTempDir("inlet-drift-", async (lake) => {
    // Declared, the same values hold (as text).
    const declared = testConnector(server.url, {
      items: stream({ count: "string" }),
    });
    const run = await pull(declared, { lake, concurrency: 1 });
    assert.equal(run.status, "ok", run.errors.join("\n"));
    const rows = await icebird(`${lake}/t/items`);
    assert.deepEqual(rows.slice(48, 50).map((r) => r.count), ["49", "many"]);
  });
});

Deno.test("schema drift: widenings evolve the table, ids kept: int→long, float→double, a new column", async () => {
  await using server = await startApiServer({ records: RECORDS });
  for (let id = 1; id <= RECORDS; id++) {
    server.updateRecord(id, { n: id, f: id / 2 });
  }
  await withTempDir("inlet-widen-", async (lake) => {
    const narrow = testConnector(server.url, {
      items: stream({ n: "int", f: "float" }),
    });
    assert.equal((await pull(narrow, { lake, concurrency: 1 })).status, "ok");
    const before = await icebergTypes(lake, "t/items");
    assert.deepEqual([before.n, before.f], ["int", "float"]);
    for (let id = 1; id <= RECORDS; id++) {
      server.updateRecord(id, { n: 2 ** 40 + id, f: id / 3, added: true });
    }
    const wide = testConnector(server.url, { items: stream() });
    const run = await pull(wide, { lake, concurrency: 1 });
    assert.equal(run.status, "ok", run.errors.join("\n"));
    const after = await icebergTypes(lake, "t/items");
    assert.deepEqual([after.n, after.f, after.added], [
      "long",
      "double",
      "boolean",
    ]);
    const rows = await icebird(`${lake}/t/items`);
    assert.equal(rows.length, 2 * RECORDS);
    const [got] = await duck(
      `SELECT count(*) FILTER (WHERE n > 2 ** 40) AS big, count(added) AS added FROM ${await tableSource(
        `${lake}/t/items`,
      )}`,
    );
    assert.deepEqual(got, { big: BigInt(RECORDS), added: BigInt(RECORDS) });
  });
});
