import assert from "node:assert/strict";
import { simulateFanout } from "./_fanout_sim.ts";

// Issue #11: 10 % of requests answering 503 at random (no wait asked) cost
// about half the throughput of an ordered fan-out, on the whole path
// (pooledMap, HttpClient, AdaptiveLimiter) on a fake clock.

Deno.test("fan-out: 10 % random 503s keep an ordered fan-out at >= 0.8 of its clean throughput", async () => {
  const pages = 3_000;
  const clean = await simulateFanout({ pages, errorShare: 0 });
  const faulty = await simulateFanout({ pages, errorShare: 0.1 });
  assert.equal(clean.errors + faulty.errors, 0, "every page fetched");
  assert(faulty.retries >= 0.1 * pages, `retries ${faulty.retries}`);
  const ratio = faulty.pagesPerSecond / clean.pagesPerSecond;
  // Each 503 spends a slot of the source: 0.9 is the most there is.
  assert(ratio >= 0.8, `faulty ${ratio.toFixed(3)} of clean`);
  // The limiter holds its level: random faults are not overload.
  assert(
    faulty.limiter.limit >= 0.8 * clean.limiter.limit,
    `limit ${faulty.limiter.limit} vs ${clean.limiter.limit} clean`,
  );
});
