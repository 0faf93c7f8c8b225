import assert from "node:assert/strict";
import { defineConnector } from "../../core/connector.ts";
import { offsetPaginator } from "../../core/paginators.ts";
import { pull, type RunSummary } from "../../core/pull.ts";
import { startApiServer } from "../../core/testing/api_server.ts";
import { duck, sqlString } from "../_duckdb.ts";

const sumTo = (n: number) => n * (n + 1) / 2;

function offsetItems(baseUrl: string, page: number) {
  return defineConnector({
    name: "t",
    baseUrl,
    hosts: ["127.0.0.1"],
    streams: {
      items: {
        path: "/offset/items",
        params: { limit: page },
        recordsPath: "items",
        primaryKey: "id",
        paginator: offsetPaginator({ limit: page, totalPath: "total" }),
      },
    },
  });
}

async function withLake(fn: (lake: string) => Promise<void>): Promise<void> {
  const lake = await Deno.makeTempDir({ prefix: "inlet-adaptive-" });
  try {
    await fn(lake);
  } finally {
    await Deno.remove(lake, { recursive: true });
  }
}

async function landed(lake: string) {
  const [row] = await duck(
    `SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(id) AS s
     FROM read_parquet(${sqlString(`${lake}/t/items/*.parquet`)})`,
  );
  return { n: Number(row!.n), ids: Number(row!.ids), s: Number(row!.s) };
}

/** The one host's trace of the run. */
function traceOf(summary: RunSummary) {
  const traces = Object.values(summary.limitTrace);
  assert.equal(traces.length, 1, "one host, one trace");
  return traces[0]!;
}

Deno.test("adaptive pull: finds a queueing source's capacity and lands every record once", async () => {
  const records = 6000;
  const capacity = 24;
  // A service time well above the event loop's jitter when the whole suite
  // runs in parallel on two cores, so the limiter sees the source, not us.
  await using server = await startApiServer({
    records,
    latencyMs: 20,
    capacity,
  });
  await withLake(async (lake) => {
    const summary = await pull(offsetItems(server.url, 10), { lake });
    assert.equal(summary.status, "ok", summary.errors.join("\n"));
    assert.deepEqual(await landed(lake), {
      n: records,
      ids: records,
      s: sumTo(records),
    });
    // The limit started at 8 and rose to the capacity the client was never told.
    const trace = traceOf(summary);
    assert.deepEqual(trace[0], { atMs: 0, limit: 8 });
    const peak = Math.max(...trace.map((t) => t.limit));
    assert.ok(peak >= capacity, `peak limit ${peak}, capacity ${capacity}`);
    assert.ok(peak <= 256, "within --max-concurrency");
    assert.equal(
      server.stats.maxInFlight,
      capacity,
      "the source was kept full",
    );
    for (let i = 1; i < trace.length; i++) {
      assert.ok(trace[i]!.atMs >= trace[i - 1]!.atMs, "trace in time order");
      assert.notEqual(trace[i]!.limit, trace[i - 1]!.limit, "changes only");
    }
    assert.deepEqual(
      Object.keys(summary.limits),
      Object.keys(summary.limitTrace),
    );
    // The run summary on disk carries the same trace.
    const saved = JSON.parse(
      await Deno.readTextFile(`${lake}/t/_runs/${summary.runId}.json`),
    ) as RunSummary;
    assert.deepEqual(saved.limitTrace, summary.limitTrace);
  });
});

Deno.test("adaptive pull: a source that sheds load with 429s gets few of them and every record once", async () => {
  const records = 5000;
  await using server = await startApiServer({
    records,
    latencyMs: 4,
    capacity: 12,
    overflow: "429",
    retryAfterSeconds: 0,
  });
  await withLake(async (lake) => {
    const summary = await pull(offsetItems(server.url, 10), { lake });
    assert.equal(summary.status, "ok", summary.errors.join("\n"));
    assert.deepEqual(await landed(lake), {
      n: records,
      ids: records,
      s: sumTo(records),
    });
    const pages = records / 10;
    const { requests, throttled } = server.stats;
    assert.equal(requests, pages + throttled, "each 429 retried once more");
    assert.equal(summary.streams[0]!.throttled, throttled);
    // Slow start overshoots once; after that the limiter holds just below
    // the level that drew 429s and probes above it rarely.
    assert.ok(
      throttled <= pages * 0.1,
      `${throttled} 429s for ${pages} pages`,
    );
    assert.ok(throttled >= 1, "the source's limit was found by its 429s");
    const trace = traceOf(summary);
    const final = trace.at(-1)!.limit;
    assert.ok(final <= 16, `final limit ${final} for a capacity of 12`);
  });
});

Deno.test("fixed concurrency: no trace, the limit stays where it was pinned", async () => {
  await using server = await startApiServer({ records: 500 });
  await withLake(async (lake) => {
    const summary = await pull(offsetItems(server.url, 10), {
      lake,
      concurrency: 5,
    });
    assert.equal(summary.status, "ok", summary.errors.join("\n"));
    assert.deepEqual(Object.values(summary.limits), [5]);
    assert.deepEqual(summary.limitTrace, {});
    assert.ok(server.stats.maxInFlight <= 5);
  });
});
