import assert from "node:assert/strict";
import { pull } from "../../../core/run/pull.ts";
import { startApiServer } from "../../../core/testing/api_server.ts";
import { offsetStream, testConnector } from "../../_connectors.ts";
import { withTempDir } from "../../_lake.ts";

function offsetItems(baseUrl: string, page: number) {
  return testConnector(baseUrl, { items: offsetStream(page) });
}

/**
 * Connections that `n` requests at a time may open. A permit goes back when
 * an answer's status line arrives (for at most `n` bodies still being read),
 * so the next request may start while that answer's body is still being
 * read on its connection: up to two connections per permit, kept alive and
 * reused, never one per request.
 */
const about = (n: number) => 2 * n + 1;

for (const concurrency of [1, 4, 16]) {
  Deno.test(`connections: ${concurrency} at a time open about ${concurrency} keep-alive connections`, async () => {
    // A short service time keeps every request of the fan-out in flight.
    await using server = await startApiServer({ records: 3000, latencyMs: 2 });
    await withTempDir("inlet-connections-", async (lake) => {
      const summary = await pull(offsetItems(server.url, 10), {
        lake,
        concurrency,
      });
      assert.equal(summary.status, "ok", summary.errors.join("\n"));
      assert.equal(summary.records, 3000);
      assert.equal(server.stats.requests, 300);
      // Each request in flight holds one connection; a finished one goes
      // back to the pool for the next. A fresh connection per request would
      // show 300 here.
      assert.ok(
        server.stats.connections <= about(concurrency),
        `${server.stats.connections} connections for ${concurrency} requests at a time`,
      );
      assert.ok(server.stats.maxInFlight <= concurrency);
    });
  });
}

Deno.test("connections: adaptive concurrency opens no more than its ceiling", async () => {
  await using server = await startApiServer({
    records: 4000,
    latencyMs: 2,
    capacity: 64,
  });
  await withTempDir("inlet-connections-", async (lake) => {
    const summary = await pull(offsetItems(server.url, 10), {
      lake,
      maxConcurrency: 12,
    });
    assert.equal(summary.status, "ok", summary.errors.join("\n"));
    assert.equal(server.stats.requests, 400);
    assert.ok(
      server.stats.connections <= about(12),
      `${server.stats.connections} connections with a ceiling of 12`,
    );
  });
});
