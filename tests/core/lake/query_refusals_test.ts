/**
 * `query` never answers for nothing (a missing lake, an S3 lake, a connector
 * or stream with no data), and a stream keeps one format so that it can be
 * queried at all.
 */
import assert from "node:assert/strict";
import { ConfigError } from "../../../core/connector/errors.ts";
import { pull } from "../../../core/run/pull.ts";
import { queryLake } from "../../../core/lake/query.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { runTask } from "../../_cli.ts";
import { offsetStream, testConnector } from "../../_connectors.ts";
import { sumTo } from "../../_duckdb.ts";
import { withTempDir } from "../../_lake.ts";

const SQL = "SELECT count(*) AS n FROM items";

async function assertQueryFails(lake: string, includes: RegExp) {
  const r = await runTask(["query", "demo", SQL, "--lake", lake]);
  assert.ok(r.code === 1 || r.code === 2, `exit ${r.code}: ${r.stdout}`);
  assert.equal(r.stdout, "", "printed an answer");
  assert.match(r.stderr, includes);
}

Deno.test("query: a missing lake, an S3 lake and a lake without the connector's data fail, saying what is missing", async () => {
  await withTempDir("inlet-query-none-", async (dir) => {
    await assertQueryFails(`${dir}/nope`, /lake .*nope does not exist/);
    await assertQueryFails("s3://bucket/lake", /S3 is not supported yet/);
    await assertQueryFails(dir, /"demo".*no(ne)?.*committed data/);
  });
});

function twoStreams(url: string) {
  return testConnector(url, {
    items: offsetStream(50),
    other: offsetStream(50, { path: "/offset/items" }),
  }, "fmt");
}

Deno.test("query: a stream named in the SQL that has no data is an error, not 0", async () => {
  await using server = await startApiServer({ records: 60 });
  const c = twoStreams(server.url);
  await withTempDir("inlet-query-part-", async (lake) => {
    const s = await pull(c, { lake, streams: ["items"], concurrency: 2 });
    assert.equal(s.status, "ok", s.errors.join("\n"));
    // A first sweep of "other" stopped before any record: only its plan.
    const stopped = await pull(c, {
      lake,
      streams: ["other"],
      stop: AbortSignal.abort(),
    });
    assert.equal(stopped.records, 0);
    const [row] = await queryLake(lake, c, SQL);
    assert.equal(Number(row!.n), 60);
    await assert.rejects(
      queryLake(lake, c, "SELECT count(*) AS n FROM other"),
      (e) =>
        e instanceof ConfigError && /"fmt\/other".*no committed data/.test(
          e.message,
        ),
    );
  });
});

Deno.test("format: a pull in another format into a stream with data is refused before any request; --full-refresh switches", async () => {
  const records = 120;
  await using server = await startApiServer({ records });
  const c = testConnector(server.url, { items: offsetStream(50) }, "fmt");
  await withTempDir("inlet-format-", async (lake) => {
    const first = await pull(c, { lake, concurrency: 2 });
    assert.equal(first.status, "ok", first.errors.join("\n"));
    const requests = server.stats.requests;
    const err = await pull(c, { lake, concurrency: 2, format: "ndjson" })
      .then(() => undefined, (e) => e);
    assert.ok(err instanceof ConfigError, `not refused: ${err}`);
    for (const part of ['"fmt/items"', "parquet", "--full-refresh"]) {
      assert.ok(err.message.includes(part), `${part} not in ${err.message}`);
    }
    assert.equal(server.stats.requests, requests, "a request was sent");
    const stats =
      "SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(id) AS s FROM items";
    const read = async () => {
      const [r] = await queryLake(lake, c, stats);
      return { n: Number(r!.n), ids: Number(r!.ids), s: Number(r!.s) };
    };
    const all = { n: records, ids: records, s: sumTo(records) };
    assert.deepEqual(await read(), all);

    const switched = await pull(c, {
      lake,
      concurrency: 2,
      format: "ndjson",
      fullRefresh: true,
    });
    assert.equal(switched.status, "ok", switched.errors.join("\n"));
    assert.deepEqual(await read(), all);
    // And now parquet is the other format.
    await assert.rejects(
      pull(c, { lake, concurrency: 2 }),
      /holds committed ndjson/,
    );
  });
});
