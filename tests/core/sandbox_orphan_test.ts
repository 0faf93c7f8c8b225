import assert from "node:assert/strict";
import { startApiServer } from "../../core/testing/api_server.ts";
import { spawnCli } from "../_cli.ts";
import { withTempDir } from "../_lake.ts";

Deno.test("sandbox: a child whose parent is killed with SIGKILL stops instead of pulling on alone", async () => {
  // Slow enough that the pull is far from done when the parent dies.
  await using server = await startApiServer({
    records: 100_000,
    latencyMs: 50,
    capacity: 4,
  });
  await withTempDir("inlet-orphan-", async (lake) => {
    const parent = spawnCli([
      "pull",
      "demo",
      "--base-url",
      server.url,
      "--lake",
      lake,
      "--concurrency",
      "4",
    ], { stderr: "null" });
    const t0 = Date.now();
    while (server.stats.requests < 20 && Date.now() - t0 < 30_000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(
      server.stats.requests >= 20,
      "the sandboxed child started pulling",
    );
    parent.kill("SIGKILL");
    await parent.status;
    // The child notices its parent is gone and stops; requests stop growing.
    let before = -1;
    const t1 = Date.now();
    while (Date.now() - t1 < 10_000) {
      await new Promise((r) => setTimeout(r, 500));
      const now = server.stats.requests;
      if (now === before && server.stats.inFlight === 0) break;
      before = now;
    }
    const settled = server.stats.requests;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(
      server.stats.requests,
      settled,
      "no request after the parent died",
    );
    assert.ok(
      settled < 2000,
      `the child stopped early (${settled} of 2000 pages)`,
    );
  });
});
