import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects,
  throws,
} from "node:assert/strict";
import {
  parseRateLimitHeaders,
  RateBudget,
  type RateReading,
} from "../../../core/http/rate_budget.ts";
import {
  type RateHeaderStyle,
  RateWindow,
} from "../../../core/testing/_rate_window.ts";

const T0 = 1_700_000_000_000; // a whole second, in epoch ms

// A virtual clock with real timers semantics: sleeps resolve in time order
// when the test advances the clock; aborts reject at once.
class VirtualTime {
  now = T0;
  #timers: { at: number; seq: number; fire: () => void }[] = [];
  #seq = 0;

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = {
        at: this.now + Math.max(0, ms),
        seq: this.#seq++,
        fire: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#timers.push(timer);
    });

  // Lets every promise chain woken by a timer run to its next wait. (Timers
  // and message ports would be slower or, in Deno, interleave with promises.)
  async settle(): Promise<void> {
    for (let i = 0; i < 300; i++) await Promise.resolve();
  }

  /** Run timers in order until none is due by `until`; returns how many fired. */
  async advance(until: number): Promise<number> {
    let fired = 0;
    for (let guard = 0; guard < 1_000_000; guard++) {
      await this.settle();
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#timers[0];
      if (!next || next.at > until) break;
      this.#timers.shift();
      this.now = Math.max(this.now, next.at);
      next.fire();
      fired++;
    }
    this.now = Math.max(this.now, until);
    await this.settle();
    return fired;
  }

  get pending(): number {
    return this.#timers.length;
  }

  close(): void {
    this.#timers = [];
  }
}

function setup(options: ConstructorParameters<typeof RateBudget>[0] = {}) {
  const time = new VirtualTime();
  const budget = new RateBudget({
    now: () => time.now,
    sleep: time.sleep,
    ...options,
  });
  // Takes that record when they were granted.
  const granted: number[] = [];
  const take = (signal?: AbortSignal) =>
    budget.take(signal).then(() => void granted.push(time.now));
  return { time, budget, granted, take };
}

const xHeaders = (remaining: number, reset: number, limit?: number) =>
  new Headers({
    "x-ratelimit-remaining": String(remaining),
    "x-ratelimit-reset": String(reset),
    ...(limit !== undefined ? { "x-ratelimit-limit": String(limit) } : {}),
  });

Deno.test("parseRateLimitHeaders: every header family", () => {
  const now = T0;
  const cases: [string, Record<string, string>, RateReading[]][] = [
    ["none", { "content-type": "application/json" }, []],
    [
      "GitHub, reset in epoch seconds",
      {
        "x-ratelimit-limit": "5000",
        "x-ratelimit-remaining": "4999",
        "x-ratelimit-reset": "1700003600",
      },
      [{
        key: "x-ratelimit",
        limit: 5000,
        remaining: 4999,
        resetAt: T0 + 3_600_000,
      }],
    ],
    [
      "GitHub with a resource",
      {
        "x-ratelimit-remaining": "29",
        "x-ratelimit-reset": "1700000060",
        "x-ratelimit-resource": "search",
      },
      [{ key: "x-ratelimit:search", remaining: 29, resetAt: T0 + 60_000 }],
    ],
    [
      "X-RateLimit-Reset in seconds from now",
      { "x-ratelimit-remaining": "9", "x-ratelimit-reset": "30" },
      [{ key: "x-ratelimit", remaining: 9, resetAt: T0 + 30_000 }],
    ],
    [
      "X-RateLimit-Reset in epoch ms",
      { "x-ratelimit-remaining": "9", "x-ratelimit-reset": String(T0 + 1500) },
      [{ key: "x-ratelimit", remaining: 9, resetAt: T0 + 1500 }],
    ],
    [
      "draft trio with the window in RateLimit-Limit",
      {
        "ratelimit-limit": "100, 100;w=60",
        "ratelimit-remaining": "50",
        "ratelimit-reset": "30",
      },
      [{
        key: "ratelimit",
        limit: 100,
        remaining: 50,
        resetAt: T0 + 30_000,
        windowMs: 60_000,
      }],
    ],
    [
      "draft trio with a numeric RateLimit-Policy",
      {
        "ratelimit-limit": "10",
        "ratelimit-policy": "10;w=1",
        "ratelimit-remaining": "3",
        "ratelimit-reset": "1",
      },
      [{
        key: "ratelimit",
        limit: 10,
        remaining: 3,
        resetAt: T0 + 1000,
        windowMs: 1000,
      }],
    ],
    [
      "draft dictionary",
      { "ratelimit": "limit=100, remaining=7, reset=12" },
      [{ key: "ratelimit", limit: 100, remaining: 7, resetAt: T0 + 12_000 }],
    ],
    [
      "structured fields with a policy",
      {
        "ratelimit": '"default";r=50;t=30',
        "ratelimit-policy": '"default";q=100;w=60',
      },
      [{
        key: "ietf:default",
        limit: 100,
        remaining: 50,
        resetAt: T0 + 30_000,
        windowMs: 60_000,
      }],
    ],
    [
      "structured fields, two policies",
      {
        "ratelimit": '"burst";r=5;t=1, "day";r=900;t=3600',
        "ratelimit-policy": '"burst";q=10;w=1, "day";q=1000;w=86400',
      },
      [
        {
          key: "ietf:burst",
          limit: 10,
          remaining: 5,
          resetAt: T0 + 1000,
          windowMs: 1000,
        },
        {
          key: "ietf:day",
          limit: 1000,
          remaining: 900,
          resetAt: T0 + 3_600_000,
          windowMs: 86_400_000,
        },
      ],
    ],
    [
      "structured fields without a policy",
      { "ratelimit": '"a";r=1;t=2' },
      [{ key: "ietf:a", remaining: 1, resetAt: T0 + 2000 }],
    ],
    ["a remaining count without a reset is skipped", {
      "x-ratelimit-remaining": "10",
    }, []],
    ["junk is skipped", {
      "x-ratelimit-remaining": "lots",
      "x-ratelimit-reset": "-5",
      "ratelimit": "??",
    }, []],
  ];
  for (const [name, headers, want] of cases) {
    assertEquals(parseRateLimitHeaders(new Headers(headers), now), want, name);
  }
});

Deno.test("RateBudget: bad options are RangeErrors", () => {
  throws(() => new RateBudget({ safety: 0 }), RangeError);
  throws(() => new RateBudget({ safety: 1.5 }), RangeError);
  throws(() => new RateBudget({ reserve: -1 }), RangeError);
  throws(() => new RateBudget({ burst: 2 }), RangeError);
  throws(() => new RateBudget({ reserveShare: 1 }), RangeError);
  throws(
    () => new RateBudget({ limit: { requests: 0, perSeconds: 1 } }),
    RangeError,
  );
});

Deno.test("RateBudget: the first request goes alone; without headers the rest go freely", async () => {
  const { time, budget, granted, take } = setup();
  try {
    const first = take();
    const others = [take(), take(), take()];
    await time.advance(T0);
    assertEquals(granted, [T0], "only the first request went out");
    assertEquals(budget.inFlight, 1);
    time.now = T0 + 20;
    budget.observe(200, new Headers(), T0);
    await Promise.all([first, ...others]);
    assertEquals(granted, [T0, T0 + 20, T0 + 20, T0 + 20]);
    assertEquals(budget.inFlight, 3);
    assertEquals(budget.remaining, undefined);
  } finally {
    time.close();
  }
});

Deno.test("RateBudget: a declared limit paces at safety x requests/perSeconds", async () => {
  const { time, budget, granted, take } = setup({
    limit: { requests: 10, perSeconds: 1 },
    safety: 0.8,
  });
  try {
    await take();
    budget.observe(200, new Headers());
    const all = Promise.all(Array.from({ length: 4 }, () => take()));
    await time.advance(T0 + 10_000);
    await all;
    // 10 per second at 80 %: one every 125 ms.
    assertEquals(granted, [T0, T0 + 125, T0 + 250, T0 + 375, T0 + 500]);
    assertEquals(budget.stats.granted, 5);
    assertEquals(budget.stats.waited, 4);
  } finally {
    time.close();
  }
});

Deno.test("RateBudget: announced remaining requests are spread evenly over the window (pacing even)", async () => {
  const { time, budget, granted, take } = setup({ pacing: "even" });
  try {
    await take();
    // 11 left, renewing in 10 s; one is kept in reserve: 10 slots of 10 s / 11.
    budget.observe(200, xHeaders(11, T0 / 1000 + 10), T0);
    const all = Array.from({ length: 11 }, () => take());
    await time.advance(T0 + 9_999);
    const slot = 10_000 / 11;
    assertEquals(granted.length, 11);
    for (let i = 1; i <= 10; i++) {
      const at = granted[i]! - T0;
      assert(Math.abs(at - i * slot) < 0.01, `grant ${i} at ${at}`);
    }
    assertEquals(budget.remaining, 1, "the reserve");
    // The 12th waits for the window to end, then goes alone to learn the new one.
    await time.advance(T0 + 10_000);
    await Promise.all(all);
    assertEquals(granted.length, 12);
    assertEquals(granted[11], T0 + 10_000);
    const more = take();
    await time.advance(T0 + 20_000);
    assertEquals(granted.length, 12, "waits for the probe's answer");
    // The probe's answer: a new window (99 left, 60 s); 10 of ours still fly.
    time.now = T0 + 10_000;
    budget.observe(200, xHeaders(99, T0 / 1000 + 70), T0 + 10_000);
    assertEquals(budget.remaining, 99 - 10);
    await time.advance(T0 + 20_000);
    await more;
    // 88 spare requests over 60 s: the next slot is 60 s / 89 on.
    assertEquals(granted.length, 13);
    assert(
      Math.abs(granted[12]! - T0 - (10_000 + 60_000 / 89)) < 0.01,
      `${granted[12]! - T0}`,
    );
  } finally {
    time.close();
  }
});

Deno.test("RateBudget: burst lets a share of a long window go at once, then paces", async () => {
  const { time, budget, granted, take } = setup({
    burst: 0.1,
    pacing: "even",
  });
  try {
    await take();
    budget.observe(200, xHeaders(5000, T0 / 1000 + 3600), T0);
    // 10 % of 5,000 at once: no timer involved.
    await Promise.all(Array.from({ length: 500 }, () => take()));
    assertEquals(granted.length, 501);
    assert(granted.every((t) => t === T0));
    // Then one slot per 3600 s / 4500 = 0.8 s.
    const two = [take(), take()];
    await time.advance(T0 + 2000);
    await Promise.all(two);
    assertEquals(granted.slice(-2).map((t) => Math.round(t - T0)), [800, 1600]);
  } finally {
    time.close();
  }
});

Deno.test("RateBudget: timers that fire late are caught up, not lost", async () => {
  let clock = T0;
  // Every sleep overshoots by 4 ms, as busy event loops do.
  const budget = new RateBudget({
    now: () => clock,
    sleep: (ms) => {
      clock += ms + 4;
      return Promise.resolve();
    },
  });
  await budget.take();
  // 101 left for 1 s: 100 slots of about 9.9 ms.
  budget.observe(200, xHeaders(101, T0 / 1000 + 1), T0);
  let inTime = 0;
  for (let i = 0; i < 100; i++) {
    await budget.take();
    if (clock < T0 + 1000) inTime++;
  }
  // Without catching up, 4 ms lost per slot would leave a third unspent.
  assert(inTime >= 98, `${inTime} of 100 granted before the window ended`);
});

Deno.test("RateBudget: requests in flight count against the remaining budget", async () => {
  const { time, budget, take } = setup();
  try {
    await take();
    budget.observe(200, xHeaders(5, T0 / 1000 + 3600), T0);
    assertEquals(budget.remaining, 5);
    const three = Promise.all([take(), take(), take()]);
    await time.advance(T0 + 3_600_000);
    await three;
    assertEquals(budget.inFlight, 3);
    assertEquals(budget.remaining, 2);
    // The source has counted only the first so far: the two still in flight
    // must not be spent again.
    budget.observe(200, xHeaders(4, T0 / 1000 + 3600), T0 + 1);
    assertEquals(budget.inFlight, 2);
    assertEquals(budget.remaining, 2);
    // A stale answer (processed before the others) does not raise the estimate.
    budget.observe(200, xHeaders(4, T0 / 1000 + 3600), T0 + 1);
    assertEquals(budget.remaining, 2);
    // Someone else spends the same quota: the estimate follows the source.
    budget.observe(200, xHeaders(0, T0 / 1000 + 3600), T0 + 1);
    assertEquals(budget.remaining, 0);
    assertEquals(budget.inFlight, 0);
    budget.abandon(); // never below zero
    assertEquals(budget.inFlight, 0);
  } finally {
    time.close();
  }
});

Deno.test("RateBudget: a 429 with Retry-After pauses every taker", async () => {
  const { time, budget, granted, take } = setup();
  try {
    await take();
    budget.observe(200, new Headers());
    await take();
    await take();
    time.now = T0 + 100;
    budget.observe(429, new Headers({ "retry-after": "5" }), T0);
    assertEquals(budget.pausedUntil, T0 + 5100);
    const waiting = [take(), take(), take()];
    await time.advance(T0 + 2000);
    // A 429 to a request sent before the pause began is the same burst:
    // it does not extend the pause.
    budget.observe(429, new Headers({ "retry-after": "5" }), T0);
    assertEquals(budget.pausedUntil, T0 + 5100);
    await time.advance(T0 + 5099);
    assertEquals(granted, [T0, T0, T0]);
    await time.advance(T0 + 5100);
    await Promise.all(waiting);
    assertEquals(granted, [T0, T0, T0, T0 + 5100, T0 + 5100, T0 + 5100]);
    assertEquals(budget.pausedUntil, undefined);
    assertEquals(budget.stats.pauses, 1);
    // 503 pauses too; a Retry-After is capped by maxPauseMs.
    budget.observe(503, new Headers({ "retry-after": "86400" }), T0 + 5100);
    assertEquals(budget.pausedUntil, T0 + 5100 + 120_000);
    assertEquals(budget.stats.pauses, 2);
  } finally {
    time.close();
  }
});

Deno.test("RateBudget: a Retry-After under minPauseMs does not pause the host", () => {
  const { time, budget } = setup({ minPauseMs: 2000 });
  budget.observe(429, new Headers({ "retry-after": "1" }));
  assertEquals(budget.pausedUntil, undefined);
  budget.observe(429, new Headers({ "retry-after": "2" }));
  assertEquals(budget.pausedUntil, T0 + 2000);
  time.close();
});

Deno.test("RateBudget: a pause longer than planned wakes sleepers to wait longer", async () => {
  const { time, budget, granted, take } = setup();
  try {
    await take();
    budget.observe(429, new Headers({ "retry-after": "1" }));
    const waiting = take();
    await time.advance(T0 + 500);
    budget.observe(429, new Headers({ "retry-after": "3" }), T0);
    await time.advance(T0 + 3000);
    assertEquals(granted, [T0]);
    await time.advance(T0 + 3500);
    await waiting;
    assertEquals(granted, [T0, T0 + 3500]);
  } finally {
    time.close();
  }
});

Deno.test("RateBudget: an exhausted quota waits for the reset, then one request probes", async () => {
  const { time, budget, granted, take } = setup();
  try {
    await take();
    budget.observe(200, xHeaders(0, T0 / 1000 + 60), T0);
    const a = take();
    const b = take();
    await time.advance(T0 + 59_999);
    assertEquals(granted.length, 1);
    await time.advance(T0 + 60_000);
    await a;
    assertEquals(granted, [T0, T0 + 60_000]);
    await time.advance(T0 + 70_000);
    assertEquals(granted.length, 2, "b waits for what the probe learns");
    // A fresh window of 100 requests per 60 s, opened by the probe.
    budget.observe(200, xHeaders(99, T0 / 1000 + 120, 100), T0 + 60_000);
    assertEquals(budget.remaining, 99);
    await time.advance(T0 + 80_000);
    await b;
    assertEquals(granted.length, 3);
    assertEquals(budget.remaining, 98);
  } finally {
    time.close();
  }
});

Deno.test("RateBudget: a lost probe (no answer) lets the next request probe", async () => {
  const { time, budget, granted, take } = setup();
  try {
    const first = take();
    const second = take();
    await time.advance(T0);
    await first;
    budget.abandon();
    await time.advance(T0);
    await second;
    assertEquals(granted, [T0, T0]);
  } finally {
    time.close();
  }
});

Deno.test("RateBudget: an abort while waiting rejects with the reason; the line moves on", async () => {
  const { time, budget, granted, take } = setup();
  try {
    await take();
    budget.observe(429, new Headers({ "retry-after": "10" }));
    const ac = new AbortController();
    const reason = new Error("stop");
    const aborted = take(ac.signal);
    const next = take();
    await time.advance(T0 + 1000);
    ac.abort(reason);
    await rejects(aborted, (e) => e === reason);
    await time.advance(T0 + 10_000);
    await next;
    assertEquals(granted, [T0, T0 + 10_000]);
    assertEquals(budget.inFlight, 1);
    await rejects(budget.take(AbortSignal.abort(reason)), (e) => e === reason);
    assertEquals(time.pending, 0, "no timer left behind");
  } finally {
    time.close();
  }
});

Deno.test("RateBudget: an answer from a window that already ended does not spend the new one", async () => {
  const { time, budget, take } = setup();
  try {
    await take();
    budget.observe(200, xHeaders(3, T0 / 1000 + 1), T0);
    const a = take(); // sent in the old window, answered late
    await time.advance(T0 + 999);
    await a;
    const sentInOld = time.now;
    await time.advance(T0 + 1000);
    const b = take(); // the probe of the new window
    await time.advance(T0 + 1000);
    await b;
    // The new window shows up first...
    budget.observe(200, xHeaders(9, T0 / 1000 + 2, 10), T0 + 1000);
    assertEquals(budget.remaining, 8, "9 left, one of ours in flight");
    // ...then the straggler from the old one: it says nothing about the new window.
    budget.observe(200, xHeaders(1, T0 / 1000 + 1, 10), sentInOld);
    assertEquals(budget.remaining, 8);
  } finally {
    time.close();
  }
});

// Drives a budget against the test server's own rate window (fixed windows
// that start at the first request after the last one ended, the reset rounded
// up to whole seconds) with `workers` concurrent loops on virtual time.
async function simulate(opts: {
  requests: number;
  perSeconds: number;
  headers: RateHeaderStyle;
  workers: number;
  latencyMs: number;
  seconds: number;
  start?: number;
  pacing?: "as-needed" | "even";
}) {
  const time = new VirtualTime();
  time.now = opts.start ?? T0 + 337; // not on a second boundary
  const t0 = time.now;
  const window = new RateWindow(
    {
      requests: opts.requests,
      perSeconds: opts.perSeconds,
      headers: opts.headers,
    },
    () => time.now,
  );
  const budget = new RateBudget({
    now: () => time.now,
    sleep: time.sleep,
    ...(opts.pacing ? { pacing: opts.pacing } : {}),
  });
  const end = t0 + opts.seconds * 1000;
  let ok = 0;
  let refused = 0;
  const stop = new AbortController();
  const worker = async () => {
    while (time.now < end) {
      try {
        await budget.take(stop.signal);
      } catch {
        return;
      }
      const sentAt = time.now;
      if (sentAt >= end) {
        budget.abandon();
        return;
      }
      const d = window.take();
      if (d.ok) ok++;
      else refused++;
      await time.sleep(opts.latencyMs);
      const headers = new Headers(d.headers);
      if (!d.ok) headers.set("retry-after", String(d.resetSeconds));
      budget.observe(d.ok ? 200 : 429, headers, sentAt);
    }
  };
  const running = Array.from({ length: opts.workers }, worker);
  await time.advance(end);
  stop.abort();
  await time.advance(end + 10 * opts.latencyMs);
  await Promise.all(running);
  time.close();
  const allowed = opts.requests / opts.perSeconds * opts.seconds;
  return { ok, refused, share: ok / allowed, stats: budget.stats };
}

Deno.test("RateBudget: against a 1 s window announced in X-RateLimit headers: >= 95 % of it, no 429", async () => {
  for (const requests of [50, 100, 400]) {
    const r = await simulate({
      requests,
      perSeconds: 1,
      headers: "x-ratelimit",
      workers: 32,
      latencyMs: 20,
      seconds: 15,
    });
    assertEquals(r.refused, 0, `${requests}/s: ${r.refused} refused`);
    assert(
      r.share >= 0.95,
      `${requests}/s: ${(r.share * 100).toFixed(1)} % of the limit`,
    );
  }
});

Deno.test("RateBudget: against the IETF RateLimit headers: >= 95 % of the limit, no 429", async () => {
  const r = await simulate({
    requests: 100,
    perSeconds: 1,
    headers: "ietf",
    workers: 16,
    latencyMs: 20,
    seconds: 15,
  });
  assertEquals(r.refused, 0);
  assert(r.share >= 0.95, `${(r.share * 100).toFixed(1)} % of the limit`);
});

Deno.test("RateBudget: a longer window (60 per 10 s) paced evenly is spread, not burst, and never refused", async () => {
  const r = await simulate({
    requests: 60,
    perSeconds: 10,
    headers: "x-ratelimit",
    workers: 8,
    latencyMs: 50,
    seconds: 60,
    pacing: "even",
  });
  assertEquals(r.refused, 0);
  assert(r.share >= 0.95, `${(r.share * 100).toFixed(1)} % of the limit`);
  // Spread: most requests had to wait for their slot.
  assert(r.stats.waited > r.stats.granted * 0.8, JSON.stringify(r.stats));
});

Deno.test("RateBudget: a longer window (60 per 10 s) paced as needed is never refused either", async () => {
  const r = await simulate({
    requests: 60,
    perSeconds: 10,
    headers: "x-ratelimit",
    workers: 8,
    latencyMs: 50,
    seconds: 60,
  });
  assertEquals(r.refused, 0);
  assert(r.share >= 0.95, `${(r.share * 100).toFixed(1)} % of the limit`);
});

Deno.test("RateBudget: a short pull against 5,000 an hour goes at full speed (pacing as needed)", async () => {
  const { time, budget, granted, take } = setup();
  try {
    await take();
    budget.observe(200, xHeaders(4999, T0 / 1000 + 3600, 5000), T0);
    // Far less than the quota left: no timer involved, all at once.
    await Promise.all(Array.from({ length: 14 }, () => take()));
    assertEquals(granted.length, 15);
    assert(granted.every((t) => t === T0), `${granted.map((t) => t - T0)}`);
    assertEquals(budget.stats.waited, 0);
  } finally {
    time.close();
  }
});

Deno.test("RateBudget: a pull that would exhaust the quota is paced once the rest, less 10 %, no longer covers it", async () => {
  const { time, budget, granted, take } = setup();
  try {
    await take();
    // 300 left of 1,000 for the hour; 30 (10 %) kept back before pacing.
    budget.observe(200, xHeaders(300, T0 / 1000 + 3600, 1000), T0);
    const all = Array.from({ length: 200 }, () => take());
    await time.advance(T0);
    // Full speed while 300 - 30 - spent covers what was spent (as much
    // again is assumed to come): 136 at once.
    const atOnce = granted.filter((t) => t === T0).length - 1;
    assertEquals(atOnce, 136);
    // Then the 164 left (less 1) are spread over the hour.
    await time.advance(T0 + 60_000);
    const next = granted[atOnce + 1]! - T0;
    assert(Math.abs(next - 3_600_000 / 164) < 1, `next grant at ${next}`);
    assert(budget.remaining! >= 30);
    void Promise.allSettled(all);
  } finally {
    time.close();
  }
});
