/**
 * A source that sheds load past its capacity with 429, `Retry-After: 1` and
 * `retry-after-ms: 20` (issue #11): the short wait delays only the request
 * that got it, the limiter's drop level and probes are not misled by it,
 * and the whole client holds the source's limit, auto or pinned above it.
 * Time is injected: nothing here sleeps.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import {
  AdaptiveLimiter,
  type DropCost,
} from "../../../core/http/adaptive_limiter.ts";
import type { PermitOutcome } from "../../../core/http/limiter.ts";
import { HttpClient } from "../../../core/http/http.ts";
import { RateBudget } from "../../../core/http/rate_budget.ts";
import { simulateClient } from "./_client_sim.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const SHED = { "retry-after": "1", "retry-after-ms": "20" };

Deno.test("shed: a 429 asking milliseconds delays only its own request, not the host", async () => {
  let clock = T0;
  const slept: number[] = [];
  const sleep = (ms: number) => {
    slept.push(ms);
    clock += ms;
    return Promise.resolve();
  };
  const budget = new RateBudget({ now: () => clock, sleep });
  let calls = 0;
  const http = new HttpClient({
    fetch: (() =>
      Promise.resolve(
        calls++ === 1
          ? Response.json({}, { status: 429, headers: SHED })
          : Response.json({ ok: 1 }),
      )) as typeof fetch,
    now: () => clock,
    sleep,
    rateBudget: () => budget,
  });
  await http.getJson({ url: "http://src.test/a" });
  const res = await http.getJson({ url: "http://src.test/b" });
  assertEquals(res.attempts, 2);
  // The request waited the 20 ms asked for; the host did not pause.
  assertEquals(slept, [20]);
  assertEquals(budget.pausedUntil, undefined);
  assertEquals(budget.stats.pauses, 0);
  await http.getJson({ url: "http://src.test/c" });
  assertEquals(slept, [20], "the next request goes at once");
  assertEquals(budget.stats.waited, 0);
});

Deno.test("shed: a drop's level counts the requests still in flight at its answer", async () => {
  const limiter = new AdaptiveLimiter({ initial: 64, max: 64, now: () => 0 });
  const permits = await Promise.all(
    Array.from({ length: 64 }, () => limiter.acquire()),
  );
  // The first request granted reaches the source last and is shed: 63
  // others are in flight, so the source sheds at 63, not at 1.
  const shed: PermitOutcome & DropCost = {
    latencyMs: 1,
    dropped: true,
    status: 429,
  };
  permits[0]!.release(shed);
  assert(limiter.limit >= 57, `limit ${limiter.limit}`);
  for (const p of permits.slice(1)) p.release("ignore");
});

Deno.test("shed: the client holds a shedding source's limit, auto: >= 0.9 of it, < 2 % 429s", async () => {
  const pages = 8_000;
  const r = await simulateClient(
    { capacity: 32, serviceMs: 20, headers: SHED, wireMs: 0.5 },
    { pages },
  );
  const ratio = pages / (32 / 20) / r.end;
  const share429 = r.throttled / (r.throttled + r.served);
  assert(ratio >= 0.9, `ratio ${ratio}`);
  assert(share429 < 0.02, `429s ${share429}`);
  assertEquals(r.budget.stats.pauses, 0);
});

Deno.test("shed: pinned at 64, twice the capacity: every page, >= 0.85, the limit lowered and back at 64 when the source takes it", async () => {
  const pages = 16_000;
  const r = await simulateClient(
    {
      capacity: (t) => t < 6_000 ? 32 : 64,
      serviceMs: 20,
      headers: SHED,
      wireMs: 1,
    },
    {
      pages,
      workers: 128,
      limiter: { initial: 64, max: 64, followLatency: false },
    },
  );
  assertEquals(r.served, pages);
  const share429 = r.throttled / (r.throttled + r.served);
  assert(share429 < 0.02, `429s ${share429}`);
  const trace = r.limiter.trace();
  // The burst at 64 is shed by half, but the limit lands near 32, not at 1.
  assert(r.limiter.range().min >= 24, JSON.stringify(r.limiter.range()));
  const shedding = trace.filter((c) => c.atMs > 1_000 && c.atMs < 6_000);
  assert(shedding.every((c) => c.limit <= 36), JSON.stringify(shedding));
  // 6 s at 32 then the rest at 64, at 0.85 of each.
  const ideal = 6_000 + (pages - 6_000 * 32 / 20) / (64 / 20);
  assert(ideal / r.end >= 0.85, `ratio ${ideal / r.end}`);
  assertEquals(r.limiter.range().final, 64);
});
