import assert from "node:assert/strict";
import { AdaptiveLimiter } from "../../../core/http/adaptive_limiter.ts";
import type { PermitOutcome } from "../../../core/http/limiter.ts";
import {
  dropRate,
  meanLimit,
  type Model,
  share,
  simulate,
} from "./_limiter_sim.ts";

// How the adaptive limiter behaves when the source pushes back (issue #11,
// items 3 and 4), on the fake-clock model of _limiter_sim.ts.

/** Time after `from` until the limit is first at least `level`; Infinity if never. */
function backAt(
  r: Awaited<ReturnType<typeof simulate>>,
  from: number,
  level: number,
): number {
  const c = r.completions.find((c) => c.t >= from && c.limit >= level);
  return c ? c.t - from : Infinity;
}

const pinned64 = { initial: 64, max: 64, followLatency: false };

Deno.test("AdaptiveLimiter pinned at 64 lowers its limit where a source sheds at 32, and climbs back to 64", async () => {
  const r = await simulate(
    {
      mode: "drop",
      capacity: (t) => t < 6_000 ? 32 : 64,
      service: () => 20,
      retryAfterMs: 20,
    },
    { requests: 30_000, limiter: pinned64 },
  );
  // A fixed 64 would have half its requests refused.
  assert(dropRate(r) < 0.02, `drop rate ${dropRate(r)}`);
  const mean = meanLimit(r, 1_000, 6_000);
  assert(mean >= 0.9 * 32 && mean <= 40, `mean limit while shedding ${mean}`);
  assert(share(r, 1_000, 6_000, 32 / 20) >= 0.85);
  // The pinned concurrency is a ceiling: once the source takes 64, so does the limiter.
  const back = backAt(r, 6_000, 64);
  assert(back < 5_000, `back at 64 after ${back} ms`);
  assert.equal(r.limiter.range().max, 64);
  assert(r.limiter.range().min <= 32);
});

Deno.test("AdaptiveLimiter pinned at 64 ignores latency: a queueing source keeps all 64", async () => {
  const r = await simulate(
    { mode: "queue", capacity: () => 32, service: () => 20 },
    { requests: 10_000, limiter: pinned64 },
  );
  assert.deepEqual(r.limiter.range(), { min: 64, max: 64, final: 64 });
});

for (const mode of ["drop", "queue"] as const) {
  Deno.test(`AdaptiveLimiter is back at its level within a second after a 429 storm (${mode} source)`, async () => {
    const storm = { from: 4_000, to: 7_000 };
    const model: Model = {
      mode,
      capacity: () => 32,
      service: () => 20,
      storm: (t) => t >= storm.from && t < storm.to,
      // Each storm 429 asks for a second: probes above a level the storm
      // set would wait 50 s without a cap on that hold-off.
      retryAfterMs: 1_000,
    };
    const r = await simulate(model, { requests: 40_000 });
    const before = meanLimit(r, 2_000, storm.from);
    const during = meanLimit(r, storm.from + 1_000, storm.to);
    assert(during <= 2, `limit during the storm ${during}`);
    const back = backAt(r, storm.to, 0.9 * before);
    assert(back <= 1_000, `back within 10% of ${before} after ${back} ms`);
    const after = meanLimit(r, storm.to + 1_000, r.end);
    assert(after >= 0.9 * before, `mean after ${after}, before ${before}`);
  });
}

Deno.test("AdaptiveLimiter holds its level through 10% random 503s (no wait asked)", async () => {
  const base: Model = { mode: "queue", capacity: () => 32, service: () => 20 };
  const clean = await simulate(base, { requests: 20_000 });
  const faulty = await simulate({ ...base, errorShare: 0.1 }, {
    requests: 20_000,
  });
  const level = meanLimit(clean, 1_000, clean.end);
  const mean = meanLimit(faulty, 1_000, faulty.end);
  assert(mean >= 0.8 * level, `mean limit ${mean} vs ${level} without faults`);
  const ok = share(faulty, 1_000, faulty.end - 100, 32 / 20);
  assert(ok >= 0.8 * 0.9, `share answered 200: ${ok}`);
});

Deno.test("AdaptiveLimiter still comes down when 503s (no wait asked) come with load", async () => {
  // A source that refuses everything past capacity with a bare 503: the
  // share refused grows with the limit, so the limit stops not far above.
  const r = await simulate(
    { mode: "drop", dropStatus: 503, capacity: () => 32, service: () => 20 },
    { requests: 20_000 },
  );
  const mean = meanLimit(r, 1_000, r.end);
  assert(mean <= 1.5 * 32, `mean limit ${mean}`);
  assert(share(r, 1_000, r.end - 100, 32 / 20) >= 0.9);
});

Deno.test("AdaptiveLimiter judges the share of 503s (no wait asked) over at least 64 answers, not over a window", async () => {
  let clock = 0;
  const limiter = new AdaptiveLimiter({
    initial: 8,
    max: 8,
    followLatency: false,
    now: () => clock,
  });
  // Rounds of 8 requests at once, `faults` of them answered 503 (no wait).
  const round = async (faults: number) => {
    const permits = await Promise.all(
      Array.from({ length: 8 }, () => limiter.acquire()),
    );
    clock += 20;
    permits.forEach((p, i) =>
      p.release(
        i < faults
          ? { latencyMs: 20, dropped: true, status: 503 } as PermitOutcome
          : { latencyMs: 20, dropped: false },
      )
    );
  };
  // 3 of a window of 8 (with 10 % random faults, one window in 26), then
  // 3 in the next 56: 6 of 64 is a source's random faults, not overload.
  await round(3);
  for (const faults of [0, 1, 0, 1, 0, 1, 0]) await round(faults);
  assert.equal(limiter.limit, 8);
  // A quarter or more of 64 answers, from a source failing under load.
  for (let i = 0; i < 7; i++) await round(3);
  assert.equal(limiter.limit, 8, "56 answers are not enough to judge");
  await round(3);
  assert.equal(limiter.limit, 7, "24 of 64 failed: x0.9");
});
