// A run summary's counters, each against an oracle outside the engine: the
// server's own counts of requests, 200s and body bytes, the files on disk
// and in the commit log, and a gate that forces a known number in flight.
import assert from "node:assert/strict";
import { pull } from "../../../core/run/pull.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { offsetStream, testConnector } from "../../_connectors.ts";
import { ID_COLUMNS, streamStats, sumTo } from "../../_duckdb.ts";
import { committedFiles } from "../../_files.ts";
import { withTempDir } from "../../_lake.ts";

/**
 * A fetch that lets the first request through alone (the page that tells
 * the total), then holds every request until `width` of them are waiting,
 * and lets them all go at once: a client that never has `width` requests
 * out at the same time hangs here. Counts the requests it let through.
 */
function gatedFetch(width: number) {
  const held: Array<() => void> = [];
  let calls = 0, open = false;
  const wrapped: typeof fetch = async (input, init) => {
    if (++calls > 1 && !open) {
      const { promise, resolve } = Promise.withResolvers<void>();
      held.push(resolve);
      if (held.length === width) {
        open = true;
        for (const go of held) go();
      }
      await promise;
    }
    return await fetch(input, init);
  };
  return {
    fetch: wrapped,
    get calls() {
      return calls;
    },
  };
}

Deno.test("run summary: pages, requests, bytes, files and in flight are the server's, the lake's and the gate's", async () => {
  const records = 2000, page = 20, concurrency = 4;
  await using server = await startApiServer({
    records,
    capacity: 2,
    latencyMs: 1,
    // One answer to retry: a request, and bytes, but no page.
    faults: [{
      path: "offset=1000",
      kind: "status",
      status: 503,
      retryAfter: "0",
    }],
  });
  await withTempDir("inlet-summary-", async (lake) => {
    const gate = gatedFetch(concurrency);
    const summary = await pull(
      testConnector(server.url, { items: offsetStream(page) }),
      { lake, concurrency, fileRecords: 300, fetch: gate.fetch },
    );
    assert.equal(summary.status, "ok", summary.errors.join("\n"));
    const [s] = summary.streams;
    const stats = server.stats;
    const files = await committedFiles(`${lake}/t/items`);
    assert.deepEqual(
      {
        pages: s!.pages,
        requests: s!.requests,
        retries: s!.retries,
        bytes: s!.bytes,
        files: s!.files,
        records: s!.records,
      },
      {
        pages: stats.byStatus[200],
        requests: stats.requests,
        retries: stats.byStatus[503],
        bytes: stats.bytes,
        files: files.length,
        records,
      },
    );
    assert.deepEqual(
      [stats.byStatus[200], stats.byStatus[503], gate.calls],
      [records / page, 1, records / page + 1],
    );
    assert.ok(files.length >= 2, `${files.length} files`);
    // The gate forced `concurrency` out at once, and the limit allows no more.
    assert.equal(s!.maxInFlight, concurrency);
    assert.ok(stats.maxInFlight <= 2, "the source's capacity");
    // The run's totals are the sum of its one stream.
    assert.deepEqual(
      [summary.pages, summary.requests, summary.bytes, summary.records],
      [s!.pages, s!.requests, s!.bytes, s!.records],
    );
    assert.deepEqual(await streamStats(`${lake}/t/items`, ID_COLUMNS), {
      n: records,
      ids: records,
      s: sumTo(records),
    });
  });
});
