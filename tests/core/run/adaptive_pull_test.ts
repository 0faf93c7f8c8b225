import assert from "node:assert/strict";
import { defineConnector } from "../../../core/connector/connector.ts";
import { offsetPaginator } from "../../../core/paging/paginators.ts";
import { pull, type RunSummary } from "../../../core/run/pull.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { duck, sqlString } from "../../_duckdb.ts";

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
     FROM read_parquet(${sqlString(`${lake}/t/items/data/*.parquet`)})`,
  );
  return { n: Number(row!.n), ids: Number(row!.ids), s: Number(row!.s) };
}

/**
 * What holds of any adaptive run, however fast the machine: the trace
 * starts at 8 when the run starts, is in time order, records changes only
 * and stays within [1, --max-concurrency]; the engine never had more in
 * flight than the highest limit, nor the source more in service than the
 * engine had in flight; the summary on disk carries the same trace.
 */
async function assertWellFormed(
  lake: string,
  summary: RunSummary,
  serverMaxInFlight: number,
) {
  const trace = traceOf(summary);
  assert.deepEqual(trace[0], { atMs: 0, limit: 8 });
  for (let i = 1; i < trace.length; i++) {
    assert.ok(trace[i]!.atMs >= trace[i - 1]!.atMs, "trace in time order");
    assert.notEqual(trace[i]!.limit, trace[i - 1]!.limit, "changes only");
  }
  const limits = trace.map((t) => t.limit);
  assert.ok(limits.every((l) => l >= 1 && l <= 256), limits.join());
  const engine = summary.streams[0]!.maxInFlight;
  assert.ok(engine <= Math.max(...limits), `${engine} in flight`);
  assert.ok(serverMaxInFlight <= engine, `${serverMaxInFlight} in service`);
  assert.deepEqual(
    Object.keys(summary.limits),
    Object.keys(summary.limitTrace),
  );
  const saved = JSON.parse(
    await Deno.readTextFile(`${lake}/t/_runs/${summary.runId}.json`),
  ) as RunSummary;
  assert.deepEqual(saved.limitTrace, summary.limitTrace);
}

/** The one host's trace of the run. */
function traceOf(summary: RunSummary) {
  const traces = Object.values(summary.limitTrace);
  assert.equal(traces.length, 1, "one host, one trace");
  return traces[0]!;
}

// How fast the limit finds a source's capacity, and how few 429s it draws,
// depends on time: adaptive_limiter_test.ts checks both against a simulated
// source on an injected clock, `deno task bench` on the real one. These
// tests check what no machine's speed can change.
Deno.test("adaptive pull: a queueing source, every record once, every request and page the server's", async () => {
  const records = 6000;
  const capacity = 24;
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
    // A queue answers everything: one request a page, none retried.
    const pages = records / 10;
    const s = summary.streams[0]!;
    assert.deepEqual(
      [s.pages, s.requests, s.retries, s.throttled],
      [pages, server.stats.requests, 0, 0],
    );
    assert.deepEqual(server.stats.byStatus, { 200: pages });
    assert.ok(server.stats.maxInFlight <= capacity);
    await assertWellFormed(lake, summary, server.stats.maxInFlight);
  });
});

Deno.test("adaptive pull: a 429 cuts the limit at once, and a source that sheds load still lands every record once", async () => {
  const records = 5000;
  await using server = await startApiServer({
    records,
    latencyMs: 4,
    capacity: 12,
    overflow: "429",
    retryAfterSeconds: 0,
    // The very first request: nothing else is in flight, and nothing has
    // moved the limit yet, so the cut is known exactly.
    faults: [{ path: "offset=0", kind: "status", status: 429, times: 1 }],
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
    const { requests, byStatus } = server.stats;
    const throttled = byStatus[429] ?? 0;
    assert.ok(throttled >= 1);
    assert.deepEqual(byStatus, { 200: pages, 429: throttled });
    assert.equal(requests, pages + throttled, "each 429 retried once more");
    const s = summary.streams[0]!;
    assert.deepEqual(
      [s.pages, s.requests, s.retries, s.throttled],
      [pages, requests, throttled, throttled],
    );
    // The 429 came back with one request in flight: down to that level
    // less one, the floor.
    assert.equal(traceOf(summary)[1]?.limit, 1);
    await assertWellFormed(lake, summary, server.stats.maxInFlight);
  });
});

Deno.test("pinned concurrency: against a source that takes it all, the limit stays where it was pinned", async () => {
  await using server = await startApiServer({ records: 500 });
  await withLake(async (lake) => {
    const summary = await pull(offsetItems(server.url, 10), {
      lake,
      concurrency: 5,
    });
    assert.equal(summary.status, "ok", summary.errors.join("\n"));
    assert.deepEqual(Object.values(summary.limits), [5]);
    assert.deepEqual(Object.values(summary.limitTrace), [[{
      atMs: 0,
      limit: 5,
    }]]);
    assert.deepEqual(Object.values(summary.limitRange ?? {}), [
      { min: 5, max: 5, final: 5 },
    ]);
    assert.ok(server.stats.maxInFlight <= 5);
  });
});

Deno.test("pinned concurrency is a ceiling: a source that sheds past half of it lowers the limit, and every record lands", async () => {
  const records = 4000;
  await using server = await startApiServer({
    records,
    latencyMs: 5,
    capacity: 8,
    overflow: "429",
    retryAfterSeconds: 0,
  });
  await withLake(async (lake) => {
    const summary = await pull(offsetItems(server.url, 10), {
      lake,
      concurrency: 16,
    });
    assert.equal(summary.status, "ok", summary.errors.join("\n"));
    assert.deepEqual(await landed(lake), {
      n: records,
      ids: records,
      s: sumTo(records),
    });
    const [range] = Object.values(summary.limitRange ?? {});
    // A fixed 16 would keep sending 16 at once into a source that takes 8.
    assert.ok(
      range && range.max === 16 && range.min <= 8,
      JSON.stringify(range),
    );
    const throttled = server.stats.byStatus[429] ?? 0;
    assert.ok(
      throttled < records / 10,
      `${throttled} 429s for ${records / 10} pages`,
    );
  });
});
